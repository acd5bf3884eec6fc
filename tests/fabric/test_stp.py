"""Spanning tree: the forwarding links span every switch with no loop; blocked links are the rest."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.fabric.config import FabricConfig
from vnetsim.fabric.stp import path_cost, spanning_tree
from vnetsim.fabric.topology import build_fabric


def _check_tree(bridges, cables, res):
    g = nx.MultiGraph()
    g.add_nodes_from(bridges)
    for c, u, v, _s in cables:
        if c in res.forwarding:
            g.add_edge(u, v, key=c)
    assert nx.is_forest(g)  # no loop
    full = nx.MultiGraph()
    full.add_nodes_from(bridges)
    full.add_edges_from((u, v) for _c, u, v, _s in cables)
    # spans each connected component: same components, one root per component
    assert sorted(map(sorted, nx.connected_components(g))) == sorted(map(sorted, nx.connected_components(full)))
    assert len(res.roots) == nx.number_connected_components(full)
    assert res.blocked == {c for c, *_ in cables} - res.forwarding
    assert len(res.forwarding) == len(bridges) - len(res.roots)


def test_path_costs_802_1d_2004():
    assert [path_cost(x) for x in (1e9, 10e9, 100e9, 25e9)] == [20000, 2000, 200, 800]


def test_ring_blocks_the_link_farthest_from_the_root():
    # 6 bridges in a ring, equal priorities: bridge 0 is root; bridge 3 is 3 hops both ways and
    # takes its root port towards the lower bridge id (2), so link 3-4 is blocked.
    cables = [(i, i, (i + 1) % 6, 10e9) for i in range(6)]
    res = spanning_tree(list(range(6)), cables)
    assert res.roots == [0]
    assert res.blocked == {3}
    _check_tree(list(range(6)), cables, res)


def test_priority_moves_the_root():
    cables = [(i, i, (i + 1) % 6, 10e9) for i in range(6)]
    res = spanning_tree(list(range(6)), cables, {3: 4096})
    assert res.roots == [3]
    # bridge 0 is 3 hops from the root both ways; the tie goes to the lower neighbour id (1 < 5),
    # so its port towards 5 (cable 5, link 5-0) is the one blocked
    assert res.blocked == {5}
    _check_tree(list(range(6)), cables, res)


def test_faster_links_win_by_cost():
    # triangle 0-1 (1G), 0-2 (10G), 2-1 (10G): from 1, via 2 costs 4000 < 20000 direct, so 0-1 blocks
    cables = [(0, 0, 1, 1e9), (1, 0, 2, 10e9), (2, 2, 1, 10e9)]
    res = spanning_tree([0, 1, 2], cables)
    assert res.blocked == {0}
    assert res.root_cost == {0: 0, 2: 2000, 1: 4000}


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.data())
def test_random_graphs_give_spanning_trees(n, data):
    extra = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=12))
    base = [(i, data.draw(st.integers(0, i - 1))) for i in range(1, n)] if data.draw(st.booleans()) else []
    edges = [(u, v) for u, v in base + extra if u != v]
    speeds = [data.draw(st.sampled_from([1e9, 10e9, 25e9, 100e9])) for _ in edges]
    cables = [(c, u, v, s) for c, ((u, v), s) in enumerate(zip(edges, speeds))]
    prio = {b: data.draw(st.sampled_from([4096, 32768])) for b in range(n)}
    res = spanning_tree(list(range(n)), cables, prio)
    _check_tree(list(range(n)), cables, res)
    # the root of each component has the lowest bridge id; root path costs are shortest paths
    full = nx.Graph()
    full.add_nodes_from(range(n))
    for _c, u, v, s in cables:
        w = path_cost(s)
        if not full.has_edge(u, v) or full.edges[u, v]["w"] > w:
            full.add_edge(u, v, w=w)
    for comp in nx.connected_components(full):
        root = min(comp, key=lambda b: res.bridge_id[b])
        assert root in res.roots
        d = nx.single_source_dijkstra_path_length(full, root, weight="w")
        assert all(res.root_cost[b] == d[b] for b in comp)


def test_l2_fabric_ring_and_dual_core():
    ring = build_fabric(FabricConfig(topology="l2_stp", racks=8))
    inter = [c for c in range(ring.n_cables) if ring.cable_kind[c] == "tor-tor"]
    assert int(ring.blocked.sum()) == 1 and ring.blocked[inter].sum() == 1
    dual = build_fabric(FabricConfig(topology="l2_stp", racks=8, l2={"interconnect": "dual_core"}))
    uplinks = [c for c in range(dual.n_cables) if dual.cable_kind[c] == "tor-core"]
    # each ToR keeps one uplink: half the ToR uplinks are blocked (docs/references.md, Spanning tree: about half)
    assert dual.blocked[uplinks].sum() == len(uplinks) // 2
    assert [dual.names[r] for r in dual.stp_domains[0].roots] == ["core0"]
    g = dual.graph(active_only=True)
    g.remove_nodes_from([n for n in list(g) if dual.tier[n] == "host"])
    assert nx.is_tree(nx.Graph(g))


def test_failed_link_reconverges():
    f = build_fabric(FabricConfig(topology="l2_stp", racks=8, failures=[{"link": ["tor1", "tor2"]}]))
    assert int(f.blocked.sum()) == 0  # a ring minus one link is already a tree
    f2 = build_fabric(FabricConfig(topology="l2_stp", racks=8, failures=[{"switch": "tor0"}]))
    assert [f2.names[r] for r in f2.stp_domains[0].roots] == ["tor1"]


def test_three_tier_pods_block_access_uplinks_to_the_secondary():
    f = build_fabric(FabricConfig(topology="three_tier", racks=8))
    blocked_kinds = {f.cable_kind[c] for c in np.nonzero(f.blocked)[0]}
    assert blocked_kinds == {"access-aggregation"}
    assert int(f.blocked.sum()) == 8  # one of the two uplinks of each access switch
    names = [f"{f.names[f.cable_u[c]]}-{f.names[f.cable_v[c]]}" for c in np.nonzero(f.blocked)[0]]
    assert all(n.endswith(".1") for n in names)


def test_bad_bridge_priority():
    from vnetsim.errors import ScenarioError
    with pytest.raises(ScenarioError, match="multiple of 4096"):
        build_fabric(FabricConfig(topology="l2_stp", l2={"bridge_priority": {"tor1": 100}}))
    with pytest.raises(ScenarioError, match="no switch"):
        build_fabric(FabricConfig(topology="l2_stp", l2={"bridge_priority": {"spine9": 4096}}))
