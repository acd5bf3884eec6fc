"""Merges, splits and orders of packet runs: where streams from several stages or cores meet, and
where one stage's departures fan out to several successors. Runs are ordered by (time, packet id),
a total order, so no result depends on how packets were batched into chunks."""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.packets import Packets


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
    return gather_packets(kway_merge_order(t, pid, starts), t, t0, size, flow, pid)


@numba.njit(cache=True, nogil=True)
def merge_two_runs(a_t, a_t0, a_size, a_flow, a_pid, b_t, b_t0, b_size, b_flow, b_pid):
    """Merge two runs of packets, each ordered by (time, packet id), gathering the five columns in
    one pass. Used where arrivals held from earlier chunks (few) meet a chunk's new ones (many)."""
    na = a_t.shape[0]
    nb = b_t.shape[0]
    n = na + nb
    o_t = np.empty(n, a_t.dtype)
    o_t0 = np.empty(n, a_t0.dtype)
    o_size = np.empty(n, a_size.dtype)
    o_flow = np.empty(n, a_flow.dtype)
    o_pid = np.empty(n, a_pid.dtype)
    i = 0
    j = 0
    for k in range(n):
        if j >= nb or (i < na and (a_t[i] < b_t[j] or (a_t[i] == b_t[j] and a_pid[i] < b_pid[j]))):
            o_t[k] = a_t[i]
            o_t0[k] = a_t0[i]
            o_size[k] = a_size[i]
            o_flow[k] = a_flow[i]
            o_pid[k] = a_pid[i]
            i += 1
        else:
            o_t[k] = b_t[j]
            o_t0[k] = b_t0[j]
            o_size[k] = b_size[j]
            o_flow[k] = b_flow[j]
            o_pid[k] = b_pid[j]
            j += 1
    return o_t, o_t0, o_size, o_flow, o_pid


@numba.njit(cache=True, nogil=True)
def group_packets(cls, k, t, t0, size, flow, pid):
    """Packets grouped by class ``cls[i]`` in ``0..k-1`` (a stable counting sort: each group keeps
    the input order); class -1 leaves (not copied). Returns the five grouped columns and the
    group bounds (``k + 1`` offsets)."""
    n = cls.shape[0]
    bounds = np.zeros(k + 1, np.int64)
    for i in range(n):
        c = cls[i]
        if c >= 0:
            bounds[c + 1] += 1
    for c in range(k):
        bounds[c + 1] += bounds[c]
    m = bounds[k]
    pos = bounds[:-1].copy()
    o_t = np.empty(m, t.dtype)
    o_t0 = np.empty(m, t0.dtype)
    o_size = np.empty(m, size.dtype)
    o_flow = np.empty(m, flow.dtype)
    o_pid = np.empty(m, pid.dtype)
    for i in range(n):
        c = cls[i]
        if c < 0:
            continue
        j = pos[c]
        pos[c] = j + 1
        o_t[j] = t[i]
        o_t0[j] = t0[i]
        o_size[j] = size[i]
        o_flow[j] = flow[i]
        o_pid[j] = pid[i]
    return o_t, o_t0, o_size, o_flow, o_pid, bounds


@numba.njit(cache=True, nogil=True)
def survivors(t, pid):
    """Indices of the packets with a time (not NaN), and the ids of those without (dropped)."""
    n = t.shape[0]
    keep = np.empty(n, np.int64)
    drop = np.empty(n, np.int64)
    nk = 0
    nd = 0
    for i in range(n):
        if t[i] == t[i]:
            keep[nk] = i
            nk += 1
        else:
            drop[nd] = pid[i]
            nd += 1
    return keep[:nk], drop[:nd]


@numba.njit(cache=True, nogil=True)
def gather_packets(index, t, t0, size, flow, pid):
    """The five packet columns at ``index``, in one pass (instead of five numpy gathers)."""
    n = index.shape[0]
    o_t = np.empty(n, t.dtype)
    o_t0 = np.empty(n, t0.dtype)
    o_size = np.empty(n, size.dtype)
    o_flow = np.empty(n, flow.dtype)
    o_pid = np.empty(n, pid.dtype)
    for i in range(n):
        p = index[i]
        o_t[i] = t[p]
        o_t0[i] = t0[p]
        o_size[i] = size[p]
        o_flow[i] = flow[p]
        o_pid[i] = pid[p]
    return o_t, o_t0, o_size, o_flow, o_pid


@numba.njit(cache=True, nogil=True)
def _break_ties(order, t, pid):
    """Within runs of equal times, order by packet id (insertion sort for short runs)."""
    n = order.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and t[order[j]] == t[order[i]]:
            j += 1
        if j - i > 16:
            run = order[i:j].copy()
            order[i:j] = run[np.argsort(pid[run], kind="mergesort")]
        elif j - i > 1:
            for a in range(i + 1, j):
                x = order[a]
                b = a - 1
                while b >= i and pid[order[b]] > pid[x]:
                    order[b + 1] = order[b]
                    b -= 1
                order[b + 1] = x
        i = j
    return order


def time_order(t: np.ndarray, pid: np.ndarray) -> np.ndarray:
    """Indices sorting by (time, packet id): a total order, so the result cannot depend on how
    arrivals were batched (chunk size) or on the sort algorithm. (A stable sort, timsort for
    floats: a stage's departures are runs already in order, which it merges instead of sorting.)"""
    return _break_ties(np.argsort(t, kind="stable"), t, pid)


def sort_packets(packets: Packets) -> Packets:
    """The packets ordered by (t_ns, pkt_id)."""
    return Packets(*gather_packets(time_order(packets.t_ns, packets.pkt_id), packets.t_ns, packets.t0_ns,
                                   packets.size_bytes, packets.flow, packets.pkt_id))


def _before(a: Packets, b: Packets) -> bool:
    """Whether every packet of run ``a`` comes before every packet of run ``b``."""
    ta, tb = a.t_ns[-1], b.t_ns[0]
    return bool(ta < tb or (ta == tb and a.pkt_id[-1] < b.pkt_id[0]))


def in_sequence(runs: list[Packets]) -> bool:
    """Whether runs that each are ordered by (t_ns, pkt_id) follow one another (each non-empty run
    entirely before the next): their concatenation is then the merge."""
    runs = [r for r in runs if len(r)]
    return all(_before(a, b) for a, b in zip(runs, runs[1:]))


def _concat(runs: list[Packets]) -> Packets:
    return Packets(*(np.concatenate([getattr(r, c) for r in runs])
                     for c in ("t_ns", "t0_ns", "size_bytes", "flow", "pkt_id")))


def merge_runs(runs: list[Packets]) -> Packets:
    """One run ordered by (t_ns, pkt_id) from runs that each are. No copy for a single run; two runs
    that do not interleave are concatenated; two that do are merged in one pass; more go through
    the k-way merge (a sort beyond 16 runs)."""
    runs = [r for r in runs if len(r)]
    if not runs:
        return Packets.empty()
    if len(runs) == 1:
        return runs[0]
    if len(runs) == 2:
        a, b = runs
        if _before(a, b):
            return _concat([a, b])
        if _before(b, a):
            return _concat([b, a])
        return Packets(*merge_two_runs(a.t_ns, a.t0_ns, a.size_bytes, a.flow, a.pkt_id,
                                       b.t_ns, b.t0_ns, b.size_bytes, b.flow, b.pkt_id))
    cat = _concat(runs)
    if len(runs) > 16:
        return sort_packets(cat)
    starts = np.zeros(len(runs) + 1, np.int64)
    starts[1:] = np.cumsum([len(r) for r in runs])
    return Packets(*merge_packet_runs(cat.t_ns, cat.t0_ns, cat.size_bytes, cat.flow, cat.pkt_id, starts))


def split_runs(packets: Packets, cls: np.ndarray, k: int) -> list[Packets]:
    """The packets of each class ``0..k-1`` (``cls`` per packet; -1: none), each in input order."""
    *cols, bounds = group_packets(np.ascontiguousarray(cls, np.int64), k, packets.t_ns, packets.t0_ns,
                                  packets.size_bytes, packets.flow, packets.pkt_id)
    grouped = Packets(*cols)
    return [grouped.take(slice(int(bounds[c]), int(bounds[c + 1]))) for c in range(k)]
