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

