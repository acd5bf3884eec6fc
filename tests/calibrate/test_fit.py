"""The fit recovers the costs of data the model generates; the median interval covers."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.calibrate.measure import Measured, Point, median_ci
from vnetsim.calibrate.model import Costs, fit
from vnetsim.calibrate.run import fit_measured, holdout_points, predict

TRUE = Costs(per_packet_ns=3100.0, per_byte_ns=0.8, encap_ns=1900.0, wakeup_ns=7400.0,
             rate_per_packet_ns=9000.0, rate_per_byte_ns=2.5, rate_vxlan_ns=-3000.0, rate_vxlan_per_byte_ns=-1.5)
FRAMES = (58.0, 554.0, 1066.0)


def _synthetic(costs: Costs, noise: float = 0.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    lat, rates = [], []
    for f in FRAMES:
        for vx in (False, True):
            for paced in (False, True):
                lat.append((f, vx, paced, costs.latency_ns(f, vx, paced) * (1 + noise * rng.standard_normal())))
            rates.append((f, vx, costs.capacity_pps(f, vx) * (1 + noise * rng.standard_normal())))
    return lat, rates


def test_exact_recovery():
    got = fit(*_synthetic(TRUE))
    for name, want in TRUE.__dict__.items():
        assert getattr(got, name) == pytest.approx(want, rel=1e-7, abs=1e-6), name


def test_recovery_with_one_percent_noise():
    got = fit(*_synthetic(TRUE, noise=0.01))
    assert got.per_packet_ns == pytest.approx(TRUE.per_packet_ns, rel=0.05)
    assert got.wakeup_ns == pytest.approx(TRUE.wakeup_ns, rel=0.05)
    assert got.encap_ns == pytest.approx(TRUE.encap_ns, rel=0.1)
    assert got.rate_per_packet_ns == pytest.approx(TRUE.rate_per_packet_ns, rel=0.05)


def test_the_calibration_plan_recovers_its_own_model():
    """The points calibrate measures identify every cost: measured = model, fit = truth, and the
    held-out predictions equal the model's values."""
    from vnetsim.calibrate.run import fit_points

    rows = []
    for p in fit_points():
        m = Measured(p, [predict(TRUE, p)] * 3)
        rows.append(m)
    got = fit_measured(rows)
    assert got.per_packet_ns == pytest.approx(TRUE.per_packet_ns, rel=1e-6)
    assert got.wakeup_ns == pytest.approx(TRUE.wakeup_ns, rel=1e-6)
    assert got.rate_vxlan_ns == pytest.approx(TRUE.rate_vxlan_ns, rel=1e-6)
    for p in holdout_points(got):
        assert predict(got, p) == pytest.approx(predict(TRUE, p), rel=1e-6)


def test_costs_never_negative_on_the_latency_path():
    lat = [(58.0, False, False, 5000.0), (1066.0, False, False, 4000.0), (58.0, True, False, 4500.0),
           (58.0, False, True, 4800.0)]
    got = fit(lat, [(58.0, False, 1e5)])
    assert min(got.per_packet_ns, got.per_byte_ns, got.encap_ns, got.wakeup_ns) >= 0


def test_bad_input():
    with pytest.raises(ValueError):
        fit([], [(58.0, False, 1e5)])
    with pytest.raises(ValueError):
        fit([(58.0, False, False, -1.0)], [(58.0, False, 1e5)])


def test_median_interval_coverage():
    """Over 2000 samples of 12 repeats the interval holds the true median at least ~95 % of the time."""
    rng = np.random.default_rng(7)
    hits = 0
    trials = 2000
    for _ in range(trials):
        lo, hi = median_ci(list(rng.exponential(1.0, 12)))
        hits += lo <= np.log(2) <= hi
    assert hits / trials >= 0.95 - 3 * np.sqrt(0.05 * 0.95 / trials)
    assert all(np.isnan(median_ci([1.0])))  # no interval from one repeat
    assert median_ci([3.0, 1.0, 2.0]) == (1.0, 3.0)


def test_point_labels_and_rows():
    p = Point("rate", 16, True, 2000.0)
    assert p.frame_bytes == 58 and p.label() == "rate 16B vxlan 2k/s"
    row = Measured(p, [1.0, 2.0, 3.0]).row()
    assert row["value_pps"] == 2.0 and row["ci95_pps"] == [1.0, 3.0]
