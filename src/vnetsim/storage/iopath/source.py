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

from vnetsim.engine.merge import merge_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.rng import stream
from vnetsim.storage.iopath.device import leg_uniform
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


@numba.njit(cache=True, nogil=True)
def expand_ios(t, strm, stream_cdf, stream_groups, io0, key, read_fraction, size_cdf, n_sizes, slot_base,
               n_objects, epoch_start, read_base, read_count, write_base, write_count, var_leg_start, var_nlegs,
               wire_bytes, issued, failed):
    """Legs of time-ordered I/Os numbered from ``io0``: (t, t0, wire size, flow, pid) arrays."""
    n = t.shape[0]
    var = np.empty(n, np.int64)
    size_of = np.empty(n, np.int64)
    total = 0
    n_ep = epoch_start.shape[0]
    for i in range(n):
        io = io0 + i
        g = stream_groups[strm[i], _pick(leg_uniform(key, io, 4), stream_cdf, strm[i])]
        e = 0
        while e + 1 < n_ep and epoch_start[e + 1] <= t[i]:
            e += 1
        slot = slot_base[g] + e * n_objects[g] + min(int(leg_uniform(key, io, 2) * n_objects[g]), n_objects[g] - 1)
        if leg_uniform(key, io, 0) < read_fraction[g]:
            base, cnt = read_base[slot], read_count[slot]
        else:
            base, cnt = write_base[slot], write_count[slot]
        v = base + min(int(leg_uniform(key, io, 3) * cnt), cnt - 1)
        var[i] = v
        size_of[i] = _pick(leg_uniform(key, io, 1), size_cdf, g)
        issued[g] += 1
        if var_nlegs[v] == 0:
            failed[g] += 1
        total += var_nlegs[v]
    o_t = np.empty(total, np.float64)
    o_size = np.empty(total, np.int32)
    o_flow = np.empty(total, np.int32)
    o_pid = np.empty(total, np.int64)
    k = 0
    for i in range(n):
        v = var[i]
        for leg in range(var_nlegs[v]):
            f = (var_leg_start[v] + leg) * n_sizes + size_of[i]
            o_t[k] = t[i]
            o_size[k] = wire_bytes[f]
            o_flow[k] = f
            o_pid[k] = (io0 + i) * MAX_LEGS + leg
            k += 1
    return o_t, o_size, o_flow, o_pid


class IOSource:
    """The legs of every group's I/Os issued before ``end_ns`` (``until(horizon_ns) -> Packets``)."""

    def __init__(self, spec: IOPathSpec, tables: LegTables, wire_bytes: np.ndarray, seed: int, end_ns: float) -> None:
        self.t = tables
        self.wire_bytes = np.ascontiguousarray(wire_bytes, np.int32)
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
        self.rngs = [stream(seed, f"storage.iopath.arrivals.{name}") for name in names]
        self.key = np.uint64(stream(seed, "storage.iopath.ios").integers(0, 2**63))
        self.mean_gap = np.array([1e9 / rates[m].sum() for m in members])
        self.shape = np.array([1.0 / ws[m[0]].interarrival_scv for m in members])
        self.last = np.zeros(len(members))
        self.buffers = [np.empty(0) for _ in members]
        self.io_next = 0
        self.issued = np.zeros(len(spec.workloads), np.int64)
        self.failed = np.zeros(len(spec.workloads), np.int64)
        self.legs_issued = 0
        self.offered_pps = float(sum(w.iops for w in spec.workloads))

    def _times(self, g: int, horizon: float) -> np.ndarray:
        buf = self.buffers[g]
        while not len(buf) or buf[-1] < horizon:
            span = horizon - (buf[-1] if len(buf) else self.last[g])
            n = int(min(max(1024, 1.2 * span / self.mean_gap[g] + 64), 1 << 22))
            gaps = self.rngs[g].gamma(self.shape[g], self.mean_gap[g] / self.shape[g], n)
            start = buf[-1] if len(buf) else self.last[g]
            buf = np.concatenate([buf, start + np.cumsum(gaps)])
        cut = int(np.searchsorted(buf, horizon, side="left"))
        out, self.buffers[g] = buf[:cut], buf[cut:]
        if cut:
            self.last[g] = out[-1]
        return out

    def until(self, horizon_ns: float) -> Packets:
        h = min(horizon_ns, self.end_ns)
        parts = [self._times(g, h) for g in range(len(self.rngs))]
        t = np.concatenate(parts)
        strm = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        if len(parts) > 1:                     # k-way merge by time; equal times in stream order
            order = merge_order(t, [len(p) for p in parts])
            t, strm = t[order], strm[order]
        tb = self.t
        lt, size, flow, pid = expand_ios(t, strm, self.stream_cdf, self.stream_groups, self.io_next, self.key,
                                         tb.read_fraction, tb.size_cdf, tb.n_sizes,
                                         tb.slot_base, tb.n_objects, tb.epoch_start_ns, tb.read_base,
                                         tb.read_count, tb.write_base, tb.write_count, tb.var_leg_start,
                                         tb.var_nlegs, self.wire_bytes, self.issued, self.failed)
        self.io_next += len(t)
        self.legs_issued += len(lt)
        return Packets(lt, lt.copy(), size, flow, pid)
