"""The NIC and inter-site stages: FIFO queues at line rate followed by a fixed delay per flow,
booking each flow's time in the queue (where the time goes), emitted in (time, id) order by a
linear-time bucket sort instead of a comparison sort.

Why a bucket sort: the legs leave nearly in time order but interleaved across queues (a 64 KiB
block holds its queue for 21 us at 25 Gb/s, so a leg passes about 50 others on average: too many
for an insertion sort, too many runs for a cheap merge). Their exit times spread over the chunk
about evenly, so ``n`` equal-width time buckets hold about one leg each: a counting sort by bucket,
then an insertion sort by (time, id) inside each bucket, gives exactly the (time, id) order of the
stage contract in linear time.

The queue arithmetic and counters are the engine's FIFO link's (``vnetsim.engine.stage.FifoStage``,
unbounded buffers, no per-frame overhead: the wire bytes are in the packet's size), bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.merge import gather_packets
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import NO_DROPS, FifoStage, StageOutput
from vnetsim.storage.iopath.jitter import LegJitter

BIG_BUCKET = 32       # legs in one time bucket beyond which it is merge-sorted, not insertion-sorted


@numba.njit(cache=True, nogil=True)
def serve_times_into(t, size, flow, f_tab, ns_per_byte, last_dep, acc, busy_win, lo, hi, only, jitter, out):
    """FIFO service and counters of time-ordered legs; their exit times (queue exit + the flow's
    delay, plus the leg's draw of the fabric's spread ``jitter[i]`` where given, else None) into
    ``out``, in arrival order. ``f_tab[flow]``: (its queue, its delay after it, its legs' time in
    the queue, its legs), one row (a leg touches one cache line of it). With ``only`` (per flow, else None) the legs of
    other flows pass untouched (``out`` is their arrival time). The one copy of the queue
    arithmetic."""
    n = t.shape[0]
    for i in range(n):
        f = flow[i]
        a = t[i]
        if only is not None and not only[f]:
            out[i] = a
            continue
        q = int(f_tab[f, 0])
        service = size[i] * ns_per_byte[q]
        last = last_dep[q]
        start = a if a > last else last
        d = start + service
        last_dep[q] = d
        acc[q, 0] += 1.0
        acc[q, 2] += d - a
        acc[q, 3] += service
        s = d - service
        b0 = s if s > lo else lo
        b1 = d if d < hi else hi
        if b1 > b0:
            busy_win[q] += b1 - b0
        f_tab[f, 2] += d - a
        f_tab[f, 3] += 1.0
        d += f_tab[f, 1]
        if jitter is not None:
            d += jitter[i]
        out[i] = d
    return out


@numba.njit(cache=True, nogil=True)
def bucket_order(t, pid):
    """The indices ordering finite times ``t`` by (time, id), in linear time (``bucket_order_into``)."""
    n = t.shape[0]
    order = np.empty(n, np.int64)
    bucket_order_into(t, pid, n, order, np.empty(n, np.int64), np.empty(n + 1, np.int64))
    return order


@numba.njit(cache=True, nogil=True)
def bucket_order_into(t, pid, n, order, bucket, start):
    """``order[:n]``: the indices ordering the finite times ``t[:n]`` by (time, id), in linear time:
    a counting sort into ``n`` equal-width time buckets (the bucket of a time never decreases with
    it), then an insertion sort by (time, id) inside each bucket (about one leg each; a bucket of
    more than ``BIG_BUCKET``, from clustered times, is merge-sorted instead). ``bucket`` (``n``) and
    ``start`` (``n + 1``) are scratch, so a caller can reuse its buffers (fresh pages cost faults)."""
    if n == 0:
        return
    lo = t[0]
    hi = t[0]
    for i in range(n):
        if t[i] < lo:
            lo = t[i]
        if t[i] > hi:
            hi = t[i]
    scale = (n - 1) / (hi - lo) if hi > lo else 0.0
    start[:n + 1] = 0
    for i in range(n):
        b = int((t[i] - lo) * scale)
        if b > n - 1:
            b = n - 1
        bucket[i] = b
        start[b + 1] += 1
    for b in range(n):
        start[b + 1] += start[b]
    for i in range(n):
        b = bucket[i]
        j = start[b]
        start[b] = j + 1
        order[j] = i
    first = 0                            # start[b] is now the end of bucket b
    for b in range(n):
        last = start[b]
        if last - first > BIG_BUCKET:
            run = order[first:last].copy()
            run = run[np.argsort(pid[run], kind="mergesort")]      # by id, then stably by time
            order[first:last] = run[np.argsort(t[run], kind="mergesort")]
            first = last
            continue
        for a in range(first + 1, last):
            x = order[a]
            xt = t[x]
            xp = pid[x]
            c = a - 1
            while c >= first:
                y = order[c]
                if t[y] < xt or (t[y] == xt and pid[y] < xp):
                    break
                order[c + 1] = y
                c -= 1
            order[c + 1] = x
        first = last


class DelayedFifo(FifoStage):
    """FIFO queues at line rate (one per ``queue_of_flow`` value, no drops, no per-frame overhead:
    the wire bytes are in the packet's size), then ``delay_ns[flow]`` to the next stage, plus each
    leg's own draw of ``jitter`` where given (the fabric's spread, ``jitter.LegJitter``)."""

    def __init__(self, rate_bps, queue_of_flow: np.ndarray, delay_ns: np.ndarray, stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, name: str = "fifo", jitter: LegJitter | None = None) -> None:
        super().__init__(rate_bps, queue_of_flow=queue_of_flow, overhead_bytes=0, stat_lo_ns=stat_lo_ns,
                         stat_hi_ns=stat_hi_ns, name=name)
        delay = np.asarray(delay_ns, np.float64)
        # per flow, one row: its queue, its delay after it, its legs' time in the queue, its legs
        self.f_tab = np.zeros((len(delay), 4))
        self.f_tab[:, 0] = self.queue_of_flow if self.queue_of_flow is not None else 0
        self.f_tab[:, 1] = delay
        self.delay_ns, self.flow_queue_ns, self.flow_legs = self.f_tab[:, 1], self.f_tab[:, 2], self.f_tab[:, 3]
        self.jitter = jitter
        self._jit = np.zeros(0)

    def start_window(self) -> None:
        super().start_window()
        self.flow_queue_ns[:] = 0.0
        self.flow_legs[:] = 0.0

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        """Serve time-ordered legs (departures fixed at arrival); emit them in (time, id) order."""
        if not len(arrivals):
            return StageOutput(arrivals, NO_DROPS)
        out = self.next_stage_times(arrivals)
        order = bucket_order(out, arrivals.pkt_id)
        return StageOutput(Packets(*gather_packets(order, out, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow,
                                                   arrivals.pkt_id)), NO_DROPS)

    def next_stage_times(self, arrivals: Packets, out: np.ndarray | None = None,
                         only: np.ndarray | None = None) -> np.ndarray:
        """Serve time-ordered legs; each one's time at the next stage, in arrival order (unsorted),
        into ``out`` (its first ``len(arrivals)``; None: a new array). With ``only`` (per flow),
        the legs of other flows pass untouched."""
        q = self.queues
        n = len(arrivals)
        out = np.empty(n) if out is None else out[:n]
        jit = None
        if self.jitter is not None:         # each leg's draw first: a pass without the queues' chain
            if len(self._jit) < n:
                self._jit = np.empty(n * 5 // 4)
            jit = self._jit[:n]
            self.jitter.draw(jit, arrivals.pkt_id, arrivals.flow)
        serve_times_into(arrivals.t_ns, arrivals.size_bytes, arrivals.flow, self.f_tab, self.ns_per_byte, q.last_dep,
                         q.acc, self.busy_window_ns, self.stat_lo_ns, self.stat_hi_ns, only, jit, out)
        return out
