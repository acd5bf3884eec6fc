"""Header dissection of captured packets, compiled: every packet's headers into FlowTable columns.

Per packet: link layer (Ethernet with up to two VLAN tags; raw IP; Linux cooked v1/v2), IPv4
or IPv6 (extension headers skipped), UDP/TCP ports. A UDP packet to a VXLAN port (4789 by
default, configurable, e.g. 8472) or a Geneve port (6081) is a tunnel: its headers become the
``outer_*`` columns and the encapsulated frame is dissected the same way into the inner columns.
A capture that ends inside a header leaves the remaining fields at their defaults and sets
``STATUS_TRUNCATED``.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.net import encap
from vnetsim.net.ethernet import ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_TEB, read_eth
from vnetsim.net.flows import FlowTable
from vnetsim.net.geneve import read_geneve
from vnetsim.net.ipv4 import PROTO_TCP, PROTO_UDP, read_ipv4
from vnetsim.net.ipv6 import read_ipv6
from vnetsim.net.udp import read_ports
from vnetsim.net.vxlan import read_vxlan

LINK_ETHERNET = 1
LINK_RAW = 101
LINK_LINUX_SLL = 113
LINK_IPV4 = 228
LINK_IPV6 = 229
LINK_LINUX_SLL2 = 276
SUPPORTED_LINKS = {LINK_ETHERNET: "Ethernet", LINK_RAW: "raw IP", LINK_LINUX_SLL: "Linux cooked v1",
                   LINK_IPV4: "raw IPv4", LINK_IPV6: "raw IPv6", LINK_LINUX_SLL2: "Linux cooked v2"}

STATUS_OK = 0
STATUS_TRUNCATED = 1

# start kinds for _layer
_START_ETH, _START_IP, _START_SLL, _START_SLL2 = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def _layer(buf, p, end, start, src16, dst16):
    """Dissect one header stack from ``buf[p]``.

    Returns ``(eth_dst, eth_src, vlan, ethertype, ipv, proto, sport, dport, l4_off, truncated)``.
    """
    dst = np.uint64(0)
    src = np.uint64(0)
    vlan = -1
    et = 0
    src16[:] = 0
    dst16[:] = 0
    if start == _START_ETH:
        dst, src, vlan, et, p = read_eth(buf, p, end)
        if p < 0:
            return dst, src, vlan, et, 0, 0, 0, 0, -1, True
    elif start == _START_SLL:
        if end - p < 16:
            return dst, src, vlan, et, 0, 0, 0, 0, -1, True
        et = (np.int64(buf[p + 14]) << 8) | buf[p + 15]
        p += 16
    elif start == _START_SLL2:
        if end - p < 20:
            return dst, src, vlan, et, 0, 0, 0, 0, -1, True
        et = (np.int64(buf[p]) << 8) | buf[p + 1]
        p += 20
    else:
        if end - p < 1:
            return dst, src, vlan, et, 0, 0, 0, 0, -1, True
        nib = buf[p] >> 4
        et = ETHERTYPE_IPV4 if nib == 4 else (ETHERTYPE_IPV6 if nib == 6 else 0)
    if et == ETHERTYPE_IPV4:
        proto, l4, _, first = read_ipv4(buf, p, end, src16, dst16)
        ipv = 4
    elif et == ETHERTYPE_IPV6:
        proto, l4, _, first = read_ipv6(buf, p, end, src16, dst16)
        ipv = 6
    else:
        return dst, src, vlan, et, 0, 0, 0, 0, -1, False
    if l4 < 0:
        return dst, src, vlan, et, ipv, proto, 0, 0, -1, True
    if first and (proto == PROTO_TCP or proto == PROTO_UDP):
        sport, dport, ok = read_ports(buf, l4, end)
        if not ok:
            return dst, src, vlan, et, ipv, proto, 0, 0, -1, True
        return dst, src, vlan, et, ipv, proto, sport, dport, l4, False
    return dst, src, vlan, et, ipv, proto, 0, 0, -1, False


@numba.njit(cache=True, nogil=True)
def _is_in(value, ports):
    for k in range(ports.shape[0]):
        if ports[k] == value:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def dissect(buf, offset, cap_len, link_type, vxlan_ports, geneve_ports,
            eth_src, eth_dst, vlan, ethertype, ipv, ip_src, ip_dst, proto, sport, dport,
            tunnel, vni, gopt, o_eth_src, o_eth_dst, o_vlan, o_ipv, o_ip_src, o_ip_dst, o_sport, o_dport, status):
    """Fill the per-packet columns (pre-set to FlowTable defaults) from the captured bytes."""
    s16 = np.zeros(16, np.uint8)
    d16 = np.zeros(16, np.uint8)
    for i in range(offset.shape[0]):
        p = offset[i]
        end = p + cap_len[i]
        lt = link_type[i]
        if lt == LINK_ETHERNET:
            start = _START_ETH
        elif lt == LINK_LINUX_SLL:
            start = _START_SLL
        elif lt == LINK_LINUX_SLL2:
            start = _START_SLL2
        else:
            start = _START_IP
        d, s, vl, et, v, pr, sp, dp, l4, trunc = _layer(buf, p, end, start, s16, d16)
        kind = encap.TUNNEL_NONE
        if v != 0 and pr == PROTO_UDP and l4 >= 0:
            if _is_in(dp, vxlan_ports):
                kind = encap.TUNNEL_VXLAN
            elif _is_in(dp, geneve_ports):
                kind = encap.TUNNEL_GENEVE
        if kind != encap.TUNNEL_NONE:
            # the outer layer goes to the outer columns; the inner one is read next
            tunnel[i] = kind
            o_eth_dst[i] = d
            o_eth_src[i] = s
            o_vlan[i] = vl
            o_ipv[i] = v
            o_ip_src[i, :] = s16
            o_ip_dst[i, :] = d16
            o_sport[i] = sp
            o_dport[i] = dp
            inner_start = _START_ETH
            if kind == encap.TUNNEL_VXLAN:
                vn, nxt = read_vxlan(buf, l4 + 8, end)
            else:
                vn, ptype, ob, nxt = read_geneve(buf, l4 + 8, end)
                gopt[i] = ob
                if ptype == ETHERTYPE_IPV4 or ptype == ETHERTYPE_IPV6:
                    inner_start = _START_IP
                elif ptype != ETHERTYPE_TEB:
                    nxt = -2  # a payload we do not dissect
            vni[i] = vn
            if nxt < 0:
                ipv[i] = 0
                ethertype[i] = 0
                status[i] = STATUS_TRUNCATED if nxt == -1 else STATUS_OK
                continue
            d, s, vl, et, v, pr, sp, dp, l4, trunc = _layer(buf, nxt, end, inner_start, s16, d16)
        # the innermost layer (the only one of a plain packet)
        eth_dst[i] = d
        eth_src[i] = s
        vlan[i] = vl
        ethertype[i] = et
        ipv[i] = v
        proto[i] = pr
        sport[i] = sp
        dport[i] = dp
        if v != 0:
            ip_src[i, :] = s16
            ip_dst[i, :] = d16
        status[i] = STATUS_TRUNCATED if trunc else STATUS_OK


def dissect_records(buf: np.ndarray, offset: np.ndarray, cap_len: np.ndarray, link_type: np.ndarray,
                    vxlan_ports=(4789,), geneve_ports=(6081,)) -> tuple[FlowTable, np.ndarray]:
    """(per-packet FlowTable of headers, per-packet status)."""
    n = offset.shape[0]
    t = FlowTable.empty(n)
    t.ip_version[:] = 0
    t.ip_proto[:] = 0
    t.ethertype[:] = 0
    status = np.zeros(n, np.uint8)
    dissect(buf, offset, cap_len, link_type, np.asarray(vxlan_ports, np.int64), np.asarray(geneve_ports, np.int64),
            t.eth_src, t.eth_dst, t.vlan, t.ethertype, t.ip_version, t.ip_src, t.ip_dst, t.ip_proto,
            t.src_port, t.dst_port, t.tunnel, t.vni, t.geneve_opt_bytes, t.outer_eth_src, t.outer_eth_dst,
            t.outer_vlan, t.outer_ip_version, t.outer_ip_src, t.outer_ip_dst, t.outer_src_port, t.outer_dst_port,
            status)
    return t, status
