"""``vnetsim calibrate``: measure, fit, predict the held-out points, then measure them.

The fit uses one set of points; the held-out set (another message size, VXLAN with another
size, another offered rate, latency at a paced rate) is predicted from the fitted costs and the
predictions are recorded before those points are measured. The report gives each prediction's
error and the median absolute error of latency and rate points (goal: 20 %).
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from vnetsim.calibrate.measure import Measured, Point, measure
from vnetsim.calibrate.model import HEADER_BYTES, Costs, fit
from vnetsim.calibrate.profile import profile_text
from vnetsim.calibrate.testbed import Testbed

GOAL = 0.20
SMALL, LARGE, MIDDLE = 16, 1024, 512


# Paced requests 1 ms and 0.5 ms apart: long enough that the receiver sleeps. At 5,000/s (200 us)
# the development VM's haltpoll idle driver still polls, so no wake-up shows (docs/calibrate.md).
PACED_FIT_PPS, PACED_HOLDOUT_PPS = 1000.0, 2000.0


def fit_points() -> list[Point]:
    """Back-to-back latency at two sizes and with VXLAN, one paced latency (the wake-up), and the
    highest packet rate at two sizes with and without VXLAN."""
    return [Point("latency", SMALL, False), Point("latency", LARGE, False), Point("latency", SMALL, True),
            Point("latency", SMALL, False, PACED_FIT_PPS),
            Point("rate", SMALL, False), Point("rate", LARGE, False), Point("rate", SMALL, True),
            Point("rate", LARGE, True)]


def holdout_points(costs: Costs) -> list[Point]:
    """Held out: another size; VXLAN at another size; paced at another rate, size and with VXLAN;
    the rate at another size, with and without VXLAN, and at half the predicted capacity."""
    half = 0.5 * costs.capacity_pps(SMALL + HEADER_BYTES, False)
    return [Point("latency", MIDDLE, False), Point("latency", LARGE, True),
            Point("latency", MIDDLE, True, PACED_HOLDOUT_PPS),
            Point("rate", MIDDLE, False), Point("rate", MIDDLE, True), Point("rate", SMALL, False, round(half, -2))]


def predict(costs: Costs, p: Point) -> float:
    if p.kind == "latency":
        return costs.latency_ns(p.frame_bytes, p.vxlan, paced=p.offered_pps is not None)
    return costs.delivered_pps(p.offered_pps, p.frame_bytes, p.vxlan)


def fit_measured(rows: list[Measured]) -> Costs:
    good = [m for m in rows if m.repeats and math.isfinite(m.value) and m.value > 0]
    lat = [(float(m.point.frame_bytes), m.point.vxlan, m.point.offered_pps is not None, m.value) for m in good
           if m.point.kind == "latency"]
    rates = [(float(m.point.frame_bytes), m.point.vxlan, m.value) for m in good if m.point.kind == "rate"
             and m.point.offered_pps is None]
    return fit(lat, rates)


def errors(predictions: dict[str, float], rows: list[Measured]) -> list[dict]:
    out = []
    for m in rows:
        pred = predictions[m.point.label()]
        err = (pred - m.value) / m.value if m.repeats and m.value else math.nan
        out.append({**m.row(), "predicted": pred, "error": err})
    return out


def summary(table: list[dict]) -> dict:
    def med(kind: str) -> float | None:
        e = [abs(r["error"]) for r in table if r["kind"] == kind and math.isfinite(r["error"])]
        return float(np.median(e)) if e else None
    lat, rate = med("latency"), med("rate")
    return {"median_abs_error_latency": lat, "median_abs_error_rate": rate, "goal": GOAL,
            "goal_met": lat is not None and rate is not None and lat <= GOAL and rate <= GOAL}


def calibrate(quick: bool = False, seconds: float | None = None,
              notify: Callable[[str], None] | None = None) -> dict:
    """Measure, fit and check on held-out points; the result holds the profile text."""
    say = notify or (lambda _m: None)
    seconds = seconds or (1.0 if quick else 2.0)
    # quick: 2 rounds of latency runs, 1 of rate runs (its 5 windows are the repeats): about 80 s
    batches, rounds, rate_rounds = (3, 2, 1) if quick else (4, 4, 4)
    started = time.monotonic()
    with Testbed() as bed:
        say(f"calibrate: measuring {len(fit_points())} fit points ({seconds:g} s each)")
        fitted = measure(fit_points(), bed, seconds, batches, rounds, limit_s=900, rate_rounds=rate_rounds)
        costs = fit_measured(fitted)
        held = holdout_points(costs)
        predictions = {p.label(): predict(costs, p) for p in held}  # recorded before measuring
        predicted_at = time.monotonic() - started
        say(f"calibrate: predicted {len(held)} held-out points; measuring them")
        checked = measure(held, bed, seconds, batches, rounds, limit_s=900, rate_rounds=rate_rounds)
    table = errors(predictions, checked)
    measured = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "host": platform.node(),
                "kernel": os.uname().release, "cpus": os.cpu_count(), "tool": "sockperf", "quick": quick,
                "seconds_per_run": seconds, "latency_runs_per_point": rounds, "rate_runs_per_point": rate_rounds,
                "repeats_per_run": batches,
                "fit_points": [m.row() for m in fitted], "holdout": summary(table)}
    return {"costs": costs.__dict__, "fit": [m.row() for m in fitted], "predictions_made_at_s": predicted_at,
            "holdout": table, "summary": summary(table), "elapsed_s": time.monotonic() - started,
            "profile_text": profile_text(costs, measured)}
