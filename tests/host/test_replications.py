"""``vnetsim run --replications N`` on host scenarios: independent seeds (splitmix64 of the base
seed, the sweep's seeds), replication 0 as the row, and Student-t intervals of the headline figures."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import pytest
from rich.console import Console
from scipy import stats as sps

import vnetsim
from vnetsim.api import render
from vnetsim.host.replicate import HEADLINE
from vnetsim.results.ci import replication_seed
from vnetsim.sweep.points import replication_seed as sweep_seed


def doc(**top) -> dict:
    base = {"name": "reps", "duration": "4ms", "warmup": "0.5ms", "seed": 3, "host": {"vms": [{"name": "vm0"}]},
            "traffic": {"flows": [{"name": "u", "count": 16, "rate": "200kpps"}]}}
    base.update(top)
    return base


@pytest.fixture(scope="module")
def replicated():
    return vnetsim.run(doc(), overrides=["replications=5"]).variants[0]


def test_seeds_are_the_sweeps_splitmix64_seeds(replicated):
    rep = replicated["replications"]
    assert rep["n"] == 5 and rep["base_seed"] == 3 and rep["confidence"] == 0.95
    assert rep["seeds"] == [replication_seed(3, r) for r in range(5)] == [sweep_seed(3, r) for r in range(5)]
    assert len(set(rep["seeds"])) == 5


def test_the_row_is_replication_0_and_the_intervals_are_over_separate_runs(replicated):
    rep = replicated["replications"]
    runs = [vnetsim.run(doc(), seed=s).variants[0] for s in rep["seeds"]]
    plain = dict(replicated)
    plain.pop("replications")
    assert json.dumps(plain, sort_keys=True) == json.dumps(runs[0], sort_keys=True)
    assert set(HEADLINE) <= set(rep["metrics"]) and "cpu_busy.host/core0" in rep["metrics"]
    values = {"latency_ns.p99": [r["latency_ns"]["p99"] for r in runs],
              "delivered_pps": [r["delivered_pps"] for r in runs],
              "cpu_busy_cores": [sum(1 - c["idle"] for c in r["cpu"].values()) for r in runs]}
    for path, xs in values.items():
        m = rep["metrics"][path]
        mean = sum(xs) / 5
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / 4)
        half = sps.t.ppf(0.975, 4) * sd / math.sqrt(5)
        assert m["n"] == 5 and m["mean"] == pytest.approx(mean, rel=1e-12)
        assert m["half_width"] == pytest.approx(half, rel=1e-9) and half > 0
        assert m["low"] == pytest.approx(mean - half) and m["high"] == pytest.approx(mean + half)
    assert rep["latency_samples"] == [r["latency_ns"]["samples"] for r in runs]


def test_the_offered_rate_interval_covers_the_poisson_rate(replicated):
    """Poisson arrivals at 200 kpps: the packets offered in a 3.5 ms window are Poisson(700), so
    the rate's replications scatter about 200 kpps with sd 200 kpps / sqrt(700); the 95 % interval
    over 5 independent seeds holds 200 kpps, and its half-width is what the t distribution gives
    for that sd (within the sampling spread of s with 4 degrees of freedom)."""
    m = replicated["replications"]["metrics"]["offered_pps"]
    assert m["low"] <= 200e3 <= m["high"]
    sd = 200e3 / math.sqrt(700)
    chi_lo, chi_hi = sps.chi2.ppf([0.0005, 0.9995], 4)
    assert sd * math.sqrt(chi_lo / 4) <= m["sd"] <= sd * math.sqrt(chi_hi / 4)


def test_one_replication_is_a_plain_run():
    one = vnetsim.run(doc(), overrides=["replications=1"]).variants[0]
    assert "replications" not in one
    assert json.dumps(one, sort_keys=True) == json.dumps(vnetsim.run(doc()).variants[0], sort_keys=True)


def test_every_load_level_is_replicated_and_the_table_shows_intervals():
    result = vnetsim.run(doc(), overrides=["replications=3", "loads=[5kpps, 100kpps]"])
    assert [v["replications"]["n"] for v in result.variants] == [3, 3]
    low = result.variants[0]["replications"]
    assert "latency_ns.p99" in low["unsupported"]      # some replication had < 1000 samples
    out = io.StringIO()
    render(result, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "replications" in text and "Student-t interval over 3 replications" in text and " ±" in text


def test_cli_replications_and_a_kind_without_them(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: cli\nduration: 2ms\ntraffic:\n  flows: [{rate: 50kpps}]\n")
    out = subprocess.run([sys.executable, "-m", "vnetsim.cli.app", "run", str(path), "-r", "2", "--json", "-"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["variants"][0]["replications"]["n"] == 2
    fabric = tmp_path / "f.yaml"
    fabric.write_text("kind: fabric\nname: f\n")
    bad = subprocess.run([sys.executable, "-m", "vnetsim.cli.app", "run", str(fabric), "-r", "2", "-q"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "replications" in bad.stderr
