"""One rule for offered rates above line rate (refused, for flows and ``loads:`` alike), and a
warm-up not shorter than the run (``--duration`` below it) scaled to 10 % of the duration."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import vnetsim
from vnetsim.errors import UserError
from vnetsim.host.scenario import WARMUP_SHARE
from vnetsim.net.ethernet import WIRE_GAP_BYTES

LINE_64B_PPS = 10e9 / ((64 + WIRE_GAP_BYTES) * 8)      # 14.88 Mpps


def doc(**top) -> dict:
    base = {"name": "rates", "duration": "1ms", "host": {"vms": [{"name": "vm0"}]},
            "traffic": {"flows": [{"name": "u", "count": 4, "rate": "100kpps", "size": 64}]}}
    base.update(top)
    return base


def _line(call, *args, **kw) -> str:
    with pytest.raises(UserError) as err:
        call(*args, **kw)
    line = err.value.line()
    assert "\n" not in line
    return line


def test_a_load_above_line_rate_is_refused_before_anything_runs(monkeypatch):
    import vnetsim.host.path as path

    started = []
    monkeypatch.setattr(path.HostPath, "run", lambda self: started.append(1))
    line = _line(vnetsim.run, doc(loads=["1Mpps", "10Mpps", "30Mpps"]))
    assert started == []
    assert "loads[2]: 30Mpps is above the 10 Gb/s line rate for 64 B frames (14.88Mpps)" in line
    assert "lower it, or raise host.pnic.line_rate" in line and "variant 'rates'" in line


def test_a_flow_above_line_rate_gets_the_same_rule():
    line = _line(vnetsim.run, doc(), overrides=["traffic.flows.u.rate=30Mpps"])
    assert "traffic.flows: the flows' total, 30Mpps, is above the 10 Gb/s line rate for 64 B frames (14.88Mpps)" \
        in line and "lower it, or raise host.pnic.line_rate" in line


def test_bit_rates_are_compared_as_frames_on_the_wire():
    line = _line(vnetsim.run, doc(loads=["20Gbps"]))
    assert "loads[0]: 20Gbps (29.76Mpps) is above the 10 Gb/s line rate" in line
    rows = vnetsim.run(doc(loads=["10Gbps"])).variants          # exactly line rate: accepted
    assert rows[0]["offered_pps"] == pytest.approx(LINE_64B_PPS, rel=0.01)


def test_exactly_line_rate_in_packets_is_accepted():
    rate = f"{LINE_64B_PPS:.6f}pps"
    rows = vnetsim.run(doc(duration="0.5ms", loads=[rate])).variants
    assert rows[0]["packets"]["offered"] > 0


def test_the_cli_refuses_with_one_line_and_status_2(tmp_path):
    path = tmp_path / "over.yaml"
    path.write_text("name: over\nduration: 1ms\ntraffic:\n  flows: [{rate: 1Mpps, size: 64}]\nloads: [30Mpps]\n")
    out = subprocess.run([sys.executable, "-m", "vnetsim.cli.app", "run", str(path), "-q"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"vnetsim: {path}: variant 'over': loads[0]: 30Mpps is above the 10 Gb/s line rate for 64 B frames "
        "(14.88Mpps): the sender's queue would grow without bound (lower it, or raise host.pnic.line_rate)"]


# --- warm-up --------------------------------------------------------------------------------------

def test_duration_below_the_warmup_scales_it_and_says_so(capsys):
    row = vnetsim.run(doc(warmup="5ms"), duration="2ms").variants[0]
    assert row["window_s"] == pytest.approx([WARMUP_SHARE * 2e-3, 2e-3])
    assert row["packets"]["offered"] > 0
    note = row["warnings"][0]
    assert note.startswith("warmup: 5ms is not shorter than duration (2ms)") and "200us" in note
    err = capsys.readouterr().err
    assert "vnetsim: warning:" in err and "warm-up was scaled to 10% of the duration, 200us" in err


def test_a_warmup_shorter_than_the_duration_is_kept(capsys):
    row = vnetsim.run(doc(warmup="0.5ms"), duration="2ms").variants[0]
    assert row["window_s"] == pytest.approx([0.5e-3, 2e-3])
    assert row["warnings"] == [] and "warm-up" not in capsys.readouterr().err


def test_cli_duration_below_the_warmup_runs(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("name: w\nduration: 100ms\nwarmup: 10ms\ntraffic:\n  flows: [{rate: 50kpps}]\n")
    out = subprocess.run([sys.executable, "-m", "vnetsim.cli.app", "run", str(path), "--duration", "5ms",
                          "--json", "-"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)["variants"][0]
    assert row["window_s"] == pytest.approx([0.5e-3, 5e-3])
    assert "scaled" in out.stderr and "scaled" in row["warnings"][0]


def test_throughput_trials_shorter_than_the_scaled_warmup_are_still_one_line():
    line = _line(vnetsim.throughput, doc(warmup="5ms", throughput={"trial": "0.1ms"}), duration="2ms")
    assert "throughput.trial" in line


def test_with_loads_only_the_levels_are_checked_not_the_flows_own_total():
    """With loads, the flows' own rates only set the mix (every level rescales them), so a flow
    total above line rate is not what the run offers; the levels obey the rule."""
    rows = vnetsim.run(doc(loads=["100kpps"]), overrides=["traffic.flows.u.rate=30Mpps"]).variants
    assert rows[0]["offered_pps"] == pytest.approx(100e3, rel=0.3)   # Poisson, ~100 packets: 3 sd
    line = _line(vnetsim.run, doc(loads=["15Mpps"]), overrides=["traffic.flows.u.rate=30Mpps"])
    assert "loads[0]: 15Mpps is above" in line
