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
still buffered at the end (conservation: in = dropped + sent + buffered). The compiled pass is
``uplink_kernel.serve``, ``uplink_kernel.record_sojourns`` and ``uplink_kernel.place`` (the
departures in time order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.edge.timeorder import OrderScratch
from vnetsim.edge.uplink_kernel import (
    ACC_COLS,
    MAX_ATTEMPTS,
    RING_AT_COLS,
    STATE_COLS,
    jitter_draws,
    place,
    record_sojourns,
    ring_buffered,
    ring_grow,
    serve,
)
from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import PACKET_DTYPES, Packets
from vnetsim.engine.ring_server import _Buffers
from vnetsim.engine.stage import NO_DROPS, StageOutput

__all__ = ["MAX_ATTEMPTS", "UPLINK_STATS", "UplinkStage", "UplinkStats"]

_COLS = ("in_messages", "in_bytes", "dropped_messages", "dropped_bytes", "lost_messages", "lost_bytes",
         "accepted_messages", "accepted_bytes", "sent_messages", "sent_bytes", "attempts", "busy_window_ns",
         "wait_ns")
UPLINK_STATS = np.dtype([(c, np.float64) for c in _COLS] + [("max_backlog_bytes", np.float64),
                                                           ("buffered_messages", np.float64),
                                                           ("buffered_bytes", np.float64)])
_LAST, _NEXT_OUT, _MAX_BACKLOG = (STATE_COLS.index(c) for c in ("last_departure_ns", "next_outage_ns",
                                                                 "max_backlog_bytes"))
_SPARE_BUCKETS = 4       # exits up to a quarter of the chunk's span after its last arrival get buckets


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
        self.state = np.zeros((self.n, len(STATE_COLS) + len(ACC_COLS)))     # per queue: STATE_COLS, ACC_COLS
        self.state[:, _LAST] = -np.inf
        self.state[:, _NEXT_OUT] = self.out_start[:, 0] if self.out_start.shape[1] else np.inf
        self.ring_at = np.zeros((self.n, len(RING_AT_COLS)), np.int64)       # per queue: RING_AT_COLS
        self.ring = np.zeros((self.n, 64, 2))         # per queue: (departure, bytes) of messages in the buffer
        self.loss, self.tcp, self.rto = float(loss), bool(tcp), float(retransmit_timeout_ns)
        self.latency, self.jitter = float(latency_ns), float(jitter_ns)
        self.seed = int(seed) & 0x7FFFFFFFFFFFFFFF
        self.lo, self.hi = float(stat_lo_ns), float(stat_hi_ns)
        self._window_start = self.state[:, len(STATE_COLS):].copy()
        self.wait = LogHistogram()
        self.sojourn = LogHistogram()
        self.drop_buf = self.exit_t = self.jit = self.waits = np.empty(0)
        self.bucket = self.counts = self.perm = np.empty(0, np.int32)      # int32: a chunk holds under 2**31 messages
        self.order = OrderScratch()
        self.out_buffers = _Buffers(2, 1)

    def _grow(self) -> None:
        """Double every queue's ring, keeping each queue's entries in order from slot 0 (only the
        live entries are copied; the new ring's other slots are zero pages until written)."""
        ring = np.zeros((self.n, 2 * self.ring.shape[1], 2))
        ring_grow(self.ring, self.ring_at, ring)
        self.ring = ring

    def _scratch(self, n: int, n_buckets: int) -> None:
        """Per-call lists, kept between calls and doubled when a chunk is larger (no allocation per chunk)."""
        if n > len(self.exit_t):
            cap = max(n, 2 * len(self.exit_t))
            self.drop_buf = np.empty(cap, np.int64)
            self.exit_t = np.empty(cap, np.float64)
            self.bucket = np.empty(cap, np.int32)
            self.jit = np.empty(cap, np.float64)
            self.waits = np.empty(cap, np.float64)
            self.perm = np.empty(cap, np.int32)
        if n_buckets + 1 > len(self.counts):
            self.counts = np.empty(max(n_buckets + 1, 2 * len(self.counts)), np.int32)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        n = len(arrivals)
        if not n:
            return StageOutput(arrivals, NO_DROPS)
        t = arrivals.t_ns
        span = float(t[-1] - t[0])
        # exit buckets one mean arrival gap wide from the first arrival's earliest exit, a quarter
        # more than the chunk's span; the bucket layout changes only the speed, never the order
        n_buckets = n + n // _SPARE_BUCKETS
        if n_buckets >= 2**31 - 1:
            raise ValueError(f"{self.name}: a chunk of {n:,} messages is too large (under 1.7e9)")
        per_bucket = n / span if 0.0 < span < np.inf else 0.0
        base = float(t[0]) + self.latency
        self._scratch(n, n_buckets)
        counts = self.counts[:n_buckets + 1]
        counts[:] = 0
        w, sj = self.wait, self.sojourn
        i = n_ok = n_drop = n_wait = 0
        a = arrivals
        if self.jitter > 0.0:
            jitter_draws(self.seed, a.pkt_id, self.jit[:n])
        while True:
            done, n_ok, n_drop, n_wait = serve(
                a.t_ns[i:], a.t0_ns[i:], a.size_bytes[i:], a.flow[i:], a.pkt_id[i:], self.jit[i:n],
                self.exit_t[i:n], self.bucket[i:n], self.queue_of_flow, self.seed, self.ns_per_byte, self.cap_bytes,
                self.out_start, self.out_end, self.state, self.ring_at, self.ring, self.loss, self.tcp, self.rto,
                self.latency, self.jitter, self.lo, self.hi, w.counts, w.stats,
                base, per_bucket, n_buckets, n_ok, self.drop_buf, n_drop, self.waits, n_wait)
            i += done
            if i == n:
                break
            self._grow()
        w.record(self.waits[:n_wait])          # the nonzero waits, in arrival order
        record_sojourns(self.exit_t[:n], a.t_ns, a.t0_ns, self.bucket[:n], self.lo, sj.counts, sj.stats)
        cols = self._departure_columns(arrivals, n_ok)
        o = self.order
        o.ensure(n_ok)
        place(self.exit_t[:n], self.bucket[:n], a.t0_ns, a.size_bytes, a.flow, a.pkt_id, counts, n_buckets, *cols,
              o.ts, o.ks, o.ix, o.t2, o.k2, o.i2, o.counts, o.stack, self.perm[:n_ok])
        return StageOutput(Packets(*cols), self.drop_buf[:n_drop].copy())

    def _departure_columns(self, arrivals: Packets, n: int) -> tuple[np.ndarray, ...]:
        """The five departure columns for ``n`` messages: views of a reused set (fresh memory
        costs a page fault per 4 KiB written, about as much as the rest of the stage) once no
        view of it is alive downstream; fresh arrays for packets of other dtypes."""
        cols = (arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow, arrivals.pkt_id)
        if any(c.dtype != d for c, d in zip(cols, PACKET_DTYPES.values())):
            return tuple(np.empty(n, c.dtype) for c in cols)
        f, i, s = self.out_buffers.take(n)
        return f[0, :n], f[1, :n], s[0, :n], s[1, :n], i[0, :n]

    def start_window(self) -> None:
        self._window_start = self.state[:, len(STATE_COLS):].copy()

    def held(self) -> int:
        return 0

    def buffered_at(self, t_ns: float) -> tuple[np.ndarray, np.ndarray]:
        """Per queue, messages and bytes accepted and not fully sent at ``t_ns``."""
        messages = np.zeros(self.n, np.int64)
        nbytes = np.zeros(self.n)
        ring_buffered(self.ring, self.ring_at, float(t_ns), messages, nbytes)
        return messages, nbytes

    def stats(self) -> UplinkStats:
        acc = self.state[:, len(STATE_COLS):] - self._window_start
        out = np.zeros(self.n, UPLINK_STATS)
        for k, c in enumerate(ACC_COLS):
            if c in _COLS:
                out[c] = acc[:, k]
        col = {c: k for k, c in enumerate(ACC_COLS)}
        ac_m, ac_b = acc[:, col["accepted_messages"]], acc[:, col["accepted_bytes"]]
        out["in_messages"] = ac_m + acc[:, col["dropped_messages"]]
        out["in_bytes"] = ac_b + acc[:, col["dropped_bytes"]]
        out["sent_messages"] = ac_m - acc[:, col["late_messages"]]
        out["sent_bytes"] = ac_b - acc[:, col["late_bytes"]]
        out["attempts"] = ac_m + acc[:, col["extra_attempts"]]
        out["max_backlog_bytes"] = self.state[:, _MAX_BACKLOG]
        msgs, byts = self.buffered_at(self.hi)
        out["buffered_messages"] = msgs
        out["buffered_bytes"] = byts
        return UplinkStats(out, self.wait, self.sojourn)
