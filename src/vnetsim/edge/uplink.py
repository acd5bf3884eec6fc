"""The uplink as an engine stage: each site's messages queue FIFO in its edge buffer in front of
a link that goes down (outages), loses messages, and adds a latency.

Semantics of one site's queue (the SimPy reference in tests/edge implements the same):
- A message arriving at ``a`` is dropped when the buffer's bytes (messages accepted and not yet
  fully sent, the one being sent included) plus its own exceed ``buffer_bytes`` (tail drop).
- Otherwise it starts at ``max(a, last departure)``; a start inside an outage moves to the
  outage's end, and a transmission that would still run when an outage starts is sent again from
  the outage's end (what was sent is lost with the link). It takes ``bytes * 8 / rate`` per attempt.
- Loss: each attempt is lost with probability ``loss`` (a counter-based draw from the message id,
  so the outcome does not depend on chunking). Over UDP a lost message is gone; over TCP it is sent
  again at once, back to back (at most ``MAX_ATTEMPTS`` attempts), and delivered
  ``retransmit_timeout`` later per lost attempt.
- A message reaches the next stage ``latency + jitter`` after its last bit left, jitter being
  exponential with mean ``jitter_ns``.

Every departure is fixed when its message arrives (all earlier messages of its queue are known
and the outages are drawn in advance), so the stage holds nothing between calls. Counters per
queue (``UPLINK_STATS``) split the bytes that came in into dropped, sent by the end of the run and
still buffered at the end (conservation: in = dropped + sent + buffered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.edge.timeorder import OrderScratch
from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.merge import gather_packets
from vnetsim.engine.packets import Packets
from vnetsim.engine.rng import GOLDEN_GAMMA, mix64, unit_open
from vnetsim.engine.stage import NO_DROPS, StageOutput

MAX_ATTEMPTS = 16

# per queue, float64 columns of ``acc``
_COLS = ("in_messages", "in_bytes", "dropped_messages", "dropped_bytes", "lost_messages", "lost_bytes",
         "accepted_messages", "accepted_bytes", "sent_messages", "sent_bytes", "attempts", "busy_window_ns",
         "wait_ns")
UPLINK_STATS = np.dtype([(c, np.float64) for c in _COLS] + [("max_backlog_bytes", np.float64),
                                                           ("buffered_messages", np.float64),
                                                           ("buffered_bytes", np.float64)])
(_IN_M, _IN_B, _DR_M, _DR_B, _LO_M, _LO_B, _AC_M, _AC_B, _SE_M, _SE_B, _ATT, _BUSY, _WAIT) = range(len(_COLS))
_M1 = np.uint64(0xBF58476D1CE4E5B9)


@numba.njit(cache=True, nogil=True, inline="always")
def _draw(seed, pid, attempt):
    """A uniform in (0, 1) for (seed, message id, attempt): splitmix64's finalizer of their mix."""
    z = np.uint64(seed) ^ (np.uint64(pid) * GOLDEN_GAMMA) ^ (np.uint64(attempt) * _M1)
    return unit_open(mix64(z + GOLDEN_GAMMA))


@numba.njit(cache=True, nogil=True, inline="always")
def _pop_departed(q, a, ring_dep, ring_bytes, ring_head, ring_count, backlog, last_dep):
    """Take the messages of queue ``q`` that left by ``a`` out of its ring; returns its backlog."""
    c = ring_count[q]
    if c == 0:
        return backlog[q]
    width = ring_dep.shape[1]
    h = ring_head[q]
    b = backlog[q]
    if last_dep[q] <= a:            # the queue emptied: every message in it left
        h += c
        if h >= width:
            h -= width
        c = 0
        b = 0.0
    else:
        while c > 0 and ring_dep[q, h] <= a:
            b -= ring_bytes[q, h]
            h += 1
            if h == width:
                h = 0
            c -= 1
    ring_head[q] = h
    ring_count[q] = c
    backlog[q] = b
    return b


@numba.njit(cache=True, nogil=True)
def uplink_advance(t, t0, size, flow, queue_of_flow, pid, begin, seed, ns_per_byte, cap_bytes, out_start, out_end,
                   out_ptr, last_dep, ring_dep, ring_bytes, ring_head, ring_count, backlog, max_backlog, loss, tcp,
                   rto_ns, latency_ns, jitter_ns, lo, hi, acc, wait_counts, wait_stats, soj_counts, soj_stats,
                   exit_t, ok_idx, ok_exit, ok_pid, n_ok, drop_pid, n_drop):
    """Serve messages ``begin..`` (time-ordered), recording the wait and sojourn histograms of
    messages offered from ``lo`` on; a delivered message's exit time goes to ``exit_t[i]`` and its
    index, exit time and id are appended to ``ok_*`` (from ``n_ok``), the overflowed ones' ids to
    ``drop_pid`` (from ``n_drop``).
    Returns (index it stopped at, n_ok, n_drop): ``len(t)`` when all were served, less when that
    message's queue ring is full of messages still in the buffer and must grow.

    A queue's ring of (departure, bytes) is brought up to date only when the backlog matters:
    the backlog it holds is at least the true one, so a message that fits under it and under the
    largest backlog seen so far neither overflows nor sets a new largest backlog."""
    n = t.shape[0]
    width = ring_dep.shape[1]
    n_out = out_start.shape[1]
    wst = stats_load(wait_stats)
    sst = stats_load(soj_stats)
    stop = n
    for i in range(begin, n):
        q = queue_of_flow[flow[i]]
        a = t[i]
        s = float(size[i])
        b = backlog[q]
        if b + s > max_backlog[q] or ring_count[q] == width:
            b = _pop_departed(q, a, ring_dep, ring_bytes, ring_head, ring_count, backlog, last_dep)
            if cap_bytes > 0 and b + s > cap_bytes:
                acc[q, _IN_M] += 1.0
                acc[q, _IN_B] += s
                acc[q, _DR_M] += 1.0
                acc[q, _DR_B] += s
                drop_pid[n_drop] = pid[i]
                n_drop += 1
                continue
            if ring_count[q] == width:
                stop = i
                break
        acc[q, _IN_M] += 1.0
        acc[q, _IN_B] += s
        attempts = 1
        lost = False
        if loss > 0.0:
            while _draw(seed, pid[i], attempts) < loss:
                if not tcp:
                    lost = True
                    break
                if attempts == MAX_ATTEMPTS:
                    break
                attempts += 1
        svc = s * ns_per_byte * attempts
        start = a if a > last_dep[q] else last_dep[q]
        k = out_ptr[q]
        while k < n_out and out_end[q, k] <= start:
            k += 1
        while k < n_out:
            os = out_start[q, k]
            if start >= os or start + svc > os:
                oe = out_end[q, k]
                if oe > start:
                    start = oe
                k += 1
            else:
                break
        out_ptr[q] = k
        dep = start + svc
        last_dep[q] = dep
        c = ring_count[q]
        tail = ring_head[q] + c
        if tail >= width:
            tail -= width
        ring_dep[q, tail] = dep
        ring_bytes[q, tail] = s
        ring_count[q] = c + 1
        b += s
        backlog[q] = b
        if b > max_backlog[q]:
            max_backlog[q] = b
        acc[q, _AC_M] += 1.0
        acc[q, _AC_B] += s
        acc[q, _ATT] += attempts
        if dep <= hi:
            acc[q, _SE_M] += 1.0
            acc[q, _SE_B] += s
        b0 = start if start > lo else lo
        b1 = dep if dep < hi else hi
        if b1 > b0:
            acc[q, _BUSY] += b1 - b0
        window = t0[i] >= lo
        if window:
            wst = hist_add(wait_counts, wst, start - a, SUB_BITS)
        if a >= lo:
            acc[q, _WAIT] += start - a
        if lost:
            acc[q, _LO_M] += 1.0
            acc[q, _LO_B] += s
            continue
        extra = 0.0
        if jitter_ns > 0.0:
            extra = -np.log(_draw(seed, pid[i], 0)) * jitter_ns
        ex = dep + (attempts - 1) * rto_ns + latency_ns + extra
        if window:
            sst = hist_add(soj_counts, sst, ex - a, SUB_BITS)
        exit_t[i] = ex
        ok_idx[n_ok] = i
        ok_exit[n_ok] = ex
        ok_pid[n_ok] = pid[i]
        n_ok += 1
    stats_store(wait_stats, wst)
    stats_store(soj_stats, sst)
    return stop, n_ok, n_drop


@dataclass
class UplinkStats:
    """Per queue (site) ``UPLINK_STATS``; histograms of the queueing wait (arrival to the start of
    the last transmission: buffer, outages) and of the sojourn to the next stage, of messages
    offered in the window."""

    queues: np.ndarray
    wait: LogHistogram
    sojourn: LogHistogram


class UplinkStage:
    """Per-site uplinks (``n_queues``), each message's queue from its flow (``queue_of_flow``)."""

    def __init__(self, n_queues: int, queue_of_flow: np.ndarray, rate_bps: float, buffer_bytes: float,
                 out_start: np.ndarray, out_end: np.ndarray, *, loss: float = 0.0, tcp: bool = False,
                 retransmit_timeout_ns: float = 200e6, latency_ns: float = 0.0, jitter_ns: float = 0.0,
                 seed: int = 1, stat_lo_ns: float = 0.0, stat_hi_ns: float = np.inf, name: str = "uplink") -> None:
        if not (np.isfinite(rate_bps) and rate_bps > 0):
            raise ValueError(f"{name}: the rate must be finite and > 0 bits per second")
        self.name = name
        self.n = int(n_queues)
        self.queue_of_flow = np.ascontiguousarray(queue_of_flow, np.int64)
        self.ns_per_byte = 8e9 / float(rate_bps)
        self.cap_bytes = float(buffer_bytes)
        self.out_start = np.ascontiguousarray(out_start, np.float64)
        self.out_end = np.ascontiguousarray(out_end, np.float64)
        self.out_ptr = np.zeros(self.n, np.int64)
        self.last_dep = np.full(self.n, -np.inf)
        self.ring_dep = np.zeros((self.n, 64))
        self.ring_bytes = np.zeros((self.n, 64))
        self.ring_head = np.zeros(self.n, np.int64)
        self.ring_count = np.zeros(self.n, np.int64)
        self.backlog = np.zeros(self.n)
        self.max_backlog = np.zeros(self.n)
        self.loss, self.tcp, self.rto = float(loss), bool(tcp), float(retransmit_timeout_ns)
        self.latency, self.jitter = float(latency_ns), float(jitter_ns)
        self.seed = int(seed) & 0x7FFFFFFFFFFFFFFF
        self.lo, self.hi = float(stat_lo_ns), float(stat_hi_ns)
        self.acc = np.zeros((self.n, len(_COLS)))
        self._window_start = np.zeros_like(self.acc)
        self.wait = LogHistogram()
        self.sojourn = LogHistogram()
        self.ok_idx = self.ok_exit = self.ok_pid = self.drop_buf = self.exit_t = np.empty(0)
        self.order = OrderScratch()

    def _grow(self) -> None:
        """Double every queue's ring, keeping each queue's entries in order from slot 0."""
        w = self.ring_dep.shape[1]
        idx = (self.ring_head[:, None] + np.arange(w)[None, :]) % w
        dep = np.take_along_axis(self.ring_dep, idx, axis=1)
        byt = np.take_along_axis(self.ring_bytes, idx, axis=1)
        self.ring_dep = np.zeros((self.n, 2 * w))
        self.ring_bytes = np.zeros((self.n, 2 * w))
        self.ring_dep[:, :w] = dep
        self.ring_bytes[:, :w] = byt
        self.ring_head[:] = 0

    def _scratch(self, n: int) -> None:
        """Per-call lists, kept between calls and doubled when a chunk is larger (no allocation per chunk)."""
        if n > len(self.ok_idx):
            cap = max(n, 2 * len(self.ok_idx))
            self.ok_idx = np.empty(cap, np.int64)
            self.ok_exit = np.empty(cap, np.float64)
            self.ok_pid = np.empty(cap, np.int64)
            self.drop_buf = np.empty(cap, np.int64)
            self.exit_t = np.empty(cap, np.float64)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        n = len(arrivals)
        if not n:
            return StageOutput(arrivals, NO_DROPS)
        self._scratch(n)
        w, sj = self.wait, self.sojourn
        i = n_ok = n_drop = 0
        while True:
            i, n_ok, n_drop = uplink_advance(
                arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow, self.queue_of_flow,
                arrivals.pkt_id, i, self.seed, self.ns_per_byte, self.cap_bytes, self.out_start, self.out_end,
                self.out_ptr, self.last_dep, self.ring_dep, self.ring_bytes, self.ring_head, self.ring_count,
                self.backlog, self.max_backlog, self.loss, self.tcp, self.rto, self.latency, self.jitter, self.lo,
                self.hi, self.acc, w.counts, w.stats, sj.counts, sj.stats, self.exit_t, self.ok_idx, self.ok_exit,
                self.ok_pid, n_ok, self.drop_buf, n_drop)
            if i == n:
                break
            self._grow()
        order = self.order.order_by_time(self.ok_exit, self.ok_pid, n_ok)
        out = Packets(*gather_packets(self.ok_idx[order], self.exit_t, arrivals.t0_ns, arrivals.size_bytes,
                                      arrivals.flow, arrivals.pkt_id))
        return StageOutput(out, self.drop_buf[:n_drop].copy())

    def start_window(self) -> None:
        self._window_start = self.acc.copy()

    def held(self) -> int:
        return 0

    def buffered_at(self, t_ns: float) -> tuple[np.ndarray, np.ndarray]:
        """Per queue, messages and bytes accepted and not fully sent at ``t_ns``."""
        w = self.ring_dep.shape[1]
        idx = (self.ring_head[:, None] + np.arange(w)[None, :]) % w
        live = np.arange(w)[None, :] < self.ring_count[:, None]
        left = live & (np.take_along_axis(self.ring_dep, idx, axis=1) > t_ns)
        return left.sum(axis=1), np.where(left, np.take_along_axis(self.ring_bytes, idx, axis=1), 0.0).sum(axis=1)

    def stats(self) -> UplinkStats:
        acc = self.acc - self._window_start
        out = np.zeros(self.n, UPLINK_STATS)
        for k, c in enumerate(_COLS):
            out[c] = acc[:, k]
        out["max_backlog_bytes"] = self.max_backlog
        msgs, byts = self.buffered_at(self.hi)
        out["buffered_messages"] = msgs
        out["buffered_bytes"] = byts
        return UplinkStats(out, self.wait, self.sojourn)
