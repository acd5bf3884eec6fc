"""Where lost components are rebuilt, what the resync reads and writes on each host, and how long it takes.

- **Target** of a lost component: a live host of the same site as the host it was on, holding no
  other component of the object (with rack fault domains: in no rack holding a live component of
  it), with room for it; the one with the most free bytes (then the lowest number). None: the
  object cannot be re-protected. A witness appliance's components have no other place.
- **Sources**: a RAID-1 component is copied from one live replica (of its own copy if it has one,
  else of the other site's), so its size is read once; an erasure-coded fragment is recomputed
  from k live fragments of its copy, so k times its size is read, from k hosts; the least loaded
  sources are chosen.
- **Rate** per host: its resync bandwidth ``resync_bps`` less what foreground I/O uses of it; with
  adaptive resync at least ``adaptive_share`` of the bandwidth; at most the throttle.
- **Time**: the busiest host's bytes (read plus written there) over its rate, and the inter-site
  bytes over the inter-site link: ``max(max_h bytes_h * 8 / rate_h, inter_site_bytes * 8 / link)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vnetsim.storage.rebuild.spec import WITNESS_HOST, ObjectSet, RebuildCluster, RebuildSpec


@dataclass
class ResyncPlan:
    """One resync: the components to (re)write, bytes per host and pair, and its timing."""

    moves: list[tuple[int, int, int, int]] = field(default_factory=list)   # (set, object, component, host)
    written_bytes: float = 0.0
    read_bytes: float = 0.0
    inter_site_bytes: float = 0.0
    impossible: set[tuple[int, int]] = field(default_factory=set)         # (set, object)
    pair_bytes: dict[tuple[int, int], float] = field(default_factory=dict)  # (source, target) -> bytes
    host_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    duration_s: float = 0.0
    rate_bps: float = 0.0


def host_rates(cluster: RebuildCluster, spec: RebuildSpec) -> np.ndarray:
    """Per host, the bits per second it gives a resync (see the module docstring)."""
    cap = np.asarray(cluster.resync_bps, np.float64)
    fg = np.asarray(cluster.foreground_bps, np.float64) if cluster.foreground_bps else np.zeros_like(cap)
    rate = np.maximum(cap - fg, 0.0)
    if spec.adaptive:
        rate = np.maximum(rate, spec.adaptive_share * cap)
    return np.minimum(rate, spec.throttle_bps)


def _sources(objs: ObjectSet, hosts: np.ndarray, alive: np.ndarray, o: int, c: int, load: np.ndarray) -> list[int]:
    """Components to read to rebuild component ``c`` of object ``o`` (empty: none left): the live
    replicas (or k fragments) of its own copy, else of the other copy, least loaded hosts first."""
    copy = objs.copy[o, c]
    live_data = alive[o] & (objs.copy[o] >= 0)
    k = 1 if objs.kind == "raid1" else objs.data_fragments
    same, other = live_data & (objs.copy[o] == copy), live_data & (objs.copy[o] != copy)
    for pick in (np.flatnonzero(same), np.flatnonzero(other)):
        if len(pick) >= k:
            order = np.argsort(load[hosts[o, pick]], kind="stable")
            return [int(x) for x in pick[order[:k]]]
    return []


def plan_resync(spec: RebuildSpec, sets_hosts: list[np.ndarray], sets_alive: list[np.ndarray],
                todo: list[np.ndarray], host_up: np.ndarray, free: np.ndarray, in_place: bool = False,
                stale_bytes: list[np.ndarray] | None = None) -> ResyncPlan:
    """Plan the resync of the components marked in ``todo`` (per set, objects x components).

    ``in_place``: the components come back where they were (a host that returned) and only
    ``stale_bytes`` of each is written; else each gets a new host (capacity reserved in ``free``).
    """
    cl = spec.cluster
    site = np.asarray(cl.site_of_host, np.int64)
    rack = np.asarray(cl.rack_of_host, np.int64)
    n = cl.hosts
    plan = ResyncPlan(host_bytes=np.zeros(n))
    for si, objs in enumerate(spec.objects):
        hosts, alive = sets_hosts[si], sets_alive[si]
        for o, c in zip(*np.nonzero(todo[si])):
            o, c = int(o), int(c)
            h0 = int(hosts[o, c])
            full = float(objs.size_bytes[o, c])
            size = float(stale_bytes[si][o, c]) if in_place and stale_bytes is not None else full
            if in_place:
                target = h0
            else:
                if h0 == WITNESS_HOST:
                    plan.impossible.add((si, o))
                    continue
                ok = host_up & (site == site[h0]) & (free >= size)
                others = np.delete(hosts[o], c)
                ok[others[others >= 0]] = False
                if cl.fault_domain == "rack":
                    live_racks = rack[hosts[o][(hosts[o] >= 0) & alive[o]]]
                    ok &= ~np.isin(rack, live_racks)
                cand = np.flatnonzero(ok)
                if not len(cand):
                    plan.impossible.add((si, o))
                    continue
                target = int(cand[np.lexsort((-free[cand], plan.host_bytes[cand]))[0]])
                free[target] -= size
            plan.moves.append((si, o, c, target))
            if size <= 0 or target == WITNESS_HOST:
                continue
            src = _sources(objs, hosts, alive, o, c, plan.host_bytes)
            if not src:
                plan.impossible.add((si, o))
                continue
            plan.written_bytes += size
            plan.host_bytes[target] += size
            for s in src:
                hs = int(hosts[o, s])
                plan.read_bytes += size
                plan.host_bytes[hs] += size
                plan.pair_bytes[(hs, target)] = plan.pair_bytes.get((hs, target), 0.0) + size
                if site[hs] != site[target]:
                    plan.inter_site_bytes += size
    rates = host_rates(cl, spec)
    busy = plan.host_bytes > 0
    times = [0.0]
    if busy.any():
        with np.errstate(divide="ignore"):
            times.append(float(np.max(plan.host_bytes[busy] * 8.0 / rates[busy])))
    if plan.inter_site_bytes > 0:
        times.append(plan.inter_site_bytes * 8.0 / cl.inter_site_bps)
    plan.duration_s = max(times)
    plan.rate_bps = plan.written_bytes * 8.0 / plan.duration_s if plan.duration_s > 0 else 0.0
    return plan
