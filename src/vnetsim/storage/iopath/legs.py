"""From a spec to legs: what every I/O of every VM group sends where, as flat tables.

A **leg** is one message to one component host and back: a replica write, the one read, or one
host's read-modify-write of an OSA erasure-coded stripe. Every I/O is one *variant* of its object
(which replica it reads, which data fragment it writes); a variant is a fixed list of legs, so a
leg's target, route and fixed delays are looked up from its **leg class** (variant, leg), never
stored per packet. A packet's ``flow`` is ``leg_class * n_sizes + size index`` (block sizes are a
small discrete distribution), its ``pkt_id`` is ``io_id * MAX_LEGS + leg``.

Failures: the alive host set changes when a failed host is declared absent (``t_s + stall_s``);
each such *epoch* has its own variants, built here once (a Python loop over objects at set-up,
none per I/O). An object with nothing left to read or write in an epoch gets a variant without
legs: its I/Os fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.storage.iopath.spec import JITTER_ATOMS, Copy, IOPathSpec, ObjectPlacement, Workload

MAX_LEGS = 16                      # legs of one I/O at most (pkt_id = io * MAX_LEGS + leg)
READ, WRITE, RMW = 0, 1, 2         # what a leg does at its device
LOCAL, SAME_SITE, OTHER_SITE = 0, 1, 2   # a leg's route from the owner to its target


@dataclass
class LegTables:
    """The flat tables the source, stages and join read (all numpy, indexed as named)."""

    n_sizes: int
    # per (group, epoch, object): first variant and count, for reads and for writes
    read_base: np.ndarray
    read_count: np.ndarray
    write_base: np.ndarray
    write_count: np.ndarray
    slot_base: np.ndarray          # per group: its first (epoch, object) slot
    n_objects: np.ndarray          # per group
    epoch_start_ns: np.ndarray     # epoch e starts at epoch_start_ns[e]
    # per variant
    var_leg_start: np.ndarray
    var_nlegs: np.ndarray
    # per leg class
    lc_group: np.ndarray
    lc_write: np.ndarray           # 1 for the legs of a write
    lc_op: np.ndarray              # READ, WRITE, RMW at the device
    lc_owner: np.ndarray
    lc_target: np.ndarray
    lc_route: np.ndarray
    lc_nlegs: np.ndarray           # legs of the leg's I/O
    # per group: the block size table and cumulative weights
    sizes: np.ndarray              # (groups, n_sizes) bytes
    size_cdf: np.ndarray           # (groups, n_sizes)
    read_fraction: np.ndarray
    cache_hit: np.ndarray          # per group: probability a read hits the OSA read cache

    @property
    def n_leg_classes(self) -> int:
        return len(self.lc_group)

    @property
    def n_flows(self) -> int:
        return self.n_leg_classes * self.n_sizes


def _check(spec: IOPathSpec) -> None:
    n = spec.cluster.hosts
    if len(spec.cluster.rack_of_host) != n:
        raise ModelError("cluster.rack_of_host", f"{len(spec.cluster.rack_of_host)} racks for {n} hosts",
                         "give one rack per host")
    if not spec.workloads:
        raise ModelError("workloads", "no VM group", "add a VM group with its IOPS")
    d = spec.devices
    if d.capacity_count < 1 or (d.cache is not None and d.cache_count < 1):
        raise ModelError("devices", "every host needs at least one capacity device (and one cache device when "
                         "it has a cache tier)", "set capacity_count (and cache_count) to 1 or more")
    for name, kind in (("capacity", d.capacity), ("cache", d.cache)):
        if kind is None:
            continue
        if kind.queue_depth < 1:
            raise ModelError(f"devices.{name}.queue_depth", f"must be at least 1, got {kind.queue_depth}", "")
        for op, st in (("read", kind.read), ("write", kind.write)):
            if not (np.isfinite(st.mean_ns) and st.mean_ns > 0 and st.scv >= 0 and st.transfer_bps > 0):
                raise ModelError(f"devices.{name}.{op}", "service needs a finite mean > 0, an SCV >= 0 and a "
                                 "transfer rate > 0", "")
    net = spec.network
    for name in ("nic_bps", "inter_site_bps"):
        v = getattr(net, name)
        if not (np.isfinite(v) and v > 0):
            raise ModelError(f"network.{name}", f"must be finite and > 0, got {v}", "")
    for name in ("host_tx_ns", "host_rx_ns", "hop_ns", "inter_site_rtt_ns", "header_bytes", "hops_same_rack",
                 "hops_other_rack"):
        v = getattr(net, name)
        if not (np.isfinite(v) and v >= 0):
            raise ModelError(f"network.{name}", f"must be finite and >= 0, got {v}", "")
    if net.pair_ns is not None:
        pair = np.asarray(net.pair_ns, np.float64)
        if pair.shape != (n, n) or (pair < 0).any():
            raise ModelError("network.pair_ns", f"needs hosts x hosts ({n} x {n}) times >= 0 (NaN: use the hops), "
                             f"got shape {pair.shape}", "")
    jit = net.pair_jitter
    if jit is not None:
        row, atoms = np.asarray(jit.row), np.asarray(jit.atoms_ns, np.float64)
        if net.pair_ns is None or row.shape != (n, n) or atoms.ndim != 2 or atoms.shape[1] != JITTER_ATOMS \
                or row.max(initial=-1) >= atoms.shape[0] or not np.isfinite(atoms).all():
            raise ModelError("network.pair_jitter", "needs pair_ns, a hosts x hosts row table and finite atoms "
                             f"(rows x {JITTER_ATOMS}) for its rows", "")
    for i, f in enumerate(spec.failures):
        if not 0 <= f.host < n or not (np.isfinite(f.t_s) and f.t_s >= 0 and f.stall_s >= 0):
            raise ModelError(f"failures[{i}]", "a host failure needs a host in the cluster, a time >= 0 and a "
                             "stall >= 0", "")
    for gi, w in enumerate(spec.workloads):
        where = f"workloads[{gi}]"
        if not 0 <= w.host < n:
            raise ModelError(f"{where}.host", f"host {w.host} is not in the cluster (0..{n - 1})", "")
        if not (np.isfinite(w.iops) and w.iops > 0):
            raise ModelError(f"{where}.iops", f"IOPS must be finite and > 0, got {w.iops}", "")
        if not 0.0 <= w.read_fraction <= 1.0:
            raise ModelError(f"{where}.read_fraction", f"must be in [0, 1], got {w.read_fraction}", "")
        if len(w.block_bytes) != len(w.block_weights) or not w.block_bytes or min(w.block_weights) < 0 \
                or sum(w.block_weights) <= 0 or min(w.block_bytes) <= 0:
            raise ModelError(f"{where}.block_bytes", "block sizes need one non-negative weight each, "
                             "sizes > 0 and weights summing above 0", "")
        if not w.interarrival_scv > 0:
            raise ModelError(f"{where}.interarrival_scv", f"must be > 0, got {w.interarrival_scv}", "1 is Poisson")
        if not w.objects:
            raise ModelError(f"{where}.objects", "a VM group needs at least one object", "")
        for o in w.objects:
            for c in o.copies:
                if any(not 0 <= h < n for h in c.hosts + c.perf_leg):
                    raise ModelError(f"{where}.objects", f"a component is on a host outside 0..{n - 1}", "")
                if c.kind == "ec" and not 1 <= c.data_fragments < len(c.hosts):
                    raise ModelError(f"{where}.objects", "an erasure-coded copy needs k data fragments and "
                                     "at least one parity fragment", "")


def _epochs(spec: IOPathSpec) -> tuple[np.ndarray, list[frozenset[int]]]:
    """Epoch starts (ns) and the failed hosts of each: a failure takes effect once declared absent."""
    marks = sorted((f.t_s + f.stall_s) * 1e9 for f in spec.failures)
    starts = [-np.inf] + marks
    dead: list[frozenset[int]] = []
    for s in starts:
        dead.append(frozenset(f.host for f in spec.failures if (f.t_s + f.stall_s) * 1e9 <= s))
    return np.array(starts, np.float64), dead


def _write_variants(copies: tuple[Copy, ...], alive, architecture: str) -> list[list[tuple[int, int]]]:
    """Each write variant's legs [(target host, op)]: RAID-1 and ESA erasure codes have one (every
    live replica / performance-leg host of every copy); OSA erasure codes one per data fragment
    (read-modify-write at that fragment's host and every parity host)."""
    if any(c.kind == "ec" for c in copies) and architecture == "osa":
        k = max(c.data_fragments for c in copies if c.kind == "ec")
        out = []
        for j in range(k):
            legs: list[tuple[int, int]] = []
            for c in copies:
                live = [h for h in c.hosts if alive(h)]
                if c.kind == "raid1":
                    legs += [(h, WRITE) for h in live]
                elif len(live) >= c.data_fragments:   # the stripe can still be written
                    targets = [c.hosts[j % c.data_fragments]] + list(c.hosts[c.data_fragments:])
                    legs += [(h, RMW) for h in targets if alive(h)]
            out.append(legs)
        return out
    legs = []
    for c in copies:
        if c.kind == "raid1":
            legs += [(h, WRITE) for h in c.hosts if alive(h)]
        else:
            perf = c.perf_leg or c.hosts[: c.parity_fragments + 1]
            if sum(alive(h) for h in c.hosts) >= c.data_fragments:
                legs += [(h, WRITE) for h in perf if alive(h)]
    return [legs]


def _read_variants(w: Workload, copies: tuple[Copy, ...], alive, site_of, local_reads: bool) \
        -> list[list[tuple[int, int]]]:
    """Each read variant's legs: one per live replica to read from (only the owner's site, and the
    owner itself when it holds one, with ``local_reads``), or per data fragment of an erasure code
    (read from its host, or rebuilt from k live fragments when that host is down)."""
    usable = []
    for c in copies:
        live = [h for h in c.hosts if alive(h)]
        if (c.kind == "raid1" and live) or (c.kind == "ec" and len(live) >= c.data_fragments):
            usable.append(c)
    if local_reads:
        here = [c for c in usable if any(site_of[h] == site_of[w.host] and alive(h) for h in c.hosts)]
        usable = here or usable
    if not usable:
        return [[]]
    out: list[list[tuple[int, int]]] = []
    for c in (usable[:1] if local_reads else usable):
        if c.kind == "raid1":
            live = [h for h in c.hosts if alive(h)]
            if local_reads:
                mine = [h for h in live if h == w.host]
                live = mine or [h for h in live if site_of[h] == site_of[w.host]] or live
            out += [[(h, READ)] for h in live]
        else:
            k = c.data_fragments
            live = [h for h in c.hosts if alive(h)]
            for j in range(k):
                if alive(c.hosts[j]):
                    out.append([(c.hosts[j], READ)])
                else:
                    out.append([(h, READ) for h in live[:k]])
    return out


def _ragged(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(start, count)])`` without a loop."""
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offset = np.concatenate([[0], np.cumsum(count)[:-1]])
    return np.arange(total, dtype=np.int64) + np.repeat(start - offset, count)


def build_tables(spec: IOPathSpec) -> LegTables:
    """The leg tables of ``spec`` (ModelError on what cannot run)."""
    _check(spec)
    site_of = spec.cluster.site_of_host
    starts, dead = _epochs(spec)
    n_sizes = max(len(w.block_bytes) for w in spec.workloads)
    groups = len(spec.workloads)
    n_obj = np.array([len(w.objects) for w in spec.workloads], np.int64)
    slot_base = np.concatenate([[0], np.cumsum(n_obj * len(starts))[:-1]]).astype(np.int64)
    n_slots = int((n_obj * len(starts)).sum())
    read_base, read_count = np.zeros(n_slots, np.int64), np.zeros(n_slots, np.int64)
    write_base, write_count = np.zeros(n_slots, np.int64), np.zeros(n_slots, np.int64)
    # each distinct variant list once (by the copies' content, the epoch and, with local reads, the
    # owner: what the variants depend on), then per slot read and write which list it takes; the
    # per-variant and per-leg columns are assembled from those in numpy (no list work per slot)
    memo: dict[tuple, int] = {}
    lists: list[list[list[tuple[int, int]]]] = []
    taken: list[int] = []                  # per (slot, read then write): its list
    cols: list[tuple[int, int, int]] = []  # ... and its (group, is_write, owner)

    def add(g: int, key: tuple, make) -> None:
        k = memo.get(key)
        if k is None:
            variants = make()
            if max(map(len, variants), default=0) > MAX_LEGS:
                raise ModelError(f"workloads[{g}].objects", f"an I/O would have {max(map(len, variants))} legs, "
                                 f"at most {MAX_LEGS} are modelled", "use fewer replicas or fragments")
            k = memo[key] = len(lists)
            lists.append(variants)
        taken.append(k)

    for g, w in enumerate(spec.workloads):
        owner = w.host if spec.local_reads else -1
        for e, gone in enumerate(dead):
            def alive(h: int, gone: frozenset[int] = gone) -> bool:
                return h not in gone
            for obj in w.objects:
                c = obj.copies
                add(g, ("r", c, e, owner), lambda w=w, c=c, alive=alive: _read_variants(w, c, alive, site_of,
                                                                                        spec.local_reads))
                add(g, ("w", c, e), lambda c=c, alive=alive: _write_variants(c, alive, spec.architecture))
        cols += [(g, 0, w.host), (g, 1, w.host)] * (len(dead) * len(w.objects))
    n_var = np.array([len(v) for v in lists], np.int64)                 # per list: variants
    var_nlegs = np.array([len(legs) for v in lists for legs in v], np.int64)
    list_var0 = np.concatenate([[0], np.cumsum(n_var)[:-1]]).astype(np.int64)
    flat = np.array([leg for v in lists for legs in v for leg in legs], np.int64).reshape(-1, 2)
    var_leg0 = np.concatenate([[0], np.cumsum(var_nlegs)[:-1]]).astype(np.int64)
    k_of = np.array(taken, np.int64)
    per = n_var[k_of]                                                 # per (slot, read / write): variants
    first = np.concatenate([[0], np.cumsum(per)[:-1]]).astype(np.int64)
    read_base[:], write_base[:] = first[0::2], first[1::2]
    read_count[:], write_count[:] = per[0::2], per[1::2]
    vid = _ragged(list_var0[k_of], per)                               # every variant in slot order
    var_n = var_nlegs[vid]
    var_start = np.concatenate([[0], np.cumsum(var_n)[:-1]]).astype(np.int64)
    legs = flat[_ragged(var_leg0[vid], var_n)]
    g_col, w_col, h_col = (np.repeat(np.array([c[j] for c in cols], np.int64), per) for j in range(3))
    lc_group, lc_write, lc_owner, lc_nlegs = (np.repeat(c, var_n) for c in (g_col, w_col, h_col, var_n))
    lc_target, lc_op = legs[:, 0].copy(), legs[:, 1].copy()
    site = np.asarray(site_of, np.int64)
    lc_route = np.where(lc_target == lc_owner, LOCAL,
                        np.where(site[lc_target] == site[lc_owner], SAME_SITE, OTHER_SITE)).astype(np.int64)
    sizes = np.ones((groups, n_sizes), np.int64)
    cdf = np.ones((groups, n_sizes), np.float64)
    for g, w in enumerate(spec.workloads):
        k = len(w.block_bytes)
        sizes[g, :k] = w.block_bytes
        sizes[g, k:] = w.block_bytes[-1]
        weights = np.asarray(w.block_weights, np.float64)
        cdf[g, :k] = np.cumsum(weights) / weights.sum()
    cache = spec.devices.read_cache_bytes if spec.devices.cache is not None else 0.0
    hit = np.array([min(1.0, cache / w.working_set_bytes) if w.working_set_bytes > 0 else 1.0
                    for w in spec.workloads]) if cache > 0 else np.zeros(groups)
    return LegTables(n_sizes, read_base, read_count, write_base, write_count, slot_base, n_obj, starts,
                     var_start, var_n, lc_group, lc_write, lc_op, lc_owner, lc_target, lc_route, lc_nlegs, sizes, cdf,
                     np.array([w.read_fraction for w in spec.workloads]), hit)


def single_object(copies: tuple[Copy, ...]) -> tuple[ObjectPlacement, ...]:
    """One object with these copies (a helper for hand-built specs)."""
    return (ObjectPlacement(copies),)
