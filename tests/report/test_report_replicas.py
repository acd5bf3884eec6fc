"""A store's report merges the replications of each point: CDFs from the pooled histograms (checked
against the store's own histogram table), bars and lines with the Student-t interval of each
plotted value across the replications (checked against the runs table)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from vnetsim.report.replicas import banded
from vnetsim.report.sweep import store_sections
from vnetsim.results.ci import interval
from vnetsim.results.figures import Figure, Series, _thin
from vnetsim.results.histograms import cdf_points
from vnetsim.results.store import merged_by_design, read_rows


def _point_name(r: dict) -> str:
    """A runs row's (or a merged_by_design entry's) name as the report names the point."""
    ring = r["params"]["host.pnic.ring_size"] if "params" in r else r["param.host.pnic.ring_size"]
    return f"{r['name']} [host.pnic.ring_size={ring}]"


@pytest.fixture(scope="module")
def kind_figures(sweep_store) -> dict[str, Figure]:
    _, sections = store_sections(sweep_store)
    heading, figs, _ = sections[1]
    assert "3 replications of each point merged" in heading
    return {f.id: f for f in figs}


def test_cdfs_are_the_pooled_histograms_of_each_point(sweep_store, kind_figures):
    fig = kind_figures["latency-cdf"]
    merged = {_point_name(m): m for m in merged_by_design(sweep_store)}
    assert len(merged) == 4 and {s.name for s in fig.series} == set(merged)
    for s in fig.series:
        m = merged[s.name]
        assert m["runs"] == 3
        x, p = cdf_points(m)
        xs, ps = _thin(x / 1e3, p)
        assert s.x == xs and s.y == ps and s.lower is None      # a CDF has no band: its buckets differ
    # the table beside it: percentiles of the pooled packets, not the mean of the replications' p99s
    p99 = {row[0]: row[2] for row in fig.table.rows}
    from vnetsim.results import cells

    for name, m in merged.items():
        assert p99[name].rstrip("*") == cells.duration(m["summary"]["p99"])


def test_bars_carry_the_interval_of_each_value_across_replications(sweep_store, kind_figures):
    fig = kind_figures["queue-load"]
    per_point: dict[str, list[dict]] = defaultdict(list)
    for r in read_rows(sweep_store):
        per_point[_point_name(r)].append(r)
    data = [s for s in fig.series if s.mode == "data"]
    assert len(data) == 4
    for s in data:
        reps = per_point[s.name]
        assert len(reps) == 3 and s.x == ["q0", "q1"]
        for q, (y, lo, hi) in enumerate(zip(s.y, s.lower, s.upper)):
            shares = [100.0 * r[f"queues.pnic/q{q}.share"] for r in reps]
            ci = interval(shares)
            assert y == pytest.approx(ci["mean"]) and lo == pytest.approx(ci["low"]) and hi == pytest.approx(ci["high"])
            assert ci["half_width"] > 0                          # seeds differ: the shares do too
    assert "confidence interval of each value across the 3 replications" in fig.note


def test_a_stacked_figure_shows_means_without_bars(kind_figures):
    fig = kind_figures["cpu-per-core"]
    assert all(s.lower is None for s in fig.series)


def _bar(name, x, y):
    return Series(name, x, y)


def test_banded_matches_values_by_figure_series_and_x():
    merged = [Figure("b", "bars", "bar", [_bar("a", ["q0", "q1"], [2.0, 3.0]), _bar("only-merged", ["q0"], [1.0])]),
              Figure("l", "line", "line", [Series("a", [1.0, 10.0], [5.0, 6.0])]),
              Figure("cdf", "cdf", "line", [Series("a", [1.0, 2.0, 3.0], [0.2, 0.6, 1.0])]),
              Figure("s", "stacked", "stacked", [_bar("u", ["c0"], [50.0])])]
    reps = []
    for k, (y0, y1, lx) in enumerate(((1.0, 3.0, 1.05), (2.0, 3.5, 0.97), (3.0, 2.5, 1.0))):
        reps.append([Figure("b", "bars", "bar", [_bar("a", ["q1", "q0"] if k == 1 else ["q0", "q1"],
                                                      [y1, y0] if k == 1 else [y0, y1])]),
                     Figure("l", "line", "line", [Series("a", [lx, 10.0 * lx], [5.0 + k, 6.0 - k])]),
                     Figure("cdf", "cdf", "line", [Series("a", [1.0, 2.5 + k, 3.0], [0.1, 0.5, 1.0])]),
                     Figure("s", "stacked", "stacked", [_bar("u", ["c0"], [40.0 + k])])])
    out = {f.id: f for f in banded(merged, reps)}
    a, alone = out["b"].series
    ci0, ci1 = interval([1.0, 2.0, 3.0]), interval([3.0, 3.5, 2.5])      # matched by category, not position
    assert a.lower == [ci0["low"], ci1["low"]] and a.upper == [ci0["high"], ci1["high"]]
    assert alone.lower is None
    line = out["l"].series[0]
    assert line.lower == pytest.approx([interval([5, 6, 7])["low"], interval([6, 5, 4])["low"]])
    assert out["cdf"].series[0].lower is None and out["s"].series[0].lower is None
    assert "bands: 95% confidence interval" in out["l"].note and out["cdf"].note == ""
    # the same values in every replication (a deterministic figure): no zero-width bars
    same = banded([Figure("b", "bars", "bar", [_bar("a", ["q0"], [2.0])])],
                  [[Figure("b", "bars", "bar", [_bar("a", ["q0"], [2.0])])]] * 3)
    assert same[0].series[0].lower is None and same[0].note == ""
    # one replication: nothing to band
    assert banded(merged, reps[:1])[0].series[0].lower is None


def test_error_bars_reach_the_interval_in_the_plotly_spec():
    from vnetsim.report.plotly_spec import to_plotly

    fig = Figure("b", "bars", "bar", [Series("a", ["q0", "q1"], [2.0, None], [1.5, None], [2.25, None])])
    (bar,) = to_plotly(fig)["data"]
    assert bar["error_y"]["array"] == [0.25, None] and bar["error_y"]["arrayminus"] == [0.5, None]


def test_interrupts_against_load_keep_the_swept_points_apart(sweep_store, kind_figures):
    """One line per ring size (the points share their variant name), each through its two load
    levels at the mean over the replications of that point's interrupts."""
    fig = kind_figures["interrupts-vs-load"]
    per_point: dict[tuple[int, str], list[float]] = defaultdict(list)
    for r in read_rows(sweep_store):
        irqs = sum(v for k, v in r.items() if k.startswith("cores.") and k.endswith(".interrupts_per_s") and v)
        per_point[(r["param.host.pnic.ring_size"], r["load"])].append(irqs)
    assert sorted(s.name for s in fig.series) == ["report sweep (host.pnic.ring_size=1024)",
                                                  "report sweep (host.pnic.ring_size=256)"]
    for s in fig.series:
        ring = int(s.name.rsplit("=", 1)[1].rstrip(")"))
        assert len(s.x) == 2 and s.x[0] < s.x[1]                 # 100 kpps, then 300 kpps
        want = [sum(per_point[(ring, load)]) / 3 for load in ("100kpps", "300kpps")]
        assert s.y == pytest.approx(want)
