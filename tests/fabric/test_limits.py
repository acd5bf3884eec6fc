"""Hardening of the fabric kind: bounded sizes, buffers that hold a frame, unreachable traffic
explained, long packet-level runs refused before they start; every bad input one line."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnetsim
from vnetsim.errors import UserError
from vnetsim.fabric.config import FabricConfig

SPINES_FAILED = [{"switch": f"spine{j}"} for j in range(8)]


def doc(**fabric) -> dict:
    return {"kind": "fabric", "name": "limits", "duration": "50us",
            "fabric": {"topology": "spine_leaf", "racks": 3, "hosts_per_rack": 4, **fabric},
            "traffic": {"pattern": "replication", "load": 0.5}}


def _one_line(call, *args, **kw) -> UserError:
    with pytest.raises(UserError) as err:
        call(*args, **kw)
    line = err.value.line()
    assert "\n" not in line and len(line) < 500
    return err.value


@pytest.mark.parametrize("buffer, field", [
    ({"size": 0}, "fabric.switch.buffer.size"),
    ({"size": "2kB"}, "fabric.switch.buffer.size"),
    ({"kind": "per_port", "per_port": 0}, "fabric.switch.buffer.per_port"),
    ({"kind": "per_port", "per_port": 1500}, "fabric.switch.buffer.per_port"),
    ({"kind": "per_port", "size": 1000}, "fabric.switch.buffer.size"),
])
def test_a_buffer_that_cannot_hold_a_frame_is_refused(buffer, field):
    err = _one_line(vnetsim.run, doc(switch={"buffer": buffer}))
    assert err.where.endswith(field) and "1538 B" in err.what


def test_the_smallest_buffer_that_holds_a_frame_runs_and_drops():
    row = vnetsim.run(doc(switch={"buffer": {"kind": "per_port", "per_port": 1538}}),
                      overrides=["traffic.load=1.0", "traffic.pattern=incast", "traffic.incast.fan_in=8"]).variants[0]
    assert row["packets"]["dropped"] > 0


def test_all_spines_failed_says_why_nothing_is_offered():
    row = vnetsim.run(doc(failures=SPINES_FAILED)).variants[0]
    assert row["traffic"]["unreachable_flows"] == row["traffic"]["flows"] > 0
    assert row["traffic"]["offered_bps"] == 0 and row["packets"]["offered"] == 0
    assert len(row["notes"]) == 1 and "no flow has a path" in row["notes"][0] and "spine0" in row["notes"][0]


def test_some_flows_unreachable_are_counted_and_noted():
    d = doc(failures=SPINES_FAILED)
    d["traffic"] = {"pattern": "uniform", "rack_local_fraction": 0.5}
    row = vnetsim.run(d).variants[0]
    lost = row["traffic"]["unreachable_flows"]
    assert 0 < lost < row["traffic"]["flows"] and row["packets"]["offered"] > 0
    assert f"{lost} of {row['traffic']['flows']} flows have no path" in row["notes"][0]


def test_zero_rate_flows_are_noted():
    d = doc()
    d["traffic"] = {"pattern": "flows", "flows": [{"src": 0, "dst": 5, "rate": 0}]}
    row = vnetsim.run(d).variants[0]
    assert row["packets"]["offered"] == 0 and "rate 0" in row["notes"][0]


def test_nothing_to_say_means_no_notes_key():
    assert "notes" not in vnetsim.run(doc()).variants[0]


def test_long_packet_runs_are_refused_with_the_estimate():
    err = _one_line(vnetsim.run, doc(), duration="1e6s")
    assert err.where.endswith("duration") and "packets" in err.what and "16 M link hops/s" in err.what
    assert "limits.max_packets" in err.fix
    flow = vnetsim.run(doc(engine={"level": "flow"}), duration="1e6s").variants[0]   # no packets: no limit
    assert flow["level"] == "flow"
    raised = vnetsim.load(doc(), duration="1e6s", overrides=["limits.max_packets=1e18"])[2][0].model
    assert raised.limits.max_packets == 1e18


@pytest.mark.parametrize("setting, field", [
    ("fabric.racks=99999999999999999999", "fabric.racks"),
    ("fabric.racks=30000", "fabric.racks"),
    ("fabric.spine.ports=99999999999999999999x100G", "fabric.spine.ports"),
    ("fabric.leaf.ports=48x25G+8x2T", "fabric.leaf.ports"),
    ("fabric.fat_tree.k=1000", "fabric.fat_tree.k"),
    ("fabric.switch.buffer.alpha=.inf", "fabric.switch.buffer.alpha"),
    ("fabric.cable_length_m=.nan", "fabric.cable_length_m"),
    ("fabric.host.nic_speed=0", "fabric.host.nic_speed"),
    ("traffic.load=.inf", "traffic.load"),
    ("traffic.rate=0", "traffic.rate"),
    ("traffic.frame_size=100000", "traffic.frame_size"),
    ("traffic.flows_per_host=99999999", "traffic.flows_per_host"),
    ("duration=0", "duration"),
    ("limits.max_packets=.nan", "limits.max_packets"),
])
def test_bad_values_name_their_field(setting, field):
    err = _one_line(vnetsim.load, doc(), overrides=[setting])
    assert field in err.where or field in err.what, err.line()


def test_too_many_flows_are_refused():
    d = doc()
    d["fabric"].update(racks=100, hosts_per_rack=1000)
    d["traffic"] = {"pattern": "uniform", "flows_per_host": 1000}
    err = _one_line(vnetsim.load, d)
    assert "1,000,000" in err.line()


def test_builders_stop_at_a_cable_cap():
    with pytest.raises(UserError) as err:
        from vnetsim.fabric.topology import build_fabric
        build_fabric(FabricConfig(topology="spine_leaf", racks=2000, hosts_per_rack=48,
                                  leaf={"ports": "48x25G+2048x100G"}, spine={"ports": "4000x100G"}))
    assert "cables" in err.value.line()


FIELDS = {
    "fabric.switch.buffer": ["{size: 1538}", "{size: 3076, alpha: 1}", "{kind: per_port, per_port: 1538}",
                             "{size: 1TiB}", "{alpha: 1024}", "{alpha: 1e-9}"],
    "fabric.switch.latency": ["0ns", "1e15ns", "1ns"],
    "fabric.cable_length_m": ["0", "100000"],
    "fabric.propagation_ns_per_m": ["0", "1000"],
    "fabric.host.nic_speed": ["1Mbps", "1.6Tbps", "1Gbps"],
    "fabric.spine.ports": ["1x1M", "32x1.6T", "4096x100G"],
    "fabric.spine.links_per_spine": ["1", "64"],
    "traffic.load": ["1e-6", "100", "0.5"],
    "traffic.rate": ["1bps", "1000Tbps"],
    "traffic.frame_size": ["64", "9088"],
    "traffic.arrivals": ["constant", "poisson"],
    "traffic.pattern": ["uniform", "incast", "permutation", "replication"],
    "fabric.topology": ["single_switch", "l2_stp", "three_tier", "spine_leaf", "super_spine", "fat_tree"],
    "duration": ["1ns", "0.001ns", "10us"],
    "fabric.failures": ["[{switch: spine0}]", "[{link: [leaf0, spine0]}]"],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(FIELDS)).flatmap(lambda f: st.tuples(st.just(f), st.sampled_from(FIELDS[f]))),
                min_size=1, max_size=4))
def test_extreme_values_run_or_fail_in_one_line(settings_):
    overrides = [f"{field}={value}" for field, value in settings_] + ["limits.max_packets=20000"]
    try:
        res = vnetsim.run(doc(), overrides=overrides)
    except UserError as exc:
        assert "\n" not in exc.line()
        return
    row = res.variants[0]
    assert math.isfinite(row["traffic"]["offered_bps"])
    if "packets" in row:
        assert row["packets"]["offered"] <= 20000
