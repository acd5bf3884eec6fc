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
    """Print host-path variants side by side: rates, drops, latency, stage latency and CPU."""
    variants = result.variants
    table = Table(title=f"{result.scenario}", show_lines=False, title_justify="left")
    table.add_column("", style="bold")
    for v in variants:
        table.add_column(v["name"], justify="right", overflow="fold")

    def row(label, fn, style=None):
        table.add_row(label, *[fn(v) for v in variants], style=style)

    row("offered", lambda v: f"{format_rate(v['offered_pps'], 'pps')} ({format_rate(v['offered_bps'], 'bps')})")
    row("delivered", lambda v: format_rate(v["delivered_pps"], "pps"))
    row("dropped", lambda v: _drops(v))
    table.add_section()
    for q in ("p50", "p90", "p99", "p999", "max", "mean"):
        row(f"latency {q.replace('p999', 'p99.9')}", lambda v, q=q: _us(v["latency_ns"][q]),
            style="cyan" if q in ("p50", "p99") else None)
    table.add_section()
    for stage in variants[0]["stage_latency_ns"]:
        row(f"  {stage} (mean)", lambda v, s=stage: _us(v["stage_latency_ns"][s]))
    table.add_section()
    cores = list(dict.fromkeys(k for v in variants for k in v["cpu"]))
    for core in cores:
        row(f"cpu {core}", lambda v, c=core: _cpu(v["cpu"].get(c)))
        row("  interrupts/s, pkts/intr", lambda v, c=core: _irq(v["cores"].get(c)))
    console.print(table)
    console.print("cpu = busy% (useful / overhead / spin); latency percentiles within "
                  f"{100 * variants[0].get('histogram_relative_error', 0):.2f}% (log-bucketed histogram)",
                  style="dim")


def _drops(v) -> str:
    total = v["packets"]["dropped"]
    if not total:
        return "0"
    parts = ", ".join(f"{k} {n}" for k, n in v["drops_by_stage"].items() if n)
    share = total / max(1, v["packets"]["offered"])
    return f"{total} ({share:.2%}: {parts})"


def _cpu(c) -> str:
    if c is None:
        return "-"
    busy = c["useful"] + c["overhead"] + c["spin"]
    return f"{_pct(busy)} ({100 * c['useful']:.0f}/{100 * c['overhead']:.0f}/{100 * c['spin']:.0f})"


def _irq(c) -> str:
    if c is None:
        return "-"
    irq = c["interrupts_per_s"]
    if not irq:
        return "0"
    ppi = c["packets_per_interrupt"]
    return f"{irq:,.0f}, {ppi:.1f}" if ppi is not None else f"{irq:,.0f}"


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
