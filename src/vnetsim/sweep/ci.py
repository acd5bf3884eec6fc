"""Confidence intervals across replications: Student t on every numeric metric.

For one design point with ``n >= 2`` replications giving values ``x_1..x_n`` of a metric, the
interval is ``mean +- t_{(1+c)/2, n-1} * s / sqrt(n)`` with ``s`` the sample standard deviation
(``ddof = 1``) and ``c`` the confidence level (0.95 by default). Replications run with independent
seeds, so the ``x_i`` are independent and identically distributed; the interval's coverage is
exactly ``c`` when they are normal, and close to it for the run-level means and percentiles of
long enough runs (central limit theorem). With one replication there is no interval (null).

The t quantile is computed here (no scipy at run time): the t distribution's CDF through the
regularized incomplete beta function (continued fraction, modified Lentz's method, as in Press et
al., *Numerical Recipes*, 3rd ed., section 6.4), inverted by bisection to 1e-12.
"""

from __future__ import annotations

from typing import Any

# the statistics live one layer down (the host kind's --replications uses them too)
from vnetsim.results.ci import betainc, interval, t_cdf, t_quantile

__all__ = ["betainc", "interval", "is_metric", "summarize", "t_cdf", "t_quantile"]


IDENTITY = ("design", "variant", "row")
NOT_METRICS = {"key", "row", "design", "sweep", "kind", "scenario", "variant", "replication", "seed",
               "vnetsim_version", "wall_s", "cpu_s", "finished_at", "result_json"}


def is_metric(name: str, value: Any) -> bool:
    """Numeric result columns (not the run's identity, not swept parameters)."""
    return (name not in NOT_METRICS and not name.startswith("param.") and not isinstance(value, bool)
            and isinstance(value, int | float))


def summarize(rows: list[dict[str, Any]], confidence: float = 0.95) -> list[dict[str, Any]]:
    """One entry per design point and result row: its identity, parameters, ``name``, for every
    numeric metric its interval across the replications (``{metric: interval(...)}``), and
    ``warnings``: each distinct warning of its runs with how many of them give it."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in IDENTITY), []).append(r)
    out = []
    for (design, variant, row), members in groups.items():
        first = members[0]
        metrics: dict[str, list[float]] = {}
        for m in members:
            for name, value in m.items():
                if is_metric(name, value):
                    metrics.setdefault(name, []).append(value)
        out.append({"design": design, "variant": variant, "row": row, "name": first.get("name"),
                    "replications": len(members),
                    "params": {k[len("param."):]: v for k, v in first.items() if k.startswith("param.")},
                    "metrics": {name: interval(vals, confidence) for name, vals in metrics.items()},
                    "warnings": _warnings(members)})
    return out


def _warnings(members: list[dict[str, Any]]) -> dict[str, int]:
    """Warning text -> runs that give it (a row's ``warnings`` list, stored as its JSON text)."""
    import json

    out: dict[str, int] = {}
    for m in members:
        text = m.get("warnings")
        try:
            listed = json.loads(text) if isinstance(text, str) else list(text or [])
        except ValueError:
            listed = [text]
        for w in dict.fromkeys(str(x) for x in listed):
            out[w] = out.get(w, 0) + 1
    return out
