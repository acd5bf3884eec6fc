"""A results store's report: sweep figures (each metric against a swept parameter, the mean over
replications with its 95 % confidence band) and the kinds' own figures for the points.

Series: one per result row of the scenario (variant, load level) and combination of the other
swept parameters; x: the parameter's values (a numeric axis when every value is a number,
categories in the order the sweep ran them otherwise). Intervals are Student t over the
replications (``vnetsim.sweep.ci``); with one replication there is no band.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vnetsim.report.sections import Section, figures_of, warnings_of
from vnetsim.results.figures import POINT, Figure, Series, Table
from vnetsim.results.result import HEADLINE, Result, _cell
from vnetsim.sweep.ci import summarize

MAX_METRICS = 4        # sweep figures per parameter: the first of SWEEP_METRICS the rows have
SWEEP_METRICS = ("latency_ns.p99", "latency_ns.overall.p99", "edge_hosts.latency_ns.p99", "delivered_pps",
                 "packets.dropped", "drops.total", "latency_ns.p50", "latency_ns.overall.p50", "zero_loss_pps")
MAX_POINTS = 16        # result rows (design point and row) given to the kinds' figures


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
        lines = _lines(summary, p)
        for m in metrics[:MAX_METRICS]:
            groups: dict[str, list[tuple[Any, dict]]] = {
                label: [(s["params"].get(p), s["metrics"].get(m) or {}) for s in entries]
                for label, entries in lines.items()}
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


def _lines(summary: list[dict], p: str) -> dict[str, list[dict]]:
    """The summary entries as lines against parameter ``p``: one per variant, result row of the
    point (a load level of the scenario's ``loads:``) and combination of the other swept values.
    A line is labelled with its row's name, or with the variant when that name changes along the
    line (a row named after the swept value itself: ``v @ 1Mpps``, ``v @ 2Mpps`` for swept loads)."""
    keyed: dict[tuple, list[dict]] = {}
    for s in summary:
        others = tuple((k, json.dumps(s["params"][k], sort_keys=True)) for k in sorted(s["params"]) if k != p)
        keyed.setdefault((s.get("variant"), s.get("row"), others), []).append(s)
    out: dict[str, list[dict]] = {}
    for (variant, _, others), entries in keyed.items():
        names = {str(e.get("name") or variant or "") for e in entries}
        label = names.pop() if len(names) == 1 else str(variant or "")
        shown = ", ".join(f"{k}={entries[0]['params'][k]}" for k, _ in others)
        out.setdefault(label + (f" ({shown})" if shown else ""), []).extend(entries)
    return out


def _scaled(v: Any, scale: float) -> float | None:
    return None if v is None else float(v) * scale


@dataclass
class PointResults:
    """One kind's (and scenario's) points of a store: their merged rows (``vnetsim.results.merge``)
    and each replication's own rows, every row named after its swept values."""

    kind: str
    scenario: str
    merged: Result
    replications: list[Result]
    runs: int

    def figures(self) -> list[Figure]:
        """The kind's figures of the merged rows, with the replications' intervals."""
        from vnetsim.report.replicas import banded

        figs = figures_of(self.merged)
        if len(self.replications) < 2:
            return figs
        return banded(figs, [figures_of(r) for r in self.replications])

    def heading(self) -> str:
        n = len(self.merged.variants)
        reps = len(self.replications)
        what = "one run of each point" if reps <= 1 else \
            f"{reps} replications of each point merged (CDFs and percentiles from the pooled histograms, " \
            "other figures their means, with 95% intervals)"
        more = f", the first {n}" if self.runs > n else ""
        return f"{self.scenario} ({self.kind}): {what}{more}"


def _point_results(path: Path) -> list[PointResults]:
    """Per kind (and scenario): at most MAX_POINTS result rows (design point and row), each the
    merge of its replications."""
    from vnetsim.results.merge import merge_replications
    from vnetsim.results.store import connect

    con = connect(path, "report", read_only=True)
    try:
        cur = con.execute("SELECT * FROM runs ORDER BY finished_at, key, row")
        names = [d[0] for d in cur.description]
        records = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    # (kind, scenario) -> (design, row) -> replication -> row, in the order the points finished
    by_kind: dict[tuple[str, str], dict[tuple, dict[int, dict]]] = {}
    for r in records:
        points = by_kind.setdefault((r["kind"], r["scenario"]), {})
        ident = (r["design"], r["row"])
        if ident not in points and len(points) >= MAX_POINTS:
            continue
        row = json.loads(r["result_json"])
        params = {k[len("param."):]: v for k, v in r.items() if k.startswith("param.")}
        if params:
            row["name"] = f"{row.get('name', r['variant'])} [{', '.join(f'{k}={v}' for k, v in params.items())}]"
            row[POINT] = params       # figures that join rows into lines keep the points apart (point_lines)
        points.setdefault(ident, {}).setdefault(int(r["replication"] or 0), row)
    out = []
    for (kind, scenario), points in by_kind.items():
        merged = [merge_replications([reps[k] for k in sorted(reps)]) for reps in points.values()]
        numbers = sorted({k for reps in points.values() for k in reps})
        per_rep = [Result(scenario, kind, [reps[k] for reps in points.values() if k in reps]) for k in numbers]
        runs = len({(r["design"], r["row"]) for r in records if (r["kind"], r["scenario"]) == (kind, scenario)})
        out.append(PointResults(kind, scenario, Result(scenario, kind, merged), per_rep, runs))
    return out


def store_sections(path: Path) -> tuple[str, list[Section]]:
    """(title, sections) of a results store: the sweep figures, then each kind's figures of its
    points, replications merged."""
    from vnetsim.results.store import read_rows

    rows = read_rows(path, command="report")
    if not rows:
        from vnetsim.errors import UserError

        raise UserError(str(path), "holds no runs", "run a sweep with --store first")
    summary = summarize(rows)
    title = ", ".join(dict.fromkeys(str(r.get("scenario")) for r in rows))
    sections: list[Section] = [(f"Sweep: {len(summary)} points x rows, {len(rows)} runs", sweep_figures(summary), [])]
    for points in _point_results(path):
        sections.append((points.heading(), points.figures(), warnings_of(points.merged)))
    return title, sections
