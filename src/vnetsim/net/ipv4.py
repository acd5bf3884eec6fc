"""IPv4 header (RFC 791): compiled writer/reader and the header checksum.

Addresses are 16-byte IPv4-mapped rows (see ``ipaddr``). Written headers have no options
(IHL 5), DF set, TTL 64; the total length and checksum are patched per packet by the frame
builder (``set_total_length``), so one template serves every packet of a flow.
"""

from __future__ import annotations

import numba
import numpy as np

IPV4_HDR_BYTES = 20
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
DEFAULT_TTL = 64


@numba.njit(cache=True, nogil=True)
def header_checksum(buf, off, hdr_bytes):
    """One's-complement sum of the header's 16-bit words, checksum field taken as zero."""
    total = 0
    for k in range(0, hdr_bytes, 2):
        if k == 10:
            continue
        total += (np.int64(buf[off + k]) << 8) | buf[off + k + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


@numba.njit(cache=True, nogil=True)
def write_ipv4(buf, off, src16, dst16, proto, ident):
    """Write a 20-byte header (length and checksum left 0) at ``buf[off]``; return end offset."""
    buf[off] = 0x45
    buf[off + 1] = 0
    buf[off + 2] = 0
    buf[off + 3] = 0
    buf[off + 4] = (ident >> 8) & 0xFF
    buf[off + 5] = ident & 0xFF
    buf[off + 6] = 0x40  # DF
    buf[off + 7] = 0
    buf[off + 8] = DEFAULT_TTL
    buf[off + 9] = proto
    buf[off + 10] = 0
    buf[off + 11] = 0
    for k in range(4):
        buf[off + 12 + k] = src16[12 + k]
        buf[off + 16 + k] = dst16[12 + k]
    return off + IPV4_HDR_BYTES


@numba.njit(cache=True, nogil=True)
def set_total_length(buf, off, total_bytes):
    """Patch the total length and recompute the header checksum."""
    buf[off + 2] = (total_bytes >> 8) & 0xFF
    buf[off + 3] = total_bytes & 0xFF
    ihl = (buf[off] & 0x0F) * 4
    c = header_checksum(buf, off, ihl)
    buf[off + 10] = c >> 8
    buf[off + 11] = c & 0xFF


@numba.njit(cache=True, nogil=True)
def read_ipv4(buf, off, end, src16, dst16):
    """Parse the header at ``buf[off:end]``, filling ``src16``/``dst16`` (IPv4-mapped).

    Returns ``(proto, l4_off, total_len, first_fragment)``; ``l4_off`` is -1 when the capture
    ends inside the header. ``first_fragment`` is False for non-first fragments (no L4 header).
    """
    if end - off < IPV4_HDR_BYTES:
        return 0, -1, 0, False
    ihl = (buf[off] & 0x0F) * 4
    if ihl < IPV4_HDR_BYTES or end - off < ihl:
        return 0, -1, 0, False
    total = (np.int64(buf[off + 2]) << 8) | buf[off + 3]
    frag_off = ((np.int64(buf[off + 6]) & 0x1F) << 8) | buf[off + 7]
    proto = np.int64(buf[off + 9])
    for k in range(10):
        src16[k] = 0
        dst16[k] = 0
    src16[10] = 0xFF
    src16[11] = 0xFF
    dst16[10] = 0xFF
    dst16[11] = 0xFF
    for k in range(4):
        src16[12 + k] = buf[off + 12 + k]
        dst16[12 + k] = buf[off + 16 + k]
    return proto, off + ihl, total, frag_off == 0


def checksum_ok(header: bytes) -> bool:
    """True when a raw IPv4 header's checksum verifies (for tests and diagnostics)."""
    buf = np.frombuffer(header, np.uint8)
    ihl = (buf[0] & 0x0F) * 4
    return int(header_checksum(buf, 0, ihl)) == (int(buf[10]) << 8 | int(buf[11]))
