"""A sweep's summary as a terminal table: each design point's parameters, replications, and chosen
metrics as ``mean ± half-width`` of their confidence interval."""

from __future__ import annotations

from typing import Any

MAX_DEFAULT_METRICS = 5


def default_metrics(summary: list[dict[str, Any]], limit: int = MAX_DEFAULT_METRICS) -> list[str]:
    """Up to ``limit`` metrics: the headline figures (``vnetsim.results.result.HEADLINE``) that
    differ between the summary's entries, then other metrics that differ, then headline figures
    that do not; the first metrics at all when nothing else applies."""
    from vnetsim.results.result import HEADLINE

    names: list[str] = []
    for entry in summary:
        names += [n for n in entry["metrics"] if n not in names]

    def varies(name: str) -> bool:
        return len({entry["metrics"].get(name, {}).get("mean") for entry in summary}) > 1

    headline = [h for h in HEADLINE if h in names]
    order = [h for h in headline if varies(h)] + [n for n in names if n not in headline and varies(n)] \
        + [h for h in headline if not varies(h)] + names
    return list(dict.fromkeys(order))[:limit]


def _cell(metric: str, iv: dict[str, Any] | None) -> str:
    """``mean`` in the metric's unit (``1.022Mpps``, ``1.406us``), its half-width on a second line,
    so that a column is as narrow as its longest figure and no number is cut."""
    if not iv or iv.get("mean") is None:
        return "-"
    text = _value(metric, iv["mean"])
    if iv.get("half_width") is not None:
        text += "\n± " + _value(metric, iv["half_width"])
    return text


def _value(metric: str, value: Any) -> str:
    """A number in the metric's unit (``Result.table``'s cells); a large plain count with thousands
    separators (``12,345.7``), never in exponent form."""
    from vnetsim.results.result import _cell as unit_cell

    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    text = unit_cell(metric, float(value) if isinstance(value, int) and "_" in metric else value)
    return f"{value:,.1f}" if "e+" in text else text


def param_headers(paths: list[str]) -> list[str]:
    """Swept parameters' headers: the shortest dotted ending that tells each apart
    (``host.pnic.rx_queues`` -> ``rx_queues``; ``traffic.flows.udp.rate`` and
    ``host.pnic.coalescing.rate`` -> ``udp.rate`` and ``coalescing.rate``)."""
    out = []
    for p in paths:
        parts = p.split(".")
        for k in range(1, len(parts) + 1):
            tail = ".".join(parts[-k:])
            if not any(q != p and (q == tail or q.endswith("." + tail)) for q in paths):
                break
        out.append(tail)
    return out


def headers(paths: list[str], short) -> list[str]:
    """``short(path)`` for each path, the full path where two would read alike."""
    names = [short(p) for p in paths]
    return [n if names.count(n) == 1 else p for n, p in zip(names, paths)]


def render_entries(summary: list[dict[str, Any]], console: Any, metrics: list[str] | None, title: str,
                   confidence: float = 0.95) -> None:
    """Print summary entries (``vnetsim.sweep.ci.summarize``): one line per design point and row,
    the runs' warnings under the table (``render_warnings``).
    Headers are short (a parameter's last name, a metric as ``Result.table`` heads it), values in
    their units; a table wider than the terminal is split, each part repeating the point's columns
    (``results.cells.print_table``), so an 80-column terminal cuts no number."""
    from rich.table import Table

    from vnetsim.results.cells import print_table
    from vnetsim.results.result import _header

    if not summary:
        console.print(f"{title}: no runs")
        return
    chosen = metrics or default_metrics(summary)
    params: list[str] = []
    for entry in summary:
        params += [p for p in entry["params"] if p not in params]
    table = Table(title=f"{title}; mean and ± {100 * confidence:g}% CI half-width", title_justify="left")
    for h in param_headers(params):
        table.add_column(h, overflow="fold")
    table.add_column("row", overflow="fold")
    table.add_column("n", justify="right")
    for h in headers(chosen, _header):
        table.add_column(h, justify="right")
    for entry in summary:
        table.add_row(*[str(entry["params"].get(p, "-")) for p in params], str(entry["name"]),
                      str(entry["replications"]), *[_cell(m, entry["metrics"].get(m)) for m in chosen],
                      end_section=any(entry["metrics"].get(m, {}).get("half_width") is not None for m in chosen))
    print_table(console, table, keep=len(params) + 1)
    render_warnings(summary, console)
    known = {n for e in summary for n in e["metrics"]}
    unknown = [m for m in chosen if m not in known]
    if unknown:
        console.print(f"no such metric: {', '.join(unknown)} (see the columns: vnetsim results STORE --csv -)")


def render_summary(result: Any, console: Any, metrics: list[str] | None = None) -> None:
    """Print a SweepResult's summary (its runs' warnings under the table: ``render_warnings``)."""
    title = (f"sweep {result.name!r}: {len(result.points)} runs ({result.ran} ran now, {result.skipped} from the "
             "store)")
    render_entries(result.summary(), console, metrics, title, result.block.confidence)


MAX_WARNINGS = 6   # distinct warnings printed under a summary table; the rest are counted


def render_warnings(summary: list[dict[str, Any]], console: Any) -> None:
    """Each distinct warning of the summary's runs (their rows' ``warnings``: a queue still growing
    at the end, resources left idle) once, with how many runs give it and at which points: a table
    of means alone would hide that some points are a transient's or leave cores unused."""
    seen: dict[str, list[tuple[dict[str, Any], int]]] = {}
    for e in summary:
        for w, n in (e.get("warnings") or {}).items():
            seen.setdefault(w, []).append((e, n))
    runs = sum(e.get("replications", 0) for e in summary)
    for k, (w, where) in enumerate(seen.items()):
        if k == MAX_WARNINGS:
            console.print(f"and {len(seen) - k} more distinct warnings (the runs' warnings column: "
                          "vnetsim results STORE --csv -)", markup=False)
            break
        names = [_point_name(e) for e, _ in where]
        who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        console.print(f"warning ({sum(n for _, n in where)} of {runs} runs; {who}): {w}", markup=False)


def _point_name(e: dict[str, Any]) -> str:
    """A summary entry as ``name [param=value, ...]`` (its swept values)."""
    params = [f"{k}={v}" for k, v in e.get("params", {}).items()]
    return str(e.get("name")) + (f" [{', '.join(params)}]" if params else "")


def render_store_summary(summary: list[dict[str, Any]], console: Any, metrics: list[str] | None = None) -> None:
    """Print the summary of a store's runs."""
    render_entries(summary, console, metrics, f"{sum(e['replications'] for e in summary)} runs")


def render_runs(rows: list[dict[str, Any]], console: Any, metrics: list[str] | None = None, limit: int = 50) -> None:
    """Print a store's runs: identity, parameters and a few metrics, at most ``limit`` lines."""
    from rich.table import Table

    from vnetsim.sweep.ci import is_metric

    params = [c for c in (rows[0] if rows else {}) if c.startswith("param.")]
    if metrics:
        chosen = metrics
    else:
        names = [c for c in (rows[0] if rows else {}) if is_metric(c, rows[0][c])]
        chosen = [n for n in names if len({r.get(n) for r in rows}) > 1][:MAX_DEFAULT_METRICS] or names[:2]
    from vnetsim.results.cells import print_table
    from vnetsim.results.result import _header

    sweeps = {r.get("sweep") for r in rows}
    one = f" of sweep {next(iter(sweeps))!r}" if len(sweeps) == 1 else ""     # said once, not on every line
    table = Table(title=f"{len(rows)} runs{one}" + (f" (the first {limit})" if len(rows) > limit else ""),
                  title_justify="left")
    ident = [*([] if one else ["sweep"]), "variant", *params]
    for h in [*ident[:-len(params) or None], *param_headers([p.removeprefix("param.") for p in params])]:
        table.add_column(h, overflow="fold")
    for h in ["replication", "seed", *headers(chosen, _header)]:
        table.add_column(h, justify="right")
    for r in rows[:limit]:
        table.add_row(*[_text(c, r.get(c)) for c in [*ident, "replication", "seed", *chosen]])
    print_table(console, table, keep=len(ident))


def _text(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("replication", "seed") or column.startswith("param."):
        return str(value)
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and "_" in column):
        return _value(column, value)
    return str(value)


def render_merged(entries: list[dict[str, Any]], console: Any, metric: str) -> None:
    """Print percentiles of ``metric`` with each design point's replications merged
    (``vnetsim.results.store.merged_by_design``)."""
    from rich.table import Table

    from vnetsim.results.cells import duration, print_table

    if not entries:
        console.print(f"{metric}: no runs")
        return
    params: list[str] = []
    for e in entries:
        params += [p for p in e["params"] if p not in params]
    stats = ("mean", "p50", "p90", "p99", "p999", "max")
    table = Table(title=f"{metric}, replications merged (percentiles of all their packets)", title_justify="left")
    for c in [*param_headers(params), "row", "runs", *stats]:
        table.add_column(c, overflow="fold", justify="right" if c in stats or c == "runs" else "left")
    for e in entries:
        table.add_row(*[str(e["params"].get(p, "-")) for p in params], str(e["name"]), str(e["runs"]),
                      *[duration(e["summary"].get(s)) for s in stats])
    print_table(console, table, keep=len(params) + 1)
