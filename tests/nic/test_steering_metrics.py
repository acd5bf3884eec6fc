"""Spread metrics: max/mean, Jain's index, and balls-into-bins against simulation."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.nic.steering import balls_into_bins, jain_index, max_mean, per_core, queue_counts


def test_imbalance_and_fairness_extremes():
    assert max_mean([5, 5, 5, 5]) == 1.0 and jain_index([5, 5, 5, 5]) == 1.0
    assert max_mean([20, 0, 0, 0]) == 4.0 and jain_index([20, 0, 0, 0]) == 0.25
    assert max_mean([0, 0]) == 1.0 and jain_index([0, 0]) == 1.0


def test_counts_per_queue_and_core():
    q = np.array([0, 1, 1, 3])
    assert queue_counts(q, 4).tolist() == [1, 2, 0, 1]
    assert queue_counts(q, 4, flow=np.array([1, 1, 3])).tolist() == [0, 2, 0, 1]
    assert queue_counts(q, 4, flow=np.array([0, 3]), weights=np.array([100.0, 50.0])).tolist() == [100, 0, 0, 50]
    assert per_core(np.array([1, 2, 3, 4]), np.array([0, 0, 1, 1]), 2).tolist() == [3, 7]


@pytest.mark.parametrize("m,n", [(20, 8), (500, 16), (4000, 16)])
def test_balls_into_bins_matches_simulation(m, n):
    b = balls_into_bins(m, n)
    rng = np.random.default_rng(5)
    trials = 4000
    counts = np.stack([np.bincount(rng.integers(0, n, m), minlength=n) for _ in range(trials)])
    maxes = counts.max(axis=1)
    empties = (counts == 0).sum(axis=1)
    # tolerances: 6 standard errors of the simulated means
    emax = b.expected_max  # exact, so the only slack is the simulation's standard error
    assert abs(maxes.mean() - emax) < 6 * maxes.std() / np.sqrt(trials) + 1e-9
    assert abs(empties.mean() - b.expected_empty) < 6 * max(empties.std(), 1e-9) / np.sqrt(trials) + 1e-9
    assert b.std == pytest.approx(counts.std(), rel=0.05)
    # the exact 99% quantile: about 1% of trials exceed it
    assert (maxes > b.max_quantile(0.99)).mean() <= 0.01 + 6 * np.sqrt(0.01 * 0.99 / trials)
