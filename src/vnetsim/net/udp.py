"""UDP header (RFC 768): compiled writer/reader."""

from __future__ import annotations

import numba
import numpy as np

UDP_HDR_BYTES = 8


@numba.njit(cache=True, nogil=True)
def write_udp(buf, off, sport, dport):
    """Write ports; length and checksum 0 (patched per packet). Returns end offset."""
    buf[off] = (sport >> 8) & 0xFF
    buf[off + 1] = sport & 0xFF
    buf[off + 2] = (dport >> 8) & 0xFF
    buf[off + 3] = dport & 0xFF
    for k in range(4, 8):
        buf[off + k] = 0
    return off + UDP_HDR_BYTES


@numba.njit(cache=True, nogil=True)
def set_length(buf, off, length_bytes):
    buf[off + 4] = (length_bytes >> 8) & 0xFF
    buf[off + 5] = length_bytes & 0xFF


@numba.njit(cache=True, nogil=True)
def read_ports(buf, off, end):
    """``(sport, dport, ok)``: the first 4 bytes of a UDP or TCP header."""
    if end - off < 4:
        return 0, 0, False
    sport = (np.int64(buf[off]) << 8) | buf[off + 1]
    dport = (np.int64(buf[off + 2]) << 8) | buf[off + 3]
    return sport, dport, True
