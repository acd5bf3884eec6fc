"""What a fabric run reports, computed from the fabric, its routes and link loads.

- hop count = switches a packet crosses (path links - 1); "all pairs" counts every ordered pair of
  reachable hosts, "traffic" every flow;
- unloaded latency = the zero-queueing latency of one frame along the path, with the same rules
  as the packet level (serialization per link, switch latency, cut-through credit, propagation);
- bisection bandwidth = max flow from the hosts of the first half of the racks to those of the
  second half over active links (computed, so STP blocking and failures count);
- oversubscription per switch tier = bandwidth towards lower tiers / bandwidth to the same or
  higher tiers (leaf: servers / uplinks), over built links and over usable (active) links;
- optics: two transceivers per switch-to-switch cable; host cables are DAC (assumption).
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np

from vnetsim.fabric.ports import format_speed
from vnetsim.fabric.routing import Routing
from vnetsim.fabric.topology import TIER_RANK, Fabric
from vnetsim.fabric.traffic import make_flows
from vnetsim.net.ethernet import WIRE_GAP_BYTES


def unloaded_latency_ns(fabric: Fabric, paths: np.ndarray, plen: np.ndarray, frame_bytes) -> np.ndarray:
    """Zero-queueing latency (offer to last bit at the destination NIC) along each path."""
    n = len(plen)
    speed = fabric.link_speed_bps
    prop = fabric.link_prop_ns
    lat = fabric.latency_ns[fabric.link_dst]
    cut = fabric.cut_through[fabric.link_dst]
    wire = np.broadcast_to(np.asarray(frame_bytes, np.float64) + WIRE_GAP_BYTES, (n,))
    dep = np.zeros(n)
    prev = np.zeros(n, np.int64)
    svc_prev = np.zeros(n)
    for i in range(paths.shape[1] if n else 0):
        link = paths[:, i].astype(np.int64)
        valid = link >= 0
        lk = np.where(valid, link, 0)
        svc = wire * 8e9 / speed[lk]
        if i == 0:
            new = svc
        else:
            back = np.where(cut[prev] & (speed[lk] <= speed[prev]), svc_prev, 0.0)
            new = dep + prop[prev] + lat[prev] - back + svc
        dep = np.where(valid, new, dep)
        prev = np.where(valid, lk, prev)
        svc_prev = np.where(valid, svc, svc_prev)
    out = dep + prop[prev]
    return np.where(plen > 0, out, np.nan)


def group_pairs(fabric: Fabric, routing: Routing, frame_bytes: int) -> dict:
    """Hop counts and unloaded latency over all ordered pairs of reachable hosts (via one
    representative path per pair of destination groups, weighted by the pairs it stands for)."""
    g_of = routing.group_of_host
    G = routing.n_groups
    if G == 0:
        return {"pairs": 0}
    racks = int(fabric.host_rack.max()) + 1
    ok = g_of >= 0
    M = np.zeros((G, racks), np.int64)
    np.add.at(M, (g_of[ok], fabric.host_rack[ok]), 1)
    size = M.sum(axis=1)
    members = [np.nonzero(g_of == g)[0] for g in range(G)]
    g1, g2 = (m.ravel() for m in np.meshgrid(np.arange(G), np.arange(G), indexing="ij"))
    pairs = size[g1] * size[g2] - np.where(g1 == g2, size[g1], 0)
    same_rack = (M @ M.T)[g1, g2] - np.where(g1 == g2, size[g1], 0)
    cross = pairs - same_rack
    keep = pairs > 0
    g1, g2, pairs, cross = g1[keep], g2[keep], pairs[keep], cross[keep]
    first = np.array([m[0] for m in members], np.int64)
    second = np.array([m[1] if len(m) > 1 else -1 for m in members], np.int64)
    h1 = first[g1]
    h2 = np.where(g1 == g2, second[g2], first[g2])
    rep = make_flows(h1, h2, 0.0, frame_bytes, 0)
    rep.sport[:] = 49152
    paths, plen = routing.paths(h1, h2, rep.key0, rep.key1)
    hops = plen.astype(np.int64) - 1
    unl = unloaded_latency_ns(fabric, paths, plen, frame_bytes)
    reach = plen > 0

    def dist(weights: np.ndarray) -> dict[str, int]:
        w = np.where(reach, weights, 0)
        c = np.bincount(np.maximum(hops, 0), weights=w)
        return {str(h): int(v) for h, v in enumerate(c) if v > 0}

    def lat(weights: np.ndarray) -> dict:
        w = np.where(reach, weights, 0).astype(np.float64)
        if w.sum() == 0:
            return {"pairs": 0}
        x = np.where(reach, unl, 0.0)
        sel = w > 0
        return {"pairs": int(w.sum()), "min_ns": float(x[sel].min()), "mean_ns": float((x * w).sum() / w.sum()),
                "max_ns": float(x[sel].max()), "spread_ns": float(x[sel].max() - x[sel].min())}

    return {
        "hops_all_pairs": dist(pairs),
        "hops_cross_rack": dist(cross),
        "unloaded_all_pairs": lat(pairs),
        "unloaded_cross_rack": lat(cross),
        "unreachable_hosts": int((~ok).sum()),
    }


def bisection_bps(fabric: Fabric) -> float:
    """Max flow from the first half of the racks' hosts to the second half's, over active links."""
    racks = int(fabric.host_rack.max()) + 1 if fabric.n_hosts else 0
    if racks < 2:
        half = fabric.n_hosts // 2
        side = np.arange(fabric.n_hosts) < half
    else:
        side = fabric.host_rack < racks // 2
    host_node_side = np.full(fabric.n_nodes, -1)
    host_node_side[fabric.hosts] = side.astype(int)
    g = nx.DiGraph()
    act = fabric.active_cable
    for c in np.nonzero(act)[0]:
        u, v, s = int(fabric.cable_u[c]), int(fabric.cable_v[c]), float(fabric.cable_speed_bps[c])
        su, sv = host_node_side[u], host_node_side[v]
        if su >= 0 or sv >= 0:  # host cable: source side feeds S, sink side drains to T
            h, sw, hs = (u, v, su) if su >= 0 else (v, u, sv)
            a, b = ("S", sw) if hs == 1 else (sw, "T")
        else:
            a, b = u, v
            for x, y in ((u, v), (v, u)):
                cap = g.edges[x, y]["capacity"] + s if g.has_edge(x, y) else s
                g.add_edge(x, y, capacity=cap)
            continue
        cap = g.edges[a, b]["capacity"] + s if g.has_edge(a, b) else s
        g.add_edge(a, b, capacity=cap)
    if "S" not in g or "T" not in g:
        return 0.0
    return float(nx.maximum_flow_value(g, "S", "T"))


def counts(fabric: Fabric) -> dict:
    """Switches, ports, cables and optics."""
    is_host = fabric.is_host
    sw = ~is_host
    tiers = Counter(t for t, h in zip(fabric.tier, is_host) if not h)
    failed = Counter(fabric.tier[i] for i in np.nonzero(fabric.failed_node & sw)[0])
    cu, cv = fabric.cable_u, fabric.cable_v
    used: Counter[str] = Counter()
    for node in np.concatenate([cu, cv]).tolist():
        if sw[node]:
            used[fabric.tier[node]] += 1
    kinds = Counter(fabric.cable_kind)
    fabric_cables = sw[cu] & sw[cv]
    optics: Counter[str] = Counter()
    for c in np.nonzero(fabric_cables)[0]:
        optics[format_speed(fabric.cable_speed_bps[c])] += 2
    return {
        "switches": {"total": int(sw.sum()), **{k: int(v) for k, v in sorted(tiers.items())}},
        "failed_switches": {k: int(v) for k, v in sorted(failed.items())},
        "switch_ports": {"total": int(fabric.node_ports[sw].sum()), "used": int(sum(used.values())),
                         "used_by_tier": {k: int(v) for k, v in sorted(used.items())}},
        "cables": {"total": fabric.n_cables, **{k: int(v) for k, v in sorted(kinds.items())}},
        "optics": {"total": int(sum(optics.values())), **{k: int(v) for k, v in sorted(optics.items())}},
        "hosts": fabric.n_hosts,
        "racks": int(fabric.host_rack.max()) + 1 if fabric.n_hosts else 0,
    }


def oversubscription(fabric: Fabric) -> dict:
    """Per switch tier: min and max of down / (same or higher tier) bandwidth; built and usable."""
    rank = np.array([TIER_RANK[t] for t in fabric.tier])
    cu, cv, s = fabric.cable_u, fabric.cable_v, fabric.cable_speed_bps
    alive = ~(fabric.failed_cable | fabric.failed_node[cu] | fabric.failed_node[cv])
    out: dict[str, dict] = {}
    for label, mask in (("built", alive), ("usable", fabric.active_cable)):
        down = np.zeros(fabric.n_nodes)
        up = np.zeros(fabric.n_nodes)
        for a, b in ((cu, cv), (cv, cu)):
            lower = rank[b] < rank[a]
            np.add.at(down, a[mask & lower], s[mask & lower])
            hi = mask & ~lower & (rank[b] > 0)
            np.add.at(up, a[hi], s[hi])
        for tier in sorted({t for t in fabric.tier if t != "host"}):
            nodes = np.array([i for i, t in enumerate(fabric.tier) if t == tier and not fabric.failed_node[i]])
            if not len(nodes):
                continue
            d, u = down[nodes], up[nodes]
            has = (d > 0) & (u > 0)
            if not has.any():
                continue
            ratio = d[has] / u[has]
            out.setdefault(tier, {})[label] = {"min": float(ratio.min()), "max": float(ratio.max())}
    return out


def link_classes(fabric: Fabric, utilization: np.ndarray) -> dict:
    """ECMP balance per switch-to-switch link class: mean/min/max utilization, idle share and
    max/mean (1.0 = perfectly even; idle links in a class that should share load = polarization)."""
    classes = fabric.link_class()
    active = np.repeat(fabric.active_cable, 2)
    sw = ~fabric.is_host
    src, dst = fabric.link_src, fabric.link_dst
    out = {}
    by: dict[str, list[int]] = {}
    for l, c in enumerate(classes):
        if active[l] and sw[src[l]] and sw[dst[l]]:
            by.setdefault(c, []).append(l)
    for c, links in sorted(by.items()):
        u = utilization[np.array(links)]
        mean = float(u.mean())
        out[c] = {"links": len(links), "mean": mean, "min": float(u.min()), "max": float(u.max()),
                  "idle_fraction": float((u == 0).mean()),
                  "max_over_mean": float(u.max() / mean) if mean > 0 else None}
    return out


def hop_distribution(plen: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Switch hops per flow (or weighted), as {hops: count}."""
    ok = plen > 0
    w = None if weights is None else np.asarray(weights)[ok]
    c = np.bincount(plen[ok] - 1, weights=w)
    return {str(h): (int(v) if weights is None else float(v)) for h, v in enumerate(c) if v > 0}

