"""Measurement points, their repeats and confidence intervals.

A point is a configuration (kind ``latency`` or ``rate``, message bytes, VXLAN on or off, offered
rate). Repeats: a latency run's per-message latencies are cut into ``batches`` consecutive batches
and each batch gives its median; a rate run's delivered rate is read in consecutive windows; a
point runs once per round. The point's value is the median of its repeats and its confidence
interval the distribution-free one for a median (order statistics, binomial coverage >= 95 %, or
the widest available when there are too few repeats): on a shared machine a noisy spell makes a
few repeats far off, which a mean and a t interval would follow.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from scipy import stats

from vnetsim.calibrate import sockperf
from vnetsim.calibrate.model import HEADER_BYTES


def median_ci(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Order-statistic interval (x_(j), x_(n+1-j)) for the median with the largest j whose binomial
    coverage is at least ``level``; (min, max) when even that falls short (n < 6)."""
    x = np.sort(np.asarray(values, float))
    n = len(x)
    if n < 2:
        return (math.nan, math.nan)
    best = _rank(n, level)
    return (float(x[best - 1]), float(x[n - best]))


@cache
def _rank(n: int, level: float) -> int:
    best = 1
    for j in range(1, n // 2 + 1):
        if stats.binom.cdf(n - j, n, 0.5) - stats.binom.cdf(j - 1, n, 0.5) >= level:
            best = j
    return best


@dataclass(frozen=True)
class Point:
    kind: str                  # "latency" (one-way ns) or "rate" (delivered pps)
    message_bytes: int
    vxlan: bool
    offered_pps: float | None = None  # None: ping-pong latency / the highest rate the sender reaches

    @property
    def frame_bytes(self) -> int:
        return self.message_bytes + HEADER_BYTES

    def label(self) -> str:
        rate = "max" if self.offered_pps is None else f"{self.offered_pps / 1e3:g}k/s"
        return f"{self.kind} {self.message_bytes}B {'vxlan' if self.vxlan else 'veth'} {rate}"


@dataclass
class Measured:
    point: Point
    repeats: list[float] = field(default_factory=list)

    @property
    def value(self) -> float:
        return float(np.median(self.repeats)) if self.repeats else math.nan

    @property
    def ci95(self) -> tuple[float, float]:
        return median_ci(self.repeats)

    def row(self) -> dict:
        lo, hi = self.ci95
        unit = "ns" if self.point.kind == "latency" else "pps"
        return {"point": self.point.label(), "kind": self.point.kind, "message_bytes": self.point.message_bytes,
                "vxlan": self.point.vxlan, "offered_pps": self.point.offered_pps, f"value_{unit}": self.value,
                f"ci95_{unit}": [lo, hi], "repeats": list(self.repeats)}


def measure(points: list[Point], bed, seconds: float, batches: int, rounds: int, limit_s: float,
            rate_rounds: int | None = None) -> list[Measured]:
    """Measure every point on the testbed: ``rounds`` rounds (``rate_rounds`` for rate points, when
    given), each running every point once (so a noisy spell of the machine spreads over all points
    instead of spoiling one), each run giving ``batches`` repeats. One sockperf server per path
    (veth, VXLAN) for the whole measurement."""
    out = {p: Measured(p) for p in points}
    with tempfile.TemporaryDirectory(prefix="vnetsim-cal-") as tmp, \
            sockperf.Server(bed.server, bed.address(False), limit_s) as plain, \
            sockperf.Server(bed.server, bed.address(True), limit_s) as tunnel:
        log = Path(tmp) / "full.csv"
        for k in range(max(rounds, rate_rounds or 0)):
            for p in points:
                if k >= (rounds if p.kind == "latency" or rate_rounds is None else rate_rounds):
                    continue
                address = bed.address(p.vxlan)
                if p.kind == "latency":
                    lat = sockperf.latencies(bed.client, address, p.message_bytes, seconds, p.offered_pps, log)
                    if len(lat) >= batches * 5:
                        out[p].repeats += [float(np.median(b)) * 1e3 for b in np.array_split(np.array(lat), batches)]
                else:
                    server = tunnel if p.vxlan else plain
                    windows = batches * max(1, rounds // (rate_rounds or rounds))  # as many repeats as latency
                    out[p].repeats += sockperf.rate_windows(bed.client, server, address, p.message_bytes, windows,
                                                            seconds / batches, p.offered_pps)
    return [out[p] for p in points]
