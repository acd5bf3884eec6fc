"""``engine.rng.exponential`` (the ziggurat the uplink's jitter draws with) has the exponential
law: Kolmogorov-Smirnov over 2 M draws, the mean and variance within 5 standard errors, and the
tail past the ziggurat's base (drawn by its own branch) and one wedge-heavy range at their exact
probabilities within 5 binomial standard errors; a state always gives the same draw."""

from __future__ import annotations

import numba
import numpy as np
from scipy import stats

from vnetsim.engine.rng import _ZIG_R, GOLDEN_GAMMA, exponential


@numba.njit
def draws(seed, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = exponential(np.uint64(seed) ^ (np.uint64(i) * GOLDEN_GAMMA))
    return out


def test_exponential_ziggurat_has_the_exponential_law():
    n = 2_000_000
    x = draws(3, n)
    assert x.min() >= 0.0
    assert abs(x.mean() - 1.0) < 5 / np.sqrt(n)                   # sd of an Exp(1) is 1
    assert abs(x.var() - 1.0) < 5 * np.sqrt(8 / n)                 # var of (X - 1)^2 is 9 - 1 = 8
    assert stats.kstest(x, "expon").pvalue > 1e-4
    for lo, hi in ((_ZIG_R, np.inf), (0.0, 0.01), (3.0, 3.5)):
        p = np.exp(-lo) - np.exp(-hi)
        got = ((x >= lo) & (x < hi)).mean()
        assert abs(got - p) < 5 * np.sqrt(p * (1 - p) / n), (lo, hi, got, p)


def test_exponential_is_a_function_of_its_state():
    np.testing.assert_array_equal(draws(9, 10_000), draws(9, 10_000))
    assert not np.array_equal(draws(9, 1000), draws(10, 1000))
