"""VXLAN header (RFC 7348): 8 bytes = flags (0x08, the I bit: VNI valid), 24 reserved bits,
24-bit VNI, 8 reserved bits. Carried in UDP to port 4789 (IANA); Linux's legacy default is 8472.
"""

from __future__ import annotations

import numba
import numpy as np

VXLAN_HDR_BYTES = 8
VXLAN_FLAG_I = 0x08
VXLAN_PORT_IANA = 4789
VXLAN_PORT_LINUX_LEGACY = 8472
VNI_MAX = (1 << 24) - 1


@numba.njit(cache=True, nogil=True)
def write_vxlan(buf, off, vni):
    buf[off] = VXLAN_FLAG_I
    buf[off + 1] = 0
    buf[off + 2] = 0
    buf[off + 3] = 0
    buf[off + 4] = (vni >> 16) & 0xFF
    buf[off + 5] = (vni >> 8) & 0xFF
    buf[off + 6] = vni & 0xFF
    buf[off + 7] = 0
    return off + VXLAN_HDR_BYTES


@numba.njit(cache=True, nogil=True)
def read_vxlan(buf, off, end):
    """``(vni, next_off)``; vni -1 when the I flag is clear; next_off -1 when truncated."""
    if end - off < VXLAN_HDR_BYTES:
        return -1, -1
    if (buf[off] & VXLAN_FLAG_I) == 0:
        return -1, off + VXLAN_HDR_BYTES
    vni = (np.int64(buf[off + 4]) << 16) | (np.int64(buf[off + 5]) << 8) | buf[off + 6]
    return vni, off + VXLAN_HDR_BYTES
