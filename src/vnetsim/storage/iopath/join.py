"""The join at the owner: an I/O completes when the last of its legs is back (a k-way max), compiled.

Legs of an I/O share its id (``pkt_id // MAX_LEGS``); pending I/Os sit in a ring indexed by
``io % size`` (a power of two; grown when two pending I/Os would share a slot), so memory is bounded by the I/Os in
flight. A completed I/O's latency (last leg back minus issue time) goes to its group's read or
write histogram when it was issued in the statistics window; one that completes after ``end_ns``
(the end of a run that is not drained) is counted as still in flight.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.histogram import MAX_OCTAVES, SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.packets import Packets
from vnetsim.storage.iopath.classes import class_table
from vnetsim.storage.iopath.legs import MAX_LEGS


@numba.njit(cache=True, nogil=True)
def fold_legs(order, back, t0, pid, flow, start, n, f_cls, c_tab, slot_io, slot_left, slot_max, lo, end, counts, stats,
              done, late):
    """Fold legs ``start..n-1``: the ``k``-th is back at its owner at ``back[k]`` and is ``order[k]``
    of the other columns (``order`` None: the ``k``-th); ``c_tab[f_cls[flow]]``: (legs of its I/O,
    its histogram), its class's row (``classes.class_table``). Returns the ``k`` of a leg whose slot
    is taken (-1: all done)."""
    mask = slot_io.shape[0] - 1          # the ring's size is a power of two: io % size is io & mask
    for k in range(start, n):
        i = k if order is None else order[k]
        c = f_cls[flow[i]]
        top = back[k]
        nlegs = c_tab[c, 0]
        if nlegs > 1:                 # an I/O of one leg completes now, without a slot
            io = pid[i] // MAX_LEGS
            s = io & mask
            sio = slot_io[s]
            if sio != io:                  # its first leg back: it takes the slot, nothing completes
                if sio != -1:
                    return k
                slot_io[s] = io
                slot_left[s] = nlegs - 1
                slot_max[s] = top
                continue
            top = max(top, slot_max[s])
            left = slot_left[s] - 1
            if left > 0:
                slot_left[s] = left
                slot_max[s] = top
                continue
            slot_io[s] = -1               # its last leg: free the slot (its other fields are dead)
        h = c_tab[c, 1]
        done[h] += 1
        if top > end:
            late[0] += 1
        if t0[i] >= lo:
            st = stats_load(stats[h])
            st = hist_add(counts[h], st, top - t0[i], SUB_BITS)
            stats_store(stats[h], st)
    return -1


class Join:
    """The pipeline's sink: ``join(packets, horizon_ns)``. ``f_nlegs[flow]``: legs of that leg's
    I/O; ``f_hist[flow]``: its histogram (``group * 2 + is_write``)."""

    def __init__(self, f_nlegs: np.ndarray, f_hist: np.ndarray, n_hist: int, lo_ns: float, end_ns: float = np.inf,
                 ring: int = 1 << 16):
        self.f_nlegs, self.f_hist = np.asarray(f_nlegs, np.int64), np.asarray(f_hist, np.int64)
        self.f_cls, self.c_tab = class_table(np.stack([self.f_nlegs, self.f_hist], axis=1))
        self.lo, self.end = float(lo_ns), float(end_ns)
        self.late = np.zeros(1, np.int64)     # folded I/Os that complete after end_ns
        self.counts = np.zeros((n_hist, 2 + MAX_OCTAVES * (1 << SUB_BITS)), np.int64)
        self.stats = np.tile(np.array([0.0, 0.0, np.inf, -np.inf, 0.0]), (n_hist, 1))
        self.done = np.zeros(n_hist, np.int64)
        self.legs = 0
        self._alloc(ring)

    def _alloc(self, size: int) -> None:
        if size & (size - 1):
            raise ValueError(f"the join's ring size must be a power of two, got {size}")
        self.slot_io = np.full(size, -1, np.int64)
        self.slot_left = np.zeros(size, np.int64)
        self.slot_max = np.zeros(size, np.float64)

    def grow(self) -> None:
        """Double the ring (or more, until the pending I/Os have a slot each)."""
        busy = self.slot_io >= 0
        ios, left, top = self.slot_io[busy], self.slot_left[busy], self.slot_max[busy]
        size = 2 * len(self.slot_io)
        while len(np.unique(ios % size)) < len(ios):
            size *= 2
        self._alloc(size)
        s = ios % size
        self.slot_io[s], self.slot_left[s], self.slot_max[s] = ios, left, top

    def __call__(self, packets: Packets, horizon_ns: float) -> None:
        if len(packets):
            self.fold(packets.t_ns, packets.t0_ns, packets.pkt_id, packets.flow)

    def fold(self, t_ns: np.ndarray, t0_ns: np.ndarray, pkt_id: np.ndarray, flow: np.ndarray,
             order: np.ndarray | None = None, n: int | None = None) -> None:
        """Fold legs back at the owner at ``t_ns``, in any order (a max does not care): the first
        ``n`` (None: all), the ``k``-th back at ``t_ns[k]`` and ``order[k]`` of the other columns
        (None: the ``k``-th)."""
        n = len(t_ns) if n is None else n
        self.legs += n
        start = 0
        while True:
            start = fold_legs(order, t_ns, t0_ns, pkt_id, flow, start, n, self.f_cls, self.c_tab, self.slot_io,
                              self.slot_left, self.slot_max, self.lo, self.end, self.counts, self.stats, self.done,
                              self.late)
            if start < 0:
                return
            self.grow()

    def pending_ios(self) -> np.ndarray:
        """Ids of the I/Os with some but not all legs back."""
        return self.slot_io[self.slot_io >= 0]

    def histogram(self, h: int) -> LogHistogram:
        out = LogHistogram(SUB_BITS)
        out.counts = self.counts[h].copy()
        out.stats = self.stats[h].copy()
        return out
