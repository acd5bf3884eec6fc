"""Replications merged into one row: histograms pooled exactly, percentiles read from the pooled
histogram (not averaged), other numbers averaged, integers that agree kept as integers."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.engine.histogram import LogHistogram
from vnetsim.results.histograms import histogram_from_json, histogram_to_json
from vnetsim.results.merge import merge_replications


def _hist(values) -> LogHistogram:
    h = LogHistogram()
    h.record(np.asarray(values, float))
    return h


def _summary(h: LogHistogram, samples: int, unsupported: list[str]) -> dict:
    return {**h.summary(), "samples": samples, "unsupported": unsupported}


def _host_like(lat: np.ndarray, i: int, flagged: list[str]) -> dict:
    h = _hist(lat)
    return {"name": "p", "queues": 4, "offered_pps": 1000.0 + 10 * i, "packets": {"dropped": i},
            "latency_histogram": histogram_to_json(h), "latency_ns": _summary(h, len(lat), flagged),
            "mode": "poll", "warnings": [f"w{i % 2}", "same"], "flows_per_queue": [4, 4 + i, 4, 4],
            "flow_queues": [{"flow": 0, "queue": i}]}


def test_histograms_pool_every_sample_and_percentiles_come_from_the_pool():
    rng = np.random.default_rng(7)
    # replications with clearly different tails: the p99 of the pool is not the mean of the p99s
    samples = [rng.exponential(scale, n) + 200 for scale, n in ((1_000.0, 4_000), (5_000.0, 2_000), (2_000.0, 900))]
    rows = [_host_like(s, i, ["p999", "max"] if i else ["p99", "p999", "max"]) for i, s in enumerate(samples)]
    merged = merge_replications(rows)
    pooled = _hist(np.concatenate(samples))
    h = histogram_from_json(merged["latency_histogram"])
    assert (h.counts == pooled.counts).all() and h.count == 6_900
    lat = merged["latency_ns"]
    for k in ("p50", "p90", "p99", "p999"):
        assert lat[k] == pooled.quantile({"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}[k])
    assert lat["max"] == pytest.approx(max(s.max() for s in samples))
    assert lat["mean"] == pytest.approx(np.concatenate(samples).mean(), rel=1e-9)
    assert lat["p99"] != pytest.approx(np.mean([r["latency_ns"]["p99"] for r in rows]), rel=0.01)
    assert lat["samples"] == 6_900
    assert lat["unsupported"] == ["p999", "max"]          # flagged by every replication
    assert merged["replications_merged"] == 3


def test_numbers_average_and_everything_else_keeps_its_shape():
    rng = np.random.default_rng(1)
    rows = [_host_like(rng.exponential(1e3, 100), i, []) for i in range(3)]
    merged = merge_replications(rows)
    assert merged["offered_pps"] == pytest.approx(1010.0)
    assert merged["packets"]["dropped"] == pytest.approx(1.0) and isinstance(merged["packets"]["dropped"], float)
    assert merged["queues"] == 4 and isinstance(merged["queues"], int)       # all agree: still an int
    assert merged["flows_per_queue"] == [4, 5.0, 4, 4]
    assert merged["mode"] == "poll" and merged["flow_queues"] == [{"flow": 0, "queue": 0}]
    assert merged["warnings"] == ["w0", "same", "w1"]


def test_a_fabric_summary_under_overall_is_read_from_the_pooled_histogram():
    rng = np.random.default_rng(3)
    parts = [rng.lognormal(8, 1, 3000), rng.lognormal(8.5, 1, 3000)]
    rows = []
    for p in parts:
        h = _hist(p)
        rows.append({"name": "f", "latency_histogram": histogram_to_json(h),
                     "latency_ns": {"overall": h.summary(), "pair_mean": float(p.mean())}})
    merged = merge_replications(rows)
    pooled = _hist(np.concatenate(parts))
    assert merged["latency_ns"]["overall"]["p99"] == pooled.quantile(0.99)
    assert merged["latency_ns"]["pair_mean"] == pytest.approx(np.mean([p.mean() for p in parts]))


def test_one_replication_is_the_row_itself():
    rng = np.random.default_rng(5)
    row = _host_like(rng.exponential(1e3, 500), 0, ["max"])
    merged = merge_replications([row])
    assert {k: v for k, v in merged.items() if k != "replications_merged"} == row
    with pytest.raises(ValueError):
        merge_replications([])


def test_a_replication_without_samples_leaves_the_figures_of_those_with_them():
    empty = {"name": "e", "events": {"count": 0, "p50": None, "p99": None}}
    some = {"name": "e", "events": {"count": 4, "p50": 7.0e7, "p99": 9.0e7}}
    merged = merge_replications([empty, some, {**some, "events": {"count": 2, "p50": 5.0e7, "p99": None}}])
    assert merged["events"] == {"count": 2.0, "p50": 6.0e7, "p99": 9.0e7}
    assert merge_replications([empty, empty])["events"] == empty["events"]


def test_a_nested_histogram_pools_with_the_summary_beside_it():
    """The edge form (``events.latency_histogram`` next to ``events.latency_ns`` with a ``count``)."""
    rng = np.random.default_rng(11)
    parts = [rng.exponential(5e7, 40) + 1e6, rng.exponential(8e7, 25) + 1e6]
    rows = []
    for p in parts:
        h = _hist(p)
        rows.append({"name": "edge", "events": {"offered": len(p), "latency_histogram": histogram_to_json(h),
                                                "latency_ns": {"count": h.count, **h.summary()}}})
    merged = merge_replications(rows)["events"]
    pooled = _hist(np.concatenate(parts))
    assert merged["latency_ns"]["count"] == 65 and merged["latency_ns"]["p90"] == pooled.quantile(0.9)
    assert merged["offered"] == pytest.approx(32.5)
