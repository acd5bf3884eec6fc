"""Tables of an edge result: the variants side by side, then each variant's links and costs."""

from __future__ import annotations

from rich.table import Table

from vnetsim.results import cells
from vnetsim.results.cells import bitrate, duration, share


def _gb(x: float | None) -> str:
    """A volume in the largest decimal unit that fits (``22.2 TB``, not ``2.22e+04 GB``)."""
    return cells.size(x)


def _usd(x: float | None) -> str:
    return "-" if x is None else f"${x:,.2f}"


def _ratio(x: float | None) -> str:
    return "never" if x is None else f"{x:,.3g}x"


def render_edge(result, console) -> None:
    rows = result.variants
    t = Table(title=f"{result.scenario}: central ingest vs edge processing (per month, all sites)")
    t.add_column("")
    for r in rows:
        t.add_column(r["name"], justify="right")
    lines = [
        ("mode", lambda r: r["mode"]),
        ("uplink volume", lambda r: _gb(r["links"]["uplink"]["bytes_per_month"])),
        ("uplink rate", lambda r: bitrate(r["links"]["uplink"]["bytes_per_s"] * 8)),
        ("reduction ratio", lambda r: _ratio(r["reduction_ratio"])),
        ("uplink utilization", lambda r: share(r["uplink"]["utilization"])),
        ("queue wait p99", lambda r: duration(r["uplink"]["wait_ns"]["p99"])),
        ("event latency p50", lambda r: duration(r["events"]["latency_ns"]["p50"])),
        ("event latency p99", lambda r: duration(r["events"]["latency_ns"]["p99"])),
        ("events delivered", lambda r: f"{r['events']['delivered']}/{r['events']['offered']}"),
        ("data lost (overflow)", lambda r: _gb(r["uplink"]["bytes"]["dropped"])),
        ("data lost (in transit)", lambda r: _gb(r["uplink"]["bytes"]["lost"])),
        ("backlog at end", lambda r: _gb(r["uplink"]["bytes"]["buffered"])),
        ("edge CPU (cores/site)", lambda r: f"{r['edge']['cpu_cores_needed']:.3g}"),
        ("edge buffer needed", lambda r: _gb(r["edge"]["buffer_needed_bytes"])),
        ("UPF packets/s", lambda r: "-" if r["upf"] is None else f"{r['upf']['packets_per_s']:,.0f}"),
        ("UPF latency p50", lambda r: "-" if r["upf"] is None else duration(r["upf"]["latency_ns"]["p50"])),
        ("UPF latency p99", lambda r: "-" if r["upf"] is None else duration(r["upf"]["latency_ns"]["p99"])),
        ("UPF busiest core", lambda r: "-" if r["upf"] is None else share(r["upf"]["core_busy"]["max"])),
        ("cost / month", lambda r: _usd(r["cost_usd_month"]["total"])),
        ("central ingest cost", lambda r: _usd(r["central_ingest_cost_usd_month"])),
        ("break-even ratio", lambda r: "-" if r["mode"] == "relay" else _ratio(r["breakeven_reduction_ratio"])),
    ]
    for label, cell in lines:
        t.add_row(label, *[cell(r) for r in rows])
    console.print(t)
    for r in rows:
        c = Table(title=f"{r['name']}: monthly cost by item")
        c.add_column("item")
        c.add_column("USD / month", justify="right")
        for item, usd in r["cost_usd_month"].items():
            c.add_row(item, _usd(usd))
        console.print(c)


def render_breakeven(rows: list[dict], console) -> None:
    t = Table(title="Break-even reduction ratio: where edge processing pays off")
    for col in ("variant", "edge cores", "reduction", "break-even", "cost / month", "central ingest", "pays off"):
        t.add_column(col, justify="right" if col != "variant" else "left")
    for r in rows:
        t.add_row(r["name"], f"{r['edge_cores']:.3g}", _ratio(r["reduction_ratio"]),
                  "-" if r["mode"] == "relay" else _ratio(r["breakeven_ratio"]),
                  _usd(r["cost_usd_month"]), _usd(r["central_ingest_cost_usd_month"]),
                  "yes" if r["pays_off"] else "no")
    console.print(t)
