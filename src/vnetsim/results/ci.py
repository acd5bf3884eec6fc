"""Confidence intervals across independent replications: Student t, and the replications' seeds.

For ``n >= 2`` replications giving values ``x_1..x_n`` of a metric, the interval is
``mean +- t_{(1+c)/2, n-1} * s / sqrt(n)`` with ``s`` the sample standard deviation (``ddof = 1``)
and ``c`` the confidence level (0.95 by default). Replications run with independent seeds, so the
``x_i`` are independent and identically distributed; the interval's coverage is exactly ``c`` when
they are normal, and close to it for the run-level means and percentiles of long enough runs
(central limit theorem). With one replication there is no interval (null).

The t quantile is computed here (no scipy at run time): the t distribution's CDF through the
regularized incomplete beta function (continued fraction, modified Lentz's method, as in Press et
al., *Numerical Recipes*, 3rd ed., section 6.4), inverted by bisection to 1e-12.

Replication ``r``'s seed is the ``r``-th output of a splitmix64 stream started at the base seed
(``vnetsim.engine.rng.splitmix64``), its top 32 bits (``replication_seed``). Sweeps
(``vnetsim.sweep``) and ``vnetsim run --replications`` (the host kind) both use these, so replication
``r`` of either runs with the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from vnetsim.engine.rng import GOLDEN_GAMMA, mix64

_MASK = (1 << 64) - 1


def replication_seed(base_seed: int, replication: int) -> int:
    """Seed of replication ``replication`` (0, 1, ...): output ``replication`` of splitmix64 seeded
    with ``base_seed``, its top 32 bits. Computed by the Python body of the package's mixer
    (``mix64.py_func``, uint64 arithmetic wrapping as compiled): a sweep's plan and a resumed sweep
    with nothing left to run need no compiled code."""
    state = (int(base_seed) + (int(replication) + 1) * int(GOLDEN_GAMMA)) & _MASK
    with np.errstate(over="ignore"):
        return int(mix64.py_func(np.uint64(state))) >> 32


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(0.5 * df, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (0 < p < 1)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("t_quantile needs 0 < p < 1 and df > 0")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def interval(values: Iterable[float], confidence: float = 0.95) -> dict[str, float | int | None]:
    """``{n, mean, sd, half_width, low, high}`` of finite ``values`` (null bounds with fewer than two)."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(xs)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "half_width": None, "low": None, "high": None}
    mean = math.fsum(xs) / n
    if n < 2:
        return {"n": 1, "mean": mean, "sd": None, "half_width": None, "low": None, "high": None}
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "half_width": half, "low": mean - half, "high": mean + half}
