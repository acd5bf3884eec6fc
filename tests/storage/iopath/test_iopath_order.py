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
