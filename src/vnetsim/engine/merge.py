"""Merges of time-ordered runs: the k-way merge where streams from several stages or cores meet."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def kway_merge_order(times, starts):
    """The order that merges ``times[starts[r]:starts[r+1]]`` (each sorted) into one sorted run.

    Stable: on equal times the earlier run comes first. Linear in the number of elements times
    the number of runs, which is small (cores of a stage, flow groups).
    """
    n = times.shape[0]
    k = starts.shape[0] - 1
    pos = starts[:-1].copy()
    order = np.empty(n, np.int64)
    for i in range(n):
        best = -1
        bt = np.inf
        for r in range(k):
            if pos[r] < starts[r + 1] and (best < 0 or times[pos[r]] < bt):
                best = r
                bt = times[pos[r]]
        order[i] = pos[best]
        pos[best] += 1
    return order


def merge_order(times: np.ndarray, lengths: list[int]) -> np.ndarray:
    """Order merging consecutive sorted runs of the given lengths (k-way for few runs, else sort)."""
    if len(lengths) > 16:
        return np.argsort(times, kind="stable")
    starts = np.zeros(len(lengths) + 1, np.int64)
    starts[1:] = np.cumsum(lengths)
    return kway_merge_order(times, starts)
