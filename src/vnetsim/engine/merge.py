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
    head_t = np.empty(k)                 # each run's next (time, key); +inf once it is used up
    head_k = np.zeros(k, keys.dtype)
    for r in range(k):
        if pos[r] < starts[r + 1]:
            head_t[r] = times[pos[r]]
            head_k[r] = keys[pos[r]]
        else:
            head_t[r] = np.inf
    order = np.empty(n, np.int64)
    for i in range(n):
        best = 0
        bt = head_t[0]
        bk = head_k[0]
        for r in range(1, k):
            tt = head_t[r]
            if tt < bt or (tt == bt and head_k[r] < bk):
                best = r
                bt = tt
                bk = head_k[r]
        p = pos[best]
        order[i] = p
        p += 1
        pos[best] = p
        if p < starts[best + 1]:
            head_t[best] = times[p]
            head_k[best] = keys[p]
        else:
            head_t[best] = np.inf
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
