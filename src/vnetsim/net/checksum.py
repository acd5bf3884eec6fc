"""Internet checksum (RFC 1071) for UDP/TCP over IPv4 and IPv6, compiled.

The frame builder fills payload bytes with zeros, so a transport checksum needs only the
pseudo-header and the bytes that are not zero (the headers of this and inner layers):
``nonzero_end`` bounds the summed range and the zeros after it add nothing.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def sum16(buf, start, stop):
    """Sum of big-endian 16-bit words of ``buf[start:stop]`` (odd tail padded with zero)."""
    total = 0
    k = start
    while k + 1 < stop:
        total += (np.int64(buf[k]) << 8) | buf[k + 1]
        k += 2
    if k < stop:
        total += np.int64(buf[k]) << 8
    return total


@numba.njit(cache=True, nogil=True)
def fold(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


@numba.njit(cache=True, nogil=True)
def l4_checksum(buf, ip_off, ip_version, l4_off, l4_len, proto, csum_off, nonzero_end):
    """Compute and store the UDP/TCP checksum of the segment at ``buf[l4_off]``.

    The checksum field (at ``csum_off``) must be zero on entry. A UDP result of 0 is sent as
    0xFFFF (RFC 768).
    """
    if ip_version == 4:
        total = sum16(buf, ip_off + 12, ip_off + 20)
    else:
        total = sum16(buf, ip_off + 8, ip_off + 40)
    total += proto + l4_len
    stop = nonzero_end if nonzero_end < l4_off + l4_len else l4_off + l4_len
    total += sum16(buf, l4_off, stop)
    c = (~fold(total)) & 0xFFFF
    if c == 0 and proto == 17:
        c = 0xFFFF
    buf[csum_off] = c >> 8
    buf[csum_off + 1] = c & 0xFF


def verify_l4(ip_header: bytes, segment: bytes, proto: int, ip_version: int) -> bool:
    """True when ``segment``'s checksum verifies against the pseudo-header (tests, diagnostics)."""
    if ip_version == 4:
        pseudo = ip_header[12:20]
    else:
        pseudo = ip_header[8:40]
    data = np.frombuffer(pseudo + segment, np.uint8)
    total = int(sum16(data, 0, data.shape[0])) + proto + len(segment)
    return int(fold(total)) == 0xFFFF
