"""Geneve header (RFC 8926): 8-byte base header plus 0-252 bytes of options, UDP port 6081.

Base header: Ver(2) | Opt Len(6, in 4-byte words) | O | C | Rsvd(6) | Protocol Type(16) |
VNI(24) | Reserved(8). Written options are filler TLVs of the experimental class 0xFFFF,
non-critical, zero data: they model the size of real options (e.g. NSX or OVN metadata).
"""

from __future__ import annotations

import numba
import numpy as np

GENEVE_HDR_BYTES = 8
GENEVE_PORT = 6081
GENEVE_OPT_MAX_BYTES = 63 * 4
OPTION_CLASS_EXPERIMENTAL = 0xFFFF
_OPT_DATA_MAX_BYTES = 31 * 4


def check_option_bytes(opt_bytes: int) -> None:
    if opt_bytes < 0 or opt_bytes % 4 or opt_bytes > GENEVE_OPT_MAX_BYTES:
        raise ValueError(
            f"Geneve options take a multiple of 4 bytes from 0 to {GENEVE_OPT_MAX_BYTES}, got {opt_bytes}")


@numba.njit(cache=True, nogil=True)
def write_geneve(buf, off, vni, protocol_type, opt_bytes):
    """Write the base header and ``opt_bytes`` of filler options; return end offset.

    ``opt_bytes`` must be a multiple of 4 and never a lone 4-byte remainder problem: each
    option is a 4-byte header plus up to 124 data bytes.
    """
    buf[off] = (opt_bytes // 4) & 0x3F
    buf[off + 1] = 0
    buf[off + 2] = (protocol_type >> 8) & 0xFF
    buf[off + 3] = protocol_type & 0xFF
    buf[off + 4] = (vni >> 16) & 0xFF
    buf[off + 5] = (vni >> 8) & 0xFF
    buf[off + 6] = vni & 0xFF
    buf[off + 7] = 0
    p = off + GENEVE_HDR_BYTES
    left = opt_bytes
    while left > 0:
        data = left - 4
        if data > _OPT_DATA_MAX_BYTES:
            data = _OPT_DATA_MAX_BYTES
        buf[p] = OPTION_CLASS_EXPERIMENTAL >> 8
        buf[p + 1] = OPTION_CLASS_EXPERIMENTAL & 0xFF
        buf[p + 2] = 0x01
        buf[p + 3] = data // 4
        for k in range(data):
            buf[p + 4 + k] = 0
        p += 4 + data
        left -= 4 + data
    return p


@numba.njit(cache=True, nogil=True)
def read_geneve(buf, off, end):
    """``(vni, protocol_type, opt_bytes, next_off)``; next_off -1 when truncated."""
    if end - off < GENEVE_HDR_BYTES:
        return -1, 0, 0, -1
    opt_bytes = (np.int64(buf[off]) & 0x3F) * 4
    ptype = (np.int64(buf[off + 2]) << 8) | buf[off + 3]
    vni = (np.int64(buf[off + 4]) << 16) | (np.int64(buf[off + 5]) << 8) | buf[off + 6]
    nxt = off + GENEVE_HDR_BYTES + opt_bytes
    if nxt > end:
        return vni, ptype, opt_bytes, -1
    return vni, ptype, opt_bytes, nxt
