"""Traffic sources: rates, sizes and bursts as specified, independent of chunking."""

import numpy as np
import pytest

from vnetsim.traffic.config import TrafficConfig
from vnetsim.traffic.source import TrafficSource


def source(flows, seed=1):
    return TrafficSource(TrafficConfig.model_validate({"flows": flows}).flows, seed)


def test_poisson_count_and_gaps():
    """N(T) ~ Poisson(λT): |N - λT| < 4 sqrt(λT); gaps have mean 1/λ and CV 1."""
    src = source([{"rate": "1Mpps"}])
    pk = src.until(1e8)  # 0.1 s -> 1e5 expected
    n, lam_t = len(pk), 1e5
    assert abs(n - lam_t) < 4 * np.sqrt(lam_t)
    gaps = np.diff(pk.t_ns)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=4 / np.sqrt(len(gaps)) * 1.5)


def test_constant_is_evenly_spaced():
    pk = source([{"rate": "1Mpps", "arrival": "constant", "count": 4}]).until(1e6)
    assert np.allclose(np.diff(pk.t_ns), 1000.0)
    assert list(np.bincount(pk.flow)) == [250] * 4


def test_bps_rate_counts_wire_overhead():
    """10 Gb/s of 64-byte frames is 14.88 Mpps (docs/references.md, Line-rate packet rates)."""
    src = source([{"rate": "10Gbps", "size": 64, "arrival": "constant"}])
    assert src.offered_pps == pytest.approx(14_880_952.38, rel=1e-9)


def test_imix_mean_and_mix():
    src = source([{"rate": "1Mpps", "size": "imix"}])
    assert src.mean_frame_bytes == pytest.approx((7 * 64 + 4 * 594 + 1518) / 12)
    sizes = src.until(2e8).size_bytes
    n = len(sizes)
    for size, p in ((64, 7 / 12), (594, 4 / 12), (1518, 1 / 12)):
        share = (sizes == size).mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_empirical_sizes():
    spec = {"kind": "empirical", "sizes": [100, 200], "weights": [1, 3]}
    sizes = source([{"rate": "1Mpps", "size": spec}]).until(1e8).size_bytes
    assert set(np.unique(sizes)) == {100, 200}
    n = len(sizes)
    assert abs((sizes == 200).mean() - 0.75) < 4 * np.sqrt(0.75 * 0.25 / n)


def test_onoff_mean_rate_and_burstiness():
    """Finite-variance ON/OFF (alpha 2.5): long-run rate equals the mean; counts per 1 ms window
    are far more variable than Poisson (index of dispersion >> 1)."""
    flows = [{"rate": "200kpps", "count": 64, "arrival": {"kind": "onoff", "on": "1ms", "off": "4ms", "shape": 2.5}}]
    pk = source(flows, seed=3).until(4e9)
    rate = len(pk) / 4.0
    # Each flow's count over T is a renewal-reward sum; with 64 flows x 800 cycles the relative
    # standard error is well below 3 %: a 10 % band is > 3 sigma.
    assert rate == pytest.approx(200e3, rel=0.10)
    counts = np.bincount((pk.t_ns // 1e6).astype(int))
    assert counts.var() / counts.mean() > 5.0


def test_chunking_does_not_change_traffic():
    flows = [{"name": "a", "rate": "1Mpps", "count": 10, "size": "imix"},
             {"name": "b", "rate": "300kpps", "arrival": "constant", "size": 256},
             {"name": "c", "rate": "100kpps", "count": 7, "arrival": {"kind": "onoff"}}]
    whole = source(flows).until(5e7)
    s = source(flows)
    parts = [s.until(h) for h in (1e6, 1.3e6, 2e7, 2e7, 5e7)]
    for field in ("t_ns", "size_bytes", "flow", "pkt_id"):
        assert np.array_equal(np.concatenate([getattr(p, field) for p in parts]), getattr(whole, field))
    assert np.all(np.diff(whole.t_ns) >= 0)
    assert np.array_equal(whole.pkt_id, np.arange(len(whole)))


def test_seeds_give_independent_streams():
    a = source([{"rate": "1Mpps"}], seed=1).until(1e6)
    b = source([{"rate": "1Mpps"}], seed=2).until(1e6)
    assert not np.array_equal(a.t_ns[:10], b.t_ns[:10])


@pytest.mark.parametrize("n_flows", [1, 2, 3, 1000, 1024, 65_537, 1 << 24])
def test_compiled_poisson_block_draws_what_numpy_draws(n_flows):
    """The compiled generator consumes and returns exactly numpy's stream (same seed, same traffic
    as before it was compiled), block after block, from a non-zero start time."""
    from vnetsim.traffic.arrivals import _poisson_block

    ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
    last = 123_456.789
    for _ in range(3):
        t, f = _poisson_block(ours, 4096, 250.0, last, n_flows)
        want_t = last + np.cumsum(theirs.standard_exponential(4096) * 250.0)
        want_f = (theirs.integers(0, n_flows, 4096, dtype=np.int32) if n_flows > 1 else np.zeros(4096, np.int32))
        assert np.array_equal(t, want_t) and np.array_equal(f, want_f) and f.dtype == np.int32
        last = float(t[-1])


def test_onoff_periods_far_shorter_than_a_packet_gap_are_refused_in_one_line():
    """A Pareto shape next to 1 makes most periods last a tiny fraction of a ns: a million flows
    at 10 pps each would draw billions of them for 1 ms (this once ran forever)."""
    from vnetsim.errors import ModelError

    src = source([{"name": "u", "count": 1_000_000, "rate": "10Mpps", "size": 64,
                   "arrival": {"kind": "onoff", "on": "1us", "off": "999us", "shape": 1.0000001}}])
    with pytest.raises(ModelError) as err:
        src.until(1e6)
    assert err.value.field == "traffic.flows.arrival" and "shape" in err.value.fix
