"""Packet-size distributions, drawn in time order so chunking does not change them."""

from __future__ import annotations

import numpy as np

from vnetsim.traffic.config import IMIX_SIMPLE, Empirical, FixedSize, Imix


class SizeSampler:
    """Draws Ethernet frame sizes (bytes, FCS included) for a flow group."""

    def __init__(self, spec, rng: np.random.Generator) -> None:
        if isinstance(spec, FixedSize):
            self.values = np.array([spec.bytes], np.int32)
            self.probs = np.array([1.0])
        elif isinstance(spec, Imix):
            self.values = np.array([s for s, _ in IMIX_SIMPLE], np.int32)
            w = np.array([float(x) for _, x in IMIX_SIMPLE])
            self.probs = w / w.sum()
        elif isinstance(spec, Empirical):
            self.values = np.array(spec.sizes, np.int32)
            w = np.array(spec.weights, float)
            self.probs = w / w.sum()
        else:  # pragma: no cover - the schema admits only the kinds above
            raise TypeError(f"unknown size spec {spec!r}")
        if not (np.isfinite(self.probs).all() and (self.probs >= 0).all()):   # the schema refuses these
            raise ValueError("size weights must be finite numbers >= 0, not all 0")
        self.cdf = np.cumsum(self.probs)
        self.cdf[-1] = 1.0
        self.rng = rng

    @property
    def mean_bytes(self) -> float:
        return float((self.values * self.probs).sum())

    def draw(self, n: int) -> np.ndarray:
        if len(self.values) == 1:
            return np.full(n, self.values[0], np.int32)
        return self.values[np.searchsorted(self.cdf, self.rng.random(n), side="right").clip(0, len(self.values) - 1)]
