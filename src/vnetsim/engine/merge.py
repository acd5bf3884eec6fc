"""Merges of time-ordered runs: the k-way merge where streams from several stages or cores meet."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def kway_merge_order(times, keys, starts):
    """The order that merges runs ``[starts[r], starts[r+1])``, each sorted by (time, key), into one.

    Equal times go by ``key`` (the packet id: the order the sources offered them), then by run.
    Linear in the number of elements times the number of runs, which is small (cores, groups).
    """
    n = times.shape[0]
    k = starts.shape[0] - 1
    pos = starts[:-1].copy()
    order = np.empty(n, np.int64)
    for i in range(n):
        best = -1
        bt = np.inf
        bk = 0
        for r in range(k):
            p = pos[r]
            if p < starts[r + 1]:
                t = times[p]
                if best < 0 or t < bt or (t == bt and keys[p] < bk):
                    best = r
                    bt = t
                    bk = keys[p]
        order[i] = pos[best]
        pos[best] += 1
    return order


def merge_order(times: np.ndarray, lengths: list[int], keys: np.ndarray | None = None) -> np.ndarray:
    """Order merging consecutive runs of the given lengths, each sorted by (time, key).

    Without keys, equal times keep run order. Many runs fall back to a sort.
    """
    if keys is None:
        keys = np.zeros(len(times), np.int64)
    if len(lengths) > 16:
        return np.lexsort((keys, times))
    starts = np.zeros(len(lengths) + 1, np.int64)
    starts[1:] = np.cumsum(lengths)
    return kway_merge_order(times, keys, starts)


@numba.njit(cache=True, nogil=True)
def merge_packet_runs(t, t0, size, flow, pid, starts):
    """Merge runs of packets, each ordered by (time, packet id), into one such run, gathering the
    five packet columns in one pass (instead of five numpy gathers)."""
    order = kway_merge_order(t, pid, starts)
    n = order.shape[0]
    o_t = np.empty(n, t.dtype)
    o_t0 = np.empty(n, t0.dtype)
    o_size = np.empty(n, size.dtype)
    o_flow = np.empty(n, flow.dtype)
    o_pid = np.empty(n, pid.dtype)
    for i in range(n):
        p = order[i]
        o_t[i] = t[p]
        o_t0[i] = t0[p]
        o_size[i] = size[p]
        o_flow[i] = flow[p]
        o_pid[i] = pid[p]
    return o_t, o_t0, o_size, o_flow, o_pid
