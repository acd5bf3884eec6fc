"""Whole runs: the storage example (the post's claim), result fields, bad input, scale."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError
from rich.console import Console

import vnetsim
from vnetsim.errors import ScenarioError
from vnetsim.fabric.render import render_comparison, render_result
from vnetsim.fabric.simulate import run_fabric_scenario
from vnetsim.scenario.merge import deep_merge


@pytest.fixture(scope="module")
def example():
    """{variant name: result row} of the storage example (the one loader merges the variants)."""
    from .conftest import EXAMPLE
    return {row["name"]: row for row in vnetsim.run(EXAMPLE, duration=0.5e6).variants}


def _cross_hops(r):
    return sorted(int(h) for h in r["hops"]["cross_rack"])


def test_example_spine_leaf_latency_is_predictable(example):
    sl, l2, t3 = example["spine-leaf"], example["l2-stp"], example["three-tier"]
    # spine-leaf: every cross-rack pair crosses leaf-spine-leaf, so the unloaded latency is one number
    assert _cross_hops(sl) == [3]
    assert sl["unloaded_latency_ns"]["cross_rack"]["spread_ns"] == 0.0
    # flat L2 under a spanning tree and three-tier: the hop count, and so the latency, depends on the pair
    assert len(_cross_hops(l2)) >= 5 and l2["unloaded_latency_ns"]["cross_rack"]["spread_ns"] > 1000
    assert _cross_hops(t3) == [3, 5]
    assert t3["unloaded_latency_ns"]["cross_rack"]["spread_ns"] > 0
    # loaded: the per-pair p99 spreads less on spine-leaf, and its busiest link is a host link
    for other in (l2, t3):
        assert sl["latency_ns"]["pair_p99"]["spread"] < other["latency_ns"]["pair_p99"]["spread"]
        assert sl["latency_ns"]["overall"]["p99"] < other["latency_ns"]["overall"]["p99"]
    assert sl["bisection_bps"] > max(l2["bisection_bps"], t3["bisection_bps"])


def test_example_failures(example):
    base, failed = example["spine-leaf"], example["spine-leaf-spine0-failed"]
    assert failed["topology"]["failed_switches"] == {"spine": 1}
    assert not any("spine0" in n for n in failed["links"]["table"]["link"])
    assert failed["bisection_bps"] == pytest.approx(base["bisection_bps"] * 3 / 4)
    # the same traffic over 3 spines instead of 4: the mean uplink load rises by 4/3
    up_b, up_f = base["link_classes"]["leaf->spine"], failed["link_classes"]["leaf->spine"]
    assert up_f["mean"] * up_f["links"] == pytest.approx(up_b["mean"] * up_b["links"])
    assert up_f["links"] * 4 == up_b["links"] * 3
    l2f = example["l2-stp-link-failed"]
    assert l2f["stp"]["blocked_links"] == 0 and example["l2-stp"]["stp"]["blocked_links"] == 1
    assert l2f["stp"]["reconvergence_s"] == 30.0


def test_result_fields_and_render(example):
    d = example["spine-leaf"]
    for key in ("hops", "unloaded_latency_ns", "latency_ns", "per_pair", "links", "drops", "bisection_bps",
                "oversubscription", "topology", "link_classes", "packets"):
        assert key in d
    pp = d["per_pair"]
    n = len(pp["src"])
    assert n == d["traffic"]["pairs"] and all(len(pp[k]) == n for k in ("dst", "hops", "count", "mean_ns", "p99_ns"))
    assert d["links"]["max"]["link"] and 0 < d["links"]["max"]["utilization"] <= 1
    assert d["topology"]["switches"] == {"total": 12, "leaf": 8, "spine": 4}
    assert d["topology"]["cables"]["total"] == 128 + 32 and d["topology"]["optics"] == {"total": 64, "100G": 64}
    assert d["oversubscription"]["leaf"]["built"] == {"min": 1.0, "max": 1.0}
    json.dumps(example, allow_nan=False)
    con = Console(record=True, width=200)
    render_comparison(example, con)
    render_result(example["l2-stp"], con)
    text = con.export_text()
    assert "spine-leaf-spine0-failed" in text and "tor4-tor5" in text


def test_variants_merge_over_the_base(tmp_path):
    """A variant changes only what it names: the rest of the base document stays."""
    p = tmp_path / "v.yaml"
    p.write_text("name: v\nduration: 20us\nfabric: {racks: 2, hosts_per_rack: 2, spine: {count: 2}}\n"
                 "traffic: {pattern: permutation, load: 0.1}\n"
                 "variants:\n  - name: base\n  - name: one-spine\n    fabric: {spine: {count: 1}}\n")
    rows = {r["name"]: r for r in vnetsim.run(p).variants}
    assert rows["base"]["topology"]["switches"] == {"total": 4, "leaf": 2, "spine": 2}
    assert rows["one-spine"]["topology"]["switches"] == {"total": 3, "leaf": 2, "spine": 1}
    assert rows["one-spine"]["topology"]["hosts"] == rows["base"]["topology"]["hosts"] == 4
    assert rows["one-spine"]["traffic"]["pattern"] == "permutation"


def test_bad_input_one_line(small_doc, tmp_path):
    bad = json.loads(json.dumps(small_doc))
    bad["fabric"]["spines"] = 4  # unknown field
    with pytest.raises(ValidationError):
        run_fabric_scenario(bad)
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nfabric: {racks: 2, colour: red}\n")
    with pytest.raises(ScenarioError) as e:
        vnetsim.run(p)
    assert "fabric.colour" in e.value.where and "\n" not in str(e.value)
    cases = [
        ({"fabric": {"spine": {"count": 9}}}, "fabric.spine.count"),
        ({"traffic": {"replication": {"replicas": 4}}}, "traffic.replication.replicas"),
        ({"traffic": {"pattern": "flows", "flows": [{"src": 0, "dst": "host99", "rate": "1Gbps"}]}},
         "traffic.flows[0].dst"),
        ({"fabric": {"topology": "fat_tree", "racks": 5}}, "fabric.racks"),
        ({"fabric": {"failures": [{"link": ["leaf0", "host9"]}]}}, "fabric.failures[0].link"),
    ]
    for over, where in cases:
        with pytest.raises(ScenarioError) as e:
            run_fabric_scenario(deep_merge(copy.deepcopy(small_doc), over))
        assert e.value.where == where, (over, str(e.value))
        assert "\n" not in str(e.value) and e.value.fix
    with pytest.raises(ScenarioError, match="no such file"):
        vnetsim.run(tmp_path / "missing.yaml")


def test_flow_level_10000_hosts():
    doc = {"seed": 5, "fabric": {"topology": "super_spine", "racks": 209, "hosts_per_rack": 48},
           "traffic": {"pattern": "replication", "replication": {"replicas": 3, "objects_per_host": 2}}}
    r = run_fabric_scenario(doc).to_dict()
    assert r["level"] == "flow" and r["topology"]["hosts"] == 10032
    assert sorted(int(h) for h in r["hops"]["cross_rack"]) == [3, 5]
    assert r["traffic"]["flows"] == 10032 * 6 and r["traffic"]["unreachable_flows"] == 0
    assert r["links"]["truncated"] > 0 and len(r["per_pair"]["src"]) == 2000
    cls = r["link_classes"]
    assert cls["leaf->spine"]["idle_fraction"] == 0.0
    # Exact class loads from the hop counts alone: every flow goes to another rack, so it climbs to
    # a spine and back down (one leaf->spine and one spine->leaf link: 3 switches); a flow to
    # another pod also crosses a super-spine (spine->super_spine and super_spine->spine: 5).
    # All flows carry the same rate, and every switch-to-switch link is 100G.
    hops = r["hops"]["traffic_flows"]
    assert set(hops) == {"3", "5"} and sum(hops.values()) == r["traffic"]["flows"]
    per_flow = r["traffic"]["offered_bps"] / r["traffic"]["flows"]
    load = {name: c["mean"] * c["links"] * 100e9 for name, c in cls.items()}
    assert set(load) == {"leaf->spine", "spine->leaf", "spine->super_spine", "super_spine->spine"}
    for name in ("leaf->spine", "spine->leaf"):
        assert load[name] == pytest.approx(per_flow * (hops["3"] + hops["5"]), rel=1e-9)
    for name in ("spine->super_spine", "super_spine->spine"):
        assert load[name] == pytest.approx(per_flow * hops["5"], rel=1e-9)


def test_expected_and_hashed_flow_models_agree_on_average(small_doc):
    small_doc["traffic"] = {"pattern": "uniform", "flows_per_host": 64}
    small_doc["fabric"]["engine"] = {"level": "flow", "flow_model": "hashed"}
    h = run_fabric_scenario(small_doc).to_dict()
    small_doc["fabric"]["engine"]["flow_model"] = "expected"
    e = run_fabric_scenario(small_doc).to_dict()
    ch, ce = h["link_classes"]["leaf->spine"], e["link_classes"]["leaf->spine"]
    assert ch["mean"] == pytest.approx(ce["mean"])
    assert ce["max_over_mean"] < ch["max_over_mean"]  # the expectation is smoother than any one hashing
    assert ce["max_over_mean"] < 1.2


def test_flow_level_result_renders_and_hook_sees_every_delivery(small_doc):
    small_doc["fabric"]["engine"] = {"level": "flow"}
    r = run_fabric_scenario(small_doc)
    assert "latency_ns" not in r.data and "mean_ns" not in r.data["per_pair"]
    con = Console(record=True, width=160)
    render_comparison({"flow": r.to_dict()}, con)
    r.render(con)
    assert "flow level" in con.export_text()
    small_doc["fabric"]["engine"] = {"level": "packet"}
    seen = []
    p = run_fabric_scenario(small_doc, on_deliver=lambda dst, pk, horizon: seen.append(len(pk))).data
    assert sum(seen) == p["packets"]["delivered"] > 0
