"""Captures we write, dissected by Wireshark's tshark: every field as we meant it."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from vnetsim.io import read_pcap, write_pcap
from vnetsim.net.ethernet import int_to_mac
from vnetsim.net.flows import FlowTable
from vnetsim.net.frames import frame_len_bytes
from vnetsim.net.ipaddr import row_to_ip

pytestmark = pytest.mark.tshark

FIELDS = ["frame.time_epoch", "frame.len", "frame.cap_len", "eth.src", "eth.dst", "vlan.id", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "ip.len", "ipv6.plen", "udp.srcport", "udp.dstport", "udp.length", "tcp.srcport",
          "tcp.dstport", "vxlan.vni", "vxlan.flags", "geneve.vni", "geneve.options", "ip.checksum.status",
          "udp.checksum.status", "tcp.checksum.status", "_ws.expert"]


def _tshark(tshark, path, extra=()):
    cmd = [tshark, "-r", str(path), "-n", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-o", "tcp.check_checksum:TRUE", *extra, "-T", "fields", "-E", "occurrence=a", "-E", "separator=\t",
           "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [dict(zip(FIELDS, line.split("\t"))) for line in out.splitlines()]


def _flows():
    return FlowTable.build(
        eth_src="00:16:3e:37:f6:04", eth_dst=["00:30:88:01:00:02"] * 5 + ["02:00:00:00:00:09"],
        vlan=[-1, 20, -1, -1, 5, -1],
        ip_src=["10.0.0.1", "10.0.0.2", "2001:db8::1", "10.0.0.4", "10.0.0.5", "2001:db8::6"],
        ip_dst=["10.0.0.9", "10.0.0.9", "2001:db8::9", "10.0.0.9", "10.0.0.9", "2001:db8::99"],
        ip_proto=[6, 17, 6, 17, 6, 17], src_port=[1000, 1001, 1002, 1003, 1004, 1005],
        dst_port=[80, 53, 443, 4000, 22, 5000],
        tunnel=[1, 1, 1, 2, 0, 0], vni=[100, 200, 300, 11, -1, -1], geneve_opt_bytes=[0, 0, 0, 16, 0, 0],
        outer_eth_src="36:dc:85:1e:b3:40", outer_eth_dst="00:16:3e:08:71:cf",
        outer_vlan=[10, -1, 30, -1, -1, -1],
        outer_ip_src=["192.168.203.1", "192.168.203.1", "fd00::1", "20.0.0.1", "0.0.0.0", "0.0.0.0"],
        outer_ip_dst=["192.168.202.1", "192.168.202.1", "fd00::2", "20.0.0.2", "0.0.0.0", "0.0.0.0"],
        outer_src_port=[50000, 50001, 50002, 50003, 0, 0], outer_dst_port=[4789, 8472, 4789, 6081, 0, 0])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    f = _flows()
    rng = np.random.default_rng(9)
    n = 60
    flow = np.arange(n) % len(f)
    size = rng.integers(64, 1519, n)
    t_ns = 1_700_000_000_000_000_000 + np.cumsum(rng.integers(1, 10**6, n))
    path = tmp_path_factory.mktemp("w") / "ours.pcap"
    write_pcap(path, t_ns, flow, size, f)
    return path, f, flow, size, t_ns


def test_tshark_sees_every_field_we_meant(tshark, written):
    path, f, flow, size, t_ns = written
    rows = _tshark(tshark, path, ["-d", "udp.port==8472,vxlan"])
    flen = frame_len_bytes(f, flow, size)
    assert len(rows) == len(flow)
    for i, r in enumerate(rows):
        k = int(flow[i])
        assert r["frame.time_epoch"] == f"{t_ns[i] // 10**9}.{t_ns[i] % 10**9:09d}"
        assert int(r["frame.len"]) == int(r["frame.cap_len"]) == flen[i] == size[i] - 4 + f.encap_overhead_bytes()[k]
        macs_src, macs_dst = r["eth.src"].split("|"), r["eth.dst"].split("|")
        vlans = [int(v) for v in r["vlan.id"].split("|") if v]
        ip_src = (r["ip.src"].split("|") if r["ip.src"] else []) + (r["ipv6.src"].split("|") if r["ipv6.src"] else [])
        ip_dst = (r["ip.dst"].split("|") if r["ip.dst"] else []) + (r["ipv6.dst"].split("|") if r["ipv6.dst"] else [])
        udp_s = [int(x) for x in r["udp.srcport"].split("|") if x]
        udp_d = [int(x) for x in r["udp.dstport"].split("|") if x]
        inner_v = int(f.ip_version[k])
        want_inner_src = row_to_ip(f.ip_src[k], inner_v)
        want_inner_dst = row_to_ip(f.ip_dst[k], inner_v)
        if f.tunnel[k]:
            ov = int(f.outer_ip_version[k])
            assert macs_src == [int_to_mac(f.outer_eth_src[k]), int_to_mac(f.eth_src[k])]
            assert macs_dst == [int_to_mac(f.outer_eth_dst[k]), int_to_mac(f.eth_dst[k])]
            assert vlans == [v for v in (int(f.outer_vlan[k]), int(f.vlan[k])) if v >= 0]
            assert set(ip_src) == {row_to_ip(f.outer_ip_src[k], ov), want_inner_src}
            assert set(ip_dst) == {row_to_ip(f.outer_ip_dst[k], ov), want_inner_dst}
            assert udp_s[0] == f.outer_src_port[k] and udp_d[0] == f.outer_dst_port[k]
            outer_l2 = 18 if f.outer_vlan[k] >= 0 else 14
            outer_l3 = 40 if ov == 6 else 20
            assert int(r["udp.length"].split("|")[0]) == flen[i] - outer_l2 - outer_l3
            ip_lens = [int(x) for x in (r["ip.len"] or r["ipv6.plen"]).split("|")] if ov == inner_v else None
            if ip_lens:  # outer and inner IP lengths, both of the same family here
                inner_l2 = 18 if f.vlan[k] >= 0 else 14
                inner_start = f.encap_overhead_bytes()[k] + inner_l2
                extra = 40 if ov == 6 else 0
                assert ip_lens == [flen[i] - outer_l2 - extra, flen[i] - inner_start - extra]
            if f.tunnel[k] == 1:
                assert int(r["vxlan.vni"]) == f.vni[k] and int(r["vxlan.flags"], 16) == 0x0800
            else:
                assert int(r["geneve.vni"], 16) == f.vni[k] and r["geneve.options"]
            inner_l4_src = udp_s[1:] if f.ip_proto[k] == 17 else [int(r["tcp.srcport"])]
        else:
            assert macs_src == [int_to_mac(f.eth_src[k])] and macs_dst == [int_to_mac(f.eth_dst[k])]
            assert vlans == ([int(f.vlan[k])] if f.vlan[k] >= 0 else [])
            assert ip_src == [want_inner_src] and ip_dst == [want_inner_dst]
            inner_l4_src = udp_s if f.ip_proto[k] == 17 else [int(r["tcp.srcport"])]
        assert inner_l4_src == [int(f.src_port[k])]
        # checksums: every IPv4 header good (1); UDP/TCP good or, for tunnels over IPv4, zero (not present: 2)
        assert set(r["ip.checksum.status"].split("|")) <= {"1", ""}
        assert "0" not in r["udp.checksum.status"].split("|") and r["tcp.checksum.status"] in ("", "1")
        assert "Malformed" not in r["_ws.expert"] and "Bad" not in r["_ws.expert"]


def test_without_decode_as_8472_is_plain_udp(tshark, written):
    path, f, flow, _, _ = written
    rows = _tshark(tshark, path)
    for i, r in enumerate(rows):
        if flow[i] == 1:
            assert r["vxlan.vni"] == ""


def test_we_read_what_we_wrote(written):
    path, f, flow, size, t_ns = written
    trace = read_pcap(path, vxlan_ports=(4789, 8472))
    assert (trace.t_ns == t_ns).all()
    assert (trace.orig_len == frame_len_bytes(f, flow, size)).all()
    assert (trace.flows.records() == f.canonical().records()).all()  # flows appear in order 0..5
    assert (trace.flow == flow).all()
