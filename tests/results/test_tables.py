"""Tables fit an 80-column terminal without cutting numbers; Result has a readable repr and table()."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

import vnetsim
from vnetsim.api import render
from vnetsim.results import cells

WIDE = {"name": "wide", "duration": "5ms", "warmup": "1ms", "seed": 2,
        "traffic": {"flows": [{"name": "u", "count": 256, "rate": "2.54Mpps", "size": 128}]},
        "host": {"pnic": {"rx_queues": 8}, "cores": 8},
        "variants": [{"name": "interrupt, VMXNET3 coalescing at the default rate"},
                     {"name": "poll", "host": {"service": {"mode": "poll"}}}]}
NUMBER = re.compile(r"\d")


@pytest.fixture(scope="module")
def wide():
    return vnetsim.run(WIDE)


def _cells(text: str) -> list[str]:
    """Every table cell of rendered text (between box-drawing separators)."""
    out = []
    for line in text.splitlines():
        if "│" in line or "┃" in line:
            out += [c.strip() for c in re.split("[│┃]", line)[1:-1]]
    return out


def test_host_tables_fit_80_columns_without_cutting_numbers(wide):
    con = Console(width=80, record=True, color_system=None)
    render(wide, con)
    text = con.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    numeric = [c for c in _cells(text) if NUMBER.search(c)]
    assert numeric and not [c for c in numeric if "…" in c]
    from vnetsim.units import format_rate

    assert format_rate(wide.variants[0]["offered_pps"], "pps") in text


def test_a_table_too_wide_is_split_and_keeps_every_cell():
    from rich.table import Table

    t = Table(title="t")
    t.add_column("variant")
    for k in range(12):
        t.add_column(f"metric {k}", justify="right")
    t.add_row("a", *[f"{1234.5678 * k:,.4f}" for k in range(12)])
    con = Console(width=80, record=True, color_system=None)
    cells.print_table(con, t)
    text = con.export_text()
    assert all(len(line) <= 80 for line in text.splitlines()) and "…" not in text
    for k in range(12):
        assert f"{1234.5678 * k:,.4f}" in text and f"metric {k}" in text
    assert text.count("│ a ") >= 2, "each part repeats the variant"


def test_constant_columns_are_said_once():
    cols = ["variant", "offered", "p99"]
    keep, same = cells.split_constant(cols, [["a", "1Mpps", "3us"], ["b", "1Mpps", "9us"]])
    assert keep == [0, 2] and same == ["offered 1Mpps"]
    assert cells.split_constant(cols, [["a", "1Mpps", "3us"]]) == ([0, 1, 2], [])


def test_result_repr_and_table(wide):
    text = repr(wide)
    assert text.startswith("<Result host 'wide' from <scenario>: 2 rows>")
    assert "poll" in text and "p99" in text and cells.duration(wide.variants[1]["latency_ns"]["p99"]) in text
    t = wide.table()
    assert all(len(line) <= 80 for line in t.splitlines()) and "…" not in t
    t2 = wide.table(["latency_ns.p50", "cpu.host/core0.idle"], width=60)
    assert cells.duration(wide.variants[0]["latency_ns"]["p50"]) in t2 and "idle" in t2


def test_fabric_tables_fit_80_columns_and_lead_with_what_differs():
    from pathlib import Path

    res = vnetsim.run(Path(__file__).resolve().parents[2] / "examples" / "fabric-to-vm.yaml", duration="1ms")
    con = Console(width=80, record=True, color_system=None)
    render(res, con)
    text = con.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert not [c for c in _cells(text) if NUMBER.search(c) and "…" in c]
    # the end-to-end latency into the VMs differs (interrupt vs poll) and comes first; the fabric's
    # identical columns are said once under the table
    header = next(line for line in text.splitlines() if line.startswith("┃ variant"))
    assert "end-to-end p50" in header and "switches" not in header
    assert "same in every variant: switches 6" in text


def test_a_warning_many_rows_give_is_said_once():
    from vnetsim.results.result import Result

    rows = [{"name": f"a @ {x}", "offered_pps": 1e6 * x, "warnings": ["warm-up scaled"] + (["lossy"] if x > 2 else [])}
            for x in (1, 2, 4)]
    text = Result("s", "host", rows).table()
    assert text.count("warm-up scaled") == 1 and "warning: every row: warm-up scaled" in text
    assert "warning: a @ 4: lossy" in text


def test_storage_and_edge_tables_show_their_headline_figures():
    from vnetsim.results.result import Result

    storage = [{"name": n, "capacity": {"usable_bytes": u, "utilization": 0.539},
                "availability": {"markov": {"nines": {"value": nines}}},
                "cost": {"price_total": price, "price_per_usable_tb": price / u * 1e12}}
               for n, u, nines, price in (("robo", 10.752e12, 3.7377, 33879.2),
                                          ("stretched", 16.13e12, 7.135, 132638.0))]
    text = Result("erp", "storage", storage).table()
    for want in ("usable", "nines", "price", "10.75 TB", "16.13 TB", "3.738", "7.135", "33,879", "132,638"):
        assert want in text, want
    assert "same in every row: utilization 53.9%" in text and "e+" not in text
    edge = [{"name": n, "data": {"latency_ns": {"p99": p99}}, "links": {"uplink": {"bytes_per_month": b}},
             "cost_usd_month": {"total": usd}} for n, p99, b, usd in (("central", 8.93e6, 5.845e12, 3064.0),
                                                                      ("edge", 9.22e6, 71.7e9, 277.7))]
    text = Result("factory", "edge", edge).table()
    for want in ("data p99", "uplink/month", "USD/month", "8.93ms", "5.845 TB", "71.7 GB", "3064", "277.7"):
        assert want in text, want


def test_result_table_leads_with_what_differs():
    from pathlib import Path

    res = vnetsim.run(Path(__file__).resolve().parents[2] / "examples" / "fabric-to-vm.yaml", duration="1ms")
    text = res.table()
    header = next(line for line in text.splitlines() if line.startswith("┃ name"))
    assert "end-to-end p50" in header and "end-to-end p99" in header and "fabric p50" not in header
    assert "same in every row: " in text and "fabric p50" in text.split("same in every row: ")[1]
    assert all(len(line) <= 80 for line in text.splitlines())
    # asked for by name, a column stays even when every row agrees
    assert "fabric p50" in res.table(["latency_ns.overall.p50"])


def test_rates_and_sizes_read_in_their_largest_unit():
    assert [cells.bitrate(x) for x in (25e9, 67.6e6, 715_500.0, 999.0)] == \
        ["25 Gb/s", "67.6 Mb/s", "715.5 kb/s", "999 b/s"]
    assert [cells.size(x) for x in (10.752e12, 71.7e9, 1536.0, 12.0, None)] == \
        ["10.75 TB", "71.7 GB", "1.536 kB", "12 B", "-"]
