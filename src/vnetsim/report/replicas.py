"""A kind's figures of replicated design points: drawn from the merged rows, with intervals.

For the points of a results store that ran ``n >= 2`` replications, the kind's ``report`` hook is
called on the merged rows (``vnetsim.results.merge``: CDFs and percentiles from the pooled
histograms, other numbers their means) and once on each replication's own rows. Every value a
figure plots is then known in every replication, and its Student-t interval across them
(``vnetsim.results.ci.interval``, 95 %) becomes the series' ``lower``/``upper``: a band around a
line, an error bar on a bar (none where every replication gives the same values: a sizing).
Nothing here knows what a figure shows, so every scalar any kind plots gets its interval, ratios
and sums included (the interval of the plotted value itself).

A value is matched across replications by figure id, series name and x: bars by their category;
lines point by point when every replication has as many points, each near the same x (within a
quarter of the gap to the next point: a measured offered load varies a little from seed to seed),
so CDF lines, whose buckets differ from run to run, keep the merged CDF without a band. Stacked
bars get none (an error bar on a stacked segment reads as the total's); their tables give the means.
"""

from __future__ import annotations

from dataclasses import replace

from vnetsim.results.ci import interval
from vnetsim.results.figures import Figure, Series

X_SHARE = 0.25     # a line's point matches when it is this share of the gap to its neighbours away
X_ALONE = 0.1      # ... or, for a line of one point, within 10 %


def _same_x(a, b) -> bool:
    """Do two lines have the same points (numbers: each within a quarter of the gap to its neighbours)?"""
    if len(a) != len(b):
        return False
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in [*a, *b]):
        return list(a) == list(b)
    xs = [float(x) for x in a]
    for i, (x, y) in enumerate(zip(xs, b)):
        gaps = [abs(xs[j] - x) for j in (i - 1, i + 1) if 0 <= j < len(xs) and xs[j] != x]
        room = X_SHARE * min(gaps) if gaps else X_ALONE * abs(x)
        if abs(float(y) - x) > room:
            return False
    return True


def _values_at(s: Series, reps: list[Series], line: bool) -> list[list[float]] | None:
    """Per point of ``s``: the replications' values there (None when they cannot be matched)."""
    if line and (len(reps) < 2 or not all(_same_x(s.x, r.x) for r in reps)):
        return None
    out: list[list[float]] = []
    for i, x in enumerate(s.x):
        vals = []
        for r in reps:
            j = i if line else next((k for k, rx in enumerate(r.x) if rx == x), None)
            y = None if j is None else r.y[j]
            if y is not None:
                vals.append(float(y))
        out.append(vals)
    return out


def banded(merged: list[Figure], replications: list[list[Figure]], confidence: float = 0.95) -> list[Figure]:
    """``merged`` with ``lower``/``upper`` on every line and grouped-bar series whose values the
    replications' figures give (see the module docstring); other figures as they are."""
    out = []
    for fig in merged:
        if fig.kind == "stacked" or len(replications) < 2:
            out.append(fig)
            continue
        twins = [next((f for f in figs if f.id == fig.id), None) for figs in replications]
        series = []
        for s in fig.series:
            reps = [r for t in twins if t is not None for r in t.series if r.name == s.name and r.mode == s.mode]
            values = None if s.mode != "data" or s.lower is not None else _values_at(s, reps, fig.kind == "line")
            if values is None or not any(len(v) >= 2 for v in values):
                series.append(s)
                continue
            cis = [interval(v, confidence) for v in values]
            if not any(c["half_width"] for c in cis):    # the same in every replication (a sizing)
                series.append(s)
                continue
            series.append(replace(s, lower=[c["low"] for c in cis], upper=[c["high"] for c in cis]))
        note = fig.note
        if any(new.lower is not None and old.lower is None for new, old in zip(series, fig.series)):
            what = "bands" if fig.kind == "line" else "error bars"
            note += ("; " if note else "") + (f"{what}: {confidence:.0%} confidence interval of each value across "
                                              f"the {len(replications)} replications (Student t)")
        out.append(replace(fig, series=series, note=note))
    return out
