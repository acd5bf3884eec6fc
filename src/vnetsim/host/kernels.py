"""Compiled per-chunk step of the host path's sink: record the latencies of the statistics window
in one pass (no chain of numpy temporaries). Each packet's ring and work are looked up by the ring
stage (``vnetsim.engine.stage.ring_and_work``)."""

from __future__ import annotations

import numba

from vnetsim.engine.histogram import SUB_BITS, hist_add, stats_load, stats_store


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
