"""The NIC's device time (``vnetsim.engine.device``): closed forms and the reference model.

- Spaced arrivals (gap >= transfer time): every packet takes exactly ``latency + size * (8 / rate
  + per_byte)``.
- Back-to-back arrivals: the DMA FIFO's departures are ``a_0 + k * transfer`` (exact).
- Poisson arrivals of one size: the mean wait is M/D/1's ``rho * s / (2 (1 - rho))``
  (Pollaczek-Khinchine), within 5 standard errors of the batch means.
- Mixed sizes: departures stay in arrival order (in-order completion), and agree packet for packet
  with the SimPy reference (tests/reference/device_ref.py) whatever the chunking.
- The host default fits the pcie-bench medians it comes from (546 ns at 64 B, 1133 ns at 2048 B).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference.device_ref import device_reference  # noqa: E402

from vnetsim.engine.device import DeviceStage  # noqa: E402
from vnetsim.engine.packets import Packets  # noqa: E402
from vnetsim.host.config import DeviceTime  # noqa: E402


def packets(t, size):
    n = len(t)
    t = np.asarray(t, np.float64)
    return Packets(t.copy(), t.copy(), np.asarray(size, np.int32), np.zeros(n, np.int32), np.arange(n, dtype=np.int64))


def run(stage, pk, chunks=1):
    """Departures of ``pk`` fed in ``chunks`` pieces (horizons between them)."""
    out = []
    bounds = np.linspace(0, len(pk), chunks + 1).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        part = pk.take(slice(lo, hi))
        horizon = pk.t_ns[hi] if hi < len(pk) else np.inf
        out.append(stage.advance(part, horizon).departures)
    return np.concatenate([o.t_ns for o in out]), np.concatenate([o.pkt_id for o in out])


def test_spaced_arrivals_take_the_fixed_time_exactly():
    rate, lat, pb = 8e9, 500.0, 0.25          # 1 ns per byte on the link
    t = np.arange(100) * 5000.0
    size = np.full(100, 1500)
    dep, pid = run(DeviceStage(rate, lat, pb), packets(t, size))
    assert np.array_equal(pid, np.arange(100))
    assert np.array_equal(dep - t, np.full(100, 1500 * 1.0 + 500.0 + 1500 * 0.25))


def test_back_to_back_arrivals_queue_at_the_dma_rate():
    rate = 8e9                                  # 1 ns per byte: 64 ns per 64 B packet
    t = np.zeros(50)
    dep, _ = run(DeviceStage(rate, 100.0, 0.0), packets(t, np.full(50, 64)))
    assert np.array_equal(dep, 64.0 * np.arange(1, 51) + 100.0)


def test_poisson_arrivals_wait_as_md1():
    rng = np.random.default_rng(7)
    rate, size, rho = 8e9, 1000, 0.8           # service 1000 ns
    s = size * 8e9 / rate
    n = 400_000
    t = np.cumsum(rng.exponential(s / rho, n))
    stage = DeviceStage(rate, 0.0, 0.0)
    dep, _ = run(stage, packets(t, np.full(n, size)), chunks=7)
    wait = dep - t - s
    expected = rho * s / (2 * (1 - rho))
    batches = wait[n // 10:].reshape(36, -1).mean(axis=1)      # correlated waits: batch means
    se = batches.std(ddof=1) / np.sqrt(len(batches))
    assert abs(batches.mean() - expected) < 5 * se, (batches.mean(), expected, se)
    assert stage.stats().device["accepted"][0] == n


def test_default_fits_the_pcie_bench_medians():
    d = DeviceTime()
    rate = d.resolved_rate(10e9)                     # a 10 Gb/s port: PCIe Gen3 x8, as pcie-bench's NIC
    assert rate == pytest.approx(63.0e9, rel=1e-3)
    for size, median in ((64, 546.0), (2048, 1133.0)):
        zero_load = d.latency + size * (8e9 / rate + d.per_byte_ns)
        assert zero_load == pytest.approx(median, abs=2.0)


def test_a_faster_port_gets_a_wider_link():
    d = DeviceTime()
    assert d.resolved_rate(100e9) == pytest.approx(126.0e9, rel=1e-3)      # Gen3 x16
    assert d.resolved_rate(200e9) == pytest.approx(252.1e9, rel=1e-3)      # Gen4 x16
    assert d.resolved_rate(1e12) == 1e12                                   # beyond them: the line rate
    assert DeviceTime(dma_rate="40Gbps").resolved_rate(10e9) == 40e9


def test_stage_latency_histogram_counts_the_window():
    t = np.arange(10) * 1e4
    stage = DeviceStage(10e9, 527.0, 0.169, stat_lo_ns=2e4, stat_hi_ns=8e4)
    run(stage, packets(t, np.full(10, 64)))
    assert stage.stats().latency.count == 6          # offered at 2e4..7e4, all out by 8e4
    assert stage.stats().latency.mean == pytest.approx(527.0 + 64 * (0.8 + 0.169), rel=0.002)


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.sampled_from([64, 100, 1500, 9000])), min_size=1, max_size=60),
       st.integers(1, 5), st.sampled_from([1e9, 8e9, 63e9]), st.sampled_from([0.0, 37.0, 527.0]),
       st.sampled_from([0.0, 0.169, 1.0]))
def test_matches_the_reference_and_keeps_order(rows, chunks, rate, lat, pb):
    gaps, size = zip(*rows)
    t = np.cumsum(np.asarray(gaps, np.float64))
    size = np.asarray(size)
    dep, pid = run(DeviceStage(rate, lat, pb), packets(t, size), chunks=min(chunks, len(t)))
    assert np.all(np.diff(dep) >= 0)
    ref = device_reference(t, np.arange(len(t)), size, rate, lat, pb)
    assert dict(zip(pid.tolist(), dep.tolist())) == ref
