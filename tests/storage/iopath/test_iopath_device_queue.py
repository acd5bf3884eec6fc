"""The device queue kernel (``device.queue_legs``) against a plain FCFS multi-server queue: every
leg's departure, wait and busy time the same bit for bit, for queue depths from 1 to past two heap
levels, light and saturated load, in one call or many (its heap takes a leg at an idle leaf or at
its root, ``device._take_idle_leaf``: which idle server takes a leg changes no figure)."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from vnetsim.storage.iopath.device import queue_legs


def _plain(arrivals, service, device, depth):
    """FCFS: each leg starts at max(arrival, its device's earliest free server)."""
    free = {d: [-np.inf] * k for d, k in enumerate(depth)}
    out, waits = [], []
    for a, s, d in zip(arrivals, service, device):
        earliest = heapq.heappop(free[d])
        start = a if a > earliest else earliest
        heapq.heappush(free[d], start + s)
        out.append(start + s)
        waits.append(start - a)
    return np.array(out), np.array(waits)


@pytest.mark.parametrize("depths", [(1, 1), (2, 3), (7, 8, 9), (45, 45), (73, 80)])
@pytest.mark.parametrize("load", [0.3, 0.95, 1.5])
@pytest.mark.parametrize("calls", [1, 7])
def test_departures_are_a_plain_fcfs_queues(depths, load, calls):
    rng = np.random.default_rng(len(depths) * 100 + int(load * 10) + calls)
    n = 4000
    depth = np.array(depths, np.int64)
    dev = rng.integers(0, len(depth), n).astype(np.int32)
    service = rng.lognormal(np.log(50_000.0), 0.5, n)
    rate = load * depth.sum() / 50_000.0                  # legs per ns at that load
    t = np.cumsum(rng.exponential(1 / rate, n))
    flow = np.zeros(n, np.int32)
    c_tab = np.array([[0, 0, 0, 0, 0, 0.0, 0, 0]])       # reply delay 0, host 0
    f_acc, counts, busy = np.zeros((1, 4)), np.zeros(len(depth), np.int64), np.zeros(len(depth))
    free_at = np.full((len(depth), int(depth.max())), -np.inf)
    first = (depth + 6) // 8
    leaf = np.stack([first, first], axis=1).astype(np.int64)
    out = np.empty(n)
    for part in np.array_split(np.arange(n), calls):
        a, b = part[0], part[-1] + 1
        got = np.empty(b - a)
        assert queue_legs(None, b - a, np.inf, t[a:b], flow[a:b], dev[a:b], service[a:b], service[a:b],
                          np.zeros(1, np.int32), c_tab, f_acc, depth, np.array([np.inf]), np.array([0.0]), free_at,
                          leaf, busy, 0.0, np.inf, counts, False, got) == b - a
        out[a:b] = got
    want, waits = _plain(t, service, dev, depth)
    assert (out == want).all()
    assert f_acc[0, 1] == pytest.approx(waits.sum(), rel=1e-12) and f_acc[0, 0] == n
    if load > 1:
        assert waits.mean() > 1000.0                       # saturated: the legs do queue
