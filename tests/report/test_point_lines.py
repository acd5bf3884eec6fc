"""Lines against load from sweep points: a swept value that does not set the load is a line of its
own (points of one variant are never joined across it); a swept load is read along the axis."""

from __future__ import annotations

from vnetsim.host.figures import interrupts_vs_load
from vnetsim.results.figures import point_lines


def _row(variant: str, load: str, pps: float, irq: float, **point) -> dict:
    return {"name": f"{variant} @ {load}", "variant": variant, "load": load, "offered_pps": pps,
            "cores": {"host/core0": {"interrupts_per_s": irq}}, "point": point}


def test_points_that_differ_in_a_parameter_are_separate_lines():
    rows = [_row("base", "1Mpps", 1.01e6, 900.0, queues=1), _row("base", "2Mpps", 1.98e6, 500.0, queues=1),
            _row("base", "1Mpps", 0.99e6, 4000.0, queues=8), _row("base", "2Mpps", 2.02e6, 2500.0, queues=8)]
    fig = interrupts_vs_load(rows)
    assert fig is not None
    lines = {s.name: (list(s.x), list(s.y)) for s in fig.series}
    assert lines == {"base (queues=1)": ([1.01e6, 1.98e6], [900.0, 500.0]),
                     "base (queues=8)": ([0.99e6, 2.02e6], [4000.0, 2500.0])}


def test_a_swept_load_is_the_axis_and_other_values_still_split():
    rows = [_row(v, load, pps, 1.0, loads=load, ring=ring) for v in ("a", "b") for ring in (256, 1024)
            for load, pps in (("1Mpps", 1e6), ("2Mpps", 2e6), ("4Mpps", 4e6))]
    lines = point_lines(rows, lambda r: r["offered_pps"], lambda r: r["load"])
    assert sorted(lines) == ["a (ring=1024)", "a (ring=256)", "b (ring=1024)", "b (ring=256)"]
    for label, rs in lines.items():
        assert [r["offered_pps"] for r in rs] == [1e6, 2e6, 4e6]
        assert {r["point"]["ring"] for r in rs} == {int(label.split("=")[1].rstrip(")"))}


def test_rows_without_points_are_one_line_per_variant():
    rows = [_row("a", "2Mpps", 2e6, 1.0), _row("a", "1Mpps", 1e6, 2.0), _row("b", "1Mpps", 1e6, 3.0)]
    for r in rows:
        del r["point"]
    lines = point_lines(rows, lambda r: r["offered_pps"])
    assert {k: [r["offered_pps"] for r in v] for k, v in lines.items()} == {"a": [1e6, 2e6], "b": [1e6]}



def _entry(variant: str, load: str, queues: int, p99: float) -> dict:
    return {"design": f"{load}/{queues}", "variant": variant, "row": 0, "name": f"{variant} @ {load}",
            "params": {"loads": load, "host.pnic.rx_queues": queues}, "replications": 1,
            "metrics": {"latency_ns.p99": {"mean": p99, "low": None, "high": None, "half_width": None, "n": 1}}}


def test_a_sweep_figure_against_swept_loads_draws_a_line_per_variant():
    """Rows named after the swept load (``v @ 1Mpps``) are one line along the loads, labelled with
    the variant; against the queues, each load is a line of its own, labelled with its row."""
    from vnetsim.report.sweep import sweep_figures

    summary = [_entry(v, load, q, 1000.0 * q + (500.0 if load == "2Mpps" else 0.0) + (7.0 if v == "b" else 0.0))
               for v in ("a", "b") for q in (1, 4) for load in ("1Mpps", "2Mpps")]
    figs = {f.id: f for f in sweep_figures(summary)}
    by_load = {s.name: (list(s.x), [round(y, 6) for y in s.y]) for s in figs["sweep-loads-latency_ns.p99"].series}
    assert by_load == {"a (host.pnic.rx_queues=1)": (["1Mpps", "2Mpps"], [1.0, 1.5]),
                       "b (host.pnic.rx_queues=1)": (["1Mpps", "2Mpps"], [1.007, 1.507]),
                       "a (host.pnic.rx_queues=4)": (["1Mpps", "2Mpps"], [4.0, 4.5]),
                       "b (host.pnic.rx_queues=4)": (["1Mpps", "2Mpps"], [4.007, 4.507])}
    by_queues = {s.name: list(s.x) for s in figs["sweep-host.pnic.rx_queues-latency_ns.p99"].series}
    assert by_queues == {f"{v} @ {load} (loads={load})": [1.0, 4.0] for v in ("a", "b") for load in ("1Mpps", "2Mpps")}
