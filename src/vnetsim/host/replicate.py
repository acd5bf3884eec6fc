"""Replications of a host row: the headline figures' mean and Student-t interval across seeds.

``vnetsim run --replications N`` (scenario field ``replications``) runs every variant and load
level ``N`` times; replication ``r`` runs with ``replication_seed(seed, r)`` (splitmix64 of the
base seed, ``vnetsim.results.ci``; the same seeds ``vnetsim sweep`` gives its replications). The
row keeps replication 0's full result and gains ``replications`` (docs/results.md): for each
headline figure, ``vnetsim.results.ci.interval`` of its values across the replications.
"""

from __future__ import annotations

from vnetsim.host.report import busy_share
from vnetsim.results.ci import interval

CONFIDENCE = 0.95
# dotted paths into a host row: the figures an architect compares
HEADLINE = ("latency_ns.mean", "latency_ns.p50", "latency_ns.p99", "offered_pps", "delivered_pps",
            "packets.dropped", "cpu_busy_cores")


def _value(row: dict, path: str):
    if path == "cpu_busy_cores":
        return sum(busy_share(c) for c in row["cpu"].values())
    if path.startswith("cpu_busy."):
        return busy_share(row["cpu"][path[len("cpu_busy."):]])
    value = row
    for key in path.split("."):
        value = value[key]
    return value


def replication_summary(rows: list[dict], seeds: list[int], base_seed: int) -> dict:
    """The ``replications`` entry of a row from the same row of every replication (in seed order)."""
    paths = [*HEADLINE, *(f"cpu_busy.{core}" for core in rows[0]["cpu"])]
    flagged = sorted({f"latency_ns.{n}" for r in rows for n in r["latency_ns"]["unsupported"]}
                     & set(HEADLINE), key=HEADLINE.index)
    return {
        "n": len(rows), "base_seed": int(base_seed), "seeds": [int(s) for s in seeds], "confidence": CONFIDENCE,
        "metrics": {p: interval([_value(r, p) for r in rows], CONFIDENCE) for p in paths},
        "latency_samples": [int(r["latency_ns"]["samples"]) for r in rows],
        "unsupported": flagged,
    }
