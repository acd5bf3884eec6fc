"""Compiled kernels of the fabric: ECMP hashing, BFS distances, per-flow paths, expected splits.

Mechanics only; routing.py and flowlevel.py say what they mean. All integer hashing is done in
uint64 so that numba never promotes to float.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.rng import mix64


@numba.njit(cache=True, nogil=True)
def ecmp_hash(key0, key1, seed):
    """H(5-tuple, seed): the tuple packed in two words, mixed with the switch's seed (splitmix64's
    finalizer, ``vnetsim.engine.rng.mix64``)."""
    return mix64(mix64(key0 ^ seed) ^ key1)


@numba.njit(cache=True, nogil=True)
def bfs_to_groups(group_ptr, group_sw, sw_ptr, sw_link, link_dst, swi, n_switches):
    """dist[g, swi[node]]: switch hops from a switch to the nearest attachment switch of group g
    over active switch-to-switch links; -1 where unreachable. Only switches have a column."""
    n_groups = group_ptr.shape[0] - 1
    dist = np.full((n_groups, n_switches), -1, np.int32)
    queue = np.empty(n_switches, np.int64)
    for g in range(n_groups):
        head = 0
        tail = 0
        for j in range(group_ptr[g], group_ptr[g + 1]):
            s = group_sw[j]
            if dist[g, swi[s]] < 0:
                dist[g, swi[s]] = 0
                queue[tail] = s
                tail += 1
        while head < tail:
            x = queue[head]
            head += 1
            dx = dist[g, swi[x]]
            for j in range(sw_ptr[x], sw_ptr[x + 1]):
                v = link_dst[sw_link[j]]
                if dist[g, swi[v]] < 0:
                    dist[g, swi[v]] = dx + 1
                    queue[tail] = v
                    tail += 1
    return dist


@numba.njit(cache=True, nogil=True, inline="always")
def _dist(dist, g, swi, node):
    return dist[g, swi[node]]


@numba.njit(cache=True, nogil=True)
def flow_paths(src, dst, grp, key0, key1, dist, swi, is_host, out_ptr, out_link, sw_ptr, sw_link, hin_ptr,
               hin_link, link_src, link_dst, seeds, max_len):
    """Hop-by-hop ECMP walk of each flow: at every node, the next hops that bring it one switch
    hop closer to the destination group (a host: its NICs on the nearest switches; the last switch:
    the cables to the destination host); pick = H(5-tuple, node seed) mod count, candidates in
    link-id order. Returns paths (link ids, -1 padded) and lengths (0: unreachable)."""
    n = src.shape[0]
    paths = np.full((n, max_len), -1, np.int32)
    plen = np.zeros(n, np.int32)
    for f in range(n):
        g = grp[f]
        if g < 0:
            continue
        node = src[f]
        target = dst[f]
        k = 0
        ok = True
        while node != target:
            # mode 0: a host's NICs at the minimal distance; 1: this switch's cables to the target
            # host; 2: switch neighbours one hop closer
            if is_host[node]:
                mode, arr, a, b = 0, out_link, out_ptr[node], out_ptr[node + 1]
            elif _dist(dist, g, swi, node) == 0:
                mode, arr, a, b = 1, hin_link, hin_ptr[target], hin_ptr[target + 1]
            else:
                mode, arr, a, b = 2, sw_link, sw_ptr[node], sw_ptr[node + 1]
            want = 1 << 30
            if mode == 0:
                for j in range(a, b):
                    d = _dist(dist, g, swi, link_dst[arr[j]])
                    if d >= 0 and d < want:
                        want = d
            elif mode == 2:
                want = _dist(dist, g, swi, node) - 1
            count = 0
            for j in range(a, b):
                l = arr[j]
                if (link_src[l] == node) if mode == 1 else (_dist(dist, g, swi, link_dst[l]) == want):
                    count += 1
            if count == 0 or k >= max_len:
                ok = False
                break
            pick = np.int64(ecmp_hash(key0[f], key1[f], seeds[node]) % np.uint64(count))
            chosen = -1
            for j in range(a, b):
                l = arr[j]
                if (link_src[l] == node) if mode == 1 else (_dist(dist, g, swi, link_dst[l]) == want):
                    if pick == 0:
                        chosen = l
                        break
                    pick -= 1
            paths[f, k] = chosen
            k += 1
            node = link_dst[chosen]
        plen[f] = k if ok else 0
    return paths, plen


@numba.njit(cache=True, nogil=True)
def expected_loads(inj_ptr, inj_node, inj_rate, in_ptr, in_node, in_rate, group_ptr, group_sw, dist, swi,
                   sw_nodes, out_ptr, out_link, sw_ptr, sw_link, hin_ptr, hin_link, link_src, link_dst, n_links):
    """Expected link loads when every node splits each destination group's load equally over its
    next hops (the mean of per-flow hashing with independent per-switch seeds).

    Per group g: ``inj_*[inj_ptr[g]:inj_ptr[g+1]]`` are (source host, rate) injections and
    ``in_*[in_ptr[g]:...]`` (destination host, inbound rate) the deliveries."""
    n_groups = inj_ptr.shape[0] - 1
    n_nodes = swi.shape[0]
    load = np.zeros(n_links, np.float64)
    node_load = np.zeros(n_nodes, np.float64)
    for g in range(n_groups):
        node_load[:] = 0.0
        maxd = 0
        for i in range(sw_nodes.shape[0]):
            if dist[g, i] > maxd:
                maxd = dist[g, i]
        for j in range(inj_ptr[g], inj_ptr[g + 1]):
            h = inj_node[j]
            want = 1 << 30
            for m in range(out_ptr[h], out_ptr[h + 1]):
                d = _dist(dist, g, swi, link_dst[out_link[m]])
                if d >= 0 and d < want:
                    want = d
            count = 0
            for m in range(out_ptr[h], out_ptr[h + 1]):
                if _dist(dist, g, swi, link_dst[out_link[m]]) == want:
                    count += 1
            for m in range(out_ptr[h], out_ptr[h + 1]):
                l = out_link[m]
                if count > 0 and _dist(dist, g, swi, link_dst[l]) == want:
                    share = inj_rate[j] / count
                    load[l] += share
                    node_load[link_dst[l]] += share
        for d in range(maxd, 0, -1):
            for i in range(sw_nodes.shape[0]):
                x = sw_nodes[i]
                if dist[g, i] != d or node_load[x] == 0.0:
                    continue
                count = 0
                for m in range(sw_ptr[x], sw_ptr[x + 1]):
                    if _dist(dist, g, swi, link_dst[sw_link[m]]) == d - 1:
                        count += 1
                for m in range(sw_ptr[x], sw_ptr[x + 1]):
                    l = sw_link[m]
                    v = link_dst[l]
                    if _dist(dist, g, swi, v) == d - 1:
                        share = node_load[x] / count
                        load[l] += share
                        node_load[v] += share
        total = 0.0
        for a in range(group_ptr[g], group_ptr[g + 1]):
            total += node_load[group_sw[a]]
        if total == 0.0:
            continue
        for j in range(in_ptr[g], in_ptr[g + 1]):
            h = in_node[j]
            for a in range(group_ptr[g], group_ptr[g + 1]):
                x = group_sw[a]
                if node_load[x] == 0.0:
                    continue
                count = 0
                for m in range(hin_ptr[h], hin_ptr[h + 1]):
                    if link_src[hin_link[m]] == x:
                        count += 1
                for m in range(hin_ptr[h], hin_ptr[h + 1]):
                    if link_src[hin_link[m]] == x:
                        load[hin_link[m]] += in_rate[j] * node_load[x] / total / count
    return load
