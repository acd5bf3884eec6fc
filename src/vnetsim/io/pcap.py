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
import operator
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

import numba
import numpy as np

from vnetsim.engine.packets import Packets
from vnetsim.errors import InputFileError, UserError
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
UNTIMED_GAP_NS = 1000  # a capture without timing is replayed 1 us per packet (1 Mpps)


REPAIRS = ("reordered", "padded", "untimed")


@dataclass
class PcapTrace:
    """A capture as arrays: per packet ``t_ns`` (int64 ns since the epoch), ``cap_len``/``orig_len``
    (bytes in the file / on the wire, no FCS), ``flow`` (int32 index into ``flows``) and ``status``
    (1 where the capture ended inside a header); ``headers`` holds every packet's headers when
    asked for (``keep_headers=True``); ``record_offset`` is each record's byte offset in the file
    (for messages). ``read_pcap`` gives the records in file order, as the file has them;
    ``as_traffic`` gives them as traffic, with ``repairs`` counting what it changed."""

    path: str
    t_ns: np.ndarray
    cap_len: np.ndarray
    orig_len: np.ndarray
    flow: np.ndarray
    flows: FlowTable
    status: np.ndarray
    link_type: np.ndarray
    headers: FlowTable | None = None
    record_offset: np.ndarray | None = None
    repairs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPAIRS, 0))

    def __len__(self) -> int:
        return int(self.t_ns.shape[0])

    def _where(self, k: int) -> str:
        at = f" at byte {int(self.record_offset[k])}" if self.record_offset is not None else ""
        return f"{self.path}: record {k}{at}"

    def take(self, order: np.ndarray) -> PcapTrace:
        """The records in ``order`` (same flow table)."""
        return replace(self, t_ns=self.t_ns[order], cap_len=self.cap_len[order], orig_len=self.orig_len[order],
                       flow=self.flow[order], status=self.status[order], link_type=self.link_type[order],
                       headers=self.headers.take(order) if self.headers is not None else None,
                       record_offset=self.record_offset[order] if self.record_offset is not None else None,
                       repairs=dict(self.repairs))

    def as_traffic(self, min_frame_bytes: int, max_frame_bytes: int,
                   extra_bytes: np.ndarray | None = None) -> PcapTrace:
        """The capture as traffic to replay, checked and repaired (documented in docs/models/nic.md):

        - no packets: an error (traffic needs at least one packet);
        - a frame larger than ``max_frame_bytes`` with its FCS (and the ``extra_bytes`` an overlay
          adds to its flow): an error naming the record;
        - timestamps going backwards: the records are sorted by time (stable), ``repairs["reordered"]``
          counts the records that came earlier than one before them;
        - frames shorter than ``min_frame_bytes`` with FCS (the Ethernet minimum; a sender's capture
          sees them before the NIC pads them, and an empty record is no frame at all): padded to it,
          counted in ``repairs["padded"]``;
        - more than one packet and all at one time (no timing, e.g. Simple Packet Blocks): spaced
          ``UNTIMED_GAP_NS`` apart, counted in ``repairs["untimed"]``.
        """
        n = len(self)
        if n == 0:
            raise InputFileError(self.path, "the capture has no packets, so it cannot be replayed as traffic",
                                 "give a capture with at least one packet")
        wire = self.orig_len.astype(np.int64) + FCS_BYTES
        wire = np.maximum(wire, min_frame_bytes)
        extra = np.zeros(n, np.int64) if extra_bytes is None else np.asarray(extra_bytes, np.int64)[self.flow]
        big = np.flatnonzero(wire + extra > max_frame_bytes)
        if big.size:
            k = int(big[0])
            more = {1: "", 2: "; 1 more record is too"}.get(int(big.size), f"; {big.size - 1} more records are too")
            plus = f", {int(extra[k])} more with the overlay's headers" if extra[k] else ""
            raise InputFileError(self._where(k), f"frame of {int(wire[k])} bytes (with its FCS{plus}) is larger "
                                 f"than the largest frame the model carries, {max_frame_bytes} bytes{more}",
                                 "a capture on a host with segmentation offloads holds merged super-frames: capture "
                                 "with them off (ethtool -K IFACE gro off lro off tso off gso off) or on the wire")
        out = replace(self, repairs=dict(self.repairs))
        t = self.t_ns.astype(np.int64)
        if n > 1 and bool((t[1:] < t[:-1]).any()):
            out.repairs["reordered"] += int((t[1:] < np.maximum.accumulate(t)[:-1]).sum())
            out = out.take(np.argsort(t, kind="stable"))
        short = np.flatnonzero(self.orig_len.astype(np.int64) + FCS_BYTES < min_frame_bytes)
        if short.size:
            out.orig_len = np.maximum(out.orig_len, np.int32(min_frame_bytes - FCS_BYTES)).astype(np.int32)
            out.repairs["padded"] += int(short.size)
        if n > 1 and out.t_ns[0] == out.t_ns[-1]:
            out.t_ns = out.t_ns[0] + np.arange(n, dtype=np.int64) * UNTIMED_GAP_NS
            out.repairs["untimed"] += n
        return out

    def to_packets(self, rescale: float = 1.0, start_ns: float = 0.0) -> Packets:
        """The trace as an engine packet batch: times relative to the first packet, multiplied by
        ``rescale`` (0.5 = twice as fast), shifted to ``start_ns``; sizes count the 4-byte FCS
        (vnetsim's frame-size convention)."""
        n = len(self)
        t = (self.t_ns - (self.t_ns[0] if n else 0)).astype(np.float64) * rescale + start_ns
        return Packets(t_ns=t, t0_ns=t.copy(), size_bytes=(self.orig_len + FCS_BYTES).astype(np.int32),
                       flow=self.flow.astype(np.int32), pkt_id=np.arange(n, dtype=np.int64))


def _map(path: str) -> tuple[np.ndarray, mmap.mmap | None]:
    """The file's bytes, memory-mapped read-only. Only regular files: a FIFO or a device would block
    or never end (the open does not wait for a FIFO's writer)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InputFileError(path, f"cannot open: {exc.strerror}", "check the path") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputFileError(path, "not a regular file", "give a pcap or pcapng file")
        if st.st_size == 0:
            return np.zeros(0, np.uint8), None
        try:
            mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise InputFileError(path, f"cannot read: {exc}", "check the file") from None
    finally:
        os.close(fd)
    return np.frombuffer(mm, np.uint8), mm


def _ports(path: str, name: str, ports) -> np.ndarray:
    """UDP ports as an int64 array, each checked to be 0..65535."""
    try:
        values = [operator.index(p) for p in ports]
    except TypeError:
        raise UserError(f"{path}: {name}", f"{ports!r} is not a list of UDP port numbers",
                        "give integers from 0 to 65535") from None
    bad = [p for p in values if not 0 <= p <= 65535]
    if bad:
        raise UserError(f"{path}: {name}", f"{bad[0]} is not a UDP port", "give integers from 0 to 65535")
    return np.asarray(values, np.int64)


def read_pcap(path: str | os.PathLike, *, vxlan_ports=(VXLAN_PORT_IANA,), geneve_ports=(GENEVE_PORT,),
              keep_headers: bool = False, allow_truncated: bool = False) -> PcapTrace:
    """Read a pcap or pcapng capture into arrays and a flow table.

    ``vxlan_ports``/``geneve_ports``: outer UDP destination ports dissected as tunnels (add 8472
    for Linux's legacy VXLAN port). ``allow_truncated`` drops a partial last record instead of
    raising. Bad files raise a one-line ``InputFileError`` (file, record, byte offset, fix).
    """
    path = str(path)
    vx, gn = _ports(path, "vxlan_ports", vxlan_ports), _ports(path, "geneve_ports", geneve_ports)
    buf, mm = _map(path)
    try:
        rec = walk(buf, path, allow_truncated)
        links = np.unique(rec.link_type)
        for lt in links:
            if int(lt) not in SUPPORTED_LINKS:
                first = int(np.flatnonzero(rec.link_type == lt)[0])
                raise InputFileError(f"{path}: record {first} at byte {int(rec.start[first])}",
                                     f"link type {int(lt)} is not supported",
                                     "capture on an Ethernet interface or convert the link layer "
                                     "(supported: " + ", ".join(SUPPORTED_LINKS.values()) + ")")
        headers, status = dissect_records(buf, rec.offset, rec.cap_len, rec.link_type, vx, gn)
    finally:
        del buf
        if mm is not None:
            try:
                mm.close()
            except BufferError:  # an exported view is still alive; the OS unmaps at exit
                pass
    flows, flow = headers.unique()
    return PcapTrace(path, rec.t_ns, rec.cap_len, rec.orig_len, flow, flows, status, rec.link_type,
                     headers if keep_headers else None, rec.start)


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
