"""Routing over the active fabric: destination groups, switch-hop distances, ECMP paths per flow.

- Forwarding uses the active links only (not failed, not blocked by spanning tree). On a spanning
  tree there is one path; elsewhere every switch forwards a destination's traffic over all its
  next hops one switch hop closer (equal-cost multipath, hop-count metric), and hosts never
  forward. With a failed link or switch the distances are recomputed: traffic reroutes.
- Hosts with the same attachment switches form a destination group (usually a rack); routing
  tables are per group, so their size does not grow with hosts.
- The next hop of a flow at a node is candidate ``H(5-tuple, seed of the node) mod n`` (candidates in
  link-id order). Seeds come from ``rng.stream(seed, "fabric.ecmp")``: one per switch, or one value
  for all (``ecmp.seeds: same``), which correlates the choices of successive switches: polarization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.fabric.kernels import bfs_to_groups, flow_paths
from vnetsim.fabric.topology import Fabric


@dataclass
class Routing:
    """Active-link adjacency, destination groups and their distance table for one fabric."""

    fabric: Fabric
    out_ptr: np.ndarray
    out_link: np.ndarray
    sw_ptr: np.ndarray
    sw_link: np.ndarray
    hin_ptr: np.ndarray
    hin_link: np.ndarray
    link_src: np.ndarray
    link_dst: np.ndarray
    is_host: np.ndarray
    group_of_host: np.ndarray
    group_ptr: np.ndarray
    group_sw: np.ndarray
    swi: np.ndarray
    sw_nodes: np.ndarray
    dist: np.ndarray
    seeds: np.ndarray

    @property
    def n_groups(self) -> int:
        return len(self.group_ptr) - 1

    def paths(self, src_host: np.ndarray, dst_host: np.ndarray, key0: np.ndarray, key1: np.ndarray):
        """ECMP paths (directed link ids, -1 padded) and lengths (0 = unreachable) of flows."""
        f = self.fabric
        src = f.hosts[np.asarray(src_host, np.int64)]
        dst = f.hosts[np.asarray(dst_host, np.int64)]
        grp = self.group_of_host[np.asarray(dst_host, np.int64)]
        reach = self.dist.max() if self.dist.size else 0
        max_len = int(max(reach, 0)) + 3
        src_ok = self.group_of_host[np.asarray(src_host, np.int64)] >= 0
        grp = np.where(src_ok, grp, -1).astype(np.int64)
        return flow_paths(src, dst, grp, np.asarray(key0, np.uint64), np.asarray(key1, np.uint64), self.dist,
                          self.swi, self.is_host, self.out_ptr, self.out_link, self.sw_ptr, self.sw_link,
                          self.hin_ptr, self.hin_link, self.link_src, self.link_dst, self.seeds, max_len)


def build_routing(fabric: Fabric, seed: int, same_seed: bool = False) -> Routing:
    """Adjacency of active links, destination groups, BFS distances and per-node hash seeds."""
    active_link = np.repeat(fabric.active_cable, 2)
    src = fabric.link_src
    dst = fabric.link_dst
    links = np.nonzero(active_link)[0]
    order = np.lexsort((links, src[links]))
    out_link = links[order].astype(np.int64)
    is_host = fabric.is_host
    is_switch = ~is_host
    out_ptr = _ptr(src[out_link], fabric.n_nodes)
    # the same links split two ways: towards switches (by source), and into hosts (by host)
    sw_link = out_link[is_switch[dst[out_link]]]
    sw_ptr = _ptr(src[sw_link], fabric.n_nodes)
    into = out_link[is_host[dst[out_link]]]
    hin_link = into[np.lexsort((into, dst[into]))]
    hin_ptr = _ptr(dst[hin_link], fabric.n_nodes)

    # destination groups: hosts with the same set of (live) attachment switches
    cu, cv = fabric.cable_u, fabric.cable_v
    host_cables = np.nonzero(fabric.active_cable & (is_host[cu] | is_host[cv]))[0]
    host_of = np.where(is_host[cu[host_cables]], cu[host_cables], cv[host_cables])
    sw_of = np.where(is_host[cu[host_cables]], cv[host_cables], cu[host_cables])
    host_index = np.full(fabric.n_nodes, -1, np.int64)
    host_index[fabric.hosts] = np.arange(fabric.n_hosts)
    attach: dict[int, set[int]] = {}
    for h, s in zip(host_index[host_of].tolist(), sw_of.tolist()):
        if not fabric.failed_node[s]:
            attach.setdefault(h, set()).add(s)
    signature: dict[tuple[int, ...], int] = {}
    group_of_host = np.full(fabric.n_hosts, -1, np.int64)
    for h in range(fabric.n_hosts):
        sws = attach.get(h)
        if sws:
            group_of_host[h] = signature.setdefault(tuple(sorted(sws)), len(signature))
    group_ptr = np.zeros(len(signature) + 1, np.int64)
    group_sw_list: list[int] = []
    for sig, g in sorted(signature.items(), key=lambda kv: kv[1]):
        group_sw_list.extend(sig)
        group_ptr[g + 1] = len(group_sw_list)
    group_sw = np.array(group_sw_list, np.int64)
    sw_nodes = np.nonzero(is_switch)[0]
    swi = np.full(fabric.n_nodes, -1, np.int64)
    swi[sw_nodes] = np.arange(len(sw_nodes))
    dist = bfs_to_groups(group_ptr, group_sw, sw_ptr, sw_link, dst, swi, len(sw_nodes))

    rng = stream(seed, "fabric.ecmp")
    if same_seed:
        seeds = np.full(fabric.n_nodes, rng.integers(0, 2**63, dtype=np.uint64), np.uint64)
    else:
        seeds = rng.integers(0, 2**63, size=fabric.n_nodes, dtype=np.uint64)
    return Routing(fabric, out_ptr, out_link, sw_ptr, sw_link, hin_ptr, hin_link, src, dst, is_host, group_of_host,
                   group_ptr, group_sw, swi, sw_nodes, dist, seeds)


def _ptr(keys: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointers for ``keys`` already grouped in ascending order."""
    ptr = np.zeros(n + 1, np.int64)
    ptr[1:] = np.cumsum(np.bincount(keys, minlength=n))
    return ptr
