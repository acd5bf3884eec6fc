"""Balls into bins, exactly: the load of the busiest of ``n`` queues when ``m`` flows hash uniformly.

Poissonization made exact by conditioning: with Y_1..Y_n iid Poisson(m/n),
    P(max load <= k) = P(Y <= k)^n * P(T_1 + ... + T_n = m) / P(Poisson(m) = m)
where T is Y conditioned on Y <= k. The n-fold convolution of T's pmf is computed by repeated
squaring with real FFTs, truncated at degree m (exact: coefficients are non-negative).

From ``EXACT_MAX_BALLS`` balls on, the convolution (whose cost grows like m^1.5) is replaced by
the local central limit theorem: P(T_1 + ... + T_n = m) is the normal density of the sum at m,
and P(Poisson(m) = m) is 1 / sqrt(2 pi m); the relative error shrinks like 1/sqrt(m) (tested
against the exact value where both apply).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

EXACT_MAX_BALLS = 50_000


def _log_factorials(k: int) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1, dtype=np.float64)))])


def _conv(a: np.ndarray, b: np.ndarray, maxlen: int) -> np.ndarray:
    size = a.size + b.size - 1
    nfft = 1 << (size - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(a, nfft) * np.fft.rfft(b, nfft), nfft)[:min(size, maxlen)]
    return np.maximum(out, 0.0)


def _conv_power(p: np.ndarray, n: int, maxlen: int) -> np.ndarray:
    result = np.ones(1)
    base = p[:maxlen]
    while n:
        if n & 1:
            result = _conv(result, base, maxlen)
        n >>= 1
        if n:
            base = _conv(base, base, maxlen)
    return result


@lru_cache(maxsize=4096)
def max_load_cdf(m: int, n: int, k: int) -> float:
    """Exact P(max load <= k) for ``m`` balls in ``n`` bins (up to floating-point rounding)."""
    if k < 0 or k * n < m:
        return 0.0
    if k >= m or n == 1:
        return 1.0 if k >= m else 0.0
    lam = m / n
    j = np.arange(k + 1)
    logp = -lam + j * math.log(lam) - _log_factorials(k)
    p = np.exp(logp)
    q = float(p.sum())
    if m >= EXACT_MAX_BALLS:
        return _max_load_cdf_clt(m, n, j, p / q, q)
    s = _conv_power(p / q, n, m + 1)
    if s.size <= m:
        return 0.0
    log_pois_m = -m + m * math.log(m) - math.lgamma(m + 1)
    value = math.exp(n * math.log(q) + math.log(max(s[m], 1e-300)) - log_pois_m)
    return min(1.0, value)


def _max_load_cdf_clt(m: int, n: int, j: np.ndarray, t: np.ndarray, q: float) -> float:
    """The same formula with the n-fold convolution by the local central limit theorem."""
    mean = float((j * t).sum())
    var = float((j * j * t).sum()) - mean * mean
    if var <= 0.0:
        return 1.0 if abs(n * mean - m) < 0.5 else 0.0
    sd = math.sqrt(n * var)
    log_density = -0.5 * ((m - n * mean) / sd) ** 2 - math.log(sd * math.sqrt(2 * math.pi))
    log_pois_m = -0.5 * math.log(2 * math.pi * m)
    return min(1.0, math.exp(n * math.log(q) + log_density - log_pois_m))


@lru_cache(maxsize=256)
def max_load_quantile(m: int, n: int, prob: float) -> int:
    """Smallest k with P(max load <= k) >= prob."""
    lo, hi = max(0, -(-m // n)), m
    while lo < hi:
        mid = (lo + hi) // 2
        if max_load_cdf(m, n, mid) >= prob:
            hi = mid
        else:
            lo = mid + 1
    return lo


@lru_cache(maxsize=256)
def expected_max_load(m: int, n: int) -> float:
    """E[max load] = sum over k of P(max > k)."""
    if m == 0:
        return 0.0
    k = -(-m // n)
    total = float(k)  # P(max > j) = 1 for j < ceil(m/n)
    while k < m:
        tail = 1.0 - max_load_cdf(m, n, k)
        if tail < 1e-12:
            break
        total += tail
        k += 1
    return total
