"""The uplink's departure order (a bucket sort) against numpy's lexsort on (time, id): smooth,
clustered, nearly sorted, tied and heavy-tailed times."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.edge.timeorder import OrderScratch


def cases():
    rng = np.random.default_rng(7)
    n = 20_000
    base = np.cumsum(rng.exponential(25e3, n))
    yield "smooth", rng.uniform(0, 1e9, n)
    yield "nearly sorted (jitter)", base + rng.exponential(1e5, n)
    yield "outage runs", np.where(rng.random(n) < 0.3, 5e8 + np.arange(n) * 10.0, base)
    yield "ties", np.floor(rng.uniform(0, 50, n)) * 1e6
    yield "all equal", np.full(n, 3.0)
    yield "heavy tail", base + rng.pareto(0.7, n) * 1e6
    yield "exponentially spaced", 2.0 ** rng.uniform(0, 60, n)
    yield "tiny", rng.uniform(0, 1, 5)


@pytest.mark.parametrize("name,t", list(cases()), ids=[c[0] for c in cases()])
def test_order_is_lexsort_by_time_then_id(name, t):
    rng = np.random.default_rng(len(name))
    key = rng.permutation(len(t)).astype(np.int64)
    scratch = OrderScratch()
    got = scratch.order_by_time(t, key, len(t)).copy()
    np.testing.assert_array_equal(got, np.lexsort((key, t)))
    half = len(t) // 2                               # a prefix, with the scratch already grown
    np.testing.assert_array_equal(scratch.order_by_time(t, key, half), np.lexsort((key[:half], t[:half])))
