"""pcap/pcapng in, pcap out: captures become arrays and a flow table; simulated traffic becomes a capture.

Reading: ``read_pcap(path)`` maps the file, walks the records (``records``), dissects every
packet's headers (``dissect``) and deduplicates them into a ``FlowTable`` with a per-packet flow
index. Timestamps are integer nanoseconds since the epoch.

Writing: ``write_pcap`` / ``PcapWriter`` build frames in bulk (``net.frames``: per-flow header
templates, lengths and checksums patched per packet, zero payload) after encapsulation, and
write a nanosecond pcap (magic a1b23c4d, link type Ethernet) that Wireshark/tshark read.
The file appears atomically: frames go to ``<path>.partial`` and are renamed on close, so an
error never leaves a half-written capture under the final name.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from vnetsim.engine.packets import Packets
from vnetsim.errors import InputFileError
from vnetsim.net.ethernet import FCS_BYTES
from vnetsim.net.flows import FlowTable
from vnetsim.net.frames import FrameTemplates, fill_frames, frame_len_bytes
from vnetsim.net.geneve import GENEVE_PORT
from vnetsim.net.vxlan import VXLAN_PORT_IANA

from .dissect import SUPPORTED_LINKS, dissect_records
from .outputs import AtomicFile
from .records import PCAP_REC_BYTES, walk

PCAP_MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1


@dataclass
class PcapTrace:
    """A capture as arrays: per packet ``t_ns`` (int64 ns since the epoch), ``cap_len``/``orig_len``
    (bytes in the file / on the wire, no FCS), ``flow`` (int32 index into ``flows``) and ``status``
    (1 where the capture ended inside a header); ``headers`` holds every packet's headers when
    asked for (``keep_headers=True``)."""

    path: str
    t_ns: np.ndarray
    cap_len: np.ndarray
    orig_len: np.ndarray
    flow: np.ndarray
    flows: FlowTable
    status: np.ndarray
    link_type: np.ndarray
    headers: FlowTable | None = None

    def __len__(self) -> int:
        return int(self.t_ns.shape[0])

    def to_packets(self, rescale: float = 1.0, start_ns: float = 0.0) -> Packets:
        """The trace as an engine packet batch: times relative to the first packet, multiplied by
        ``rescale`` (0.5 = twice as fast), shifted to ``start_ns``; sizes count the 4-byte FCS
        (vnetsim's frame-size convention)."""
        n = len(self)
        t = (self.t_ns - (self.t_ns[0] if n else 0)).astype(np.float64) * rescale + start_ns
        return Packets(t_ns=t, t0_ns=t.copy(), size_bytes=(self.orig_len + FCS_BYTES).astype(np.int32),
                       flow=self.flow.astype(np.int32), pkt_id=np.arange(n, dtype=np.int64))


def _map(path: str) -> tuple[np.ndarray, mmap.mmap | None]:
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise InputFileError(path, f"cannot open: {exc.strerror}", "check the path") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return np.zeros(0, np.uint8), None
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(mm, np.uint8), mm


def read_pcap(path: str | os.PathLike, *, vxlan_ports=(VXLAN_PORT_IANA,), geneve_ports=(GENEVE_PORT,),
              keep_headers: bool = False, allow_truncated: bool = False) -> PcapTrace:
    """Read a pcap or pcapng capture into arrays and a flow table.

    ``vxlan_ports``/``geneve_ports``: outer UDP destination ports dissected as tunnels (add 8472
    for Linux's legacy VXLAN port). ``allow_truncated`` drops a partial last record instead of
    raising. Bad files raise a one-line ``InputFileError`` (file, record, byte offset, fix).
    """
    path = str(path)
    buf, mm = _map(path)
    try:
        rec = walk(buf, path, allow_truncated)
        links = np.unique(rec.link_type)
        for lt in links:
            if int(lt) not in SUPPORTED_LINKS:
                first = int(np.flatnonzero(rec.link_type == lt)[0])
                raise InputFileError(f"{path}: record {first}", f"link type {int(lt)} is not supported",
                                     "capture on an Ethernet interface or convert the link layer "
                                     "(supported: " + ", ".join(SUPPORTED_LINKS.values()) + ")")
        headers, status = dissect_records(buf, rec.offset, rec.cap_len, rec.link_type, vxlan_ports, geneve_ports)
    finally:
        del buf
        if mm is not None:
            try:
                mm.close()
            except BufferError:  # an exported view is still alive; the OS unmaps at exit
                pass
    flows, flow = headers.unique()
    return PcapTrace(path, rec.t_ns, rec.cap_len, rec.orig_len, flow, flows, status, rec.link_type,
                     headers if keep_headers else None)


# -- writing ---------------------------------------------------------------------------------

def pcap_file_header(snaplen: int = 262144, link_type: int = LINKTYPE_ETHERNET) -> bytes:
    """The 24-byte header of a little-endian nanosecond pcap."""
    return np.array([PCAP_MAGIC_NS], "<u4").tobytes() + np.array([2, 4], "<u2").tobytes() + \
        np.array([0, 0, snaplen, link_type], "<u4").tobytes()


@numba.njit(cache=True, nogil=True)
def _record_headers(out, rec_off, t_ns, cap_len, orig_len):
    for i in range(rec_off.shape[0]):
        o = rec_off[i]
        t = t_ns[i]
        sec = t // 1_000_000_000
        frac = t - sec * 1_000_000_000
        vals = (sec, frac, np.int64(cap_len[i]), np.int64(orig_len[i]))
        for w in range(4):
            v = vals[w]
            for b in range(4):
                out[o + 4 * w + b] = (v >> (8 * b)) & 0xFF


CHUNK_BYTES = 1 << 24  # writer buffer: bounded memory whatever the run length


def _timestamps_ns(t_ns) -> np.ndarray:
    t = np.asarray(t_ns)
    return np.rint(t.astype(np.float64)).astype(np.int64) if t.dtype.kind == "f" else t.astype(np.int64)


def encode_records(out: np.ndarray, t_ns: np.ndarray, flow: np.ndarray, frame_len: np.ndarray, cap_len: np.ndarray,
                   templates: FrameTemplates) -> int:
    """Write record headers + frames of packets back to back into ``out`` (zeroed here); return bytes used."""
    rec_len = cap_len + PCAP_REC_BYTES
    rec_off = np.zeros(flow.shape[0], np.int64)
    if flow.shape[0] > 1:
        np.cumsum(rec_len[:-1], out=rec_off[1:])
    used = int(rec_len.sum())
    out[:used] = 0
    _record_headers(out, rec_off, t_ns, cap_len, frame_len)
    fill_frames(templates.hdr, templates.hdr_len, templates.layout, flow, frame_len, cap_len, out,
                rec_off + PCAP_REC_BYTES)
    return used


class PcapWriter:
    """Write simulated packets chunk by chunk; the file appears under ``path`` on ``close``.

    ``size_is="inner"``: ``size_bytes`` are frames as the VM sent them (with FCS), the tunnel
    overhead is added; ``"outer"``: they already are the frames on the wire (with FCS).
    Timestamps (ns, float or int) are shifted by ``epoch_ns``.
    """

    def __init__(self, path: str | os.PathLike, flows: FlowTable, *, size_is: str = "inner",
                 snaplen: int = 65535, epoch_ns: int = 0) -> None:
        self.path = Path(path)
        self.flows = flows
        self.size_is = size_is
        self.snaplen = int(snaplen)
        self.epoch_ns = int(epoch_ns)
        self.templates = FrameTemplates.from_flows(flows)
        self.count = 0
        self._buf: np.ndarray | None = None
        self._out = AtomicFile(self.path, "--pcap", binary=True)
        self._out.write(pcap_file_header(self.snaplen))

    def write(self, t_ns: np.ndarray, flow: np.ndarray, size_bytes: np.ndarray) -> None:
        """Append packets (time in ns, flow index, simulated size with FCS), in buffers of ~16 MiB."""
        flow = np.asarray(flow, np.int64)
        if flow.shape[0] == 0:
            return
        t = _timestamps_ns(t_ns) + self.epoch_ns
        if t.min() < 0:
            raise ValueError("pcap timestamps must be >= 0 ns since the epoch; pass epoch_ns to shift them")
        frame_len = np.maximum(frame_len_bytes(self.flows, flow, size_bytes, self.size_is),
                               self.templates.hdr_len[flow])
        cap = np.minimum(frame_len, self.snaplen)
        ends = np.cumsum(cap + PCAP_REC_BYTES)
        start = 0
        while start < flow.shape[0]:  # one iteration per ~16 MiB chunk
            base = ends[start - 1] if start else 0
            stop = max(start + 1, int(np.searchsorted(ends, base + CHUNK_BYTES, side="right")))
            need = int(ends[stop - 1] - base)
            if self._buf is None or self._buf.shape[0] < need:
                self._buf = np.empty(max(need, CHUNK_BYTES), np.uint8)
            used = encode_records(self._buf, t[start:stop], flow[start:stop], frame_len[start:stop],
                                  cap[start:stop], self.templates)
            self._out.write(self._buf[:used].data)
            start = stop
        self.count += int(flow.shape[0])

    def write_packets(self, packets: Packets) -> None:
        self.write(packets.t_ns, packets.flow, packets.size_bytes)

    def close(self) -> None:
        self._out.commit()

    def abort(self) -> None:
        """Drop the partial file (on error): nothing appears under ``path``."""
        self._out.abort()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_pcap(path: str | os.PathLike, t_ns, flow, size_bytes, flows: FlowTable, *, size_is: str = "inner",
               snaplen: int = 65535, epoch_ns: int = 0) -> int:
    """Write packets (time, flow index, size) of ``flows`` as a pcap; returns the packet count."""
    with PcapWriter(path, flows, size_is=size_is, snaplen=snaplen, epoch_ns=epoch_ns) as w:
        w.write(t_ns, flow, size_bytes)
    return w.count
