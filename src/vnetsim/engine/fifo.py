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


@numba.njit(cache=True, nogil=True)
def fifo_advance(t_ns, queue, service_ns, size_bytes, state_last_dep, cap_pkts, cap_bytes,
                 bytes_per_ns, ring, ring_head, ring_count, acc):
    """Serve time-ordered arrivals; return departure times (NaN where dropped).

    ``ring[q]`` holds the departure times of packets in queue ``q``'s system (only used when
    ``cap_pkts[q] > 0``). ``acc[q]`` accumulates [accepted, dropped, sojourn sum, busy time].
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
                acc[q, 1] += 1.0
                continue
        cb = cap_bytes[q]
        if cb > 0:
            backlog = (last - a) * bytes_per_ns[q] if last > a else 0.0
            if backlog + size_bytes[i] > cb:
                dep[i] = np.nan
                acc[q, 1] += 1.0
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
        acc[q, 0] += 1.0
        acc[q, 2] += d - a
        acc[q, 3] += service_ns[i]
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
    """State of ``n_queues`` FIFO servers carried across chunks (links, wires)."""

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
        # accepted, dropped, sojourn sum (ns), busy time (ns)
        self.acc = np.zeros((n_queues, 4), np.float64)

    def advance(self, t_ns, queue, service_ns, size_bytes) -> np.ndarray:
        """Departure times for time-ordered arrivals (NaN for tail drops)."""
        return fifo_advance(np.ascontiguousarray(t_ns, np.float64), np.ascontiguousarray(queue, np.int64),
                            np.ascontiguousarray(service_ns, np.float64),
                            np.ascontiguousarray(size_bytes, np.int64), self.last_dep, self.cap_pkts,
                            self.cap_bytes, self.bytes_per_ns, self.ring, self.ring_head, self.ring_count,
                            self.acc)

    @property
    def accepted(self) -> np.ndarray:
        return self.acc[:, 0].astype(np.int64)

    @property
    def dropped(self) -> np.ndarray:
        return self.acc[:, 1].astype(np.int64)

    def in_system(self, t_ns: float) -> np.ndarray:
        """Packets still in each queue's system at ``t_ns`` (only tracked for packet-capacity queues)."""
        out = np.zeros(self.n_queues, np.int64)
        width = self.ring.shape[1]
        for q in range(self.n_queues):
            for j in range(self.ring_count[q]):
                if self.ring[q, (self.ring_head[q] + j) % width] > t_ns:
                    out[q] += 1
        return out
