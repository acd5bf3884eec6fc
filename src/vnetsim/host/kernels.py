"""Compiled per-chunk steps of the host path: look up each packet's ring and work, count, and
record latencies of the statistics window, in one pass each (no chain of numpy temporaries)."""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS, bucket_of_bits


@numba.njit(cache=True, nogil=True)
def ring_and_work(flow, size, ring_of_flow, pp_of_flow, pb_of_flow, t0, t_lo, ring_counts):
    """Per packet: its ring (from its flow) and its work in ns (per packet + per byte); counts the
    window's packets per ring."""
    n = flow.shape[0]
    ring = np.empty(n, np.int64)
    work = np.empty(n, np.float64)
    for i in range(n):
        f = flow[i]
        r = ring_of_flow[f]
        ring[i] = r
        work[i] = pp_of_flow[f] + pb_of_flow[f] * size[i]
        if t0[i] >= t_lo:
            ring_counts[r] += 1
    return ring, work


@numba.njit(cache=True, nogil=True)
def record_window(counts, stats, t_start, t_end_of, t0, t_lo, t_hi):
    """Record ``t_end_of - t_start`` for packets offered at or after ``t_lo`` and done by ``t_hi``;
    returns how many were recorded. (The update is written out as in the ring-server kernel: a
    per-value helper taking arrays costs numba dearly.)"""
    top = counts.shape[0] - 1
    scratch = np.empty(1)
    bits = scratch.view(np.int64)
    k = 0
    for i in range(t0.shape[0]):
        if t0[i] >= t_lo and t_end_of[i] <= t_hi:
            x = t_end_of[i] - t_start[i]
            scratch[0] = x
            b = 0 if x < 1.0 else min(bucket_of_bits(bits[0], SUB_BITS), top)
            counts[b] += 1
            stats[0] += 1.0
            stats[1] += x
            stats[4] += x * x
            if x < stats[2]:
                stats[2] = x
            if x > stats[3]:
                stats[3] = x
            k += 1
    return k
