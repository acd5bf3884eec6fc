"""Bulk frame building: every header as meant, lengths and checksums right (checked with scapy)."""

from __future__ import annotations

import numpy as np
import pytest
from scapy.contrib.geneve import GENEVE
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.vxlan import VXLAN

from vnetsim.net.checksum import verify_l4
from vnetsim.net.flows import FlowTable
from vnetsim.net.frames import FrameTemplates, build_frames, frame_len_bytes
from vnetsim.net.ipv4 import checksum_ok


def _flows():
    return FlowTable.build(
        eth_src="00:16:3e:37:f6:04", eth_dst="00:30:88:01:00:02",
        vlan=[-1, 20, -1, -1, -1],
        ip_src=["10.0.0.1", "10.0.0.2", "2001:db8::1", "10.0.0.4", "10.0.0.5"],
        ip_dst=["10.0.0.9", "10.0.0.9", "2001:db8::9", "10.0.0.9", "10.0.0.9"],
        ip_proto=[6, 17, 6, 17, 6], src_port=[1000, 1001, 1002, 1003, 1004], dst_port=[80, 53, 443, 4000, 22],
        tunnel=[1, 1, 1, 2, 0], vni=[100, 200, 300, 11, -1], geneve_opt_bytes=[0, 0, 0, 136, 0],
        outer_eth_src="36:dc:85:1e:b3:40", outer_eth_dst="00:16:3e:08:71:cf", outer_vlan=[10, -1, 30, -1, -1],
        outer_ip_src=["192.168.203.1", "192.168.203.1", "fd00::1", "20.0.0.1", "0.0.0.0"],
        outer_ip_dst=["192.168.202.1", "192.168.202.1", "fd00::2", "20.0.0.2", "0.0.0.0"],
        outer_src_port=[50000, 50001, 50002, 50003, 0], outer_dst_port=[4789, 8472, 4789, 6081, 0])


def test_templates_lengths():
    f = _flows()
    t = FrameTemplates.from_flows(f)
    inner = np.array([14 + 20 + 20, 18 + 20 + 8, 14 + 40 + 20, 14 + 20 + 8, 14 + 20 + 20])
    assert t.hdr_len.tolist() == (inner + f.encap_overhead_bytes()).tolist()


def test_frames_parse_back_with_every_field():
    f = _flows()
    flow = np.arange(5)
    size = np.array([200, 300, 400, 500, 600])  # inner frames with FCS
    buf, off, cap, flen = build_frames(f, flow, frame_len_bytes(f, flow, size))
    assert flen.tolist() == (size - 4 + f.encap_overhead_bytes()).tolist()
    pk = [Ether(bytes(buf[o:o + c])) for o, c in zip(off, cap)]

    p = pk[0]
    assert p[Dot1Q].vlan == 10 and p[IP].src == "192.168.203.1" and p[IP].dst == "192.168.202.1"
    assert p[UDP].sport == 50000 and p[UDP].dport == 4789 and p[UDP].chksum == 0
    assert p[IP].len == flen[0] - 18 and p[UDP].len == flen[0] - 38
    assert p[VXLAN].vni == 100 and p[VXLAN].flags == 0x08
    inner = p[VXLAN].payload
    assert inner.src == "00:16:3e:37:f6:04" and inner.dst == "00:30:88:01:00:02"
    assert inner[IP].src == "10.0.0.1" and inner[TCP].sport == 1000 and inner[TCP].dport == 80
    assert inner[IP].len == 200 - 4 - 14

    p = pk[1]  # on 8472: scapy does not bind it, parse the VXLAN payload by hand
    raw = bytes(p[UDP].payload)
    assert raw[0] == 0x08 and int.from_bytes(raw[4:7], "big") == 200
    inner = Ether(raw[8:])
    assert inner[Dot1Q].vlan == 20 and inner[UDP].dport == 53

    p = pk[2]
    assert p[Dot1Q].vlan == 30 and p[IPv6].src == "fd00::1" and p[IPv6].plen == flen[2] - 18 - 40
    assert p[VXLAN].vni == 300 and p[VXLAN].payload[IPv6].dst == "2001:db8::9"

    p = pk[3]
    assert p[GENEVE].vni == 11 and p[GENEVE].optionlen == 136 // 4 and p[GENEVE].proto == 0x6558
    assert p[GENEVE].payload[UDP].sport == 1003

    p = pk[4]
    assert p[IP].src == "10.0.0.5" and p[TCP].dport == 22 and len(p) == 600 - 4


def test_every_checksum_verifies():
    f = _flows()
    flow = np.repeat(np.arange(5), 3)
    size = np.tile([64, 777, 1518], 5)
    buf, off, cap, flen = build_frames(f, flow, frame_len_bytes(f, flow, size))
    for o, c, fl in zip(off, cap, flow):
        p = Ether(bytes(buf[o:o + c]))
        layers = [p]
        if fl in (0, 2):
            layers.append(p[VXLAN].payload)
        elif fl == 3:
            layers.append(p[GENEVE].payload)
        for layer in layers:
            if IP in layer:
                ip = layer[IP]
                assert checksum_ok(bytes(ip)[:20])
                hdr, seg, proto, ver = bytes(ip)[:20], bytes(ip.payload), ip.proto, 4
            else:
                ip6 = layer[IPv6]
                hdr, seg, proto, ver = bytes(ip6)[:40], bytes(ip6.payload), ip6.nh, 6
            if proto == 17 and seg[6:8] == b"\x00\x00":
                continue  # outer VXLAN/Geneve UDP over IPv4: zero checksum by RFC 7348
            assert verify_l4(hdr, seg, proto, ver)


def test_snaplen_keeps_a_correct_prefix():
    f = _flows()
    flow = np.array([0, 2, 3])
    flen = frame_len_bytes(f, flow, np.array([1000, 1000, 1000]))
    full, off_f, cap_f, _ = build_frames(f, flow, flen)
    cut, off_c, cap_c, _ = build_frames(f, flow, flen, snaplen=60)
    assert cap_c.tolist() == [60, 60, 60]
    for i in range(3):
        assert bytes(cut[off_c[i]:off_c[i] + 60]) == bytes(full[off_f[i]:off_f[i] + 60])


def test_frames_shorter_than_headers_grow():
    f = _flows()
    flow = np.array([2])
    _, _, cap, flen = build_frames(f, flow, np.array([10]))
    assert flen[0] == FrameTemplates.from_flows(f).hdr_len[2] == cap[0]


def test_size_is_validated():
    with pytest.raises(ValueError, match="size_is"):
        frame_len_bytes(_flows(), np.array([0]), np.array([64]), "wire")
