"""Mergeable log-bucketed histograms for latencies: bounded memory, bounded relative error.

Buckets split every power of two into ``2**SUB_BITS`` equal parts (the layout of HdrHistogram):
the bucket of a value ``x >= 1`` ns comes from its binary exponent and the top ``SUB_BITS`` bits of
its mantissa (``frexp``), so recording costs no logarithm. Values below 1 ns share bucket 0.
A quantile is reported as the middle of its bucket, clipped to the exact minimum and maximum, so
its relative error is at most ``2**-(SUB_BITS+1)``: 0.2 % with the default 8 sub-bucket bits.
Means, minima and maxima are exact. Histograms with the same layout merge by adding counts, so
chunks, cores and runs combine without keeping samples.

Kernels record with one helper: ``stats_load`` the running stats into locals, ``hist_add`` each
value (bucket from the float's bits, no logarithm, no scratch array), ``stats_store`` them back.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

SUB_BITS = 8
MAX_OCTAVES = 50  # 2**50 ns is 13 days: longer than any simulated latency


def relative_error(sub_bits: int = SUB_BITS) -> float:
    """Largest relative error of a reported quantile (values >= 1 ns)."""
    return 2.0 ** -(sub_bits + 1)


@numba.njit(cache=True, nogil=True, inline="always")
def bucket_of_bits(bits, sub_bits):
    """Bucket of a value >= 1 from its float64 bits: 1 + octave * 2**sub_bits + linear step."""
    return 1 + (bits >> (52 - sub_bits)) - (1023 << sub_bits)


@numba.njit(cache=True, nogil=True, inline="always")
def bucket_index(x, sub_bits):
    """Bucket of ``x``: 0 below 1 ns, else 1 + octave * 2**sub_bits + linear step in the octave."""
    if x < 1.0:
        return 0
    m, e = math.frexp(x)  # x = m * 2**e, 0.5 <= m < 1
    return 1 + ((e - 1) << sub_bits) + int((2.0 * m - 1.0) * (1 << sub_bits))


@intrinsic
def float_bits(typingctx, x):
    """The bits of a float64 as an int64 (a register move: no scratch array, no refcount)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@numba.njit(cache=True, nogil=True, inline="always")
def bucket_of(x, sub_bits, top):
    """Bucket of a value in ns with ``2**sub_bits`` buckets per octave: 0 below 1 ns, at most ``top``."""
    if x < 1.0:
        return 0
    b = bucket_of_bits(float_bits(x), sub_bits)
    return b if b < top else top


@numba.njit(cache=True, nogil=True, inline="always")
def stats_load(stats):
    """A histogram's running stats [n, sum, min, max, sum of squares] as a tuple of locals."""
    return stats[0], stats[1], stats[2], stats[3], stats[4]


@numba.njit(cache=True, nogil=True, inline="always")
def stats_store(stats, st):
    """Write stats kept in locals (``stats_load``, ``hist_add``) back to the array."""
    stats[0], stats[1], stats[2], stats[3], stats[4] = st


@numba.njit(cache=True, nogil=True, inline="always")
def hist_add(counts, st, x, sub_bits):
    """Record ``x`` ns: count its bucket, return the updated stats tuple (``stats_load``).

    The one histogram update of every kernel. Stats travel in locals (load once, store once):
    read-modify-writes of the stats array on every value cost numba about 2x.
    """
    counts[bucket_of(x, sub_bits, counts.shape[0] - 1)] += 1
    n, total, lo, hi, sq = st
    return n + 1.0, total + x, (x if x < lo else lo), (x if x > hi else hi), sq + x * x


@numba.njit(cache=True, nogil=True)
def _record(counts, stats, values, sub_bits):
    """Add ``values`` (ns) to ``counts`` and ``stats``."""
    st = stats_load(stats)
    for i in range(values.shape[0]):
        st = hist_add(counts, st, values[i], sub_bits)
    stats_store(stats, st)


class LogHistogram:
    """Latency histogram in ns: exact count, mean, min, max; quantiles within ``relative_error()``."""

    __slots__ = ("sub_bits", "counts", "stats")

    def __init__(self, sub_bits: int = SUB_BITS) -> None:
        self.sub_bits = sub_bits
        self.counts = np.zeros(2 + MAX_OCTAVES * (1 << sub_bits), dtype=np.int64)
        self.stats = np.array([0.0, 0.0, np.inf, -np.inf, 0.0])

    def record(self, values_ns: np.ndarray) -> None:
        if len(values_ns):
            _record(self.counts, self.stats, np.ascontiguousarray(values_ns, dtype=np.float64), self.sub_bits)

    def merge(self, other: LogHistogram) -> None:
        if other.sub_bits != self.sub_bits:
            raise ValueError("histograms with different bucket layouts cannot merge")
        self.counts += other.counts
        self.stats[0] += other.stats[0]
        self.stats[1] += other.stats[1]
        self.stats[2] = min(self.stats[2], other.stats[2])
        self.stats[3] = max(self.stats[3], other.stats[3])
        self.stats[4] += other.stats[4]

    @property
    def count(self) -> int:
        return int(self.stats[0])

    @property
    def mean(self) -> float:
        return self.stats[1] / self.stats[0] if self.stats[0] else float("nan")

    @property
    def min(self) -> float:
        return float(self.stats[2]) if self.stats[0] else float("nan")

    @property
    def max(self) -> float:
        return float(self.stats[3]) if self.stats[0] else float("nan")

    def bucket_bounds(self, b: int) -> tuple[float, float]:
        if b == 0:
            return 0.0, 1.0
        octave, step = divmod(b - 1, 1 << self.sub_bits)
        width = 2.0 ** octave / (1 << self.sub_bits)
        lo = 2.0 ** octave + step * width
        return lo, lo + width

    def quantile(self, q: float) -> float:
        """Smallest bucket value with at least ``q`` of the samples at or below it."""
        n = self.count
        if n == 0:
            return float("nan")
        rank = max(1, math.ceil(q * n))
        b = int(np.searchsorted(np.cumsum(self.counts), rank, side="left"))
        lo, hi = self.bucket_bounds(b)
        mid = 0.0 if b == 0 else 0.5 * (lo + hi)
        return float(min(max(mid, self.min), self.max))

    def summary(self) -> dict[str, float]:
        """mean, p50, p90, p99, p999, max (ns)."""
        return {
            "mean": self.mean,
            "p50": self.quantile(0.50),
            "p90": self.quantile(0.90),
            "p99": self.quantile(0.99),
            "p999": self.quantile(0.999),
            "max": self.max,
        }
