"""Hardening of the host kind: every bad input is one line naming its field (exit status 2 from
the CLI), never a traceback; runs that would take hours are refused before they start."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnetsim
from vnetsim.errors import UserError
from vnetsim.host.scenario import DEFAULT_MAX_PACKETS, HOST_PACKETS_PER_S
from vnetsim.traffic.config import MAX_FLOWS


def doc(**top) -> dict:
    base = {"name": "limits", "duration": "1ms", "host": {"vms": [{"name": "vm0"}]},
            "traffic": {"flows": [{"name": "u", "count": 4, "rate": "100kpps"}]}}
    base.update(top)
    return base


def _one_line(call, *args, **kw) -> UserError:
    with pytest.raises(UserError) as err:
        call(*args, **kw)
    line = err.value.line()
    assert "\n" not in line and len(line) < 500
    return err.value


@pytest.mark.parametrize("call", [vnetsim.run, vnetsim.flows, vnetsim.throughput])
@pytest.mark.parametrize("clock", ["0", "0Hz", "1kHz", "1e12Hz", ".nan", ".inf"])
def test_cpu_clock_out_of_range_is_one_line_for_every_command(call, clock):
    err = _one_line(call, doc(), overrides=[f"host.cpu_clock={clock}"])
    assert "host.cpu_clock" in err.where


@pytest.mark.parametrize("setting, field", [
    ("traffic.flows.u.rate=1e-300pps", "traffic.flows[0].rate"),
    ("traffic.flows.u.rate=.nan", "traffic.flows[0].rate"),
    ("traffic.flows.u.rate=1e400pps", "traffic.flows[0].rate"),
    ("duration=.inf", "duration"),
    ("warmup=.nan", "warmup"),
    ("host.pnic.line_rate=0", "host.pnic.line_rate"),
    ("host.pnic.line_rate=.inf", "host.pnic.line_rate"),
    ("host.vswitch.per_packet=.nan", "host.vswitch.per_packet"),
    ("host.service.wakeup=1e400ns", "host.service.wakeup"),
    ("traffic.flows.u.size={kind: empirical, sizes: [64, 128], weights: [1, .nan]}", "traffic.flows[0].size"),
    ("traffic.flows.u.size={kind: empirical, sizes: [64, 128], weights: [1, .inf]}", "traffic.flows[0].size"),
    ("traffic.flows.u.size={kind: empirical, sizes: [64, 128], weights: [1e308, 1e308]}", "traffic.flows[0].size"),
    ("traffic.flows.u.arrival={kind: onoff, shape: .inf}", "traffic.flows[0].arrival"),
    ("traffic.flows.u.arrival={kind: onoff, on: .nan}", "traffic.flows[0].arrival"),
    ("traffic.flows.u.arrival={kind: onoff, on: 1ns, off: 1000h}", "traffic.flows[0].arrival"),
    ("throughput.resolution=.nan", "throughput.resolution"),
    ("traffic.flows.u.count=1000001", "traffic.flows[0].count"),
    ("loads=[1e-9pps]", "loads[0]"),
])
def test_bad_values_name_their_field(setting, field):
    err = _one_line(vnetsim.run, doc(), overrides=[setting])
    assert field in err.where, err.line()


def test_flows_of_all_groups_are_bounded_together():
    groups = [{"name": f"g{i}", "count": MAX_FLOWS // 2 + 1, "rate": "1kpps"} for i in range(2)]
    err = _one_line(vnetsim.load, doc(traffic={"flows": groups}))
    assert "1,000,000" in err.line() and "traffic" in err.where


def test_vcpus_of_all_vms_are_bounded():
    vms = [{"name": f"vm{i}", "guest": {"vcpus": 256}} for i in range(17)]
    err = _one_line(vnetsim.load, doc(host={"vms": vms}))
    assert "4096" in err.line()


def test_tiny_rates_are_refused_and_the_smallest_runs():
    _one_line(vnetsim.run, doc(), overrides=["traffic.flows.u.rate=1e-300pps"])
    res = vnetsim.run(doc(), overrides=["traffic.flows.u.rate=0.001pps"])
    assert res.variants[0]["packets"]["offered"] == 0


@pytest.mark.parametrize("duration", ["1e9s", "1e7s", "100h"])
def test_long_runs_are_refused_before_they_start_with_the_estimate(duration):
    err = _one_line(vnetsim.run, doc(loads=["1Mpps", "2Mpps"]), duration=duration)
    line = err.line()
    assert "duration:" in line and "packets" in line and "limits.max_packets" in line
    assert "2 load levels" in line and "10 M packets/s" in line


def test_the_estimate_counts_load_levels_and_the_zero_loss_search():
    scenario = vnetsim.load(doc(loads=["1Mpps", "3Mpps"], throughput={"enabled": True}))[2][0].model
    packets, what = scenario.packets_estimate()
    line_pps = 10e9 / ((64 + 20) * 8)
    trials = 1 + math.ceil(math.log2(1 / 0.005))
    assert packets == pytest.approx(4e6 * 1e-3 + trials * 1e-3 * line_pps)
    assert "zero-loss trials" in what
    assert DEFAULT_MAX_PACKETS == pytest.approx(3600 * HOST_PACKETS_PER_S)


def test_a_long_run_is_allowed_when_the_scenario_raises_its_limit():
    _one_line(vnetsim.load, doc(), duration="1000h")
    kind, _, variants = vnetsim.load(doc(), duration="1000h", overrides=["limits.max_packets=1e12"])
    assert kind == "host" and variants[0].model.limits.max_packets == 1e12


def test_throughput_trials_are_bounded_too():
    """The scenario's check covers `vnetsim run`; each search trial (at up to line rate) is checked
    when it starts."""
    err = _one_line(vnetsim.throughput, doc(), duration="100s", overrides=["limits.max_packets=1e8"])
    assert err.line().count("duration:") == 1 and "14.88Mpps" in err.line()


def test_cli_prints_one_line_and_exits_2(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("traffic:\n  flows: [{name: u, rate: 1kpps}]\nhost: {cpu_clock: 0}\n")
    for command in (["run", str(path), "-q"], ["flows", str(path)], ["throughput", str(path)],
                    ["run", str(path), "-q", "--set", "host.cpu_clock=2GHz", "--duration", "1e9s"]):
        out = subprocess.run([sys.executable, "-m", "vnetsim.cli.app", *command], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("vnetsim: "), out.stderr


# Fields that a division, an allocation or a loop depends on, at the edges of what they accept: a
# short run either completes with finite figures or fails in one line (a ZeroDivisionError, a numpy
# error or an endless run fails the test). limits.max_packets keeps any accepted run small.
FIELDS = {
    "host.cpu_clock": ["1MHz", "100GHz", "1.5MHz", "99GHz"],
    "host.pnic.line_rate": ["1Mbps", "1000Tbps", "1.0001Mbps", "400Gbps"],
    "traffic.flows.u.rate": ["0pps", "0.001pps", "1pps", "1e7pps", "1e13pps", "1bps", "1Tbps", "1000Tbps"],
    "duration": ["1ns", "0.001ns", "1us", "5ms", "1000h"],
    "warmup": ["0", "1e-300ns", "999us", "0.5ns"],
    "host.pnic.coalescing": ["{scheme: rate, rate: 100/s}", "{scheme: rate, rate: 1000000/s}",
                             "{scheme: timer, usecs: 0ns}", "{scheme: timer, frames: 1}", "{scheme: off}",
                             "{scheme: timer, usecs: 1e15ns}"],
    "host.vswitch.per_packet": ["0ns", "1e15cycles", "1e18ns", "0.001cycles"],
    "host.service": ["{mode: poll, empty_poll_cost: 1e-300ns}", "{mode: poll, empty_poll_cost: 1ns}",
                     "{mode: hybrid, hybrid: {sleep: 0ns}}",
                     "{mode: poll, per_packet: 1e15cycles}", "{mode: interrupt, wakeup: 0ns, irq_cost: 1e15ns}"],
    "host.vms.vm0.guest.app.per_byte": ["0ns", "1e9cycles", "1e-300ns"],
    "host.pnic.ring_size": ["1", "65536"],
    "traffic.flows.u.count": ["1", "1000000"],
    "traffic.flows.u.size": ["64", "9088", "imix", "{kind: empirical, sizes: [64, 9088], weights: [1e-300, 1e300]}"],
    "traffic.flows.u.arrival": ["constant", "{kind: onoff, on: 1ns, off: 1000h, shape: 1.0000001}",
                                "{kind: onoff, on: 1us, off: 999us, shape: 1.0000001}",
                                "{kind: onoff, on: 1000h, off: 0ns, shape: 100}"],
    "traffic.flows.u.segments_per_burst": ["1", "1024"],
    "chunk_packets": ["1000", "50000000"],
    "host.vms.vm0.tx": ["{rate: 0bps}", "{rate: 1000Tbps, send_bytes: 1}", "{rate: 1bps, protocol: udp}"],
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    assert row["packets"]["offered"] <= 20000
    assert all(math.isfinite(x) for x in (row["offered_pps"], row["delivered_pps"]))
