"""ECMP by flow hash (balls into bins), polarization with one seed, STP paths, failure reroutes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from vnetsim.engine.rng import stream
from vnetsim.fabric.config import FabricConfig
from vnetsim.fabric.flowlevel import hashed_link_loads
from vnetsim.fabric.metrics import group_pairs, link_classes
from vnetsim.fabric.routing import build_routing
from vnetsim.fabric.topology import build_fabric
from vnetsim.fabric.traffic import make_flows

SPINES = 8


def _spine_counts(fabric, routing, flows):
    paths, plen = routing.paths(flows.src, flows.dst, flows.key0, flows.key1)
    assert (plen == 4).all()
    spine_of = fabric.link_dst[paths[:, 1]]
    names = np.array(fabric.names)[spine_of]
    return np.array([(names == f"spine{j}").sum() for j in range(SPINES)])


def _cross_flows(m, seed, hpr=16):
    rng = stream(seed, "test.flows")
    src = rng.integers(0, hpr, m)
    dst = hpr + rng.integers(0, hpr, m)
    return make_flows(src, dst, 1e9, 1518, seed)


@pytest.fixture(scope="module")
def two_racks():
    return build_fabric(FabricConfig(racks=2, hosts_per_rack=16, spine={"count": SPINES}))


def test_ecmp_counts_are_multinomial(two_racks):
    # m flows hashed over 8 equal next hops: counts ~ Multinomial(m, 1/8) if the hash behaves
    # like independent uniform bins. Chi-square with 7 degrees of freedom, 1e-3 level.
    m = 20000
    counts = _spine_counts(two_racks, build_routing(two_racks, 11), _cross_flows(m, 5))
    assert counts.sum() == m
    chi2 = ((counts - m / SPINES) ** 2 / (m / SPINES)).sum()
    assert chi2 < stats.chi2.ppf(0.999, SPINES - 1)
    # every share is within the Bonferroni band of its binomial marginal
    z = stats.norm.ppf(1 - 1e-3 / (2 * SPINES))
    sd = np.sqrt(m * (1 / SPINES) * (1 - 1 / SPINES))
    assert np.abs(counts - m / SPINES).max() < z * sd


@pytest.mark.parametrize("m", [200, 2000])
def test_ecmp_spread_matches_balls_into_bins(two_racks, m):
    # the spread (max - min) / mean of per-spine flow counts over many independent seeds has the
    # mean the balls-into-bins model predicts (Monte Carlo of the multinomial); tolerance 4 standard
    # errors of the difference of the two means.
    trials = 120
    flows = _cross_flows(m, 9)
    spread = []
    for r in range(trials):
        c = _spine_counts(two_racks, build_routing(two_racks, 1000 + r), flows)
        spread.append((c.max() - c.min()) / c.mean())
    spread = np.array(spread)
    ref = np.random.default_rng(0).multinomial(m, [1 / SPINES] * SPINES, size=20000)
    ref_spread = (ref.max(axis=1) - ref.min(axis=1)) / (m / SPINES)
    se = np.sqrt(spread.var(ddof=1) / trials + ref_spread.var(ddof=1) / len(ref_spread))
    assert abs(spread.mean() - ref_spread.mean()) < 4 * se
    # shares approach equal: the predicted spread shrinks like 1/sqrt(m)
    assert ref_spread.mean() < 6.0 / np.sqrt(m / SPINES)


def test_polarization_with_one_seed_everywhere():
    # k=8 fat-tree: an edge switch picks aggregation a = H mod 4; with the same seed the
    # aggregation switch computes the same H, so it always picks its uplink a: 3 of 4 idle.
    k = 8
    f = build_fabric(FabricConfig(topology="fat_tree", fat_tree={"k": k}))
    n = f.n_hosts
    rng = stream(2, "test.polar")
    src = rng.integers(0, n, 20000)
    dst = (src + rng.integers(1, n, 20000)) % n
    flows = make_flows(src, dst, 1e8, 1518, 2)
    result = {}
    for same in (False, True):
        r = build_routing(f, 4, same_seed=same)
        p, l = r.paths(flows.src, flows.dst, flows.key0, flows.key1)
        load = hashed_link_loads(f.n_links, p, l, flows.rate_bps)
        result[same] = link_classes(f, load / f.link_speed_bps)["aggregation->core"]
    assert result[True]["idle_fraction"] == pytest.approx(1 - 2 / k)
    assert result[False]["idle_fraction"] == 0.0
    assert result[False]["max_over_mean"] < 1.3 < result[True]["max_over_mean"]


def test_spine_leaf_hops_are_equal_for_every_cross_rack_pair():
    f = build_fabric(FabricConfig(racks=6, hosts_per_rack=4))
    gp = group_pairs(f, build_routing(f, 1), 1518)
    assert gp["hops_cross_rack"] == {"3": 24 * 20}
    assert gp["hops_all_pairs"] == {"1": 6 * 4 * 3, "3": 24 * 20}
    assert gp["unloaded_cross_rack"]["spread_ns"] == 0.0


def test_l2_ring_hops_depend_on_the_pair():
    f = build_fabric(FabricConfig(topology="l2_stp", racks=6, hosts_per_rack=2))
    gp = group_pairs(f, build_routing(f, 1), 1518)
    # ring 0..5 with link 3-4 blocked: the tree is the chain 4-5-0-1-2-3, rack distances 1..5
    hops = {int(h): n for h, n in gp["hops_cross_rack"].items()}
    assert sorted(hops) == [2, 3, 4, 5, 6]
    assert hops[6] == 2 * 2 * 2  # racks 3 and 4 at the ends of the chain, 2x2 hosts, both ways
    assert gp["unloaded_cross_rack"]["spread_ns"] > 0


def test_three_tier_hops_and_single_switch(build):
    b = build({"topology": "three_tier", "racks": 8, "hosts_per_rack": 2})
    gp = group_pairs(b.fabric, b.routing, 1518)
    assert sorted(int(h) for h in gp["hops_cross_rack"]) == [3, 5]
    s = build({"topology": "single_switch", "racks": 4, "hosts_per_rack": 3})
    gs = group_pairs(s.fabric, s.routing, 1518)
    assert gs["hops_all_pairs"] == {"1": 12 * 11}


def test_stp_paths_avoid_blocked_links(build):
    b = build({"topology": "l2_stp", "racks": 8, "l2": {"interconnect": "mesh"}}, {"pattern": "uniform"})
    blocked_links = np.nonzero(np.repeat(b.fabric.blocked, 2))[0]
    assert len(blocked_links) > 0
    assert not np.isin(b.paths[b.paths >= 0], blocked_links).any()
    assert (b.plen > 0).all()


def test_failed_spine_and_link_reroute(build):
    b = build({"racks": 4, "spine": {"count": 4}, "failures": [{"switch": "spine0"}]}, {"pattern": "uniform"})
    used_nodes = b.fabric.link_dst[b.paths[b.paths >= 0]]
    assert b.fabric.index["spine0"] not in used_nodes
    assert (b.plen > 0).all()
    b2 = build({"racks": 4, "spine": {"count": 4}, "failures": [{"link": ["leaf0", "spine1"]}]},
               {"pattern": "uniform", "flows_per_host": 16})
    bad = np.concatenate([b2.link_ids("leaf0", "spine1"), b2.link_ids("spine1", "leaf0")])
    assert not np.isin(b2.paths, bad).any()
    # leaf1 -> leaf0 traffic may not go through spine1 (it cannot reach leaf0 in one hop)
    to0 = b2.fabric.host_rack[b2.flows.dst] == 0
    assert not np.isin(b2.paths[to0], b2.link_ids("spine1", "leaf0")).any()
    assert not np.isin(b2.paths[to0 & (b2.fabric.host_rack[b2.flows.src] != 0)],
                       np.concatenate([b2.link_ids(f"leaf{r}", "spine1") for r in (1, 2, 3)])).any()
    assert (b2.plen[b2.fabric.host_rack[b2.flows.src] != b2.fabric.host_rack[b2.flows.dst]] == 4).all()


def test_failed_leaf_makes_its_hosts_unreachable(build):
    b = build({"racks": 4, "failures": [{"switch": "leaf2"}]}, {"pattern": "uniform"})
    touches = (b.fabric.host_rack[b.flows.src] == 2) | (b.fabric.host_rack[b.flows.dst] == 2)
    assert (b.plen[touches] == 0).all() and (b.plen[~touches] > 0).all()


def test_dual_homed_hosts_survive_a_leaf_failure(build):
    kw = {"racks": 4, "leaves_per_rack": 2, "host": {"nics": 2}, "failures": [{"switch": "leaf1a"}]}
    b = build(kw, {"pattern": "uniform"})
    assert (b.plen > 0).all()
    assert b.fabric.index["leaf1a"] not in b.fabric.link_dst[b.paths[b.paths >= 0]]


def test_unknown_failure_names():
    from vnetsim.errors import ScenarioError
    with pytest.raises(ScenarioError) as e:
        build_fabric(FabricConfig(failures=[{"switch": "spine99"}]))
    assert e.value.where == "fabric.failures[0].switch"
    with pytest.raises(ScenarioError, match="no link"):
        build_fabric(FabricConfig(failures=[{"link": ["leaf0", "leaf1"]}]))
