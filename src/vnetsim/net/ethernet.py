"""Ethernet II and 802.1Q VLAN headers: constants, MAC conversions, vectorized packing.

MAC addresses are held as ``uint64`` (the 48 address bits, first octet most significant), so
a column of a million MACs is 8 MB and compares with one numpy operation.

Frame-size convention used across vnetsim (see docs/models/nic.md): a frame's size counts the
Ethernet header through the 4-byte FCS; preamble/SFD and the inter-frame gap
(``WIRE_GAP_BYTES``) are added only for line-rate math. A pcap record holds the frame
without its FCS.
"""

from __future__ import annotations

import numba
import numpy as np

ETH_HDR_BYTES = 14
VLAN_TAG_BYTES = 4
FCS_BYTES = 4
# 7 B preamble + 1 B start delimiter + 12 B minimum inter-frame gap: what a frame costs on the wire beyond
# its own bytes (IEEE Std 802.3; docs/references.md, Ethernet wire overhead). The one definition in vnetsim.
WIRE_GAP_BYTES = 20
MIN_FRAME_BYTES = 64  # including the FCS

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_VLAN = 0x8100  # 802.1Q C-tag
ETHERTYPE_QINQ = 0x88A8  # 802.1ad S-tag
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_TEB = 0x6558  # transparent Ethernet bridging (Geneve protocol type)

BROADCAST_MAC = 0xFFFF_FFFF_FFFF
NO_VLAN = -1


def mac_to_int(text: str | int) -> int:
    """``"00:16:3e:08:71:cf"`` (or ``-``/no separators) -> 48-bit int; ints pass through."""
    if isinstance(text, (int, np.integer)):
        value = int(text)
    else:
        digits = text.replace(":", "").replace("-", "").replace(".", "")
        if len(digits) != 12:
            raise ValueError(f"a MAC address has 6 octets like '00:16:3e:08:71:cf', got {text!r}")
        try:
            value = int(digits, 16)
        except ValueError:
            raise ValueError(f"a MAC address has hex octets like '00:16:3e:08:71:cf', got {text!r}") from None
    if not 0 <= value <= BROADCAST_MAC:
        raise ValueError(f"a MAC address is 48 bits, got {text!r}")
    return value


def int_to_mac(value: int) -> str:
    """48-bit int -> ``"00:16:3e:08:71:cf"``."""
    raw = int(value).to_bytes(6, "big")
    return ":".join(f"{b:02x}" for b in raw)


def is_multicast(mac: np.ndarray | int) -> np.ndarray | bool:
    """True where the I/G bit (least significant bit of the first octet) is set; broadcast included."""
    return (np.asarray(mac, dtype=np.uint64) >> np.uint64(40)) & np.uint64(1) == np.uint64(1)


def is_broadcast(mac: np.ndarray | int) -> np.ndarray | bool:
    return np.asarray(mac, dtype=np.uint64) == np.uint64(BROADCAST_MAC)


def macs_to_bytes(mac: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 6) uint8, network order."""
    be = np.asarray(mac, dtype=">u8").reshape(-1, 1).view(np.uint8)
    return be[:, 2:8].copy()


def bytes_to_macs(raw: np.ndarray) -> np.ndarray:
    """(n, 6) uint8 -> (n,) uint64."""
    raw = np.asarray(raw, dtype=np.uint8).reshape(-1, 6)
    out = np.zeros((raw.shape[0], 8), np.uint8)
    out[:, 2:] = raw
    return out.view(">u8").reshape(-1).astype(np.uint64)


def l2_header_bytes(vlan: np.ndarray) -> np.ndarray:
    """Ethernet header length per row: 14, or 18 with an 802.1Q tag (``vlan >= 0``)."""
    return np.where(np.asarray(vlan) >= 0, ETH_HDR_BYTES + VLAN_TAG_BYTES, ETH_HDR_BYTES).astype(np.int32)


@numba.njit(cache=True, nogil=True)
def write_eth(buf, off, dst, src, vlan, ethertype):
    """Write an Ethernet header (+ 802.1Q tag with PCP 0 when ``vlan >= 0``) at ``buf[off]``.

    Returns the offset just past the header.
    """
    for k in range(6):
        buf[off + k] = (dst >> np.uint64(8 * (5 - k))) & np.uint64(0xFF)
        buf[off + 6 + k] = (src >> np.uint64(8 * (5 - k))) & np.uint64(0xFF)
    off += 12
    if vlan >= 0:
        buf[off] = ETHERTYPE_VLAN >> 8
        buf[off + 1] = ETHERTYPE_VLAN & 0xFF
        buf[off + 2] = (vlan >> 8) & 0x0F
        buf[off + 3] = vlan & 0xFF
        off += 4
    buf[off] = (ethertype >> 8) & 0xFF
    buf[off + 1] = ethertype & 0xFF
    return off + 2


@numba.njit(cache=True, nogil=True)
def read_mac(buf, off):
    value = np.uint64(0)
    for k in range(6):
        value = (value << np.uint64(8)) | np.uint64(buf[off + k])
    return value


@numba.njit(cache=True, nogil=True)
def read_eth(buf, off, end):
    """Parse Ethernet + up to two VLAN tags (802.1Q/802.1ad) at ``buf[off:end]``.

    Returns ``(dst, src, vlan, ethertype, next_off)``; ``vlan`` is the outermost tag's VID
    (-1 untagged); ``next_off`` is -1 when the capture ends inside the header.
    """
    if end - off < ETH_HDR_BYTES:
        return np.uint64(0), np.uint64(0), -1, 0, -1
    dst = read_mac(buf, off)
    src = read_mac(buf, off + 6)
    off += 12
    ethertype = (np.int64(buf[off]) << 8) | buf[off + 1]
    vlan = -1
    for _ in range(2):
        if ethertype != ETHERTYPE_VLAN and ethertype != ETHERTYPE_QINQ:
            break
        if end - off < 6:
            return dst, src, vlan, ethertype, -1
        if vlan < 0:
            vlan = ((np.int64(buf[off + 2]) << 8) | buf[off + 3]) & 0x0FFF
        off += 4
        ethertype = (np.int64(buf[off]) << 8) | buf[off + 1]
    return dst, src, vlan, ethertype, off + 2
