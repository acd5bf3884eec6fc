"""Real captures (tcpdump's test suite) read as tcpdump dissected them in the .out files."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from vnetsim.io import read_pcap
from vnetsim.net.ethernet import int_to_mac
from vnetsim.net.ipaddr import row_to_ip

_VX_OUTER = re.compile(r"^\s*(\d+)\s+(\S+ \S+) (\S+) > (\S+), ethertype IPv4 \(0x0800\), length (\d+): "
                       r"(\S+)\.(\d+) > (\S+)\.(\d+): VXLAN, flags \[I\] \(0x08\), vni (\d+)$")
_VX_INNER = re.compile(r"^(\S+) > (\S+), ethertype \S+ \((0x[0-9a-f]{4})\), length (\d+): (.*)$")
_IPS = re.compile(r"^(\d+\.\d+\.\d+\.\d+) > (\d+\.\d+\.\d+\.\d+): ")
_GENEVE = re.compile(r"^\s*(\d+)\s+(\S+ \S+) IP (\S+)\.(\d+) > (\S+)\.(\d+): Geneve, Flags \[\w+\], "
                     r"vni (0x[0-9a-f]+)(?:, options \[[^]]*\])?: IP (\S+) > (\S+): (.*)$")


def _epoch_us(text: str) -> int:
    """tcpdump's test outputs print UTC (the suite runs with TZ=GMT0)."""
    dt = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000 + dt.microsecond


def _vxlan_out(path):
    lines = path.read_text().splitlines()
    out = []
    for first, second in zip(lines[0::2], lines[1::2]):
        a = _VX_OUTER.match(first)
        b = _VX_INNER.match(second)
        assert a and b, (first, second)
        ips = _IPS.match(b.group(5))
        out.append({"n": int(a.group(1)), "t_us": _epoch_us(a.group(2)), "outer_eth_src": a.group(3),
                    "outer_eth_dst": a.group(4), "len": int(a.group(5)), "outer_ip_src": a.group(6),
                    "outer_src_port": int(a.group(7)), "outer_ip_dst": a.group(8),
                    "outer_dst_port": int(a.group(9)), "vni": int(a.group(10)), "eth_src": b.group(1),
                    "eth_dst": b.group(2), "ethertype": int(b.group(3), 16), "inner_len": int(b.group(4)),
                    "ip_src": ips.group(1) if ips else None, "ip_dst": ips.group(2) if ips else None})
    return out


@pytest.mark.parametrize("name,port", [("vxlan", 4789), ("vxlan_port_8472", 8472)])
def test_vxlan_capture_matches_tcpdump(real_pcap_dir, name, port):
    expected = _vxlan_out(real_pcap_dir / f"{name}.out")
    trace = read_pcap(real_pcap_dir / f"{name}.pcap", vxlan_ports=(port,), keep_headers=True)
    h = trace.headers
    assert len(trace) == len(expected) == 10
    for i, e in enumerate(expected):
        assert e["n"] == i + 1
        assert trace.t_ns[i] == e["t_us"] * 1000
        assert trace.orig_len[i] == trace.cap_len[i] == e["len"]
        assert h.tunnel[i] == 1 and h.vni[i] == e["vni"] == 100
        assert int_to_mac(h.outer_eth_src[i]) == e["outer_eth_src"]
        assert int_to_mac(h.outer_eth_dst[i]) == e["outer_eth_dst"]
        assert row_to_ip(h.outer_ip_src[i], 4) == e["outer_ip_src"]
        assert row_to_ip(h.outer_ip_dst[i], 4) == e["outer_ip_dst"]
        assert (h.outer_src_port[i], h.outer_dst_port[i]) == (e["outer_src_port"], e["outer_dst_port"])
        assert int_to_mac(h.eth_src[i]) == e["eth_src"] and int_to_mac(h.eth_dst[i]) == e["eth_dst"]
        assert h.ethertype[i] == e["ethertype"]
        assert e["inner_len"] == e["len"] - 50  # the VXLAN overhead, seen in a real capture
        if e["ip_src"]:
            assert h.ip_version[i] == 4 and h.ip_proto[i] == 1
            assert row_to_ip(h.ip_src[i], 4) == e["ip_src"] and row_to_ip(h.ip_dst[i], 4) == e["ip_dst"]
        else:
            assert h.ip_version[i] == 0  # ARP
    # the outer source port varies per inner flow (Linux entropy hashing): 4 inner flows, 4 ports
    assert len(trace.flows) == 4
    assert np.unique(trace.flows.outer_src_port).size == 4


def test_vxlan_on_8472_is_plain_udp_unless_configured(real_pcap_dir):
    trace = read_pcap(real_pcap_dir / "vxlan_port_8472.pcap")
    assert (trace.flows.tunnel == 0).all() and (trace.flows.ip_proto == 17).all()


def _addr_port(text):
    parts = text.split(".")
    if len(parts) == 5:
        return ".".join(parts[:4]), int(parts[4])
    return text, None


def test_geneve_capture_matches_tcpdump(real_pcap_dir):
    lines = (real_pcap_dir / "geneve-vni.out").read_text().splitlines()
    trace = read_pcap(real_pcap_dir / "geneve.pcap", keep_headers=True)
    h = trace.headers
    assert len(trace) == 39
    by_time = {int(t) // 1000: i for i, t in enumerate(trace.t_ns)}
    # the .out was made with the filter 'geneve 0xb': exactly the packets of VNI 11
    assert len(lines) == int((h.vni == 0xB).sum()) == 20
    for line in lines:
        m = _GENEVE.match(line)
        assert m, line
        i = by_time[_epoch_us(m.group(2))]
        assert h.tunnel[i] == 2 and h.vni[i] == int(m.group(7), 16)
        assert row_to_ip(h.outer_ip_src[i], 4) == m.group(3) and h.outer_src_port[i] == int(m.group(4))
        assert row_to_ip(h.outer_ip_dst[i], 4) == m.group(5) and h.outer_dst_port[i] == int(m.group(6)) == 6081
        src, sport = _addr_port(m.group(8))
        dst, dport = _addr_port(m.group(9).rstrip(":"))
        assert row_to_ip(h.ip_src[i], 4) == src and row_to_ip(h.ip_dst[i], 4) == dst
        if sport is not None:
            assert h.ip_proto[i] == 6 and (h.src_port[i], h.dst_port[i]) == (sport, dport)
        else:
            assert h.ip_proto[i] == 1 and m.group(10).startswith("ICMP")
    # the other direction (VNI 10) carries 8 bytes of Geneve options
    assert set(h.geneve_opt_bytes[h.vni == 10].tolist()) == {8}
    assert set(h.geneve_opt_bytes[h.vni == 11].tolist()) == {0}
