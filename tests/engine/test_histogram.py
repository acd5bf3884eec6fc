"""Log-bucketed histograms: quantiles within the documented relative error, exact moments, merges."""

import numba
import numpy as np
import pytest

from vnetsim.engine.histogram import (
    LogHistogram,
    bucket_index,
    bucket_of,
    bucket_of_bits,
    float_bits,
    hist_add,
    relative_error,
    stats_load,
    stats_store,
)
from vnetsim.host.kernels import record_window


@numba.njit
def _buckets_from_bits(x):
    out = np.empty(x.shape[0], np.int64)
    bits = x.view(np.int64)
    for i in range(x.shape[0]):
        out[i] = bucket_of_bits(bits[i], 8)
    return out


@numba.njit
def _buckets_from_frexp(x):
    out = np.empty(x.shape[0], np.int64)
    for i in range(x.shape[0]):
        out[i] = bucket_index(x[i], 8)
    return out


def test_bucket_from_bits_equals_the_readable_definition():
    x = np.concatenate([np.random.default_rng(1).lognormal(8, 4, 200_000) + 1.0, 2.0 ** np.arange(0, 40.0)])
    assert np.array_equal(_buckets_from_bits(x), _buckets_from_frexp(x))


@pytest.mark.parametrize("dist", ["exponential", "lognormal", "pareto", "constant"])
def test_quantiles_within_relative_error(dist):
    rng = np.random.default_rng(7)
    x = {"exponential": rng.exponential(3000.0, 300_000), "lognormal": rng.lognormal(9, 2, 300_000),
         "pareto": (rng.pareto(1.2, 300_000) + 1) * 500.0, "constant": np.full(1000, 1234.5)}[dist]
    h = LogHistogram()
    h.record(x)
    bound = relative_error()
    assert bound == pytest.approx(2 ** -9)
    for q in (0.5, 0.9, 0.99, 0.999):
        exact = np.quantile(x, q, method="inverted_cdf")   # the smallest value with >= q of samples at or below
        assert abs(h.quantile(q) - exact) <= bound * exact * (1 + 1e-12), q
    assert h.count == len(x)
    assert h.mean == pytest.approx(x.mean(), rel=1e-12)
    assert h.min == x.min() and h.max == x.max()


def test_merge_equals_recording_everything_at_once():
    rng = np.random.default_rng(3)
    parts = [rng.exponential(100.0 * (k + 1), 10_000) for k in range(5)]
    whole, merged = LogHistogram(), LogHistogram()
    whole.record(np.concatenate(parts))
    for p in parts:
        h = LogHistogram()
        h.record(p)
        merged.merge(h)
    assert np.array_equal(whole.counts, merged.counts)
    assert whole.summary() == pytest.approx(merged.summary())


def test_values_below_one_ns_and_empty():
    h = LogHistogram()
    assert np.isnan(h.quantile(0.5)) and h.count == 0
    h.record(np.array([0.0, 0.25, 0.5]))
    assert h.quantile(0.5) == 0.0, "below 1 ns all values share bucket 0, reported as its bottom (0)"
    assert h.max == 0.5 and h.mean == pytest.approx(0.25)


@numba.njit
def _buckets_of(x, sub_bits, top):
    out = np.empty(x.shape[0], np.int64)
    for i in range(x.shape[0]):
        out[i] = bucket_of(x[i], sub_bits, top)
    return out


@numba.njit
def _record_with_helper(counts, stats, x, sub_bits):
    st = stats_load(stats)
    for i in range(x.shape[0]):
        st = hist_add(counts, st, x[i], sub_bits)
    stats_store(stats, st)


@numba.njit
def _bits(x):
    return float_bits(x)


@pytest.mark.parametrize("sub_bits", [3, 8])
def test_scalar_bucket_helper(sub_bits):
    """bucket_of (from the float's bits, no scratch array) = the frexp definition, clipped to top."""
    x = np.concatenate([[0.0, 0.5, 0.999, 1.0, 1.5, 2.0, 3.0, 1e300],
                        np.random.default_rng(2).lognormal(6, 5, 50_000)])
    top = 2 + 50 * (1 << sub_bits) - 1
    want = np.minimum([bucket_index(v, sub_bits) for v in x.tolist()], top)
    assert np.array_equal(_buckets_of(x, sub_bits, top), want)
    assert _bits(1.5) == np.float64(1.5).view(np.int64)


def test_record_helper_equals_numpy():
    """hist_add with stats in locals gives exactly the counts and stats of a plain computation."""
    x = np.random.default_rng(5).exponential(700.0, 20_000)
    h = LogHistogram()
    _record_with_helper(h.counts, h.stats, x, 8)
    want = np.bincount(np.minimum([bucket_index(v, 8) for v in x.tolist()], len(h.counts) - 1),
                       minlength=len(h.counts))
    assert np.array_equal(h.counts, want)
    total, sq = 0.0, 0.0
    for v in x.tolist():          # the same order of additions as the kernel
        total += v
        sq += v * v
    assert h.stats.tolist() == [len(x), total, x.min(), x.max(), sq]


def test_record_window_equals_log_histogram():
    rng = np.random.default_rng(9)
    t0 = np.sort(rng.uniform(0, 1e6, 5000))
    end = t0 + rng.exponential(2000.0, 5000)
    h = LogHistogram()
    k = record_window(h.counts, h.stats, t0, end, t0, 1e5, 9e5)
    keep = (t0 >= 1e5) & (end <= 9e5)
    ref = LogHistogram()
    ref.record((end - t0)[keep])
    assert k == keep.sum()
    assert np.array_equal(h.counts, ref.counts) and h.stats.tolist() == ref.stats.tolist()
