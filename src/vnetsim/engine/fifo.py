"""FIFO queues with one server each (links, wires): the Lindley recursion, compiled.

Semantics (the reference model in tests implements the same):
- A packet arriving at ``a`` to queue ``q`` starts service at ``max(a, last departure of q)`` and
  departs ``service_ns`` later. Departures of one queue are in arrival order.
- Finite buffers, checked at arrival, after every departure at or before ``a`` has left:
  ``cap_pkts`` bounds the packets in the system (waiting plus in service, the K of M/M/1/K);
  ``cap_bytes`` bounds the unfinished work in bytes, ``(last departure - a) * bytes_per_ns``,
  plus the new packet (the fluid view of a line-rate port buffer). 0 means unbounded.
  A packet that does not fit is dropped (tail drop) and counted.
- Many queues are served in one call: packets carry a queue index, so a whole fabric's links
  advance together. The arrays of one call must be in time order.
"""

from __future__ import annotations

import numba
import numpy as np

# Per queue, what ``FifoQueues.counters()`` reports (since ``start_window``, else since the start):
# packets accepted and tail-dropped, their summed sojourn (arrival to departure) and service time.
LINK_COUNTERS = np.dtype([("accepted", np.int64), ("dropped", np.int64), ("sojourn_ns", np.float64),
                          ("busy_ns", np.float64)])
# Columns of FifoQueues.acc (float64), in LINK_COUNTERS order: what fifo_advance accumulates.
_ACC_ACCEPTED, _ACC_DROPPED, _ACC_SOJOURN, _ACC_BUSY = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def fifo_advance(t_ns, queue, service_ns, size_bytes, state_last_dep, cap_pkts, cap_bytes,
                 bytes_per_ns, ring, ring_head, ring_count, acc):
    """Serve time-ordered arrivals; return departure times (NaN where dropped).

    ``ring[q]`` holds the departure times of packets in queue ``q``'s system (only used when
    ``cap_pkts[q] > 0``). ``acc[q]`` accumulates [accepted, dropped, sojourn sum, busy time]
    (``LINK_COUNTERS`` order).
    """
    n = t_ns.shape[0]
    dep = np.empty(n, np.float64)
    width = ring.shape[1]
    for i in range(n):
        q = queue[i]
        a = t_ns[i]
        last = state_last_dep[q]
        k = cap_pkts[q]
        if k > 0:
            head = ring_head[q]
            cnt = ring_count[q]
            while cnt > 0 and ring[q, head] <= a:
                head += 1
                if head == width:
                    head = 0
                cnt -= 1
            ring_head[q] = head
            ring_count[q] = cnt
            if cnt >= k:
                dep[i] = np.nan
                acc[q, _ACC_DROPPED] += 1.0
                continue
        cb = cap_bytes[q]
        if cb > 0:
            backlog = (last - a) * bytes_per_ns[q] if last > a else 0.0
            if backlog + size_bytes[i] > cb:
                dep[i] = np.nan
                acc[q, _ACC_DROPPED] += 1.0
                continue
        start = a if a > last else last
        d = start + service_ns[i]
        state_last_dep[q] = d
        dep[i] = d
        if k > 0:
            tail = ring_head[q] + ring_count[q]
            if tail >= width:
                tail -= width
            ring[q, tail] = d
            ring_count[q] += 1
        acc[q, _ACC_ACCEPTED] += 1.0
        acc[q, _ACC_SOJOURN] += d - a
        acc[q, _ACC_BUSY] += service_ns[i]
    return dep


@numba.njit(cache=True, nogil=True)
def lindley_single(t_ns, service_ns, last_dep):
    """One unbounded FIFO: departures, and the last departure to carry to the next chunk."""
    n = t_ns.shape[0]
    dep = np.empty(n, np.float64)
    last = last_dep
    for i in range(n):
        a = t_ns[i]
        start = a if a > last else last
        last = start + service_ns[i]
        dep[i] = last
    return dep, last


class FifoQueues:
    """State of ``n_queues`` FIFO servers carried across chunks (links, wires).

    ``acc`` (n_queues x 4, float64, columns in ``LINK_COUNTERS`` order) is what ``fifo_advance`` accumulates; kernels
    that call ``fifo_advance`` themselves pass it (with ``last_dep``, ``cap_pkts``, ``cap_bytes``,
    ``bytes_per_ns``, ``ring``, ``ring_head``, ``ring_count``). Read it by name with ``counters()``.
    """

    def __init__(self, n_queues: int, cap_pkts=None, cap_bytes=None, bytes_per_ns=None) -> None:
        self.n_queues = n_queues
        self.last_dep = np.full(n_queues, -np.inf)
        self.cap_pkts = np.zeros(n_queues, np.int64) if cap_pkts is None else np.asarray(cap_pkts, np.int64)
        self.cap_bytes = np.zeros(n_queues, np.float64) if cap_bytes is None else np.asarray(cap_bytes, np.float64)
        self.bytes_per_ns = (np.zeros(n_queues, np.float64) if bytes_per_ns is None
                             else np.asarray(bytes_per_ns, np.float64))
        width = int(self.cap_pkts.max()) if n_queues and self.cap_pkts.max() > 0 else 1
        self.ring = np.zeros((n_queues, width), np.float64)
        self.ring_head = np.zeros(n_queues, np.int64)
        self.ring_count = np.zeros(n_queues, np.int64)
        self.acc = np.zeros((n_queues, 4), np.float64)
        self._window_start = np.zeros((n_queues, 4), np.float64)

    def advance(self, t_ns, queue, service_ns, size_bytes) -> np.ndarray:
        """Departure times for time-ordered arrivals (NaN for tail drops)."""
        return fifo_advance(np.ascontiguousarray(t_ns, np.float64), np.ascontiguousarray(queue, np.int64),
                            np.ascontiguousarray(service_ns, np.float64),
                            np.ascontiguousarray(size_bytes, np.int64), self.last_dep, self.cap_pkts,
                            self.cap_bytes, self.bytes_per_ns, self.ring, self.ring_head, self.ring_count,
                            self.acc)

    def start_window(self) -> None:
        """The statistics window starts now: ``counters()`` count from here."""
        self._window_start = self.acc.copy()

    def counters(self) -> np.ndarray:
        """Per queue, a ``LINK_COUNTERS`` record: accepted, dropped, sojourn_ns, busy_ns."""
        acc = self.acc - self._window_start
        out = np.zeros(self.n_queues, LINK_COUNTERS)
        for k, name in enumerate(LINK_COUNTERS.names or ()):
            out[name] = acc[:, k]
        return out

    @property
    def accepted(self) -> np.ndarray:
        """Packets accepted per queue since the start."""
        return self.acc[:, _ACC_ACCEPTED].astype(np.int64)

    @property
    def dropped(self) -> np.ndarray:
        """Packets tail-dropped per queue since the start."""
        return self.acc[:, _ACC_DROPPED].astype(np.int64)

    def in_system(self, t_ns: float) -> np.ndarray:
        """Packets still in each queue's system at ``t_ns`` (only tracked for packet-capacity queues)."""
        width = self.ring.shape[1]
        slot = (self.ring_head[:, None] + np.arange(width)[None, :]) % width
        held = np.arange(width)[None, :] < self.ring_count[:, None]
        return (held & (np.take_along_axis(self.ring, slot, axis=1) > t_ns)).sum(axis=1).astype(np.int64)
