"""The NIC and inter-site stages' linear-time order equals the engine's (time, id) sort exactly, on
spread, tied, clustered (one far outlier: a single big bucket) and nearly sorted times."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.engine.merge import time_order
from vnetsim.storage.iopath.links import bucket_order


def _times(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "spread":
        return rng.random(n) * 1e6
    if kind == "ties":
        return np.round(rng.random(n) * 50) * 1e3
    if kind == "clustered":
        return np.concatenate([rng.random(n // 2), np.full(n - n // 2, 1e12)])
    return np.cumsum(rng.exponential(200.0, n)) + rng.exponential(5000.0, n)    # queue exits plus delays


@pytest.mark.parametrize("kind", ["spread", "ties", "clustered", "nearly_sorted"])
def test_bucket_order_is_the_time_id_order(kind):
    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 33, 500, 4000):
        t = _times(kind, n, rng)
        pid = rng.permutation(n).astype(np.int64) * 16
        assert np.array_equal(bucket_order(t, pid), time_order(t, pid))


def test_guided_pick_is_the_binary_search():
    """The source's group draw by guide table picks the binary search's column for every u: random
    weights (skewed, padded rows), u at and just below every cumulative weight, and the extremes."""
    from vnetsim.storage.iopath.source import _guided_pick, _pick, guide_table

    rng = np.random.default_rng(1)
    for _ in range(100):
        w = rng.random(int(rng.integers(1, 40))) ** 3
        cdf = np.ones((1, len(w) + int(rng.integers(0, 4))))
        cdf[0, :len(w)] = np.cumsum(w) / w.sum()
        guide = guide_table(cdf)
        us = np.concatenate([rng.random(500), cdf[0], np.nextafter(cdf[0], 0), [1e-17, 1 - 2**-53]])
        for u in us[(us > 0) & (us < 1)]:
            assert _guided_pick(u, cdf, guide, 0) == _pick(u, cdf, 0)
