"""The calibrate orchestration without a testbed: measurements from a known model, so the fit,
the held-out predictions (made before those points are measured), the errors, the profile and
the tables can be checked exactly."""

from __future__ import annotations

import contextlib

import yaml
from rich.console import Console

from vnetsim.calibrate import render_calibration
from vnetsim.calibrate import run as cal
from vnetsim.calibrate.measure import Measured
from vnetsim.calibrate.model import Costs

TRUE = Costs(per_packet_ns=4000.0, per_byte_ns=0.5, encap_ns=2500.0, wakeup_ns=9000.0,
             rate_per_packet_ns=11000.0, rate_per_byte_ns=1.0, rate_vxlan_ns=-4000.0)


def test_calibrate_with_model_measurements(monkeypatch):
    order = []

    def fake_measure(points, bed, seconds, batches, rounds, limit_s, rate_rounds=None):
        order.append([p.label() for p in points])
        return [Measured(p, [cal.predict(TRUE, p)] * (batches * rounds)) for p in points]

    monkeypatch.setattr(cal, "Testbed", contextlib.nullcontext)
    monkeypatch.setattr(cal, "measure", fake_measure)
    result = cal.calibrate(quick=True)
    assert order[0] == [p.label() for p in cal.fit_points()] and len(order) == 2
    assert {r["point"] for r in result["holdout"]} == set(order[1])
    assert all(abs(r["error"]) < 1e-9 for r in result["holdout"])
    assert result["summary"]["goal_met"] and result["summary"]["median_abs_error_latency"] < 1e-9
    doc = yaml.safe_load(result["profile_text"])
    assert doc["vnetsim_profile"] == 1 and doc["host"]["service"]["per_packet"] == "4000ns"
    assert doc["host"]["service"]["wakeup"] == "9000ns" and doc["host"]["pnic"]["offload_costs"]["encap"] == "2500ns"
    assert doc["measured"]["holdout"]["goal_met"] is True
    console = Console(record=True, width=160)
    render_calibration(result, console)
    text = console.export_text()
    assert "held out: predicted before measured" in text and "goal 20 %: met" in text


def test_not_root_is_one_line(monkeypatch, capsys, tmp_path):
    import pytest

    from vnetsim.calibrate import testbed
    from vnetsim.cli import main

    monkeypatch.setattr(testbed.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit) as e:
        main(["calibrate", "--quick", "--out", str(tmp_path / "p.yaml")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "needs root" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "p.yaml").exists()
