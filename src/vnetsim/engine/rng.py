"""Reproducible random streams: one seed, one independent stream per named component.

Streams are keyed by the component's name (not by creation order), so adding a flow or a stage
does not change the numbers any other component draws. Same seed, same names: same bits.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of component ``name`` under ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=_key(name))))
