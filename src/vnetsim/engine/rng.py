"""Reproducible random streams and the one integer mixer of the package.

Streams are keyed by the component's name (not by creation order), so adding a flow or a stage
does not change the numbers any other component draws. Same seed, same names: same bits.

``mix64`` is the splitmix64 finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014; the constants of Vigna's reference splitmix64.c): a bijection on 64-bit
words with full avalanche. ``splitmix64`` is one step of that generator (add the golden-ratio
increment, then mix). ECMP hashing (``vnetsim.fabric.kernels``) and counter-based uniforms
(``vnetsim.traffic.arrivals``) use these two, and nothing else reimplements them.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)   # 2^64 / golden ratio, the splitmix64 increment
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True, nogil=True, inline="always")
def mix64(z):
    """The splitmix64 finalizer of a uint64 (all arithmetic in uint64, so numba never goes to float)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(cache=True, nogil=True, inline="always")
def splitmix64(state):
    """One splitmix64 output for ``state`` (uint64): ``mix64(state + golden gamma)``."""
    return mix64(state + GOLDEN_GAMMA)


@numba.njit(cache=True, nogil=True, inline="always")
def unit_open(z):
    """A uint64 to a double in (0, 1): its top 53 bits, offset by half a step (never 0 or 1)."""
    return (float(z >> _S11) + 0.5) * _INV_2_53


def _key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of component ``name`` under ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=_key(name))))
