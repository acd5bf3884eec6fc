"""Toeplitz hash (the RSS hash), exact: a bit-serial reference and a vectorized table version.

Definition (Microsoft "Verifying the RSS Hash Calculation"; 82599 datasheet 7.1.2.8.3): for
each input bit, most significant first, if the bit is 1 XOR the result with the leftmost 32
bits of the key, then shift the key left by one bit. An input of L bytes needs a key of at
least L + 4 bytes (IPv6 with ports: 36 + 4 = the usual 40-byte key).

Vectorized form: the hash is linear over GF(2), so it is the XOR over input bytes of a
contribution that depends only on the byte's position and value. ``toeplitz_tables`` builds one
256-entry uint32 table per input position (each entry the XOR of up to 8 key windows), and
``hash_rows`` hashes an (n, L) uint8 array with L lookups and XORs per row.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.errors import ModelError
from vnetsim.nic.rss_key import KEY_BYTES, MICROSOFT_KEY  # noqa: F401 - re-exported for the hash's users


def check_key(key: bytes, key_bytes: int = KEY_BYTES, where: str = "rss.key") -> bytes:
    """Return ``key`` as bytes if it has exactly ``key_bytes`` bytes, else a one-line ModelError."""
    key = bytes(key)
    if len(key) != key_bytes:
        raise ModelError(where, f"the RSS key has {len(key)} bytes, expected {key_bytes}",
                            f"give {key_bytes} bytes as {2 * key_bytes} hex digits, or 'microsoft' or 'random'")
    return key


def random_key(rng: np.random.Generator, key_bytes: int = KEY_BYTES) -> bytes:
    """A random key, as Linux drivers use by default (netdev_rss_key_fill)."""
    return rng.integers(0, 256, key_bytes, dtype=np.uint8).tobytes()


def toeplitz_bitserial(key: bytes, data: bytes) -> int:
    """The hash exactly as defined, one bit at a time (slow, obviously correct: the test oracle)."""
    key_bits = len(key) * 8
    if key_bits < len(data) * 8 + 32:
        raise ValueError(f"a {len(key)}-byte key hashes at most {len(key) - 4} input bytes, got {len(data)}")
    k = int.from_bytes(key, "big")
    window = k >> (key_bits - 32)
    result = 0
    pos = 32  # next key bit to shift into the window
    for byte in data:
        for bit in range(7, -1, -1):
            if (byte >> bit) & 1:
                result ^= window
            nxt = (k >> (key_bits - 1 - pos)) & 1 if pos < key_bits else 0
            window = ((window << 1) & 0xFFFFFFFF) | nxt
            pos += 1
    return result


def toeplitz_tables(key: bytes, input_bytes: int) -> np.ndarray:
    """(input_bytes, 256) uint32: table[i, v] = hash contribution of byte value v at position i."""
    key = bytes(key)
    if len(key) < input_bytes + 4:
        raise ModelError("rss.key", f"a {len(key)}-byte RSS key can hash at most {len(key) - 4} input bytes, "
                            f"this input has {input_bytes}", "use a key of at least 40 bytes")
    key_bits = len(key) * 8
    k = int.from_bytes(key, "big")
    # windows[b] = the 32 key bits starting at bit b
    windows = np.array([(k >> (key_bits - 32 - b)) & 0xFFFFFFFF for b in range(8 * input_bytes)], np.uint32)
    windows = windows.reshape(input_bytes, 8)  # [position, bit j (0 = MSB)]
    values = np.arange(256, dtype=np.uint32)
    tables = np.zeros((input_bytes, 256), np.uint32)
    for j in range(8):
        bit_set = ((values >> np.uint32(7 - j)) & np.uint32(1)).astype(bool)
        tables[:, bit_set] ^= windows[:, j:j + 1]
    return tables


@numba.njit(cache=True, nogil=True)
def hash_rows(tables, data):
    """Toeplitz hash of each row of ``data`` ((n, L) uint8) with precomputed ``tables`` (L, 256)."""
    n, width = data.shape
    out = np.empty(n, np.uint32)
    for r in range(n):
        h = np.uint32(0)
        for i in range(width):
            h ^= tables[i, data[r, i]]
        out[r] = h
    return out


class Toeplitz:
    """A key with its tables cached per input length: ``Toeplitz(key).hash(rows)``."""

    def __init__(self, key: bytes, key_bytes: int | None = None, where: str = "rss.key") -> None:
        self.key = check_key(key, len(key) if key_bytes is None else key_bytes, where)
        self._tables: dict[int, np.ndarray] = {}

    def tables(self, input_bytes: int) -> np.ndarray:
        if input_bytes not in self._tables:
            self._tables[input_bytes] = toeplitz_tables(self.key, input_bytes)
        return self._tables[input_bytes]

    def hash(self, data: np.ndarray) -> np.ndarray:
        """Hash each row of an (n, L) uint8 array; returns (n,) uint32."""
        data = np.ascontiguousarray(data, dtype=np.uint8)
        if data.ndim != 2:
            raise ValueError("hash input must be an (n, L) uint8 array")
        if data.shape[0] == 0:
            return np.zeros(0, np.uint32)
        return hash_rows(self.tables(data.shape[1]), data)

    def hash_bytes(self, data: bytes) -> int:
        return int(self.hash(np.frombuffer(bytes(data), np.uint8).reshape(1, -1))[0])
