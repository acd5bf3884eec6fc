"""Planner formulas against hand-computed designs (docs/references.md, Spine-leaf design rules; Fat-tree)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.errors import ScenarioError, UserError
from vnetsim.fabric.config import FabricConfig
from vnetsim.fabric.planner import MAX_PLAN_HOSTS, FabricPlan, plan_fabric
from vnetsim.fabric.ports import MAX_PORT_SPEED_BPS, MAX_SWITCH_PORTS, parse_groups, parse_switch_model
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


# --- hardening: every port spec and option either gives a plan or one UserError line

COUNTS = st.one_of(st.integers(0, 5000), st.integers(0, 10**25), st.sampled_from([0, 1, 2, 4096, 4097]))
SPEEDS = st.one_of(st.sampled_from(["25G", "100G", "400G", "1.6T", "1.7T", "0G", "0.5M", "1M", "999k", "10",
                                    "25Gbps", "25Gb/s", ".5T", "1e3G", "nanG", "infG", "1.2.3G", "-5G", "G", ""]),
                   st.floats(0, 1e15).map(lambda x: f"{x:g}"))
GROUPS = st.builds(lambda c, x, sp: f"{c}{x}{sp}", COUNTS, st.sampled_from(["x", "X", " x ", "*", ""]), SPEEDS)
SPECS = st.one_of(st.lists(GROUPS, min_size=1, max_size=4).map("+".join), st.text(max_size=30),
                  st.sampled_from(["48x25G+8x100G", "32x100G", "99999999999999999999x100G", "+", "x", "4x25G" * 60]))
OPTIONAL = st.one_of(st.none(), st.integers(-3, 5000), st.integers(-10**25, 10**25))


def _plan_or_one_line(**kw) -> FabricPlan | None:
    try:
        plan = plan_fabric(**kw)
    except UserError as exc:    # any other exception fails the test
        line = exc.line()
        assert line and "\n" not in line and len(line) < 400
        assert exc.where.startswith("--")
        return None
    for value in (plan.leaves, plan.spines, plan.super_spines, plan.pods, *plan.cables.values(),
                  *plan.optics.values(), plan.largest_three_tier["hosts"]):
        assert isinstance(value, int) and 0 <= value < 10**15
    assert math.isfinite(plan.oversubscription) and plan.oversubscription > 0
    json.dumps(plan.to_dict(), allow_nan=False)
    return plan


@settings(max_examples=200, deadline=None)
@given(SPECS)
def test_any_port_spec_parses_within_bounds_or_is_a_value_error(text):
    try:
        groups = parse_groups(text)
    except ValueError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 300
        return
    assert 1 <= sum(g.count for g in groups) <= MAX_SWITCH_PORTS
    assert all(1e6 <= g.speed_bps <= MAX_PORT_SPEED_BPS for g in groups)


@settings(max_examples=200, deadline=None)
@given(st.integers(-10, 10**25), SPECS, SPECS, OPTIONAL, st.one_of(st.integers(-2, 10), st.integers(-10**25, 10**25)),
       OPTIONAL, st.integers(-2, 100), st.integers(0, 4))
def test_any_plan_request_gives_a_plan_or_one_user_error(hosts, leaf, spine, spines, nics, leaf_uplinks, lps, tiers):
    _plan_or_one_line(hosts=hosts, leaf=leaf, spine=spine, spines=spines, nics_per_host=nics,
                      leaf_uplinks=leaf_uplinks, links_per_spine=lps, max_tiers=tiers)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, MAX_PLAN_HOSTS), GROUPS, GROUPS, GROUPS)
def test_valid_host_counts_with_any_switches(hosts, down, up, spine):
    _plan_or_one_line(hosts=hosts, leaf=f"{down}+{up}", spine=spine)


@pytest.mark.parametrize("args, option", [
    (["--hosts", "600", "--leaf", "99999999999999999999x100G"], "--leaf"),
    (["--hosts", "99999999999999999999"], "--hosts"),
    (["--hosts", "600", "--spine", "32x100G+1x2T"], "--spine"),
    (["--hosts", "600", "--spines", "99999999999999999999"], "--spines"),
    (["--hosts", "600", "--links-per-spine", "65"], "--links-per-spine"),
    (["--hosts", "600", "--nics", "9"], "--nics"),
    (["--hosts", "600", "--leaf-uplinks", "56"], "--leaf-uplinks"),
])
def test_fabric_plan_cli_bounds_are_one_line_naming_the_option(args, option):
    out = subprocess.run([sys.executable, "-m", "vnetsim.cli.app", "fabric", "plan", *args], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vnetsim: {option}:"), out.stderr
    assert "Traceback" not in out.stderr and len(lines[0]) < 300


def test_scenario_port_models_are_bounded_in_one_line():
    with pytest.raises(ValueError, match="at most 4096"):
        FabricConfig(leaf={"ports": "99999999999999999999x100G"})
    with pytest.raises(ValueError, match="100,000 a fabric"):
        FabricConfig(racks=10_000, hosts_per_rack=100)


def test_plan_2000_hosts_is_the_smallest_design_that_fits():
    # 2000 / 48 -> 42 leaves > 32 spine ports: three tiers. Spines split 16 down / 16 up: pods of at
    # most 16 leaves -> 3 pods (14 leaves each), 3 x 8 = 24 spines. Per plane (one per leaf uplink),
    # 3 spines x 16 uplinks = 48 links: 2 super-spines of 32 ports (8 links from each spine, 24 ports
    # used) fit, 1 does not (48 > 32). Sized for 24,576 hosts it would be 128 super-spines using 3 ports.
    p = plan_fabric(2000, "48x25G+8x100G", "32x100G")
    assert (p.tiers, p.leaves, p.pods, p.leaves_per_pod, p.spines, p.super_spines) == (3, 42, 3, 14, 24, 16)
    assert p.port_use == {"leaf": {"used": 56, "total": 56}, "spine": {"used": 30, "total": 32},
                          "super_spine": {"used": 24, "total": 32}}
    assert p.cables["spine_super_spine"] == 24 * 16           # every spine uplink is cabled
    # the super-spine ports used are exactly the spine uplinks of the plane
    assert p.super_spines * p.port_use["super_spine"]["used"] == p.cables["spine_super_spine"]
    assert any("2 super-spines per plane" in n for n in p.notes)


@pytest.mark.parametrize("hosts", [1537, 2000, 5000, 12000, 24576])
def test_super_spines_take_every_spine_uplink_and_no_fewer_would(hosts):
    p = plan_fabric(hosts, "48x25G+8x100G", "32x100G")
    used, total = p.port_use["super_spine"]["used"], p.port_use["super_spine"]["total"]
    planes = 8
    per_plane = p.super_spines // planes
    assert used <= total and per_plane * used == p.pods * 16      # all 16 uplinks of each pod's spine
    smaller = [d for d in range(1, per_plane) if 16 % d == 0]
    assert all(p.pods * (16 // d) > total for d in smaller)       # a smaller even split does not fit
    assert p.leaves_per_pod * p.pods >= p.leaves and p.leaves_per_pod <= 16


def test_two_tier_port_use():
    p = plan_fabric(600, "48x25G+8x100G", "32x100G")
    assert p.port_use == {"leaf": {"used": 56, "total": 56}, "spine": {"used": 13, "total": 32}}
