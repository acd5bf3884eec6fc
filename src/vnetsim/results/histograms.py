"""Latency histograms in a result: a compact, mergeable JSON form and the CDF a plot draws.

A ``LogHistogram`` (``vnetsim.engine.histogram``) is written as its non-empty buckets only::

    {"sub_bits": 8, "bucket": [257, 258, ...], "count": [12, 40, ...],
     "min_ns": ..., "max_ns": ..., "mean_ns": ...}

Bucket ``b`` (b >= 1) covers ``[2**o + s * 2**o / 2**sub_bits, ... + 2**o / 2**sub_bits)`` ns with
``o, s = divmod(b - 1, 2**sub_bits)``; bucket 0 holds values below 1 ns. Two histograms with the
same ``sub_bits`` merge by adding the counts of equal bucket indices (runs, replications, cores),
so percentiles can be merged without keeping samples.
"""

from __future__ import annotations

import numpy as np

from vnetsim.engine.histogram import LogHistogram


def histogram_to_json(h: LogHistogram) -> dict:
    """The non-empty buckets of ``h`` and its exact min, max and mean (ns); None fields when empty."""
    nz = np.flatnonzero(h.counts)
    empty = h.count == 0
    return {"sub_bits": int(h.sub_bits), "bucket": [int(b) for b in nz], "count": [int(c) for c in h.counts[nz]],
            "min_ns": None if empty else h.min, "max_ns": None if empty else h.max,
            "mean_ns": None if empty else h.mean}


def histogram_from_json(d: dict) -> LogHistogram:
    """A ``LogHistogram`` with the buckets of ``d`` (count, min, max and mean restored; the sum of
    squares is not kept and reads as 0)."""
    h = LogHistogram(int(d["sub_bits"]))
    bucket = np.asarray(d["bucket"], np.int64)
    count = np.asarray(d["count"], np.int64)
    if len(bucket) and (bucket.min() < 0 or bucket.max() >= len(h.counts)):
        raise ValueError("histogram bucket index out of range for its sub_bits")
    h.counts[bucket] = count
    n = float(count.sum())
    if n:
        h.stats[:] = [n, n * float(d["mean_ns"]), float(d["min_ns"]), float(d["max_ns"]), 0.0]
    return h


def merge_json(hists: list[dict]) -> dict:
    """One histogram of several (same ``sub_bits``): counts of equal buckets added."""
    if not hists:
        raise ValueError("nothing to merge")
    total = histogram_from_json(hists[0])
    for d in hists[1:]:
        total.merge(histogram_from_json(d))
    return histogram_to_json(total)


def bucket_upper_ns(bucket: np.ndarray, sub_bits: int) -> np.ndarray:
    """Upper edge (ns) of each bucket index (1 ns for bucket 0)."""
    b = np.asarray(bucket, np.int64)
    octave, step = np.divmod(np.maximum(b - 1, 0), 1 << sub_bits)
    width = np.exp2(octave) / (1 << sub_bits)
    return np.where(b == 0, 1.0, np.exp2(octave) + (step + 1) * width)


def cdf_points(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """(latency_ns, fraction of packets at or below it): one point per non-empty bucket at its upper
    edge, clipped to the exact maximum; empty arrays for an empty histogram."""
    count = np.asarray(d["count"], np.float64)
    if not len(count) or count.sum() <= 0:
        return np.empty(0), np.empty(0)
    x = bucket_upper_ns(np.asarray(d["bucket"]), int(d["sub_bits"]))
    if d.get("max_ns") is not None:
        x = np.minimum(x, float(d["max_ns"]))
    return x, np.cumsum(count) / count.sum()
