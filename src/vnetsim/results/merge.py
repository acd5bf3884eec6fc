"""The replications of one result row as one row: what a report of a results store draws.

Independent replications of a design point (same scenario, independent seeds) sample the same
distributions, so their row is merged field by field, with no kind's knowledge:

- a latency histogram (``vnetsim.results.histograms``): the replications' bucket counts added, the
  pooled distribution of every packet of every replication (``merge_json``);
- its summary beside it (``NAME_ns`` next to ``NAME_histogram``, or its ``overall`` entry, as a
  fabric row keeps it): ``mean``, ``p50`` .. ``p999`` and ``max`` read from the merged histogram,
  the sample count (``samples``, ``count``) summed; ``unsupported`` (figures too few samples
  support) keeps the figures every replication flagged: the pooled samples support at least what
  any one replication supported, and a figure flagged in all of them stays flagged (conservative);
- every other number: its mean over the replications that have it (an integer stays an integer
  when the replications agree: queue counts, flow counts, core numbers); a null (a run with no
  samples of something) counts as not having it;
- ``warnings``: every replication's, once each, in order; lists of numbers of one length: the mean
  element by element; anything else (text, other lists): the first replication's.

Percentiles are never averaged where a histogram exists: the mean of p99s is not the p99 of the
pooled packets. Intervals of a figure's values across the replications are the report's job
(``vnetsim.report.replicas``).
"""

from __future__ import annotations

import math
from typing import Any

from vnetsim.results.flat import is_histogram
from vnetsim.results.histograms import histogram_from_json, merge_json

SUMMARY_FIGURES = ("mean", "p50", "p90", "p99", "p999", "max")
COUNT_FIELDS = ("samples", "count")
HISTOGRAM_SUFFIX = "_histogram"


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _mean(values: list[Any]) -> Any:
    """The mean of numbers (nulls and non-finite values left out); an int when all agree."""
    xs = [v for v in values if _number(v) and math.isfinite(float(v))]
    if not xs:
        return values[0]
    if all(isinstance(v, int) for v in xs) and len(set(xs)) == 1:
        return xs[0]
    return math.fsum(float(v) for v in xs) / len(xs)


def _merge_list(key: str, values: list[list]) -> list:
    if key == "warnings":
        return list(dict.fromkeys(w for v in values for w in v))
    first = values[0]
    if (first and all(len(v) == len(first) for v in values)
            and all(_number(x) for v in values for x in v)):
        return [_mean([v[i] for v in values]) for i in range(len(first))]
    return first


def _merge_values(key: str, values: list[Any]) -> Any:
    first = next((v for v in values if v is not None), None)   # a run without data has nulls there
    if is_histogram(first):
        return merge_json([v for v in values if is_histogram(v)])
    if isinstance(first, dict):
        return _merge_dicts([v for v in values if isinstance(v, dict)])
    if isinstance(first, list):
        return _merge_list(key, [v for v in values if isinstance(v, list)])
    if _number(first):
        return _mean(values)
    return first


def _merge_dicts(dicts: list[dict]) -> dict:
    out: dict = {}
    for k in dict.fromkeys(k for d in dicts for k in d):
        out[k] = _merge_values(k, [d[k] for d in dicts if k in d])
    for k, h in list(out.items()):
        if is_histogram(h) and k.endswith(HISTOGRAM_SUFFIX):
            name = k[: -len(HISTOGRAM_SUFFIX)] + "_ns"
            summaries = [d.get(name) for d in dicts]
            if isinstance(out.get(name), dict) and all(isinstance(s, dict) for s in summaries):
                out[name] = _resummarize(out[name], summaries, h)  # type: ignore[arg-type]
    return out


def _resummarize(merged: dict, summaries: list[dict], hist: dict) -> dict:
    """The summary next to a merged histogram, read from it (or its ``overall`` entry)."""
    if "overall" in merged and isinstance(merged["overall"], dict) and all(
            isinstance(s.get("overall"), dict) for s in summaries):
        return {**merged, "overall": _resummarize(merged["overall"], [s["overall"] for s in summaries], hist)}
    h = histogram_from_json(hist)
    if h.count == 0:
        return merged
    figures = h.summary()
    out = dict(merged)
    for k in SUMMARY_FIGURES:
        if k in out:
            out[k] = float(figures[k])
    for k in COUNT_FIELDS:
        if k in out and all(_number(s.get(k)) for s in summaries):
            out[k] = int(sum(s[k] for s in summaries))
    if isinstance(out.get("unsupported"), list):
        flagged = [set(s.get("unsupported") or ()) for s in summaries]
        out["unsupported"] = [f for f in summaries[0].get("unsupported") or () if all(f in s for s in flagged)]
    return out


def merge_replications(rows: list[dict]) -> dict:
    """One row from the same result row of several replications (see the module docstring); the
    first replication's structure, with ``replications_merged`` set to how many were merged."""
    if not rows:
        raise ValueError("nothing to merge")
    merged = _merge_dicts(rows)
    merged["replications_merged"] = len(rows)
    return merged
