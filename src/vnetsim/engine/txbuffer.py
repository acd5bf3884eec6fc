"""A TX buffer flushed by count or by a periodic drain: DPDK l3fwd's per-port TX buffering.

l3fwd (examples/l3fwd) does not hand each forwarded packet to the NIC at once: it appends it to a
per-(lcore, port) buffer and calls ``rte_eth_tx_burst`` when the buffer holds ``MAX_PKT_BURST``
(32) packets; every ``BURST_TX_DRAIN_US`` (100 us) its main loop flushes whatever is buffered.
At low load a packet therefore waits for the next drain tick; at high load the buffer fills and
packets leave in bursts of 32.

Semantics (the reference model in tests/reference/tx_ref.py implements the same):
- Each packet's buffer comes from its flow (``buffer_of_flow``: e.g. the core that forwards it;
  -1: not buffered, the packet leaves as it arrives). Each buffer has its own ``burst`` and
  ``drain_ns``.
- Drain ticks are at ``k * drain_ns`` (k = 1, 2, ...), one grid for all buffers (the
  l3fwd loop checks the drain at each iteration; a spinning core iterates every few tens of
  nanoseconds, so the tick is the grid to within one iteration).
- A packet entering at ``a`` joins its buffer. A tick at ``T`` flushes every packet that entered
  before ``T`` (so an arrival at exactly ``T`` waits for the next tick); when the buffer then holds
  ``burst`` packets they all leave at ``a``. Flushed packets leave at the flush time, in packet-id
  order among equal times.
- Chunking: a flush is decided when its time is before the horizon; what is left waits in the
  buffer (``held``) for a later arrival or tick, both at or after the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.merge import gather_packets, time_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import StageOutput

_NO_DROPS = np.empty(0, np.int64)
# per buffer, the float state: flush time of what it holds (the first tick after its oldest)
# slots: [buffer, slot, (arrival, t0)] float; [buffer, slot, (size, flow, pid)] int


@numba.njit(cache=True, nogil=True)
def _next_tick(a, drain_ns):
    """The first drain tick strictly after ``a``."""
    return (np.floor(a / drain_ns) + 1.0) * drain_ns


@numba.njit(cache=True, nogil=True)
def _flush(b, t, count, slot_f, slot_i, out_f, out_i, n_out, lo, hi, counts, st):
    """Buffer ``b``'s ``count[b]`` packets leave at ``t`` (written from ``n_out`` on); window packets'
    time in the buffer goes to the histogram. Returns (n_out, stats)."""
    for k in range(count[b]):
        out_f[0, n_out] = t
        out_f[1, n_out] = slot_f[b, k, 1]
        out_i[0, n_out] = slot_i[b, k, 0]
        out_i[1, n_out] = slot_i[b, k, 1]
        out_i[2, n_out] = slot_i[b, k, 2]
        if slot_f[b, k, 1] >= lo and t <= hi:
            st = hist_add(counts, st, t - slot_f[b, k, 0], SUB_BITS)
        n_out += 1
    count[b] = 0
    return n_out, st


@numba.njit(cache=True, nogil=True)
def txbuffer_advance(t, t0, size, flow, pid, buffer_of_flow, burst, drain_ns, horizon, count, flush_at, slot_f,
                     slot_i, acc, lo, hi, counts, stats):
    """Serve time-ordered arrivals (all before ``horizon``): departures as (float rows: time, t0;
    int rows: size, flow, pid) in decision order (not sorted), and their number. ``acc`` counts
    [flushes when full, flushes at a tick]."""
    n = t.shape[0]
    n_b = count.shape[0]
    held = 0
    for b in range(n_b):
        held += count[b]
    cap = n + held
    out_f = np.empty((2, cap))
    out_i = np.empty((3, cap), np.int64)
    n_out = 0
    st = stats_load(stats)
    for i in range(n):
        a = t[i]
        b = buffer_of_flow[flow[i]]
        if b < 0:                                       # not buffered: sent as it comes
            out_f[0, n_out] = a
            out_f[1, n_out] = t0[i]
            out_i[0, n_out] = size[i]
            out_i[1, n_out] = flow[i]
            out_i[2, n_out] = pid[i]
            n_out += 1
            continue
        if count[b] > 0 and flush_at[b] <= a:          # the tick came before this arrival
            n_out, st = _flush(b, flush_at[b], count, slot_f, slot_i, out_f, out_i, n_out, lo, hi, counts, st)
            acc[1] += 1.0
        k = count[b]
        slot_f[b, k, 0] = a
        slot_f[b, k, 1] = t0[i]
        slot_i[b, k, 0] = size[i]
        slot_i[b, k, 1] = flow[i]
        slot_i[b, k, 2] = pid[i]
        count[b] = k + 1
        if k == 0:
            flush_at[b] = _next_tick(a, drain_ns[b])
        if k + 1 >= burst[b]:
            n_out, st = _flush(b, a, count, slot_f, slot_i, out_f, out_i, n_out, lo, hi, counts, st)
            acc[0] += 1.0
    for b in range(n_b):                                # ticks before the horizon
        if count[b] > 0 and flush_at[b] < horizon:
            n_out, st = _flush(b, flush_at[b], count, slot_f, slot_i, out_f, out_i, n_out, lo, hi, counts, st)
            acc[1] += 1.0
    stats_store(stats, st)
    return out_f, out_i, n_out


@dataclass
class TxBufferStats:
    """Time each window packet spent in its buffer (entered to flushed), and flushes by cause."""

    wait: LogHistogram
    full_flushes: int
    drain_flushes: int


class TxBufferStage:
    """TX buffers flushed at ``burst[b]`` packets or at every ``drain_ns[b]`` tick (module
    docstring); ``buffer_of_flow`` gives each flow's buffer (-1: none). Statistics window
    ``[stat_lo_ns, stat_hi_ns]``."""

    def __init__(self, buffer_of_flow: np.ndarray, burst, drain_ns, stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, name: str = "tx_buffer") -> None:
        self.name = name
        self.buffer_of_flow = np.ascontiguousarray(buffer_of_flow, np.int64)
        self.burst = np.ascontiguousarray(np.atleast_1d(burst), np.int64)
        self.drain_ns = np.ascontiguousarray(np.atleast_1d(drain_ns), np.float64)
        n_b = len(self.burst)
        if len(self.drain_ns) != n_b or self.buffer_of_flow.max(initial=-1) >= n_b:
            raise ValueError(f"{name}: one burst and one drain period per buffer, and every flow's buffer among them")
        if (self.burst < 1).any() or not (self.drain_ns > 0).all():
            raise ValueError(f"{name}: a TX buffer needs burst >= 1 and a drain period > 0")
        self.lo, self.hi = float(stat_lo_ns), float(stat_hi_ns)
        self.count = np.zeros(n_b, np.int64)
        self.flush_at = np.full(n_b, np.inf)
        width = int(self.burst.max(initial=1))
        self.slot_f = np.zeros((n_b, width, 2))
        self.slot_i = np.zeros((n_b, width, 3), np.int64)
        self.acc = np.zeros(2)
        self._window_acc = np.zeros(2)
        self.wait = LogHistogram()

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        a = arrivals
        out_f, out_i, n = txbuffer_advance(
            np.ascontiguousarray(a.t_ns, np.float64), np.ascontiguousarray(a.t0_ns, np.float64),
            np.ascontiguousarray(a.size_bytes, np.int64), np.ascontiguousarray(a.flow, np.int64),
            np.ascontiguousarray(a.pkt_id, np.int64), self.buffer_of_flow, self.burst, self.drain_ns,
            float(horizon_ns), self.count, self.flush_at, self.slot_f, self.slot_i, self.acc, self.lo, self.hi,
            self.wait.counts, self.wait.stats)
        t, pid = out_f[0, :n], out_i[2, :n]
        cols = gather_packets(time_order(t, pid), t, out_f[1, :n], out_i[0, :n].astype(np.int32),
                              out_i[1, :n].astype(np.int32), pid)
        return StageOutput(Packets(*cols), _NO_DROPS)

    def start_window(self) -> None:
        self._window_acc = self.acc.copy()

    def held(self) -> int:
        return int(self.count.sum())

    def stats(self) -> TxBufferStats:
        full, drain = self.acc - self._window_acc
        return TxBufferStats(self.wait, int(full), int(drain))
