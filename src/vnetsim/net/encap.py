"""Tunnel kinds and the bytes they add: what line-rate math needs to know about overlays.

Overhead counts the outer Ethernet (+4 with an outer 802.1Q tag), outer IP, outer UDP and the
tunnel header (+ Geneve options). The inner frame travels without its FCS, the outer frame
has one, so ``outer frame bytes = inner frame bytes + overhead`` with both sizes counting their
FCS. VXLAN: 50 B over IPv4, 70 B over IPv6 (RFC 7348; include/net/vxlan.h; docs/references.md, VXLAN overhead).
"""

from __future__ import annotations

import numpy as np

from .ethernet import ETH_HDR_BYTES, VLAN_TAG_BYTES, WIRE_GAP_BYTES
from .geneve import GENEVE_HDR_BYTES
from .ipv4 import IPV4_HDR_BYTES
from .ipv6 import IPV6_HDR_BYTES
from .udp import UDP_HDR_BYTES
from .vxlan import VXLAN_HDR_BYTES

TUNNEL_NONE = 0
TUNNEL_VXLAN = 1
TUNNEL_GENEVE = 2
TUNNEL_NAMES = {TUNNEL_NONE: "none", TUNNEL_VXLAN: "vxlan", TUNNEL_GENEVE: "geneve"}
TUNNEL_CODES = {name: code for code, name in TUNNEL_NAMES.items()}


def encap_overhead_bytes(tunnel, outer_ip_version=4, outer_vlan=-1, geneve_opt_bytes=0) -> np.ndarray:
    """Bytes an encapsulation adds to a frame, per row (0 where ``tunnel`` is none).

    >>> int(encap_overhead_bytes(TUNNEL_VXLAN, 4)), int(encap_overhead_bytes(TUNNEL_VXLAN, 6))
    (50, 70)
    """
    tunnel = np.asarray(tunnel)
    ip = np.where(np.asarray(outer_ip_version) == 6, IPV6_HDR_BYTES, IPV4_HDR_BYTES)
    vlan = np.where(np.asarray(outer_vlan) >= 0, VLAN_TAG_BYTES, 0)
    base = ETH_HDR_BYTES + ip + UDP_HDR_BYTES + vlan
    vx = base + VXLAN_HDR_BYTES
    gn = base + GENEVE_HDR_BYTES + np.asarray(geneve_opt_bytes)
    out = np.where(tunnel == TUNNEL_VXLAN, vx, np.where(tunnel == TUNNEL_GENEVE, gn, 0))
    return out.astype(np.int32)


def wire_bytes(frame_bytes):
    """Bytes a frame occupies on the wire: frame (with FCS) + preamble/SFD + inter-frame gap."""
    return np.asarray(frame_bytes) + WIRE_GAP_BYTES


def line_rate_pps(bit_rate_bps: float, frame_bytes) -> np.ndarray:
    """Packets per second a link carries at line rate: 10 Gb/s at 64 B -> 14,880,952."""
    return bit_rate_bps / (wire_bytes(np.asarray(frame_bytes, np.float64)) * 8.0)
