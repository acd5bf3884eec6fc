"""The I/O source: every VM group's I/Os, expanded into legs, chunk by chunk (no loop per I/O in Python).

Each group's interarrival gaps are gamma-distributed with mean ``1 / iops`` and squared coefficient
of variation ``interarrival_scv`` (shape ``1 / scv``: 1 is Poisson), from the group's own random
stream. The Poisson groups are one stream: their superposition is a Poisson process of the summed
rate whose arrivals belong to group g with probability ``iops_g / sum`` (independent marks), which
spares merging many streams. Streams are merged by time and their I/Os numbered in that order;
each I/O's group (in the pooled stream), kind (read or write), block size, object and variant are
counter-based draws from its number, and its legs are emitted at its issue time with ids
``io * MAX_LEGS + leg``, so they leave in (time, id) order.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.merge import merge_order, merge_runs
from vnetsim.engine.packets import Packets
from vnetsim.engine.rng import stream
from vnetsim.storage.iopath.draws import leg_uniform
from vnetsim.storage.iopath.legs import MAX_LEGS, LegTables
from vnetsim.storage.iopath.spec import IOPathSpec


@numba.njit(cache=True, nogil=True, inline="always")
def _pick(u, cdf, row):
    """The first column of ``cdf[row]`` (cumulative weights ending at 1) at or above ``u``."""
    lo, hi = 0, cdf.shape[1] - 1
    while lo < hi:                     # binary search: many groups or sizes cost log2 steps
        mid = (lo + hi) >> 1
        if u > cdf[row, mid]:
            lo = mid + 1
        else:
            hi = mid
    return lo


GUIDE = 64      # guide-table cells per cumulative-weights row (a power of two: u * GUIDE is exact)


def guide_table(cdf: np.ndarray) -> np.ndarray:
    """Per row of ``cdf``, per cell k: the first column at or above ``k / GUIDE`` (clamped to the
    last), where ``_guided_pick`` starts; the last column (``GUIDE``) holds the row's most steps
    from a cell's start to its answer (the answer for a u in cell k is at most cell k + 1's start)."""
    cells = np.arange(GUIDE + 1) / GUIDE
    last = cdf.shape[1] - 1
    out = np.zeros((cdf.shape[0], GUIDE + 1), np.int64)
    for r, row in enumerate(cdf):
        start = np.minimum(np.searchsorted(row, cells, side="left"), last)
        out[r, :GUIDE] = start[:GUIDE]
        out[r, GUIDE] = int(np.max(start[1:] - start[:-1]))
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _guided_pick(u, cdf, guide, row):
    """``_pick`` by a guide table: start at the first column at or above ``floor(u * GUIDE) /
    GUIDE`` (not after the answer, as u is at least that), then step up while the column is below
    u, a fixed number of times (the row's most steps; each step a select, no branch to
    mispredict): the same column as the binary search."""
    j = guide[row, int(u * GUIDE)]
    last = cdf.shape[1] - 1
    for _ in range(guide[row, GUIDE]):
        j += 1 if (u > cdf[row, j]) & (j < last) else 0
    return j


@numba.njit(cache=True, nogil=True)
def _draw_variants(t, strm, stream_cdf, stream_guide, stream_groups, io0, key, read_fraction, size_cdf, slot_base,
                   n_objects, epoch_start, read_base, read_count, write_base, write_count, var_nlegs, issued, failed,
                   var, size_of):
    """Each I/O's variant and block size index (counter-based draws from its number) into ``var`` and
    ``size_of`` (at least as long as ``t``), counting the issued and failed I/Os per group.

    A pass of its own, without unpredictable branches (read or write is a select): the I/Os are
    independent here, so the processor overlaps their chains of hashes and table loads, which the
    leg-writing pass (a branch per leg: local or remote, one leg or several) would serialise. The
    groups are drawn in a first loop: the chain hash, guide table, group, its tables, variant is
    then half as long (a fifth less time)."""
    n = t.shape[0]
    n_ep = epoch_start.shape[0]
    for i in range(n):                 # each I/O's group first (``size_of`` holds it until its size)
        row = strm[i]
        size_of[i] = stream_groups[row, _guided_pick(leg_uniform(key, io0 + i, 4), stream_cdf, stream_guide, row)]
    for i in range(n):
        io = io0 + i
        ti = t[i]
        g = size_of[i]
        e = 0
        while e + 1 < n_ep and epoch_start[e + 1] <= ti:
            e += 1
        slot = slot_base[g] + e * n_objects[g] + min(int(leg_uniform(key, io, 2) * n_objects[g]), n_objects[g] - 1)
        is_read = leg_uniform(key, io, 0) < read_fraction[g]
        base = read_base[slot] if is_read else write_base[slot]
        cnt = read_count[slot] if is_read else write_count[slot]
        v = base + min(int(leg_uniform(key, io, 3) * cnt), cnt - 1)
        var[i] = v
        size_of[i] = _pick(leg_uniform(key, io, 1), size_cdf, g)
        issued[g] += 1
        failed[g] += var_nlegs[v] == 0


@numba.njit(cache=True, nogil=True)
def _emit_legs(t, var, size_of, io0, n_sizes, var_leg_start, var_nlegs, wire_bytes, remote_flow, l_t, l_t0, l_size,
               l_flow, l_pid, r_t, r_t0, r_size, r_flow, r_pid):
    """The legs of I/Os of known variants and block sizes, in emission ((time, id)) order, split by
    where they go first (``remote_flow[flow]``: the leg leaves through its owner's NIC; None: no
    split): into the five packet columns ``l_*`` (to the owner's own devices, or all) and ``r_*``
    (out through its NIC), each with room for every leg. Returns how many went to each."""
    nl = 0
    nr = 0
    for i in range(t.shape[0]):
        io = io0 + i
        ti = t[i]
        v = var[i]
        first = var_leg_start[v]
        size_i = size_of[i]
        for leg in range(var_nlegs[v]):
            f = (first + leg) * n_sizes + size_i
            if remote_flow is not None and remote_flow[f]:
                r_t[nr], r_t0[nr], r_size[nr], r_flow[nr], r_pid[nr] = ti, ti, wire_bytes[f], f, io * MAX_LEGS + leg
                nr += 1
            else:
                l_t[nl], l_t0[nl], l_size[nl], l_flow[nl], l_pid[nl] = ti, ti, wire_bytes[f], f, io * MAX_LEGS + leg
                nl += 1
    return nl, nr


def _columns(n: int) -> tuple[np.ndarray, ...]:
    """Five empty packet columns of ``n`` (pages never written are never touched)."""
    return (np.empty(n), np.empty(n), np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64))


def expand_ios(t, strm, stream_cdf, stream_guide, stream_groups, io0, key, read_fraction, size_cdf, n_sizes,
               slot_base, n_objects, epoch_start, read_base, read_count, write_base, write_count, var_leg_start,
               var_nlegs, max_legs, wire_bytes, remote_flow, issued, failed):
    """Legs of time-ordered I/Os numbered from ``io0``, split by where they go first: ``(local,
    remote)``, each the five packet columns (t, t0, wire size, flow, pid) in emission order. Two
    compiled passes: each I/O's variant and size (``_draw_variants``), then its legs
    (``_emit_legs``)."""
    var, size_of = np.empty(len(t), np.int64), np.empty(len(t), np.int64)
    _draw_variants(t, strm, stream_cdf, stream_guide, stream_groups, io0, key, read_fraction, size_cdf, slot_base,
                   n_objects, epoch_start, read_base, read_count, write_base, write_count, var_nlegs, issued, failed,
                   var, size_of)
    local, remote = _columns(len(t) * max_legs), _columns(len(t) * max_legs)
    nl, nr = _emit_legs(t, var, size_of, io0, n_sizes, var_leg_start, var_nlegs, wire_bytes, remote_flow, *local,
                        *remote)
    return tuple(c[:nl] for c in local), tuple(c[:nr] for c in remote)


@numba.njit(cache=True, nogil=True)
def _times_from_gaps(gaps, scale, start):
    """In place: gaps of unit scale to times, ``start + cumsum(gaps * scale)`` (left to right, the
    same sums as numpy's cumulative sum, in one compiled pass instead of three)."""
    c = 0.0
    for i in range(gaps.shape[0]):
        c += gaps[i] * scale
        gaps[i] = start + c


class IOSource:
    """The legs of every group's I/Os issued before ``end_ns`` (``until(horizon_ns) -> Packets``)."""

    def __init__(self, spec: IOPathSpec, tables: LegTables, wire_bytes: np.ndarray, seed: int, end_ns: float,
                 remote_flow: np.ndarray | None = None) -> None:
        self.t = tables
        self.wire_bytes = np.ascontiguousarray(wire_bytes, np.int32)
        self.remote_flow = (np.zeros(len(self.wire_bytes), np.bool_) if remote_flow is None
                            else np.ascontiguousarray(remote_flow, np.bool_))
        self.max_legs = int(tables.var_nlegs.max()) if len(tables.var_nlegs) else 0
        self._zeros = np.zeros(0, np.int64)
        self._held: list | None = None
        self._reuse: tuple | None = None
        self.end_ns = float(end_ns)
        ws = spec.workloads
        poisson = [g for g, w in enumerate(ws) if w.interarrival_scv == 1.0]
        members = ([poisson] if poisson else []) + [[g] for g, w in enumerate(ws) if w.interarrival_scv != 1.0]
        width = max(len(m) for m in members)
        self.stream_groups = np.zeros((len(members), width), np.int64)
        self.stream_cdf = np.ones((len(members), width))
        rates = np.array([w.iops for w in ws])
        names = []
        for k, m in enumerate(members):
            self.stream_groups[k, :len(m)] = m
            self.stream_cdf[k, :len(m)] = np.cumsum(rates[m]) / rates[m].sum()
            names.append("poisson" if len(m) > 1 or ws[m[0]].interarrival_scv == 1.0 else f"{m[0]}.{ws[m[0]].name}")
        self.stream_guide = guide_table(self.stream_cdf)
        self.rngs = [stream(seed, f"storage.iopath.arrivals.{name}") for name in names]
        self.key = np.uint64(stream(seed, "storage.iopath.ios").integers(0, 2**63))
        self.mean_gap = np.array([1e9 / rates[m].sum() for m in members])
        self.shape = np.array([1.0 / ws[m[0]].interarrival_scv for m in members])
        self.last = np.zeros(len(members))
        self.buffers = [np.empty(0) for _ in members]     # each stream's times not handed out: [lo, hi)
        self._lo, self._hi = [0] * len(members), [0] * len(members)
        self.io_next = 0
        self.issued = np.zeros(len(spec.workloads), np.int64)
        self.failed = np.zeros(len(spec.workloads), np.int64)
        self.legs_issued = 0
        self.offered_pps = float(sum(w.iops for w in spec.workloads))

    def _times(self, g: int, horizon: float) -> np.ndarray:
        """Stream ``g``'s arrival times before the horizon (a view into its buffer, valid until the
        next call). Gaps are drawn in batches into the buffer, each batch's times its cumulative
        sum from the last time before it (the batches, and so the times, bit for bit those of one
        new array per batch)."""
        buf, lo, hi = self.buffers[g], self._lo[g], self._hi[g]
        while hi == lo or buf[hi - 1] < horizon:
            start = buf[hi - 1] if hi > lo else self.last[g]
            n = int(min(max(1024, 1.2 * (horizon - start) / self.mean_gap[g] + 64), 1 << 22))
            if hi + n > len(buf):                      # the rest to the front, the buffer grown if need be
                keep = buf[lo:hi].copy()
                if len(keep) + n > len(buf):
                    buf = self.buffers[g] = np.empty(2 * (len(keep) + n))
                buf[:len(keep)] = keep
                lo, hi = 0, len(keep)
            gaps = buf[hi:hi + n]
            if self.shape[g] == 1.0:                   # gamma of shape 1: the exponential, the same draws
                self.rngs[g].standard_exponential(n, out=gaps)
            else:
                gaps[:] = self.rngs[g].standard_gamma(self.shape[g], n)
            _times_from_gaps(gaps, self.mean_gap[g] / self.shape[g], start)
            hi += n
        cut = int(np.searchsorted(buf[lo:hi], horizon, side="left"))
        out = buf[lo:lo + cut]
        self._lo[g], self._hi[g] = lo + cut, hi
        if cut:
            self.last[g] = out[-1]
        return out

    def _ios(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray]:
        """Issue times of the I/Os issued before the horizon (merged by time) and their streams."""
        h = min(horizon_ns, self.end_ns)
        parts = [self._times(g, h) for g in range(len(self.rngs))]
        if len(parts) > 1:                     # k-way merge by time; equal times in stream order
            t = np.concatenate(parts)
            strm = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
            order = merge_order(t, [len(p) for p in parts])
            t, strm = t[order], strm[order]
        else:
            t = parts[0]
            strm = self._zeros if len(self._zeros) >= len(t) else np.zeros(len(t), np.int64)
            self._zeros = strm
        return t, strm

    def split_until(self, horizon_ns: float) -> tuple[Packets, Packets]:
        """The legs of the I/Os issued before the horizon, split: (to the owner's own devices,
        out through its NIC), each in (time, id) order."""
        t, strm = self._ios(horizon_ns)
        tb = self.t
        local, remote = expand_ios(t, strm, self.stream_cdf, self.stream_guide, self.stream_groups, self.io_next,
                                   self.key, tb.read_fraction, tb.size_cdf, tb.n_sizes, tb.slot_base, tb.n_objects,
                                   tb.epoch_start_ns, tb.read_base, tb.read_count, tb.write_base, tb.write_count,
                                   tb.var_leg_start, tb.var_nlegs, self.max_legs, self.wire_bytes, self.remote_flow,
                                   self.issued, self.failed)
        self.io_next += len(t)
        self.legs_issued += len(local[0]) + len(remote[0])
        return Packets(*local), Packets(*remote)

    def until(self, horizon_ns: float) -> Packets:
        """Every leg of the I/Os issued before the horizon, in (time, id) order (emission order)."""
        return merge_runs(list(self.split_until(horizon_ns)))

    def until_reusing(self, horizon_ns: float) -> Packets:
        """``until``'s legs, the same ones in the same order, written into buffers this source
        reuses: valid until the next call, ``t_ns`` and ``t0_ns`` one array (for a consumer that is
        done with them by then and writes neither, as ``PathStage``; fresh memory every chunk costs
        a page fault per 4 KiB)."""
        t, strm = self._ios(horizon_ns)
        n = len(t)
        tb, buf = self.t, self._reuse
        if buf is None or len(buf[0]) < n:
            cap = max(n, 1024) * 5 // 4
            buf = self._reuse = (np.empty(cap, np.int64), np.empty(cap, np.int64), *_columns(cap * self.max_legs))
        var, size_of = buf[0], buf[1]
        cols = (buf[2], buf[2], *buf[4:])          # a leg leaves at its I/O's issue: t and t0 share a column
        _draw_variants(t, strm, self.stream_cdf, self.stream_guide, self.stream_groups, self.io_next, self.key,
                       tb.read_fraction, tb.size_cdf, tb.slot_base, tb.n_objects, tb.epoch_start_ns, tb.read_base,
                       tb.read_count, tb.write_base, tb.write_count, tb.var_nlegs, self.issued, self.failed, var,
                       size_of)
        m, _ = _emit_legs(t, var, size_of, self.io_next, tb.n_sizes, tb.var_leg_start, tb.var_nlegs, self.wire_bytes,
                          None, *cols, *cols)
        self.io_next += n
        self.legs_issued += m
        return Packets(*(c[:m] for c in cols))

    def _part(self, horizon_ns: float, side: int) -> Packets:
        """One side of ``split_until(horizon_ns)``: the first side asked for generates both."""
        held = self._held
        if held is None or held[0] != horizon_ns or held[1 + side] is None:
            held = self._held = [horizon_ns, *self.split_until(horizon_ns)]
        out = held[1 + side]
        held[1 + side] = None
        return out


class ReusingSource:
    """An ``IOSource`` as one pipeline source of all its legs (``until_reusing``)."""

    def __init__(self, source: IOSource) -> None:
        self.source = source

    def until(self, horizon_ns: float) -> Packets:
        return self.source.until_reusing(horizon_ns)


class SourceSide:
    """One side of an ``IOSource`` as a pipeline source (``until``): its local legs (side 0) or
    those out through the owner's NIC (side 1), so the source's output needs no split."""

    def __init__(self, source: IOSource, side: int) -> None:
        self.source, self.side = source, side

    def until(self, horizon_ns: float) -> Packets:
        return self.source._part(horizon_ns, self.side)
