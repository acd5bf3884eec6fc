"""Whole frames, built in bulk: one header template per flow, lengths and checksums patched per packet.

How: ``FrameTemplates.from_flows`` writes every flow's headers once (outer Ethernet/VLAN, outer
IPv4/IPv6, outer UDP, VXLAN or Geneve, inner Ethernet/VLAN, inner IP, TCP/UDP) and records
where each layer starts. ``fill_frames`` then copies a flow's template per packet, sets every IP
and UDP length from the packet's frame length, recomputes the IPv4 header checksums and the
transport checksums, and leaves the payload zero. All compiled; no Python loop per packet.

Assumptions (stated in docs/models/nic.md):
- Payload bytes are zero; checksums are exact for that payload.
- The outer UDP checksum of a tunnel over IPv4 is 0 (RFC 7348 "SHOULD be transmitted as
  zero"); over IPv6 it is computed (Linux default: udp6zerocsumtx off).
- A frame shorter than its headers is grown to its headers (``frame_len`` is returned).
- Geneve always carries Ethernet (protocol type 0x6558), like VXLAN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from . import encap
from .checksum import l4_checksum
from .ethernet import ETH_HDR_BYTES, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_TEB, FCS_BYTES, write_eth
from .geneve import write_geneve
from .ipv4 import PROTO_TCP, PROTO_UDP, set_total_length, write_ipv4
from .ipv6 import set_payload_length, write_ipv6
from .tcp import CHECKSUM_OFFSET as TCP_CSUM_OFFSET
from .tcp import write_tcp
from .udp import set_length, write_udp
from .vxlan import write_vxlan

# layout columns
L_INNER_L2, L_INNER_IP, L_INNER_L4, L_OUTER_IP, L_OUTER_L4, L_INNER_IPV, L_OUTER_IPV, L_INNER_PROTO = range(8)
LAYOUT_COLUMNS = 8


@dataclass
class FrameTemplates:
    """Per-flow header bytes ``hdr[f, :hdr_len[f]]`` and where each layer starts (``layout``)."""

    hdr: np.ndarray
    hdr_len: np.ndarray
    layout: np.ndarray

    @classmethod
    def from_flows(cls, flows) -> FrameTemplates:
        n = len(flows)
        width = int(_max_header_bytes(flows)) if n else 0
        hdr = np.zeros((n, max(width, 1)), np.uint8)
        hdr_len = np.zeros(n, np.int32)
        layout = np.full((n, LAYOUT_COLUMNS), -1, np.int32)
        _build_templates(
            hdr, hdr_len, layout,
            flows.eth_src, flows.eth_dst, flows.vlan.astype(np.int64), flows.ethertype,
            flows.ip_version, flows.ip_src, flows.ip_dst, flows.ip_proto,
            flows.src_port, flows.dst_port, flows.tunnel, flows.vni.astype(np.int64),
            flows.geneve_opt_bytes,
            flows.outer_eth_src, flows.outer_eth_dst, flows.outer_vlan.astype(np.int64),
            flows.outer_ip_version, flows.outer_ip_src, flows.outer_ip_dst,
            flows.outer_src_port, flows.outer_dst_port)
        return cls(hdr, hdr_len, layout)


def _max_header_bytes(flows) -> int:
    inner_ip = np.where(flows.ip_version == 6, 40, np.where(flows.ip_version == 4, 20, 0))
    inner_l4 = np.where(flows.ip_proto == PROTO_TCP, 20, np.where(flows.ip_proto == PROTO_UDP, 8, 0))
    inner = ETH_HDR_BYTES + 4 * (flows.vlan >= 0) + inner_ip + np.where(flows.ip_version > 0, inner_l4, 0)
    return int((inner + flows.encap_overhead_bytes()).max())


def frame_len_bytes(flows, flow: np.ndarray, size_bytes: np.ndarray, size_is: str = "inner") -> np.ndarray:
    """Captured frame length (no FCS) of each packet, from its simulated size (which counts the FCS).

    ``size_is="inner"``: sizes are what the VM sent; the encapsulation overhead is added.
    ``size_is="outer"``: sizes are already the frames on the physical wire.
    """
    size = np.asarray(size_bytes, np.int64) - FCS_BYTES
    if size_is == "inner":
        size = size + flows.encap_overhead_bytes()[flow]
    elif size_is != "outer":
        raise ValueError(f"size_is must be 'inner' or 'outer', got {size_is!r}")
    return size


@numba.njit(cache=True, nogil=True)
def _write_inner(buf, off, eth_src, eth_dst, vlan, ethertype, ipv, src16, dst16, proto, sport, dport, ident,
                 layout_row, base):
    """Write the inner Ethernet/IP/L4 headers at ``off``; fill the inner layout; return end."""
    layout_row[L_INNER_L2] = off - base
    et = ethertype
    if ipv == 4:
        et = ETHERTYPE_IPV4
    elif ipv == 6:
        et = ETHERTYPE_IPV6
    off = write_eth(buf, off, eth_dst, eth_src, vlan, et)
    if ipv == 0:
        return off
    layout_row[L_INNER_IP] = off - base
    layout_row[L_INNER_IPV] = ipv
    layout_row[L_INNER_PROTO] = proto
    if ipv == 4:
        off = write_ipv4(buf, off, src16, dst16, proto, ident)
    else:
        off = write_ipv6(buf, off, src16, dst16, proto)
    if proto == PROTO_TCP:
        layout_row[L_INNER_L4] = off - base
        off = write_tcp(buf, off, sport, dport)
    elif proto == PROTO_UDP:
        layout_row[L_INNER_L4] = off - base
        off = write_udp(buf, off, sport, dport)
    return off


@numba.njit(cache=True, nogil=True)
def _build_templates(hdr, hdr_len, layout, eth_src, eth_dst, vlan, ethertype, ipv, ip_src, ip_dst, proto,
                     sport, dport, tunnel, vni, gopt, o_eth_src, o_eth_dst, o_vlan, o_ipv, o_ip_src, o_ip_dst,
                     o_sport, o_dport):
    n = hdr.shape[0]
    for f in range(n):
        row = hdr[f]
        off = 0
        ident = f & 0xFFFF
        if tunnel[f] != encap.TUNNEL_NONE:
            oet = ETHERTYPE_IPV6 if o_ipv[f] == 6 else ETHERTYPE_IPV4
            off = write_eth(row, off, o_eth_dst[f], o_eth_src[f], o_vlan[f], oet)
            layout[f, L_OUTER_IP] = off
            layout[f, L_OUTER_IPV] = o_ipv[f]
            if o_ipv[f] == 6:
                off = write_ipv6(row, off, o_ip_src[f], o_ip_dst[f], PROTO_UDP)
            else:
                off = write_ipv4(row, off, o_ip_src[f], o_ip_dst[f], PROTO_UDP, ident)
            layout[f, L_OUTER_L4] = off
            off = write_udp(row, off, np.int64(o_sport[f]), np.int64(o_dport[f]))
            if tunnel[f] == encap.TUNNEL_VXLAN:
                off = write_vxlan(row, off, vni[f])
            else:
                off = write_geneve(row, off, vni[f], ETHERTYPE_TEB, np.int64(gopt[f]))
        off = _write_inner(row, off, eth_src[f], eth_dst[f], vlan[f], np.int64(ethertype[f]), np.int64(ipv[f]),
                           ip_src[f], ip_dst[f], np.int64(proto[f]), np.int64(sport[f]), np.int64(dport[f]),
                           ident, layout[f], 0)
        hdr_len[f] = off


@numba.njit(cache=True, nogil=True)
def patch_frame(buf, base, length, hlen, lay):
    """Set lengths and checksums of the frame at ``buf[base:base+length]`` (headers already copied)."""
    nz = base + hlen
    iip = lay[L_INNER_IP]
    if iip >= 0:
        ipv = lay[L_INNER_IPV]
        if ipv == 4:
            set_total_length(buf, base + iip, length - iip)
        else:
            set_payload_length(buf, base + iip, length - iip - 40)
        il4 = lay[L_INNER_L4]
        if il4 >= 0:
            proto = lay[L_INNER_PROTO]
            seg = length - il4
            if proto == PROTO_UDP:
                set_length(buf, base + il4, seg)
                buf[base + il4 + 6] = 0
                buf[base + il4 + 7] = 0
                l4_checksum(buf, base + iip, ipv, base + il4, seg, proto, base + il4 + 6, nz)
            else:
                buf[base + il4 + TCP_CSUM_OFFSET] = 0
                buf[base + il4 + TCP_CSUM_OFFSET + 1] = 0
                l4_checksum(buf, base + iip, ipv, base + il4, seg, proto, base + il4 + TCP_CSUM_OFFSET, nz)
    oip = lay[L_OUTER_IP]
    if oip >= 0:
        ol4 = lay[L_OUTER_L4]
        seg = length - ol4
        set_length(buf, base + ol4, seg)
        buf[base + ol4 + 6] = 0
        buf[base + ol4 + 7] = 0
        if lay[L_OUTER_IPV] == 4:
            set_total_length(buf, base + oip, length - oip)
        else:
            set_payload_length(buf, base + oip, length - oip - 40)
            l4_checksum(buf, base + oip, 6, base + ol4, seg, PROTO_UDP, base + ol4 + 6, nz)


@numba.njit(cache=True, nogil=True)
def fill_frames(hdr, hdr_len, layout, flow, frame_len, cap_len, out, data_off):
    """Write packet ``i``'s first ``cap_len[i]`` bytes at ``out[data_off[i]]`` (``out`` pre-zeroed).

    ``frame_len[i]`` is the full frame length (no FCS) that lengths and checksums describe.
    Headers are assembled in a scratch frame first, so a snap length shorter than the headers
    still yields correct lengths/checksums in the bytes kept.
    """
    width = hdr.shape[1]
    scratch = np.zeros(width + 64, np.uint8)
    for i in range(flow.shape[0]):
        f = flow[i]
        h = hdr_len[f]
        length = frame_len[i]
        cap = cap_len[i]
        d = data_off[i]
        if cap >= h:
            for k in range(h):
                out[d + k] = hdr[f, k]
            patch_frame(out, d, length, h, layout[f])
        else:
            for k in range(h):
                scratch[k] = hdr[f, k]
            patch_frame(scratch, 0, length, h, layout[f])
            for k in range(cap):
                out[d + k] = scratch[k]


def build_frames(flows, flow: np.ndarray, frame_len: np.ndarray, snaplen: int | None = None,
                 templates: FrameTemplates | None = None):
    """Frames of packets (flow index, frame length without FCS) back to back in one buffer.

    Returns ``(buf, offsets, cap_len, frame_len)``: packet ``i`` is
    ``buf[offsets[i]:offsets[i] + cap_len[i]]``; ``frame_len`` is grown to the headers where needed.
    """
    t = templates or FrameTemplates.from_flows(flows)
    flow = np.asarray(flow, np.int64)
    frame_len = np.maximum(np.asarray(frame_len, np.int64), t.hdr_len[flow])
    cap_len = frame_len if snaplen is None else np.minimum(frame_len, int(snaplen))
    offsets = np.zeros(flow.shape[0], np.int64)
    if flow.shape[0] > 1:
        np.cumsum(cap_len[:-1], out=offsets[1:])
    buf = np.zeros(int(cap_len.sum()), np.uint8)
    fill_frames(t.hdr, t.hdr_len, t.layout, flow, frame_len, cap_len, buf, offsets)
    return buf, offsets, cap_len, frame_len
