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
import math

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


# The exponential ziggurat (Marsaglia and Tsang, "The Ziggurat Method for Generating Random
# Variables", Journal of Statistical Software 5(8), 2000): 256 layers of equal area under
# exp(-x); layer i >= 1 spans heights exp(-x_i) .. exp(-x_{i-1}) with x_0 = 0 < x_1 < .. < x_255 = R,
# layer 0 is the base rectangle [0, R] x [0, exp(-R)] plus the tail, all of area _ZIG_V. A draw
# takes a layer from a word's low 8 bits and a point across it from its top 53 bits; the point is
# returned when it lies left of the layer above's edge (about 98.9 % of draws), otherwise the wedge
# under the curve or the tail (R plus an exponential, by memorylessness) decides with further
# words. Exact in law for exact uniforms; the 53-bit grid is the same as ``unit_open``'s.
_ZIG_R = 7.69711747013104972
_ZIG_V = 3.949659822581572e-3
_ZIG_SCALE = 2.0 ** 53


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k, w, f): per layer, the accept threshold on the 53-bit integer, the width per integer
    step, and exp(-x_i) (f[0] = 1: the top of layer 1)."""
    k = np.zeros(256, np.uint64)
    w = np.zeros(256)
    f = np.zeros(256)
    x = _ZIG_R
    q = _ZIG_V / math.exp(-x)                  # layer 0's width: the base rectangle and the tail
    k[0] = np.uint64(int(x / q * _ZIG_SCALE))
    w[0], w[255] = q / _ZIG_SCALE, x / _ZIG_SCALE
    f[0], f[255] = 1.0, math.exp(-x)
    for i in range(254, 0, -1):
        below = x
        x = -math.log(_ZIG_V / x + math.exp(-x))   # x_i from x_{i+1}: equal areas
        k[i + 1] = np.uint64(int(x / below * _ZIG_SCALE))
        f[i] = math.exp(-x)
        w[i] = x / _ZIG_SCALE
    return k, w, f


_ZIG_K, _ZIG_W, _ZIG_F = _ziggurat_tables()
_LOW8 = np.uint64(0xFF)


@numba.njit(cache=True, nogil=True)
def _exponential_rare(state, z):
    """The ziggurat's wedges and tail for word ``z`` (the output of ``state``): further words from
    the same splitmix64 stream until a draw is accepted."""
    while True:
        i = z & _LOW8
        u = z >> _S11
        if u < _ZIG_K[i]:
            return float(u) * _ZIG_W[i]
        state += GOLDEN_GAMMA
        v = unit_open(mix64(state))
        if i == 0:
            return _ZIG_R - math.log(v)
        x = float(u) * _ZIG_W[i]
        if _ZIG_F[i] + v * (_ZIG_F[i - 1] - _ZIG_F[i]) < math.exp(-x):
            return x
        state += GOLDEN_GAMMA
        z = mix64(state)


@numba.njit(cache=True, nogil=True, inline="always")
def exponential(state):
    """An exponential of mean 1 from the splitmix64 stream at ``state`` (uint64): its first output
    picks a ziggurat layer and a point in it; the rare rejections read the outputs after it.
    Counter-based like ``splitmix64``: the same state gives the same draw. No logarithm on the
    common path (several times cheaper than ``-log(unit_open(splitmix64(state)))``, a different
    stream of the same law)."""
    s = state + GOLDEN_GAMMA
    z = mix64(s)
    i = z & _LOW8
    u = z >> _S11
    if u < _ZIG_K[i]:
        return float(u) * _ZIG_W[i]
    return _exponential_rare(s, z)
