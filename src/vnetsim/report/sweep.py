"""A results store's report: sweep figures (each metric against a swept parameter, the mean over
replications with its 95 % confidence band) and the kinds' own figures for the points.

Series: one per result row of the scenario (variant, load level) and combination of the other
swept parameters; x: the parameter's values (a numeric axis when every value is a number,
categories in the order the sweep ran them otherwise). Intervals are Student t over the
replications (``vnetsim.sweep.ci``); with one replication there is no band.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vnetsim.report.sections import Section, figures_of, warnings_of
from vnetsim.results.figures import Figure, Series, Table
from vnetsim.results.result import HEADLINE, Result, _cell
from vnetsim.sweep.ci import summarize

MAX_METRICS = 4        # sweep figures per parameter: the first of SWEEP_METRICS the rows have
SWEEP_METRICS = ("latency_ns.p99", "latency_ns.overall.p99", "edge_hosts.latency_ns.p99", "delivered_pps",
                 "packets.dropped", "drops.total", "latency_ns.p50", "latency_ns.overall.p50", "zero_loss_pps")
MAX_POINTS = 16        # result rows given to the kinds' figures (one replication of each point)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def sweep_figures(summary: list[dict]) -> list[Figure]:
    """Metric against parameter with CI bands, for every parameter that takes more than one value."""
    params = sorted({p for s in summary for p in s["params"]})
    metrics = [m for m in dict.fromkeys(SWEEP_METRICS + HEADLINE)
               if any((s["metrics"].get(m) or {}).get("mean") is not None for s in summary)]
    figs = []
    for p in params:
        values = list(dict.fromkeys(json.dumps(s["params"].get(p), sort_keys=True) for s in summary))
        if len(values) < 2:
            continue
        numeric = all(_number(json.loads(v)) is not None for v in values)
        for m in metrics[:MAX_METRICS]:
            groups: dict[str, list[tuple[Any, dict]]] = {}
            for s in summary:
                others = ", ".join(f"{k}={s['params'][k]}" for k in sorted(s["params"]) if k != p)
                label = str(s.get("name") or s.get("variant") or "") + (f" ({others})" if others else "")
                groups.setdefault(label, []).append((s["params"].get(p), s["metrics"].get(m) or {}))
            series, rows = [], []
            for label, pts in groups.items():
                if numeric:
                    pts = sorted(pts, key=lambda t: float(t[0]))
                xs = [float(x) if numeric else json.dumps(x) if isinstance(x, list | dict) else str(x) for x, _ in pts]
                scale = 1e-3 if m.endswith(tuple(f"{k}" for k in ("p50", "p99", "p999", "max", "mean"))) \
                    and "latency" in m else 1.0
                ys = [_scaled(i.get("mean"), scale) for _, i in pts]
                lo = [_scaled(i.get("low"), scale) for _, i in pts]
                hi = [_scaled(i.get("high"), scale) for _, i in pts]
                band = any(v is not None for v in lo)
                series.append(Series(label, xs, ys, lo if band else None, hi if band else None))
                for (x, i) in pts:
                    half = i.get("half_width")
                    rows.append([label, str(x), _cell(m, i.get("mean")),
                                 "-" if half is None else "± " + _cell(m, half), str(i.get("n", 0))])
            unit = " (us)" if "latency" in m else ""
            figs.append(Figure(f"sweep-{p}-{m}", f"{m} against {p}", "line", series, x_label=p,
                               y_label=m + unit, table=Table(["series", p, "mean", "95% CI", "n"], rows),
                               note="line: mean over replications; band: 95% confidence interval (Student t)"))
    return figs


def _scaled(v: Any, scale: float) -> float | None:
    return None if v is None else float(v) * scale


def _point_results(path: Path) -> list[Result]:
    """One Result per kind (and scenario): the first replication of each point, at most MAX_POINTS rows,
    each row named after its swept values."""
    from vnetsim.results.store import connect

    con = connect(path, "report", read_only=True)
    try:
        cur = con.execute("SELECT * FROM runs ORDER BY finished_at, key, row")
        names = [d[0] for d in cur.description]
        records = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    seen: set[tuple] = set()
    by_kind: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        params = {k[len("param."):]: v for k, v in r.items() if k.startswith("param.")}
        ident = (r["design"], r["row"])
        if ident in seen:
            continue
        seen.add(ident)
        row = json.loads(r["result_json"])
        if params:
            row["name"] = f"{row.get('name', r['variant'])} [{', '.join(f'{k}={v}' for k, v in params.items())}]"
        rows = by_kind.setdefault((r["kind"], r["scenario"]), [])
        if len(rows) < MAX_POINTS:
            rows.append(row)
    return [Result(scenario, kind, rows) for (kind, scenario), rows in by_kind.items()]


def store_sections(path: Path) -> tuple[str, list[Section]]:
    """(title, sections) of a results store: the sweep figures, then each kind's figures."""
    from vnetsim.results.store import read_rows

    rows = read_rows(path)
    if not rows:
        from vnetsim.errors import UserError

        raise UserError(str(path), "holds no runs", "run a sweep with --store first")
    summary = summarize(rows)
    title = ", ".join(dict.fromkeys(str(r.get("scenario")) for r in rows))
    sections: list[Section] = [(f"Sweep: {len(summary)} points x rows, {len(rows)} runs", sweep_figures(summary), [])]
    for result in _point_results(path):
        sections.append((f"{result.scenario} ({result.kind}): one replication of each point", figures_of(result),
                         warnings_of(result)))
    return title, sections
