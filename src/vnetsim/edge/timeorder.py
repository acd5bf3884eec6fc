"""Ordering a stage's departures by (time, packet id) in linear expected time, compiled.

The uplink's departures leave in arrival order plus a latency, a random jitter and outage delays:
neither sorted nor in a few runs, so a comparison sort (``numpy.argsort``, about 50 ns a message)
would cost more than the queue itself. ``order_by_time`` is a recursive bucket sort instead
(distribution counting on the time, as flash sort does): a range's times are spread over as many
buckets as it has elements by ``(t - min) * n / (max - min)`` (monotone in ``t``, so the buckets
are in time order), scattered stably, and each bucket is ordered by itself: small ones by
insertion on (time, id), larger ones by the same pass on their own minimum and maximum. A nearly
ordered input (a jitter shorter than the gaps between messages) is first tried by insertion alone,
given up after ``NEARLY`` moves per element. Equal
times go by id, so the order is total and the result is the one ``engine.merge.time_order`` gives.
Smooth distributions take one pass; clustered ones a few; a range that keeps splitting poorly
(deeper than ``MAX_DEPTH``) falls back to numpy's merge sort, so the worst case stays n log n.

All scratch lives in an ``OrderScratch`` the caller keeps (no allocation per call).
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.merge import _break_ties

SMALL = 24          # ranges up to this size are ordered by insertion
MAX_DEPTH = 8       # bucket passes on one range before the merge-sort fallback
NEARLY = 8          # first try insertion, while it moves at most this many elements per element


@numba.njit(cache=True, nogil=True, inline="always")
def _before(t, key, x, y):
    """Whether element ``x`` comes before ``y``: by time, then by key."""
    return t[x] < t[y] or (t[x] == t[y] and key[x] < key[y])


@numba.njit(cache=True, nogil=True)
def _insertion(order, lo, hi, t, key):
    for a in range(lo + 1, hi):
        x = order[a]
        b = a - 1
        while b >= lo and _before(t, key, x, order[b]):
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = x


@numba.njit(cache=True, nogil=True)
def _insertion_within(order, n, t, key, per_element):
    """Insertion sort of ``order[:n]`` while it moves at most ``per_element`` elements per element
    so far (and 64 more); returns whether it finished (a nearly ordered input: short inversions).
    Stopped, ``order`` is still a permutation, so the bucket passes can go on from it."""
    moves = 0
    for a in range(1, n):
        x = order[a]
        b = a - 1
        while b >= 0 and _before(t, key, x, order[b]):
            order[b + 1] = order[b]
            b -= 1
            moves += 1
        order[b + 1] = x
        if moves > per_element * a + 64:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _merge_sort_range(order, lo, hi, t, key):
    """Fallback: numpy's stable sort by time, then equal times by key (``engine.merge``'s tie rule)."""
    sub = order[lo:hi].copy()
    order[lo:hi] = _break_ties(sub[np.argsort(t[sub], kind="mergesort")], t, key)


@numba.njit(cache=True, nogil=True)
def order_by_time(t, key, n, order, tmp, counts, stack):
    """Write into ``order[:n]`` the indices ``0..n-1`` ordered by ``(t[i], key[i])``.

    ``tmp`` (n), ``counts`` (n + 1) and ``stack`` (n // SMALL + 2 rows of 3) are scratch.
    """
    for i in range(n):
        order[i] = i
    if n <= SMALL:
        _insertion(order, 0, n, t, key)
        return
    if _insertion_within(order, n, t, key, NEARLY):
        return
    sp = 1
    stack[0, 0], stack[0, 1], stack[0, 2] = 0, n, 0
    while sp > 0:
        sp -= 1
        lo, hi, depth = stack[sp, 0], stack[sp, 1], stack[sp, 2]
        m = hi - lo
        tmin = np.inf
        tmax = -np.inf
        for j in range(lo, hi):
            v = t[order[j]]
            if v < tmin:
                tmin = v
            if v > tmax:
                tmax = v
        span = tmax - tmin
        if depth >= MAX_DEPTH or not (span < np.inf):
            _merge_sort_range(order, lo, hi, t, key)
            continue
        if span == 0.0:
            _insertion(order, lo, hi, t, key)  # all at one time: by key (offered in order: nearly sorted)
            continue
        scale = m / span
        for b in range(m + 1):
            counts[b] = 0
        for j in range(lo, hi):
            b = int((t[order[j]] - tmin) * scale)
            if b >= m:
                b = m - 1
            counts[b + 1] += 1
        for b in range(m):
            counts[b + 1] += counts[b]
        for j in range(lo, hi):
            x = order[j]
            b = int((t[x] - tmin) * scale)
            if b >= m:
                b = m - 1
            p = counts[b]
            counts[b] = p + 1
            tmp[lo + p] = x
        for j in range(lo, hi):
            order[j] = tmp[j]
        start = 0
        for b in range(m):           # after the scatter, counts[b] is the end of bucket b
            end = counts[b]
            size = end - start
            if size > SMALL:
                stack[sp, 0], stack[sp, 1], stack[sp, 2] = lo + start, lo + end, depth + 1
                sp += 1
            elif size > 1:
                _insertion(order, lo + start, lo + end, t, key)
            start = end


class OrderScratch:
    """Scratch arrays for ``order_by_time``, grown (doubled) when a call needs more."""

    def __init__(self, capacity: int = 0) -> None:
        self.capacity = -1
        self.ensure(max(capacity, 1024))

    def ensure(self, n: int) -> None:
        if n <= self.capacity:
            return
        cap = max(n, 2 * self.capacity)
        self.capacity = cap
        self.order = np.empty(cap, np.int64)
        self.tmp = np.empty(cap, np.int64)
        self.counts = np.empty(cap + 1, np.int64)
        self.stack = np.empty((cap // SMALL + 2, 3), np.int64)

    def order_by_time(self, t: np.ndarray, key: np.ndarray, n: int) -> np.ndarray:
        """Indices ``0..n-1`` ordered by (t, key), a view of the scratch (valid until the next call)."""
        self.ensure(n)
        order_by_time(t, key, n, self.order, self.tmp, self.counts, self.stack)
        return self.order[:n]
