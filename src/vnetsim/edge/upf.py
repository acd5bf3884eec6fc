"""The mobile core's user-plane function (UPF) as a VNF on a host (``vnetsim.host``).

Every uplink message reaches the UPF GTP-U encapsulated (3GPP TS 29.281): the N3 packet is the
message's IP packet inside outer IP (20 or 40 bytes) + UDP (8) + GTP-U (8, + 8 for the 5G PDU
session container extension header: 4 bytes of sequence number, N-PDU number and next-extension
type, and the 4-byte container, TS 38.415), in an Ethernet frame (14 + 4 FCS). So an IPv4 N3
packet carries 36 bytes more (44 with the container), an IPv6 one 56 (64).

The aggregated N3 stream of every site then goes through the UPF host's NIC at line rate (a
``FifoStage``: the wire) and its receive path (``vnetsim.host.HostReceive``: pNIC rings and host
threads, vSwitch, vNIC rings and the UPF VM's vCPUs), which reports its latency, CPU and drops.
Each site is one GTP-U tunnel (its gNB's address to the UPF's, UDP port 2152 both ways).
"""

from __future__ import annotations

import numpy as np

from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.host import FlowCatalog
from vnetsim.net.ethernet import ETH_HDR_BYTES, FCS_BYTES
from vnetsim.net.flows import FlowTable
from vnetsim.net.ipaddr import ipv4_from_u32
from vnetsim.net.ipv4 import IPV4_HDR_BYTES
from vnetsim.net.ipv6 import IPV6_HDR_BYTES
from vnetsim.net.synth import vm_macs
from vnetsim.net.udp import UDP_HDR_BYTES

GTPU_PORT = 2152               # TS 29.281
GTPU_HDR_BYTES = 8             # mandatory GTP-U header
PDU_SESSION_EXT_BYTES = 8      # optional fields (4) + PDU session container (4)
GNB_IP_BASE = 0x0A640001       # 10.100.0.1 + site: the sites' gNBs
UPF_IP = 0x0A000001            # 10.0.0.1: the UPF's N3 address


def gtpu_overhead_bytes(outer_ip_version: int, pdu_session_container: bool) -> int:
    """Bytes GTP-U encapsulation adds to an inner IP packet (outer IP + UDP + GTP-U)."""
    ip = IPV4_HDR_BYTES if outer_ip_version == 4 else IPV6_HDR_BYTES
    return ip + UDP_HDR_BYTES + GTPU_HDR_BYTES + (PDU_SESSION_EXT_BYTES if pdu_session_container else 0)


def n3_frame_extra_bytes(upf) -> int:
    """Bytes from a message's IP packet to its N3 Ethernet frame (GTP-U, Ethernet header, FCS)."""
    return gtpu_overhead_bytes(upf.outer_ip_version, upf.pdu_session_container) + ETH_HDR_BYTES + FCS_BYTES


class InFlight:
    """When each message inside the UPF host entered it (reached its NIC's wire), by message id:
    the stream is time-ordered, not id-ordered (the uplink delays some messages by whole outages),
    so each chunk's entries are kept sorted by id and looked up by binary search. A chunk's
    entries are forgotten once every one of its messages reached the application or was dropped,
    so memory follows what is inside the host, not the run's length."""

    def __init__(self) -> None:
        self.batches: list[list] = []       # [ids sorted, entry times, messages still inside]

    def add(self, pid: np.ndarray, t_ns: np.ndarray) -> None:
        if len(pid):
            by_id = np.argsort(pid, kind="stable")
            self.batches.append([pid[by_id], t_ns[by_id], len(pid)])

    def take(self, pid: np.ndarray) -> np.ndarray:
        """The entry times of these messages (which leave the host now); NaN for an unknown id."""
        out = np.full(len(pid), np.nan)
        if not len(pid):
            return out
        for batch in self.batches:
            ids, times = batch[0], batch[1]
            idx = np.minimum(np.searchsorted(ids, pid), len(ids) - 1)
            hit = ids[idx] == pid
            out[hit] = times[idx[hit]]
            batch[2] -= int(hit.sum())
        self.batches = [b for b in self.batches if b[2] > 0]
        return out

    def held(self) -> int:
        return sum(b[2] for b in self.batches)


class UpfLatency:
    """The UPF's own latency distribution: from a message's N3 frame reaching the UPF host's NIC
    wire to the UPF application (wire, pNIC ring, host thread and vSwitch, vNIC ring, guest), of
    messages produced from ``t_lo`` on that reach the application by ``t_end`` (the host kind's
    window)."""

    def __init__(self, inflight: InFlight, t_lo: float, t_end: float) -> None:
        self.inflight, self.t_lo, self.t_end = inflight, t_lo, t_end
        self.histogram = LogHistogram()
        self.unmatched = 0

    def __call__(self, packets: Packets, horizon_ns: float) -> None:
        entry = self.inflight.take(packets.pkt_id)
        known = ~np.isnan(entry)
        self.unmatched += int((~known).sum())
        window = known & (packets.t0_ns >= self.t_lo) & (packets.t_ns <= self.t_end)
        self.histogram.record(packets.t_ns[window] - entry[window])

    def dropped(self, pid: np.ndarray) -> None:
        """Messages the host dropped: they will not reach the application."""
        self.inflight.take(pid)


class GtpuEncap:
    """A stage that encapsulates (the gNB side of N3): size + ``extra_bytes``, no delay, no queue.
    A message's size is its IP packet plus the link framing of the radio hop (``link_bytes``), which
    the encapsulation replaces. With ``inflight``, each message's time here (its N3 frame reaching
    the UPF's wire) is kept for ``UpfLatency``."""

    name = "gtpu"

    def __init__(self, extra_bytes: int, link_bytes: int = 0, inflight: InFlight | None = None) -> None:
        self.extra = int(extra_bytes) - int(link_bytes)
        self.count = 0
        self.inflight = inflight

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        self.count += len(arrivals)
        if self.inflight is not None:
            self.inflight.add(arrivals.pkt_id, arrivals.t_ns)
        return StageOutput(Packets(arrivals.t_ns, arrivals.t0_ns, (arrivals.size_bytes + self.extra).astype(np.int32),
                                   arrivals.flow, arrivals.pkt_id), NO_DROPS)

    def start_window(self) -> None:
        self.count = 0

    def held(self) -> int:
        return 0

    def stats(self) -> int:
        return self.count


def n3_catalog(sites: int, n_vms: int) -> FlowCatalog:
    """The N3 flows as the UPF host sees them: per site a data and an event flow (same tunnel
    endpoints), UDP 2152, to the UPF VM (flow i to VM i mod VMs)."""
    k = 2 * sites
    table = FlowTable.empty(k)
    site = np.arange(k, dtype=np.int64) // 2
    vm = np.arange(k, dtype=np.int64) % n_vms
    table.eth_dst[:] = vm_macs(n_vms)[vm]
    table.ip_src[:] = ipv4_from_u32((GNB_IP_BASE + site).astype(np.uint32))
    table.ip_dst[:] = ipv4_from_u32(np.full(k, UPF_IP, np.uint32))
    table.ip_proto[:] = 17
    table.src_port[:] = GTPU_PORT
    table.dst_port[:] = GTPU_PORT
    return FlowCatalog(table, vm, np.zeros(k, np.int64), np.zeros(k, np.int64), np.zeros(k, bool),
                       np.ones(k, np.int64), {}, [k])
