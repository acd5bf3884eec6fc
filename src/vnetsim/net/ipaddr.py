"""IP addresses as 16-byte rows, IPv4 and IPv6 alike.

Storage convention (used by FlowTable and every kernel): an address is a row of 16 ``uint8`` in
network order. An IPv6 address is stored as is; an IPv4 address is stored IPv4-mapped
(``::ffff:a.b.c.d``, RFC 4291 section 2.5.5.2), i.e. its 4 bytes sit in columns 12..15. The
row's IP version lives next to it (``ip_version`` 4 or 6), so ``::ffff:a.b.c.d`` written as
IPv6 on the wire stays distinguishable from IPv4.
"""

from __future__ import annotations

import ipaddress

import numpy as np

ADDR_BYTES = 16
V4_OFFSET = 12  # IPv4 bytes live in columns 12..15
_V4_PREFIX = bytes(10) + b"\xff\xff"


def ip_to_row(text: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[np.ndarray, int]:
    """``"10.0.0.1"`` or ``"fe80::1"`` -> (16-byte row, version 4/6)."""
    addr = ipaddress.ip_address(text) if not isinstance(text, (ipaddress.IPv4Address, ipaddress.IPv6Address)) else text
    if addr.version == 4:
        return np.frombuffer(_V4_PREFIX + addr.packed, np.uint8).copy(), 4
    return np.frombuffer(addr.packed, np.uint8).copy(), 6


def ips_to_rows(texts) -> tuple[np.ndarray, np.ndarray]:
    """Many addresses -> ((n, 16) uint8, (n,) uint8 versions)."""
    texts = list(texts)
    rows = np.zeros((len(texts), ADDR_BYTES), np.uint8)
    versions = np.zeros(len(texts), np.uint8)
    for i, text in enumerate(texts):
        rows[i], versions[i] = ip_to_row(text)
    return rows, versions


def row_to_ip(row: np.ndarray, version: int) -> str:
    """One 16-byte row -> its text form (``""`` when version is 0, i.e. not IP)."""
    raw = bytes(np.asarray(row, np.uint8))
    if version == 4:
        return str(ipaddress.IPv4Address(raw[V4_OFFSET:]))
    if version == 6:
        return str(ipaddress.IPv6Address(raw))
    return ""


def ipv4_from_u32(value: np.ndarray) -> np.ndarray:
    """(n,) uint32 host-order IPv4 addresses -> (n, 16) uint8 IPv4-mapped rows."""
    value = np.asarray(value, dtype=np.uint32).reshape(-1)
    rows = np.zeros((value.shape[0], ADDR_BYTES), np.uint8)
    rows[:, 10:12] = 0xFF
    rows[:, 12:16] = value.astype(">u4").reshape(-1, 1).view(np.uint8)
    return rows


def ipv4_to_u32(rows: np.ndarray) -> np.ndarray:
    """(n, 16) IPv4-mapped rows -> (n,) uint32 host-order addresses."""
    rows = np.ascontiguousarray(np.asarray(rows, np.uint8).reshape(-1, ADDR_BYTES)[:, 12:16])
    return rows.view(">u4").reshape(-1).astype(np.uint32)


def ipv6_from_ints(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Two (n,) uint64 halves (network order: hi first) -> (n, 16) rows."""
    n = np.asarray(hi).reshape(-1).shape[0]
    rows = np.empty((n, ADDR_BYTES), np.uint8)
    rows[:, :8] = np.asarray(hi, np.uint64).astype(">u8").reshape(-1, 1).view(np.uint8)
    rows[:, 8:] = np.asarray(lo, np.uint64).astype(">u8").reshape(-1, 1).view(np.uint8)
    return rows
