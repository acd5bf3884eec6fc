"""Terminal tables (rich): variants side by side, the figures an architect compares."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vnetsim.units import format_duration_ns, format_rate


def _us(ns) -> str:
    return "-" if ns is None or ns != ns else format_duration_ns(ns)


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def render_host(result, console: Console) -> None:
    """Print host-path variants as rows: rates, drops, latency; then where latency goes; then CPU."""
    variants = result.variants
    zero_loss = any("zero_loss" in v for v in variants)
    table = Table(title=f"{result.scenario}", title_justify="left")
    for col in ("variant", "offered", "delivered", "dropped", "p50", "p99", "p99.9", "max", "CPU busy"):
        table.add_column(col, justify="left" if col == "variant" else "right", overflow="fold")
    if zero_loss:
        table.add_column("zero-loss rate", justify="right")
    for v in variants:
        lat = v["latency_ns"]
        cells = [v["name"], format_rate(v["offered_pps"], "pps"), format_rate(v["delivered_pps"], "pps"),
                 _drops(v), _us(lat["p50"]), _us(lat["p99"]), _us(lat["p999"]), _us(lat["max"]), _busy(v)]
        if zero_loss:
            z = v.get("zero_loss")
            cells.append(f"{format_rate(z['zero_loss_pps'], 'pps')}" if z else "-")
        table.add_row(*cells)
    console.print(table)

    stages = list(variants[0]["stage_latency_ns"])
    where = Table(title="where the latency goes (mean per stage)", title_justify="left")
    where.add_column("variant")
    for s in stages:
        where.add_column(s, justify="right")
    for v in variants:
        where.add_row(v["name"], *[_us(v["stage_latency_ns"][s]) for s in stages])
    console.print(where)

    cpu = Table(title="CPU per core (share of the window)", title_justify="left")
    for col in ("variant", "core", "useful", "overhead", "spin", "idle", "interrupts/s", "pkts/interrupt"):
        cpu.add_column(col, justify="left" if col in ("variant", "core") else "right")
    for v in variants:
        for k, (core, c) in enumerate(v["cpu"].items()):
            counters = v["cores"][core]
            ppi = counters["packets_per_interrupt"]
            cpu.add_row(v["name"] if k == 0 else "", core, _pct(c["useful"]), _pct(c["overhead"]), _pct(c["spin"]),
                        _pct(c["idle"]), f"{counters['interrupts_per_s']:,.0f}", "-" if ppi is None else f"{ppi:.1f}")
        cpu.add_section()
    console.print(cpu)
    console.print(f"latency percentiles within {100 * variants[0].get('histogram_relative_error', 0):.2f}% "
                  "(log-bucketed histogram); CPU busy = useful + overhead + spin", style="dim")


def _busy(v) -> str:
    return " ".join(f"{_pct(1 - c['idle'])}" for c in v["cpu"].values())


def _drops(v) -> str:
    total = v["packets"]["dropped"]
    if not total:
        return "0"
    parts = ", ".join(f"{k} {n}" for k, n in v["drops_by_stage"].items() if n)
    share = total / max(1, v["packets"]["offered"])
    return f"{total} ({share:.2%}: {parts})"




def render_throughput(result, console: Console) -> None:
    """Print each variant's zero-loss rate and the latency and CPU at that rate."""
    table = Table(title=f"{result.scenario}: zero-loss throughput (RFC 2544 search)", title_justify="left")
    for col in ("variant", "zero-loss rate", "of line rate", "p50", "p99", "p99.9", "busiest core", "trials"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for v in result.variants:
        at = v["at_zero_loss"] or {}
        lat = at.get("latency_ns", {})
        cpu = at.get("cpu", {})
        busiest = max(cpu.items(), key=lambda kv: 1 - kv[1]["idle"], default=None)
        table.add_row(
            v["name"], format_rate(v["zero_loss_pps"], "pps"), _pct(v["line_rate_fraction"]),
            _us(lat.get("p50")), _us(lat.get("p99")), _us(lat.get("p999")),
            f"{busiest[0]} {_pct(1 - busiest[1]['idle'])}" if busiest else "-", str(len(v["trials"])))
    console.print(table)
