"""Protocol modules: MACs, addresses, header writers/readers, checksums, overheads and line rate."""

from __future__ import annotations

import numpy as np
import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop
from scapy.layers.l2 import Dot1Q, Ether

from vnetsim.net import encap
from vnetsim.net.checksum import verify_l4
from vnetsim.net.ethernet import (
    bytes_to_macs,
    int_to_mac,
    is_broadcast,
    is_multicast,
    mac_to_int,
    macs_to_bytes,
    read_eth,
    write_eth,
)
from vnetsim.net.geneve import check_option_bytes, read_geneve, write_geneve
from vnetsim.net.ipaddr import ip_to_row, ipv4_from_u32, ipv4_to_u32, row_to_ip
from vnetsim.net.ipv4 import checksum_ok, read_ipv4, set_total_length, write_ipv4
from vnetsim.net.ipv6 import read_ipv6
from vnetsim.net.vxlan import read_vxlan, write_vxlan


def test_mac_text_roundtrip_and_bits():
    assert mac_to_int("00:16:3e:08:71:cf") == 0x00163E0871CF
    assert mac_to_int("00-16-3E-08-71-CF") == 0x00163E0871CF
    assert int_to_mac(0x00163E0871CF) == "00:16:3e:08:71:cf"
    macs = np.array([0x00163E0871CF, 0xFFFFFFFFFFFF, 0x01005E000001], np.uint64)
    assert is_multicast(macs).tolist() == [False, True, True]
    assert is_broadcast(macs).tolist() == [False, True, False]
    assert bytes_to_macs(macs_to_bytes(macs)).tolist() == macs.tolist()
    with pytest.raises(ValueError, match="6 octets"):
        mac_to_int("00:16:3e")


def test_ip_rows_ipv4_mapped():
    row, v = ip_to_row("192.168.203.1")
    assert v == 4 and bytes(row[:12]) == bytes(10) + b"\xff\xff" and bytes(row[12:]) == bytes([192, 168, 203, 1])
    assert row_to_ip(row, 4) == "192.168.203.1"
    row6, v6 = ip_to_row("fe80::1")
    assert v6 == 6 and row_to_ip(row6, 6) == "fe80::1"
    u = np.array([0xC0A8CB01, 0x0A000001], np.uint32)
    assert ipv4_to_u32(ipv4_from_u32(u)).tolist() == u.tolist()


def test_eth_write_read_with_vlan_matches_scapy():
    buf = np.zeros(64, np.uint8)
    end = write_eth(buf, 0, np.uint64(0x00163E0871CF), np.uint64(0x36DC851EB340), 100, 0x0800)
    assert end == 18
    p = Ether(bytes(buf[:18]))
    assert p.dst == "00:16:3e:08:71:cf" and p.src == "36:dc:85:1e:b3:40"
    assert p[Dot1Q].vlan == 100 and p[Dot1Q].type == 0x0800
    dst, src, vlan, et, nxt = read_eth(buf, 0, 18)
    assert (int(dst), int(src), vlan, et, nxt) == (0x00163E0871CF, 0x36DC851EB340, 100, 0x0800, 18)
    assert read_eth(buf, 0, 16)[4] == -1  # cut inside the tag


def test_ipv4_checksum_matches_scapy():
    src, _ = ip_to_row("10.1.2.3")
    dst, _ = ip_to_row("172.16.0.9")
    buf = np.zeros(20, np.uint8)
    write_ipv4(buf, 0, src, dst, 17, 0x1234)
    set_total_length(buf, 0, 1000)
    assert checksum_ok(bytes(buf))
    ref = IP(src="10.1.2.3", dst="172.16.0.9", proto=17, id=0x1234, flags="DF", ttl=64, len=1000)
    assert bytes(buf) == bytes(ref)
    s16 = np.zeros(16, np.uint8)
    d16 = np.zeros(16, np.uint8)
    proto, l4, total, first = read_ipv4(buf, 0, 20, s16, d16)
    assert (proto, l4, total, first) == (17, 20, 1000, True)
    assert row_to_ip(s16, 4) == "10.1.2.3" and row_to_ip(d16, 4) == "172.16.0.9"


def test_ipv6_reader_skips_extension_headers():
    pkt = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment()
                / TCP(sport=1234, dport=80))
    buf = np.frombuffer(pkt, np.uint8)
    s16 = np.zeros(16, np.uint8)
    d16 = np.zeros(16, np.uint8)
    proto, l4, _, first = read_ipv6(buf, 0, buf.shape[0], s16, d16)
    assert proto == 6 and l4 == 40 + 8 + 8 and first
    assert row_to_ip(s16, 6) == "2001:db8::1"


def test_vxlan_and_geneve_headers():
    buf = np.zeros(300, np.uint8)
    assert write_vxlan(buf, 0, 0xABCDEF) == 8
    assert bytes(buf[:8]) == bytes([0x08, 0, 0, 0, 0xAB, 0xCD, 0xEF, 0])
    assert read_vxlan(buf, 0, 8) == (0xABCDEF, 8)
    end = write_geneve(buf, 0, 11, 0x6558, 136)
    assert end == 8 + 136
    vni, ptype, opt, nxt = read_geneve(buf, 0, end)
    assert (vni, ptype, opt, nxt) == (11, 0x6558, 136, 144)
    check_option_bytes(252)
    with pytest.raises(ValueError, match="multiple of 4"):
        check_option_bytes(6)


def test_l4_checksum_verifier_agrees_with_scapy():
    seg = bytes(UDP(sport=1, dport=2) / (b"x" * 33))
    ip = IP(src="1.2.3.4", dst="5.6.7.8", proto=17)
    full = IP(bytes(ip / UDP(sport=1, dport=2) / (b"x" * 33)))
    assert verify_l4(bytes(full)[:20], bytes(full)[20:], 17, 4)
    assert not verify_l4(bytes(full)[:20], seg[:6] + b"\x00\x01" + seg[8:], 17, 4)


def test_encap_overhead_is_50_and_70_bytes():
    assert encap.encap_overhead_bytes(encap.TUNNEL_VXLAN, 4).item() == 50
    assert encap.encap_overhead_bytes(encap.TUNNEL_VXLAN, 6).item() == 70
    assert encap.encap_overhead_bytes(encap.TUNNEL_VXLAN, 4, outer_vlan=7).item() == 54
    assert encap.encap_overhead_bytes(encap.TUNNEL_GENEVE, 4, geneve_opt_bytes=8).item() == 58
    assert encap.encap_overhead_bytes(encap.TUNNEL_NONE, 4).item() == 0


def test_line_rate_facts():
    assert round(float(encap.line_rate_pps(10e9, 64))) == 14_880_952
    assert round(float(encap.line_rate_pps(10e9, 1518))) == 812_744
    # a 1518-byte inner frame in VXLAN over IPv4 becomes 1568 B on the wire
    assert round(float(encap.line_rate_pps(10e9, 1518 + 50))) == round(10e9 / (1588 * 8))
