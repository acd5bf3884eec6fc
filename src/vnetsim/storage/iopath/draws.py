"""The I/O path's counter-based uniforms: a leg's draws depend on the run's key, its id and the
draw's number only (splitmix64, ``vnetsim.engine.rng``), never on chunking or on what else runs."""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.rng import GOLDEN_GAMMA, mix64, unit_open

_K1 = np.uint64(0xD1B54A32D192ED03)


@numba.njit(cache=True, nogil=True, inline="always")
def leg_uniform(key, pid, j):
    """The ``j``-th uniform in (0, 1) of leg ``pid`` under ``key`` (counter-based)."""
    z = mix64(key ^ (np.uint64(pid) * _K1 + np.uint64(j) * GOLDEN_GAMMA))
    return unit_open(z)
