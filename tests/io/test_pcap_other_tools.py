"""Captures written by other tools (scapy, dpkt; pcap and pcapng) are read field for field."""

from __future__ import annotations

from decimal import Decimal

import dpkt
import numpy as np
import pytest
from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.utils import PcapNgWriter, wrpcap

from vnetsim.io import read_pcap
from vnetsim.net.flows import COLUMNS, FlowTable


def _rand_ip(rng, v):
    if v == 4:
        return ".".join(str(x) for x in rng.integers(1, 255, 4))
    return "2001:db8:" + ":".join(f"{x:x}" for x in rng.integers(0, 65536, 6))


def _rand_mac(rng):
    return int(rng.integers(0, 1 << 47)) << 1  # unicast


def _l2(mac_dst, mac_src, vlan):
    eth = Ether(dst=mac_dst.to_bytes(6, "big").hex(":"), src=mac_src.to_bytes(6, "big").hex(":"))
    return eth / Dot1Q(vlan=vlan) if vlan >= 0 else eth


def _stack(rng, row, prefix=""):
    """Random L2-L4 headers; fills ``row`` (FlowTable column values) with what it chose."""
    v = int(rng.choice([4, 6, 0]))
    vlan = int(rng.choice([-1, int(rng.integers(0, 4095))]))
    dst, src = _rand_mac(rng), _rand_mac(rng)
    row[prefix + "eth_dst"], row[prefix + "eth_src"], row[prefix + "vlan"] = dst, src, vlan
    if not prefix:
        row["ip_version"], row["ethertype"] = v, {4: 0x0800, 6: 0x86DD, 0: 0x0806}[v]
    pkt = _l2(dst, src, vlan)
    if v == 0:
        return pkt / ARP(), v
    a, b = _rand_ip(rng, v), _rand_ip(rng, v)
    proto = int(rng.choice([6, 17, 1]))
    ip = IP(src=a, dst=b) if v == 4 else IPv6(src=a, dst=b)
    if prefix:
        return pkt / ip, v, a, b
    row["ip_src"], row["ip_dst"], row["ip_proto"] = a, b, (58 if v == 6 and proto == 1 else proto)
    sp, dp = int(rng.integers(1, 65536)), int(rng.integers(1, 65536))
    if proto == 6:
        l4 = TCP(sport=sp, dport=dp)
    elif proto == 17:
        dp = dp if dp not in (4789, 6081) else 9
        l4 = UDP(sport=sp, dport=dp)
    else:
        l4 = ICMP() if v == 4 else b"\x80\x00\x00\x00"
        sp = dp = 0
        if v == 6:
            ip.nh = 58
    row["src_port"], row["dst_port"] = sp, dp
    return pkt / ip / l4 / (b"x" * int(rng.integers(0, 200))), v


def _random_packets(n=150, seed=11):
    rng = np.random.default_rng(seed)
    pkts, rows = [], []
    for _ in range(n):
        row: dict = {}
        inner, _ = _stack(rng, row)
        kind = int(rng.choice([0, 1, 2]))
        if kind:
            ov = int(rng.choice([4, 6]))
            outer = {}
            odst, osrc = _rand_mac(rng), _rand_mac(rng)
            ovlan = int(rng.choice([-1, 7]))
            a, b = _rand_ip(rng, ov), _rand_ip(rng, ov)
            sp = int(rng.integers(49152, 65536))
            ip = IP(src=a, dst=b) if ov == 4 else IPv6(src=a, dst=b)
            if kind == 1:
                tun, dp = VXLAN(vni=int(rng.integers(0, 1 << 24)), flags=0x08), 4789
                vni, opt = tun.vni, 0
            else:
                opt = int(rng.choice([0, 8, 12]))
                opts = [GeneveOptions(classid=0x0102, type=0x80, data=b"\x00" * (opt - 4))] if opt else []
                tun, dp = GENEVE(vni=int(rng.integers(0, 1 << 24)), proto=0x6558, options=opts), 6081
                vni = tun.vni
            pkt = _l2(odst, osrc, ovlan) / ip / UDP(sport=sp, dport=dp) / tun / inner
            outer.update(tunnel=kind, vni=vni, geneve_opt_bytes=opt, outer_eth_dst=odst, outer_eth_src=osrc,
                         outer_vlan=ovlan, outer_ip_version=ov, outer_ip_src=a, outer_ip_dst=b, outer_src_port=sp,
                         outer_dst_port=dp)
            row.update(outer)
        else:
            pkt = inner
        pkts.append(pkt)
        rows.append(row)
    return pkts, rows


def _expected(rows) -> FlowTable:
    parts = []
    for r in rows:
        r = dict(r)
        if r.get("ip_version", 4) == 0:
            r.setdefault("ip_proto", 0)
        parts.append(FlowTable.build(**r))
    return FlowTable.concat(parts)


@pytest.fixture(scope="module")
def packets():
    pkts, rows = _random_packets()
    rng = np.random.default_rng(2)
    ns = np.sort(rng.integers(0, 10**9, len(pkts)))
    secs = 1000 + np.arange(len(pkts))
    return pkts, _expected(rows), secs, ns


def _scapy_us(secs, ns):
    """scapy rounds the fraction to microseconds (Decimal round, half to even)."""
    return [int(s) * 10**9 + int(round(Decimal(int(n)) / Decimal(1000))) * 1000 for s, n in zip(secs, ns)]


def _check(path, expected, t_ns_expected, lengths):
    trace = read_pcap(path, keep_headers=True)
    got = trace.headers
    assert len(trace) == len(expected)
    for name in COLUMNS:
        g, e = getattr(got, name), getattr(expected, name)
        bad = np.flatnonzero((g != e).reshape(len(expected), -1).any(axis=1))
        assert bad.size == 0, f"{name} differs at packets {bad[:5]}: {g[bad[:3]]} vs {e[bad[:3]]}"
    assert trace.t_ns.tolist() == list(t_ns_expected)
    assert trace.orig_len.tolist() == trace.cap_len.tolist() == lengths
    assert (trace.status == 0).all()
    assert (trace.flows.records()[trace.flow] == got.records()).all()


def test_scapy_pcap(tmp_path, packets):
    pkts, expected, secs, ns = packets
    for p, s, n in zip(pkts, secs, ns):
        p.time = Decimal(int(s)) + Decimal(int(n)) / Decimal(10**9)
    wrpcap(str(tmp_path / "s.pcap"), pkts)  # microsecond resolution
    _check(tmp_path / "s.pcap", expected, _scapy_us(secs, ns), [len(p) for p in pkts])


def test_scapy_pcapng(tmp_path, packets):
    pkts, expected, secs, ns = packets
    for p, s, n in zip(pkts, secs, ns):
        p.time = Decimal(int(s)) + Decimal(int(n)) / Decimal(10**9)
    with PcapNgWriter(str(tmp_path / "s.pcapng")) as w:
        for p in pkts:
            w.write(p)
    # scapy's pcapng writer truncates to microseconds (tshark reads the same times)
    _check(tmp_path / "s.pcapng", expected, secs * 10**9 + (ns // 1000) * 1000, [len(p) for p in pkts])


def test_dpkt_nanosecond_pcap(tmp_path, packets):
    pkts, expected, secs, ns = packets
    with open(tmp_path / "d.pcap", "wb") as f:
        w = dpkt.pcap.Writer(f, snaplen=65535, nano=True)
        for p, s, n in zip(pkts, secs, ns):
            w.writepkt(bytes(p), ts=float(s) + float(n) / 1e9)
    _check(tmp_path / "d.pcap", expected, secs * 10**9 + ns, [len(p) for p in pkts])


def test_dpkt_pcapng(tmp_path, packets):
    pkts, expected, secs, ns = packets
    with open(tmp_path / "d.pcapng", "wb") as f:
        w = dpkt.pcapng.Writer(f, snaplen=65535)
        for p, s, n in zip(pkts, secs, ns):
            w.writepkt(bytes(p), ts=float(s) + float(n) / 1e9)
    # dpkt's default interface block says microseconds (if_tsresol 6)
    t_expected = [int(round((float(s) + float(n) / 1e9) * 1e6)) * 1000 for s, n in zip(secs, ns)]
    _check(tmp_path / "d.pcapng", expected, t_expected, [len(p) for p in pkts])


def test_snaplen_cut_headers_are_flagged(tmp_path, packets):
    pkts, _, _, _ = packets
    with open(tmp_path / "cut.pcap", "wb") as f:
        dpkt.pcap.Writer(f, snaplen=40)  # writes the file header; records below keep 40 bytes each
        for p in pkts:
            raw = bytes(p)
            f.write(np.array([1, 0, min(40, len(raw)), len(raw)], "<u4").tobytes() + raw[:40])
    trace = read_pcap(tmp_path / "cut.pcap")
    assert trace.cap_len.max() == 40 and trace.orig_len.tolist() == [len(p) for p in pkts]
    assert (trace.status == 1).sum() > 0
