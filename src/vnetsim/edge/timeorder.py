"""Ordering a stage's departures by (time, packet id) in linear expected time, compiled.

The uplink's departures leave in arrival order plus a latency, a random jitter and outage delays:
neither sorted nor in a few runs, so a comparison sort (``numpy.argsort``, about 50 ns a message)
would cost more than the queue itself. ``order_by_time`` is a recursive bucket sort instead
(distribution counting on the time, as flash sort does): a range's times are spread over as many
buckets as it has elements by ``(t - min) * n / (max - min)`` (monotone in ``t``, so the buckets
are in time order), scattered stably, and each bucket is ordered by itself: small ones by
insertion on (time, id), larger ones by the same pass on their own minimum and maximum. A nearly
ordered input (a jitter shorter than the gaps between messages) is first tried by insertion alone,
given up after ``NEARLY`` moves per element. Equal times go by id, so the order is total and the
result is the one ``engine.merge.time_order`` gives. Smooth distributions take one pass; clustered
ones a few; a range that keeps splitting poorly (deeper than ``MAX_DEPTH``) falls back to numpy's
merge sort, so the worst case stays n log n.

The keys travel with the indices (time, id, index side by side), so the passes read memory in
order instead of looking each time up through the permutation. All scratch lives in an
``OrderScratch`` the caller keeps (no allocation per call).
"""

from __future__ import annotations

import numba
import numpy as np

SMALL = 24          # ranges up to this size are ordered by insertion
MAX_DEPTH = 8       # bucket passes on one range before the merge-sort fallback
NEARLY = 8          # first try insertion, while it moves at most this many elements per element


@numba.njit(cache=True, nogil=True)
def _insertion(ts, ks, ix, lo, hi, per_element):
    """Insertion sort of ``[lo, hi)`` by (time, key), carrying the index; with ``per_element`` > 0
    it gives up once it moved more than that many elements per element so far (and 64 more) and
    returns False (the range is still a permutation of itself)."""
    moves = 0
    for a in range(lo + 1, hi):
        t = ts[a]
        k = ks[a]
        x = ix[a]
        b = a - 1
        while b >= lo and (ts[b] > t or (ts[b] == t and ks[b] > k)):
            ts[b + 1] = ts[b]
            ks[b + 1] = ks[b]
            ix[b + 1] = ix[b]
            b -= 1
        ts[b + 1] = t
        ks[b + 1] = k
        ix[b + 1] = x
        if per_element > 0:
            moves += a - 1 - b
            if moves > per_element * (a - lo) + 64:
                return False
    return True


@numba.njit(cache=True, nogil=True)
def _merge_sort_range(ts, ks, ix, lo, hi):
    """Fallback: numpy's stable sort by time, then runs of equal times by key."""
    perm = np.argsort(ts[lo:hi], kind="mergesort")
    t2 = ts[lo:hi][perm]
    k2 = ks[lo:hi][perm]
    i2 = ix[lo:hi][perm]
    ts[lo:hi] = t2
    ks[lo:hi] = k2
    ix[lo:hi] = i2
    i = lo
    while i < hi:
        j = i + 1
        while j < hi and ts[j] == ts[i]:
            j += 1
        if j - i > 1:
            _insertion(ts, ks, ix, i, j, 0)
        i = j


@numba.njit(cache=True, nogil=True)
def order_by_time(t, key, n, ts, ks, ix, t2, k2, i2, counts, stack):
    """Write into ``ix[:n]`` the indices ``0..n-1`` ordered by ``(t[i], key[i])`` (``ts``, ``ks``:
    their times and keys in that order).

    ``t2``, ``k2``, ``i2`` (n), ``counts`` (n + 1) and ``stack`` (n // SMALL + 2 rows of 3) are
    scratch.
    """
    for i in range(n):
        ts[i] = t[i]
        ks[i] = key[i]
        ix[i] = i
    if n <= SMALL:
        _insertion(ts, ks, ix, 0, n, 0)
        return
    if _insertion(ts, ks, ix, 0, n, NEARLY):
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
            v = ts[j]
            if v < tmin:
                tmin = v
            if v > tmax:
                tmax = v
        span = tmax - tmin
        if depth >= MAX_DEPTH or not (span < np.inf):
            _merge_sort_range(ts, ks, ix, lo, hi)
            continue
        if span == 0.0:
            _insertion(ts, ks, ix, lo, hi, 0)   # all at one time: by key (offered in order: nearly sorted)
            continue
        scale = m / span
        for b in range(m + 1):
            counts[b] = 0
        for j in range(lo, hi):
            b = int((ts[j] - tmin) * scale)
            if b >= m:
                b = m - 1
            counts[b + 1] += 1
        for b in range(m):
            counts[b + 1] += counts[b]
        for j in range(lo, hi):
            v = ts[j]
            b = int((v - tmin) * scale)
            if b >= m:
                b = m - 1
            p = lo + counts[b]
            counts[b] += 1
            t2[p] = v
            k2[p] = ks[j]
            i2[p] = ix[j]
        for j in range(lo, hi):
            ts[j] = t2[j]
            ks[j] = k2[j]
            ix[j] = i2[j]
        start = 0
        for b in range(m):           # after the scatter, counts[b] is the end of bucket b
            end = counts[b]
            size = end - start
            if size > SMALL:
                stack[sp, 0], stack[sp, 1], stack[sp, 2] = lo + start, lo + end, depth + 1
                sp += 1
            elif size > 1:
                _insertion(ts, ks, ix, lo + start, lo + end, 0)
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
        self.ts, self.t2 = np.empty(cap, np.float64), np.empty(cap, np.float64)
        self.ks, self.k2 = np.empty(cap, np.int64), np.empty(cap, np.int64)
        self.ix, self.i2 = np.empty(cap, np.int64), np.empty(cap, np.int64)
        self.counts = np.empty(cap + 1, np.int64)
        self.stack = np.empty((cap // SMALL + 2, 3), np.int64)

    def order_by_time(self, t: np.ndarray, key: np.ndarray, n: int) -> np.ndarray:
        """Indices ``0..n-1`` ordered by (t, key), a view of the scratch (valid until the next call)."""
        self.ensure(n)
        order_by_time(t, key, n, self.ts, self.ks, self.ix, self.t2, self.k2, self.i2, self.counts, self.stack)
        return self.ix[:n]
