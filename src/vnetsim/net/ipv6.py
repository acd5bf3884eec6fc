"""IPv6 fixed header (RFC 8200): compiled writer/reader, extension-header walk.

Written headers: traffic class 0, flow label 0, hop limit 64; the payload length is patched
per packet by the frame builder. The reader skips hop-by-hop, routing, destination-options and
fragment headers to find the transport protocol (a non-first fragment has none).
"""

from __future__ import annotations

import numba
import numpy as np

IPV6_HDR_BYTES = 40
DEFAULT_HOP_LIMIT = 64
EXT_HOPOPT = 0
EXT_ROUTING = 43
EXT_FRAGMENT = 44
EXT_DSTOPTS = 60


@numba.njit(cache=True, nogil=True)
def write_ipv6(buf, off, src16, dst16, next_header):
    """Write the 40-byte header (payload length 0) at ``buf[off]``; return end offset."""
    buf[off] = 0x60
    for k in range(1, 6):
        buf[off + k] = 0
    buf[off + 6] = next_header
    buf[off + 7] = DEFAULT_HOP_LIMIT
    for k in range(16):
        buf[off + 8 + k] = src16[k]
        buf[off + 24 + k] = dst16[k]
    return off + IPV6_HDR_BYTES


@numba.njit(cache=True, nogil=True)
def set_payload_length(buf, off, payload_bytes):
    buf[off + 4] = (payload_bytes >> 8) & 0xFF
    buf[off + 5] = payload_bytes & 0xFF


@numba.njit(cache=True, nogil=True)
def read_ipv6(buf, off, end, src16, dst16):
    """Parse the header (and extension headers) at ``buf[off:end]``.

    Returns ``(proto, l4_off, payload_len, first_fragment)``; ``l4_off`` is -1 when the capture
    ends inside the headers.
    """
    if end - off < IPV6_HDR_BYTES:
        return 0, -1, 0, False
    payload = (np.int64(buf[off + 4]) << 8) | buf[off + 5]
    nh = np.int64(buf[off + 6])
    for k in range(16):
        src16[k] = buf[off + 8 + k]
        dst16[k] = buf[off + 24 + k]
    p = off + IPV6_HDR_BYTES
    first = True
    for _ in range(8):
        if nh == EXT_HOPOPT or nh == EXT_ROUTING or nh == EXT_DSTOPTS:
            if end - p < 8:
                return nh, -1, payload, first
            length = (np.int64(buf[p + 1]) + 1) * 8
            nh = np.int64(buf[p])
            p += length
        elif nh == EXT_FRAGMENT:
            if end - p < 8:
                return nh, -1, payload, first
            frag = ((np.int64(buf[p + 2]) << 8) | buf[p + 3]) >> 3
            if frag != 0:
                first = False
            nh = np.int64(buf[p])
            p += 8
        else:
            break
    if p > end:
        return nh, -1, payload, first
    return nh, p, payload, first
