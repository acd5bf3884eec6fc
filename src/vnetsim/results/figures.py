"""Figure specs: what a kind wants plotted, independent of how it is drawn.

A kind's ``report`` hook (``vnetsim.kinds.Kind.report``) turns a Result into a list of ``Figure``
objects; ``vnetsim.report`` draws them (interactive plotly in the HTML report, matplotlib for
``vnetsim run --plot``), each beside its ``table``. Specs are plain data (lists of numbers and
strings), so a plug-in kind can build them without importing any plotting library.

Figure kinds:
- ``line``: one line per series (``x``, ``y``); with ``lower``/``upper`` a shaded band around it;
- ``bar``: grouped bars, one group per ``x`` category, one bar per series;
- ``stacked``: bars of the series stacked per ``x`` category;
- ``hline`` series (``Series.mode = "hline"``) on a bar figure: a dashed reference level (``y[0]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vnetsim.results import cells
from vnetsim.results.histograms import cdf_points

FIGURE_KINDS = ("line", "bar", "stacked")


@dataclass
class Series:
    """One line, one set of bars, or one reference level."""

    name: str
    x: Sequence[Any]
    y: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None
    mode: str = "data"  # "data" or "hline"


@dataclass
class Table:
    """The figures behind a plot, as text cells (column headers and rows)."""

    columns: list[str]
    rows: list[list[str]]


@dataclass
class Figure:
    """One plot and the table shown beside it."""

    id: str
    title: str
    kind: str
    series: list[Series]
    x_label: str = ""
    y_label: str = ""
    x_log: bool = False
    y_log: bool = False
    table: Table | None = None
    note: str = ""
    y_range: tuple[float, float] | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in FIGURE_KINDS:
            raise ValueError(f"figure kind {self.kind!r}: use one of {', '.join(FIGURE_KINDS)}")


MAX_CDF_POINTS = 400


def _thin(x, y, limit: int = MAX_CDF_POINTS):
    """At most about ``limit`` points of a CDF: evenly spaced in rank below p99, every point of the
    tail above it (where the percentiles people read live), always the last (the maximum)."""
    n = len(x)
    if n <= limit:
        return list(map(float, x)), list(map(float, y))
    tail = [i for i in range(n) if y[i] > 0.99][-limit // 2:]
    first_tail = tail[0] if tail else n
    step = -(-first_tail // (limit - len(tail))) if first_tail else 1
    idx = sorted(set(range(0, first_tail, max(1, step))) | set(tail) | {n - 1})
    return [float(x[i]) for i in idx], [float(y[i]) for i in idx]


def latency_cdf(rows: list[dict], fig_id: str = "latency-cdf",
                title: str = "End-to-end latency (CDF)") -> Figure | None:
    """One CDF line per row that has a ``latency_histogram``; latency on a log axis, in us."""
    series, table = [], []
    for v in rows:
        h = v.get("latency_histogram")
        if not h:
            continue
        x, p = cdf_points(h)
        if not len(x):
            continue
        xs, ps = _thin(x / 1e3, p)
        series.append(Series(v["name"], xs, ps))
        lat = v.get("latency_ns") or {}
        lat = lat.get("overall", lat)  # a fabric row keeps its percentiles under "overall"
        flagged = lat.get("unsupported") or ()      # host rows: figures too few samples support
        table.append([v["name"], *[cells.duration(lat.get(k)) + ("*" if k in flagged else "")
                                   for k in ("p50", "p99", "p999", "max")]])
    if not series:
        return None
    note = "from the log-bucketed histogram: each point is a bucket's upper edge (0.2% wide)"
    if any("*" in c for row in table for c in row[1:]):
        note += "; * too few samples for this figure (docs/models/host.md, Honest statistics)"
    return Figure(fig_id, title, "line", series, x_label="latency (us)", y_label="fraction of packets", x_log=True,
                  y_range=(0.0, 1.0), table=Table(["variant", "p50", "p99", "p99.9", "max"], table), note=note)


POINT = "point"   # a row's swept values ({path: value}), set on the rows a results store's report draws


def point_lines(rows: list[dict], x: Callable[[dict], float],
                level: Callable[[dict], Any] | None = None) -> dict[str, list[dict]]:
    """Rows as the lines of a figure against ``x`` (label -> rows sorted by ``x``).

    A line is a variant (``variant``, else ``name``) and a combination of the swept values
    (``row["point"]``) that do not move ``x``: a swept parameter moves ``x`` (and is read along the
    axis) when it takes several values among rows that agree on the rest and no two of those rows
    with different values of it are at one level (``level``, default ``x``: a host row's load
    label, since its measured offered rate varies with the seed); e.g. swept ``loads``. Any other
    (queues, ring size) draws a line of its own: points of one variant that differ in it are never
    joined."""
    at = level or x
    def value(r: dict, p: str) -> str:
        return json.dumps((r.get(POINT) or {}).get(p), sort_keys=True, default=str)

    def variant(r: dict) -> str:
        return str(r.get("variant") or r.get("name"))

    params = sorted({p for r in rows for p in (r.get(POINT) or {})})
    along = set()
    for p in params:
        groups: dict[tuple, list[dict]] = {}
        for r in rows:
            groups.setdefault((variant(r), *(value(r, q) for q in params if q != p)), []).append(r)
        varies = [g for g in groups.values() if len({value(r, p) for r in g}) > 1]
        at_x: dict[tuple, set[str]] = {}
        for i, g in enumerate(varies):
            for r in g:
                at_x.setdefault((i, at(r)), set()).add(value(r, p))
        if varies and all(len(vs) == 1 for vs in at_x.values()):
            along.add(p)
    lines: dict[str, list[dict]] = {}
    for r in rows:
        own = [f"{p}={(r.get(POINT) or {}).get(p)}" for p in params if p not in along]
        lines.setdefault(variant(r) + (f" ({', '.join(own)})" if own else ""), []).append(r)
    return {label: sorted(rs, key=x) for label, rs in lines.items()}
