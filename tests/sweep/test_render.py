"""A sweep's summary table on an 80-column terminal: every figure whole, in its unit, each line at
most 80 columns (a table too wide is split, repeating the point's columns), headers short."""

from __future__ import annotations

import io
import re

from rich.console import Console

from vnetsim.sweep.ci import summarize
from vnetsim.sweep.render import render_entries, render_runs


def _rows() -> list[dict]:
    rows = []
    for queues in (1, 2, 4, 8):
        for rep in range(3):
            rows.append({"design": f"d{queues}", "variant": "base", "row": 0, "sweep": "s",
                         "name": "a long variant name @ 2Mpps", "replication": rep, "seed": 1000 + rep,
                         "param.host.pnic.rx_queues": queues, "param.loads": "2Mpps",
                         "offered_pps": 2_543_210.0 + 1000 * rep, "delivered_pps": 2_541_987.0 - 3000 * rep,
                         "packets.dropped": 12_345 + 7 * rep, "latency_ns.p50": 1066.0 + rep,
                         "latency_ns.p99": 152_345.0 * queues + 50 * rep, "latency_ns.p999": 3.2e6 + rep})
    return rows


def _printed(fn, *args) -> list[str]:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    fn(*args, console, None, *([] if fn is render_runs else ["sweep 's'"]))
    return console.file.getvalue().splitlines()


def test_the_summary_fits_80_columns_with_every_figure_whole():
    lines = _printed(render_entries, summarize(_rows()))
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    cells = re.findall(r"[│┃]([^│┃]*)", text)
    found = {c.strip() for c in cells}
    for want in ("2.544Mpps", "2.539Mpps", "1.067us", "152.4us", "609.4us", "1.219ms", "12,352"):
        assert want in found, want                                 # each figure in one piece, in its unit
    assert any(c.startswith("± ") for c in found)                 # the half-width under the mean
    assert "rx_queues" in text and "host.pnic.rx_queues" not in text
    assert "…" not in text


def test_a_store_listing_fits_80_columns_and_names_its_sweep_once():
    lines = _printed(render_runs, _rows())
    assert max(len(line) for line in lines) <= 80
    assert lines[0].startswith("12 runs of sweep 's'")
    assert "…" not in "\n".join(lines)


def test_parameter_headers_are_the_shortest_endings_that_tell_them_apart():
    from vnetsim.sweep.render import param_headers

    assert param_headers(["host.pnic.rx_queues", "traffic.flows.udp.rate", "host.pnic.coalescing.rate",
                          "loads", "a.rate.x", "b.rate.x"]) == \
        ["rx_queues", "udp.rate", "coalescing.rate", "loads", "a.rate.x", "b.rate.x"]


def test_the_runs_warnings_follow_the_table_once_each_with_their_runs():
    import json

    from vnetsim.sweep.render import MAX_WARNINGS, render_warnings

    rows = _rows()
    for r in rows:
        grows = r["param.host.pnic.rx_queues"] == 1
        r["warnings"] = json.dumps(["4 of 6 host cores stay idle"] + (["the queues were still growing"] * grows))
    console = Console(width=1000, file=io.StringIO(), color_system=None)
    render_warnings(summarize(rows), console)
    lines = console.file.getvalue().splitlines()
    name = "a long variant name @ 2Mpps"
    assert lines == [f"warning (12 of 12 runs; {name} [host.pnic.rx_queues=1, loads=2Mpps], {name} "
                     f"[host.pnic.rx_queues=2, loads=2Mpps], {name} [host.pnic.rx_queues=4, loads=2Mpps] and 1 "
                     "more): 4 of 6 host cores stay idle",
                     f"warning (3 of 12 runs; {name} [host.pnic.rx_queues=1, loads=2Mpps]): "
                     "the queues were still growing"]
    for i, r in enumerate(rows):
        r["warnings"] = json.dumps([f"loss {i}%"])
    console = Console(width=1000, file=io.StringIO(), color_system=None)
    render_entries(summarize(rows), console, None, "sweep 's'")
    lines = console.file.getvalue().splitlines()
    assert lines[-MAX_WARNINGS - 1].startswith("warning (1 of 12 runs; ") and lines[-MAX_WARNINGS - 1].endswith(
        "loss 0%")
    assert lines[-1].startswith(f"and {12 - MAX_WARNINGS} more distinct warnings")
