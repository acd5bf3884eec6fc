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

import numba
import numpy as np

from vnetsim.storage.rebuild.spec import ADAPTIVE_SHARE, RebuildCluster, RebuildSpec, ResyncPlan


def resync_rates(capacity_bps, foreground_bps, throttle_bps: float, adaptive: bool,
                 adaptive_share: float = ADAPTIVE_SHARE) -> np.ndarray:
    """The bits per second hosts give a resync: their resync capacity less what foreground I/O
    uses of it, at least ``adaptive_share`` of the capacity under adaptive resync, at most the
    throttle. The one formula of both the rebuild timeline (``host_rates``) and the availability
    model's rebuild bandwidth (``vnetsim.storage.reliability``)."""
    cap = np.asarray(capacity_bps, np.float64)
    rate = np.maximum(cap - np.asarray(foreground_bps, np.float64), 0.0)
    if adaptive:
        rate = np.maximum(rate, adaptive_share * cap)
    return np.minimum(rate, throttle_bps)


def host_rates(cluster: RebuildCluster, spec: RebuildSpec) -> np.ndarray:
    """Per host, the bits per second it gives a resync (``resync_rates``)."""
    cap = np.asarray(cluster.resync_bps, np.float64)
    fg = np.asarray(cluster.foreground_bps, np.float64) if cluster.foreground_bps else np.zeros_like(cap)
    return resync_rates(cap, fg, spec.throttle_bps, spec.adaptive, spec.adaptive_share)


IMPOSSIBLE = -2                  # no target (WITNESS_HOST, -1, is a place)


@numba.njit(cache=True, nogil=True)
def _plan_set(todo_o, todo_c, hosts, alive, copy, size, site, rack, rack_fd, host_up, free, load, pair, in_place, k):
    """Targets and sources of one object set's components to resync, in order (see the module
    docstring); returns per component its target (``IMPOSSIBLE``: cannot be re-protected; a witness
    appliance's own components come back in place as ``WITNESS_HOST``) and the written,
    read and inter-site bytes. ``load`` (bytes per host), ``pair`` (source x target bytes) and
    ``free`` accumulate."""
    m = todo_o.shape[0]
    n = site.shape[0]
    width = hosts.shape[1]
    target = np.full(m, IMPOSSIBLE, np.int64)
    written = 0.0
    read = 0.0
    inter = 0.0
    src = np.empty(width, np.int64)
    taken = np.zeros(width, np.bool_)
    for i in range(m):
        o, c = todo_o[i], todo_c[i]
        h0 = hosts[o, c]
        sz = size[o, c]
        if in_place:
            t = h0
        else:
            if h0 < 0:
                continue                       # a witness appliance's component: no other place
            t = -1
            for h in range(n):
                if not host_up[h] or site[h] != site[h0] or free[h] < sz:
                    continue
                clash = False
                for j in range(width):
                    hj = hosts[o, j]
                    if hj < 0:
                        continue
                    if (j != c and hj == h) or (rack_fd and alive[o, j] and rack[hj] == rack[h]):
                        clash = True
                        break
                if clash:
                    continue
                if t < 0 or load[h] < load[t] or (load[h] == load[t] and free[h] > free[t]):
                    t = h
            if t < 0:
                continue
        if sz <= 0 or t < 0:                   # nothing to write (a witness component, or nothing stale)
            target[i] = t
            if not in_place and t >= 0:
                free[t] -= sz
            continue
        # sources: live data components of its own copy, else of the other, least loaded first
        ns = 0
        for pass_ in range(2):
            cnt = 0
            for j in range(width):
                if alive[o, j] and copy[o, j] >= 0 and (copy[o, j] == copy[o, c]) == (pass_ == 0):
                    cnt += 1
            if cnt >= k:
                taken[:] = False
                for _ in range(k):
                    best = -1
                    for j in range(width):
                        if alive[o, j] and copy[o, j] >= 0 and (copy[o, j] == copy[o, c]) == (pass_ == 0) \
                                and not taken[j] and (best < 0 or load[hosts[o, j]] < load[hosts[o, best]]):
                            best = j
                    taken[best] = True
                    src[ns] = best
                    ns += 1
                break
        if ns == 0:
            continue                           # nothing left to copy from
        target[i] = t
        if not in_place:
            free[t] -= sz
        written += sz
        load[t] += sz
        for q in range(ns):
            hs = hosts[o, src[q]]
            read += sz
            load[hs] += sz
            pair[hs, t] += sz
            if site[hs] != site[t]:
                inter += sz
    return target, written, read, inter


def plan_resync(spec: RebuildSpec, sets_hosts: list[np.ndarray], sets_alive: list[np.ndarray],
                todo: list[np.ndarray], host_up: np.ndarray, free: np.ndarray, in_place: bool = False,
                stale_bytes: list[np.ndarray] | None = None) -> ResyncPlan:
    """Plan the resync of the components marked in ``todo`` (per set, objects x components), in
    object order (compiled: ``_plan_set``).

    ``in_place``: the components come back where they were (a host that returned) and only
    ``stale_bytes`` of each is written; else each gets a new host (capacity reserved in ``free``).
    """
    cl = spec.cluster
    site = np.asarray(cl.site_of_host, np.int64)
    rack = np.asarray(cl.rack_of_host, np.int64)
    n = cl.hosts
    plan = ResyncPlan(host_bytes=np.zeros(n))
    pair = np.zeros((n, n))
    for si, objs in enumerate(spec.objects):
        o_idx, c_idx = np.nonzero(todo[si])
        if not len(o_idx):
            continue
        size = stale_bytes[si] if in_place and stale_bytes is not None else objs.size_bytes
        target, written, read, inter = _plan_set(
            o_idx.astype(np.int64), c_idx.astype(np.int64), np.ascontiguousarray(sets_hosts[si], np.int64),
            np.ascontiguousarray(sets_alive[si], np.bool_), np.ascontiguousarray(objs.copy, np.int64),
            np.ascontiguousarray(size, np.float64), site, rack, cl.fault_domain == "rack",
            np.ascontiguousarray(host_up, np.bool_), free, plan.host_bytes, pair, in_place,
            1 if objs.kind == "raid1" else objs.data_fragments)
        plan.written_bytes += written
        plan.read_bytes += read
        plan.inter_site_bytes += inter
        ok = target != IMPOSSIBLE
        plan.moves += list(zip([si] * int(ok.sum()), o_idx[ok].tolist(), c_idx[ok].tolist(), target[ok].tolist()))
        plan.impossible |= {(si, int(o)) for o in o_idx[~ok]}
    src_h, dst_h = np.nonzero(pair)
    plan.pair_bytes = {(int(a), int(b)): float(pair[a, b]) for a, b in zip(src_h, dst_h)}
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
