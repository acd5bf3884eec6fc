"""Spanning tree (IEEE 802.1D): which inter-switch links forward and which are blocked, computed.

The converged state of the protocol on point-to-point links, computed directly:
- bridge id = priority (default 32768) * 2**48 + a MAC-like index; the root bridge is the lowest id;
- a port's path cost is 2*10**13 / link speed in b/s (the 802.1D-2004 recommended values:
  20,000 at 1 Gb/s, 2,000 at 10 Gb/s, 200 at 100 Gb/s);
- every other bridge's root port is the port with the lowest (root path cost through it, neighbour
  bridge id, neighbour port id, own port id); port id = 128 * 4096 + port number;
- on a point-to-point link that is not some bridge's root-port link, one end is designated and
  the other alternate (discarding): the link is blocked.
So the forwarding links are exactly the root-port links: one per non-root bridge, a tree that
spans every bridge of each connected component. Edge ports (to hosts) always forward.
Assumptions: no shared segments, one tree for all VLANs (no MSTP/PVST load-sharing).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

DEFAULT_PRIORITY = 32768
PORT_PRIORITY = 128


def path_cost(speed_bps: float) -> int:
    """802.1D-2004 recommended port path cost for a link speed."""
    return max(1, int(round(2e13 / speed_bps)))


@dataclass
class StpResult:
    """Converged tree: roots, root path costs, root-port cable per bridge, blocked cables."""

    roots: list[int]
    root_cost: dict[int, int]
    root_port_cable: dict[int, int]
    forwarding: set[int]
    blocked: set[int]
    bridge_id: dict[int, int] = field(default_factory=dict)


def spanning_tree(bridges: list[int], cables: list[tuple[int, int, int, float]],
                  priority: dict[int, int] | None = None) -> StpResult:
    """Compute the tree over ``bridges`` (node ids) joined by ``cables`` (cable id, u, v, speed_bps).

    The MAC-like part of a bridge id is its node id, so with equal priorities the lowest node id
    wins. Port numbers follow cable id order at each bridge.
    """
    priority = priority or {}
    bid = {b: (priority.get(b, DEFAULT_PRIORITY) << 48) | b for b in bridges}
    ports: dict[int, list[tuple[int, int, int]]] = {b: [] for b in bridges}  # (cable, neighbour, cost)
    for c, u, v, speed in sorted(cables):
        cost = path_cost(speed)
        ports[u].append((c, v, cost))
        ports[v].append((c, u, cost))
    port_id = {}
    for b, plist in ports.items():
        for number, (c, _n, _cost) in enumerate(plist, start=1):
            port_id[(b, c)] = PORT_PRIORITY * 4096 + number

    root_cost: dict[int, int] = {}
    roots: list[int] = []
    for b in sorted(bridges, key=lambda x: bid[x]):
        if b in root_cost:
            continue
        # b has the lowest id of its (not yet seen) component: it is that component's root.
        roots.append(b)
        root_cost[b] = 0
        heap = [(0, bid[b], b)]
        while heap:
            d, _, x = heapq.heappop(heap)
            if d > root_cost.get(x, d):
                continue
            for _c, n, cost in ports[x]:
                nd = d + cost
                if nd < root_cost.get(n, 1 << 62):
                    root_cost[n] = nd
                    heapq.heappush(heap, (nd, bid[n], n))

    root_port: dict[int, int] = {}
    for b in bridges:
        if b in roots:
            continue
        best = min((root_cost[n] + cost, bid[n], port_id[(n, c)], port_id[(b, c)], c)
                   for c, n, cost in ports[b])
        root_port[b] = best[4]
    forwarding = set(root_port.values())
    blocked = {c for c, _u, _v, _s in cables} - forwarding
    return StpResult(roots, root_cost, root_port, forwarding, blocked, bid)
