"""Planner formulas against hand-computed designs (docs/references.md, Spine-leaf design rules; Fat-tree)."""

from __future__ import annotations

import networkx as nx
import pytest

from vnetsim.errors import ScenarioError, UserError
from vnetsim.fabric.config import FabricConfig
from vnetsim.fabric.planner import plan_fabric
from vnetsim.fabric.ports import parse_switch_model
from vnetsim.fabric.topology import build_fabric


def test_port_model_split():
    m = parse_switch_model("48x25G+8x100G")
    assert (m.down_ports, m.down_speed_bps, m.up_ports, m.up_speed_bps) == (48, 25e9, 8, 100e9)
    assert m.oversubscription == pytest.approx(1200 / 800)
    k = parse_switch_model("32x100G")
    assert (k.down_ports, k.up_ports, k.ports) == (16, 16, 32)
    assert parse_switch_model("32x100G", uplinks=8).up_ports == 8
    with pytest.raises(ValueError, match="COUNTxSPEED"):
        parse_switch_model("48 ports")


def test_plan_600_hosts_by_hand():
    # 600 hosts / 48 server ports = 12.5 -> 13 leaves; 8 uplinks -> 8 spines; 13 <= 32 spine ports.
    p = plan_fabric(600, "48x25G+8x100G", "32x100G")
    assert p.tiers == 2
    assert p.leaves == 13 and p.spines == 8
    assert p.oversubscription == pytest.approx((48 * 25) / (8 * 100))  # 1.5:1
    assert p.cables == {"host": 600, "leaf_spine": 13 * 8}
    assert p.optics == {"100G": 2 * 13 * 8}
    assert p.largest_two_tier["hosts"] == 32 * 48 and p.largest_two_tier["leaves"] == 32
    # super-spine: spines split 16 down / 16 up, pods of 16 leaves, 32 pods (super-spine ports)
    assert p.largest_three_tier["hosts"] == 32 * 16 * 48
    assert p.largest_three_tier["super_spines"] == 8 * 16


def test_oversubscription_is_down_over_up_bandwidth():
    p = plan_fabric(600, "48x25G+8x100G", "32x100G", spines=4)
    assert p.oversubscription == pytest.approx(1200 / 400)
    assert p.notes and "unused" in p.notes[-1]
    p2 = plan_fabric(100, "48x10G+6x40G", "32x40G", links_per_spine=2)
    assert p2.spines == 3 and p2.oversubscription == pytest.approx(480 / 240)


@pytest.mark.parametrize("k", [4, 8, 16, 48])
def test_fat_tree_limits(k):
    p = plan_fabric(1, f"{k}x10G", f"{k}x10G")
    assert p.largest_two_tier["hosts"] == k * k // 2
    assert p.largest_two_tier["spines"] == k // 2
    assert p.largest_three_tier["hosts"] == k ** 3 // 4
    assert p.largest_three_tier["switches"] == 5 * k * k // 4
    full = plan_fabric(k ** 3 // 4, f"{k}x10G", f"{k}x10G")
    assert full.tiers == 3 and full.leaves + full.spines + full.super_spines == 5 * k * k // 4


@pytest.mark.parametrize("k", [4, 6])
def test_fat_tree_builder_counts_and_ns_py_topology(k):
    f = build_fabric(FabricConfig(topology="fat_tree", fat_tree={"k": k}))
    assert f.n_hosts == k ** 3 // 4
    assert int((~f.is_host).sum()) == 5 * k * k // 4
    assert f.n_cables == 3 * k ** 3 // 4
    ns_fattree = pytest.importorskip("ns.topos.fattree")
    ref = ns_fattree.build(k)
    ours = nx.Graph(f.graph())
    assert nx.is_isomorphic(ours, ref)


def test_spines_more_than_leaf_uplinks():
    with pytest.raises(UserError) as e:
        plan_fabric(600, "48x25G+8x100G", "32x100G", spines=10)
    assert e.value.where == "--spines" and "8" in e.value.what and e.value.fix
    with pytest.raises(ScenarioError) as e2:
        build_fabric(FabricConfig(spine={"count": 9}))
    assert e2.value.where == "fabric.spine.count"
    assert "\n" not in str(e2.value)


def test_leaves_more_than_spine_ports():
    with pytest.raises(ScenarioError) as e:
        build_fabric(FabricConfig(racks=33, hosts_per_rack=2))
    assert e.value.where == "fabric.racks" and "32" in e.value.what
    with pytest.raises(UserError, match="two tiers"):
        plan_fabric(2000, max_tiers=2)


def test_unreachable_host_count():
    with pytest.raises(UserError) as e:
        plan_fabric(24577)
    assert e.value.where == "--hosts" and "24576" in e.value.what
    assert plan_fabric(24576).tiers == 3


def test_hosts_do_not_fit_leaf():
    with pytest.raises(ScenarioError) as e:
        build_fabric(FabricConfig(hosts_per_rack=49))
    assert e.value.where == "fabric.hosts_per_rack" and "48" in e.value.what
    with pytest.raises(ScenarioError, match="server ports"):
        build_fabric(FabricConfig(host={"nic_speed": "100Gbps"}))
