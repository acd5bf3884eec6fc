"""The transmit path's stage plans that are not ring stages (``vnetsim.host.plan.PathStagePlan``):
the application's answer (the response's size), DPDK's TX buffer, the pNIC TX ring and wire, and
the peer's turnaround (the NIC's TX DMA is a ``DeviceStagePlan``). Each has ``build(t_lo,
t_end)`` -> an engine stage and ``report(stats)`` -> (latency histograms by name, window drops by
name); docs/models/host.md, "Transmit path and round trips", says what each latency means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.merge import gather_packets, sort_packets, survivors
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.engine.txbuffer import TxBufferStage, TxBufferStats
from vnetsim.host.kernels import record_window
from vnetsim.net.ethernet import WIRE_GAP_BYTES


class PassThrough:
    """A stage that holds nothing and decides each packet's time from that packet alone: it takes
    late arrivals at once (``holds_late_arrivals``), so the pipeline never holds back and re-copies
    its input. Subclasses write ``advance``."""

    name = "pass"
    holds_late_arrivals = True

    def start_window(self) -> None:
        pass

    def held(self) -> int:
        return 0

    def stats(self) -> None:
        return None


class _Recorded(PassThrough):
    """A pass-through stage that records each window packet's time in it."""

    name = "stage"

    def __init__(self, t_lo: float, t_end: float) -> None:
        self.t_lo, self.t_end = t_lo, t_end
        self.hist = LogHistogram()

    def _out(self, arrivals: Packets, t_out: np.ndarray, sort: bool) -> StageOutput:
        record_window(self.hist.counts, self.hist.stats, arrivals.t_ns, t_out, arrivals.t0_ns, self.t_lo, self.t_end)
        out = arrivals.with_times(t_out)
        return StageOutput(sort_packets(out) if sort else out, NO_DROPS)

    def stats(self) -> LogHistogram:  # type: ignore[override]
        return self.hist


class ResizeStage(PassThrough):
    """The application turns each request into its response: same packet, the response's size
    (``size_of_flow``; -1 keeps the request's). Takes no time."""

    name = "answer"

    def __init__(self, size_of_flow: np.ndarray) -> None:
        self.size_of_flow = np.ascontiguousarray(size_of_flow, np.int32)
        self.echo = not (self.size_of_flow >= 0).any()      # every response has its request's size

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        if self.echo or not len(arrivals):
            return StageOutput(arrivals, NO_DROPS)
        s = self.size_of_flow[arrivals.flow]
        size = np.where(s >= 0, s, arrivals.size_bytes).astype(np.int32)
        return StageOutput(Packets(arrivals.t_ns, arrivals.t0_ns, size, arrivals.flow, arrivals.pkt_id), NO_DROPS)


class FlowDelayStage(_Recorded):
    """A fixed time per flow (the peer's turnaround): departure = arrival + ``delay_of_flow``."""

    def __init__(self, delay_of_flow: np.ndarray, t_lo: float, t_end: float, name: str = "peer") -> None:
        super().__init__(t_lo, t_end)
        self.delay_of_flow, self.name = np.ascontiguousarray(delay_of_flow, np.float64), name
        self.uniform = bool(len(delay_of_flow)) and bool((self.delay_of_flow == self.delay_of_flow[0]).all())

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        if not len(arrivals):
            return StageOutput(arrivals, NO_DROPS)
        if self.uniform:                                  # one delay: the order is kept
            return self._out(arrivals, arrivals.t_ns + self.delay_of_flow[0], sort=False)
        return self._out(arrivals, arrivals.t_ns + self.delay_of_flow[arrivals.flow], sort=True)


@dataclass
class WireStats:
    """A TX wire's statistics: the sojourn histogram (arrival to the last bit out) of window
    packets, and the drops of packets offered in the window."""

    sojourn: LogHistogram
    window_drops: int


@numba.njit(cache=True, nogil=True)
def _ring_wire(t, t0, size, ns_per_byte, overhead, cap, ring, state, lo, hi, counts, stats):
    """The pNIC TX ring and the port: a FIFO at line rate holding at most ``cap`` frames (tail drop
    at arrival, after every frame that left by then is gone), the Lindley recursion; returns the
    departures (NaN = dropped). ``state`` = [last departure, ring head, ring count, window drops];
    the ring holds the departures of the frames in the system. Also returns the drops of this call."""
    n = t.shape[0]
    dep = np.empty(n)
    dropped = 0
    width = ring.shape[0]
    last, head, cnt, wdrops = state[0], int(state[1]), int(state[2]), state[3]
    st = stats_load(stats)
    for i in range(n):
        a = t[i]
        while cnt > 0 and ring[head] <= a:
            head += 1
            if head == width:
                head = 0
            cnt -= 1
        if cnt >= cap:
            dep[i] = np.nan
            dropped += 1
            if t0[i] >= lo:
                wdrops += 1.0
            continue
        s = a if a > last else last
        d = s + (size[i] + overhead) * ns_per_byte
        last = d
        dep[i] = d
        tail = head + cnt
        if tail >= width:
            tail -= width
        ring[tail] = d
        cnt += 1
        if t0[i] >= lo and d <= hi:
            st = hist_add(counts, st, d - a, SUB_BITS)
    state[0], state[1], state[2], state[3] = last, head, cnt, wdrops
    stats_store(stats, st)
    return dep, dropped


class RingWireStage:
    """The pNIC TX ring and the port (``TxWirePlan``): frames leave at line rate, serialization
    ``(frame + 20 B) * 8 / rate``, at most ``ring_slots`` frames waiting or in transmission: a FIFO
    (the Lindley recursion) with tail drop at arrival, after every frame that left by then is gone.
    ``state`` = [last departure, ring head, ring count, window drops]; ``ring`` holds the
    departures of the frames in the system."""

    def __init__(self, rate_bps: float, ring_slots: int, t_lo: float, t_end: float, name: str) -> None:
        self.name = name
        self.ns_per_byte = 8.0 * (1e9 / float(rate_bps))
        self.cap = int(ring_slots)
        self.ring = np.zeros(max(1, self.cap))
        self.state = np.array([-np.inf, 0.0, 0.0, 0.0])
        self.lo, self.hi = float(t_lo), float(t_end)
        self.sojourn = LogHistogram()

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        if not len(arrivals):
            return StageOutput(arrivals, NO_DROPS)
        dep, dropped = _ring_wire(arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, self.ns_per_byte, WIRE_GAP_BYTES,
                         self.cap, self.ring, self.state, self.lo, self.hi, self.sojourn.counts, self.sojourn.stats)
        if dropped:
            keep, drop_pid = survivors(dep, arrivals.pkt_id)
            a = arrivals
            return StageOutput(Packets(*gather_packets(keep, dep, a.t0_ns, a.size_bytes, a.flow, a.pkt_id)), drop_pid)
        return StageOutput(arrivals.with_times(dep), NO_DROPS)

    def start_window(self) -> None:
        pass

    def held(self) -> int:
        return 0

    def stats(self) -> WireStats:
        return WireStats(self.sojourn, int(self.state[3]))




# --- the plans ---------------------------------------------------------------------------------

@dataclass
class AnswerPlan:
    """The application's answer: the response's size per flow (-1: the request's size)."""

    size_of_flow: np.ndarray

    def build(self, t_lo: float, t_end: float) -> ResizeStage:
        return ResizeStage(self.size_of_flow)

    def report(self, stats) -> tuple[dict[str, LogHistogram], dict[str, int]]:
        return {}, {}


@dataclass
class TxBufferPlan:
    """DPDK l3fwd's TX buffers (``vnetsim.engine.txbuffer``): per flow its buffer (-1: none), per
    buffer its burst and drain period."""

    buffer_of_flow: np.ndarray
    burst: np.ndarray
    drain_ns: np.ndarray
    name: str = "tx_buffer"

    def build(self, t_lo: float, t_end: float) -> TxBufferStage:
        return TxBufferStage(self.buffer_of_flow, self.burst, self.drain_ns, t_lo, t_end, self.name)

    def report(self, stats: TxBufferStats) -> tuple[dict[str, LogHistogram], dict[str, int]]:
        return {self.name: stats.wait}, {}


@dataclass
class TxWirePlan:
    """The pNIC TX rings and the port: a FIFO at line rate holding at most ``ring_slots`` frames
    (tail drop beyond), serialization ``(frame + 20 B) * 8 / line rate``."""

    line_rate_bps: float
    ring_slots: int
    name: str = "tx_wire"
    drop_name: str = "pnic_tx_ring"

    def build(self, t_lo: float, t_end: float) -> RingWireStage:
        return RingWireStage(self.line_rate_bps, self.ring_slots, t_lo, t_end, self.name)

    def report(self, stats: WireStats) -> tuple[dict[str, LogHistogram], dict[str, int]]:
        return {self.name: stats.sojourn}, {self.drop_name: stats.window_drops}


@dataclass
class PeerPlan:
    """The peer's turnaround per flow (client or tester), a fixed time."""

    delay_of_flow: np.ndarray
    name: str = "peer"

    def build(self, t_lo: float, t_end: float) -> FlowDelayStage:
        return FlowDelayStage(self.delay_of_flow, t_lo, t_end, self.name)

    def report(self, stats: LogHistogram) -> tuple[dict[str, LogHistogram], dict[str, int]]:
        return {self.name: stats}, {}
