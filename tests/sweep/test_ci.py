"""Confidence intervals across replications: the t quantile against scipy, and coverage of the
true M/M/1 mean sojourn 1/(mu - lambda) by intervals from real replications of the plug-in kind.

Coverage check: 40 intervals of 5 replications each (independent seeds). At 95 % the number that
cover is Binomial(40, 0.95): at least 34 except with probability 0.006 (scipy checks the bound
below). At 50 % the count is Binomial(40, 0.5): 10..30 except with probability 0.002. The second
check fails if intervals were too wide (covering always) as much as if they were too narrow. Each
run's mean is biased only by the empty start, about the relaxation time over the run length
(microseconds over 10 ms), far below the intervals' width.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from vnetsim.sweep import sweep
from vnetsim.sweep.ci import interval, summarize, t_quantile

from .conftest import mm1_doc


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 29, 100, 1000])
@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995, 0.9995, 0.025])
def test_t_quantile_matches_scipy(df, p):
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-10)


def test_interval_by_hand():
    iv = interval([1.0, 2.0, 3.0, 4.0], 0.95)
    sd = math.sqrt(sum((x - 2.5) ** 2 for x in (1, 2, 3, 4)) / 3)
    assert iv["n"] == 4 and iv["mean"] == 2.5 and iv["sd"] == pytest.approx(sd)
    assert iv["half_width"] == pytest.approx(stats.t.ppf(0.975, 3) * sd / 2)
    assert interval([7.0])["half_width"] is None and interval([])["n"] == 0
    assert interval([1.0, None, float("nan"), 3.0])["n"] == 2


def test_binomial_bounds_of_the_coverage_check():
    assert stats.binom.cdf(33, 40, 0.95) < 0.01
    assert stats.binom.cdf(9, 40, 0.5) + stats.binom.sf(30, 40, 0.5) < 0.005


def test_intervals_cover_the_mm1_mean_sojourn_at_their_level(mm1):
    lam, mu = 500e3, 1e6
    truth = 1e9 / (mu - lam)
    res = sweep(mm1_doc(duration="10ms", replications=200), workers=1)
    assert res.ran == 200
    values = [r["sojourn_ns.mean"] for r in res.rows]
    assert len(set(r["seed"] for r in res.rows)) == 200                   # independent seeds
    groups = [values[i:i + 5] for i in range(0, 200, 5)]
    for level, low, high in ((0.95, 34, 40), (0.5, 10, 30)):
        covered = sum(iv["low"] <= truth <= iv["high"] for iv in (interval(g, level) for g in groups))
        assert low <= covered <= high, (level, covered)
    # the sweep's own summary: one design point, 200 replications, the interval covers the truth
    (entry,) = res.summary()
    iv = entry["metrics"]["sojourn_ns.mean"]
    assert entry["replications"] == 200 and iv["n"] == 200
    assert iv["low"] <= truth <= iv["high"]
    assert summarize(res.rows, 0.95) == res.summary()
