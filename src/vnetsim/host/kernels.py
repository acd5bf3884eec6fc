"""Compiled per-chunk steps of the host path: look up each packet's ring and work, count, and
record latencies of the statistics window, in one pass each (no chain of numpy temporaries)."""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS, hist_add, stats_load, stats_store


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
    returns how many were recorded."""
    st = stats_load(stats)
    k = 0
    for i in range(t0.shape[0]):
        if t0[i] >= t_lo and t_end_of[i] <= t_hi:
            st = hist_add(counts, st, t_end_of[i] - t_start[i], SUB_BITS)
            k += 1
    stats_store(stats, st)
    return k
