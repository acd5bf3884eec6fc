"""Honest latency statistics: every figure with its sample count, and the ones too few samples
support flagged (vnetsim.host.stats), in the JSON rows and in the tables."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console
from scipy import stats as sps

import vnetsim
from vnetsim.api import render
from vnetsim.host.stats import MIN_SAMPLES_ABOVE, QUANTILES, samples_needed, unsupported


def doc(rate: str = "20kpps", duration: str = "5ms", **top) -> dict:
    base = {"name": "honest", "duration": duration, "host": {"vms": [{"name": "vm0"}]},
            "traffic": {"flows": [{"name": "u", "count": 8, "rate": rate}]}}
    base.update(top)
    return base


def test_samples_needed_follow_the_rule():
    assert {k: samples_needed(k) for k in ("mean", "p50", "p90", "p99", "p999", "max")} == \
        {"mean": 10, "p50": 20, "p90": 100, "p99": 1000, "p999": 10_000, "max": 10_000}
    names = ["mean", "p50", "p90", "p99", "p999", "max"]
    assert unsupported(names, 9) == names
    assert unsupported(names, 999) == ["p99", "p999", "max"]
    assert unsupported(names, 1000) == ["p999", "max"]
    assert unsupported(names, 10_000) == []


def _rank_interval(n: int, p: float, level: float = 0.95) -> tuple[int, int | None]:
    """The exact distribution-free interval for the p-quantile: order statistics (r, s) with
    P(X_(r) <= q_p <= X_(s)) >= level, from the binomial count of samples below q_p; s is None when
    even the sample maximum is not high enough (no upper bound inside the data)."""
    alpha = (1 - level) / 2
    r = max(1, int(sps.binom.ppf(alpha, n, p)))
    s = int(sps.binom.ppf(1 - alpha, n, p)) + 1
    return r, (s if s <= n and sps.binom.cdf(s - 1, n, p) >= 1 - alpha else None)


@pytest.mark.parametrize("name", list(QUANTILES))
def test_the_rule_is_where_the_order_statistic_interval_stays_inside_the_tail(name):
    """At the samples the rule asks for, the exact 95 % interval's upper end is several samples
    below the maximum (a tail figure, not the largest packet); with a quarter of them the upper end
    is the maximum or beyond the data (whatever the last packets did)."""
    p = QUANTILES[name]
    n = samples_needed(name)
    _, s = _rank_interval(n, p)
    assert s is not None and n - s >= 3, (n, s)
    few = max(1, n // 4)           # k = 2.5 samples above: fewer than 1.96^2
    _, s_few = _rank_interval(few, p)
    assert s_few is None or few - s_few <= 1, (few, s_few)


def test_the_rule_bounds_the_spread_of_the_estimate():
    """With 10 samples above the quantile (n = 1000), the p99 of exponential samples is within 15 %
    of the true value in 95 % of 400 runs; with 1 above (n = 100) more than 30 % off."""
    rng = np.random.default_rng(7)
    true = -np.log(1 - 0.99)
    spread = {}
    for n in (100, 1000):
        est = np.quantile(rng.exponential(size=(400, n)), 0.99, axis=1, method="inverted_cdf")
        spread[n] = float(np.quantile(np.abs(est / true - 1), 0.95))
    assert spread[1000] < 0.15 and spread[100] > 0.30
    assert MIN_SAMPLES_ABOVE == 10


def test_rows_carry_samples_and_flags():
    low, high = vnetsim.run(doc(), overrides=["loads=[2kpps, 200kpps]"]).variants
    for row in (low, high):
        lat = row["latency_ns"]
        assert lat["samples"] == row["packets"]["delivered"]
        assert lat["unsupported"] == unsupported(["mean", "p50", "p90", "p99", "p999", "max"], lat["samples"])
        assert set(row["stage_latency_samples"]) == set(row["stage_latency_ns"])
        for stage, n in row["stage_latency_samples"].items():
            assert row["stage_latency_unsupported"][stage] == unsupported(["mean", "p99"], n)
    assert low["latency_ns"]["samples"] < 20 and "p50" in low["latency_ns"]["unsupported"]
    assert 1000 <= high["latency_ns"]["samples"] < 10_000
    assert high["latency_ns"]["unsupported"] == ["p999", "max"]


def _text(result) -> str:
    out = io.StringIO()
    render(result, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_tables_mark_unsupported_figures_and_show_samples():
    result = vnetsim.run(doc(), overrides=["loads=[2kpps, 200kpps]"])
    text = _text(result)
    low, high = result.variants
    assert "samples" in text and f"{high['latency_ns']['samples']:,}" in text
    line = next(ln for ln in text.splitlines() if ln.lstrip("│ ").startswith("honest @ 200kpps"))
    assert line.count("*") == 2            # p99.9 and max, not p50 or p99
    assert "* too few samples for this figure" in text and "n(1-p) >= 10" in text


def test_well_supported_rows_have_no_marker():
    result = vnetsim.run(doc(rate="1Mpps", duration="12ms"))
    row = result.variants[0]
    assert row["latency_ns"]["samples"] >= 10_000 and row["latency_ns"]["unsupported"] == []
    assert "too few samples" not in _text(result)


def test_the_report_table_marks_them_too():
    from vnetsim.host.figures import host_figures

    result = vnetsim.run(doc(), overrides=["loads=[2kpps, 200kpps]"])
    cdf = next(f for f in host_figures(result) if "CDF" in f.title)
    low, high = cdf.table.rows
    assert all(c.endswith("*") for c in low[1:]) and [c.endswith("*") for c in high[1:]] == [False, False, True, True]
    assert "too few samples" in cdf.note


def test_result_table_marks_them():
    result = vnetsim.run(doc(), overrides=["loads=[200kpps]"])
    text = result.table(width=200)
    row = next(ln for ln in text.splitlines() if "honest @ 200kpps" in ln)
    assert row.count("*") == 2 and "* too few samples for this figure" in text
