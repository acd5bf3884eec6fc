"""pcap/pcapng variants: byte orders, resolutions, if_tsoffset, sections, simple packet blocks, raw IP."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from vnetsim.io import PcapWriter, read_pcap, write_pcap
from vnetsim.net.flows import FlowTable
from vnetsim.net.frames import FrameTemplates, frame_len_bytes

FRAME = bytes(Ether(dst="00:00:00:00:00:02", src="00:00:00:00:00:01") / IP(src="10.0.0.1", dst="10.0.0.2")
              / UDP(sport=1111, dport=2222) / bytes(20))


def _block(btype, body, big=False):
    order = "big" if big else "little"
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return btype.to_bytes(4, order) + n.to_bytes(4, order) + body + n.to_bytes(4, order)


def _shb(big=False):
    order = "big" if big else "little"
    return _block(0x0A0D0D0A, (0x1A2B3C4D).to_bytes(4, order) + (1).to_bytes(2, order) + bytes(2)
                  + (-1).to_bytes(8, order, signed=True), big)


def _idb(link=1, tsresol=None, tsoffset=None, big=False):
    order = "big" if big else "little"
    opts = b""
    if tsresol is not None:
        opts += (9).to_bytes(2, order) + (1).to_bytes(2, order) + bytes([tsresol]) + bytes(3)
    if tsoffset is not None:
        opts += (14).to_bytes(2, order) + (8).to_bytes(2, order) + tsoffset.to_bytes(8, order, signed=True)
    if opts:
        opts += bytes(4)
    return _block(1, link.to_bytes(2, order) + bytes(2) + (65535).to_bytes(4, order) + opts, big)


def _epb(ts, frame=FRAME, iface=0, big=False):
    order = "big" if big else "little"
    body = (iface.to_bytes(4, order) + (ts >> 32).to_bytes(4, order) + (ts & 0xFFFFFFFF).to_bytes(4, order)
            + len(frame).to_bytes(4, order) * 2 + frame)
    return _block(6, body, big)


def test_pcapng_resolutions_offsets_and_sections(tmp_path):
    data = (_shb() + _idb() + _idb(tsresol=9) + _idb(tsresol=0x80 | 10, tsoffset=100)
            + _epb(1_500_000, iface=0) + _epb(1_500_000_123, iface=1) + _epb(3 * 1024 + 512, iface=2)
            + _shb(big=True) + _idb(big=True, tsresol=3) + _epb(42, big=True)
            + _block(3, len(FRAME).to_bytes(4, "big") + FRAME, big=True)
            + _block(5, bytes(8), big=True))  # an interface statistics block: skipped
    p = tmp_path / "v.pcapng"
    p.write_bytes(data)
    t = read_pcap(p)
    assert t.t_ns.tolist() == [1_500_000_000, 1_500_000_123, 103_500_000_000, 42_000_000, 0]
    assert (t.flows.src_port == 1111).all() and len(t.flows) == 1 and t.orig_len.tolist() == [len(FRAME)] * 5


def test_big_endian_microsecond_pcap(tmp_path):
    hdr = (0xA1B2C3D4).to_bytes(4, "big") + (2).to_bytes(2, "big") + (4).to_bytes(2, "big") + bytes(8) + \
        (65535).to_bytes(4, "big") + (1).to_bytes(4, "big")
    rec = (7).to_bytes(4, "big") + (250).to_bytes(4, "big") + len(FRAME).to_bytes(4, "big") * 2 + FRAME
    p = tmp_path / "be.pcap"
    p.write_bytes(hdr + rec + rec)
    t = read_pcap(p)
    assert t.t_ns.tolist() == [7_000_250_000] * 2 and t.flow.tolist() == [0, 0]


def test_raw_ip_link_type(tmp_path):
    raw = FRAME[14:]
    hdr = (0xA1B2C3D4).to_bytes(4, "little") + (2).to_bytes(2, "little") + (4).to_bytes(2, "little") + \
        bytes(8) + (65535).to_bytes(4, "little") + (101).to_bytes(4, "little")
    rec = bytes(8) + len(raw).to_bytes(4, "little") * 2 + raw
    p = tmp_path / "raw.pcap"
    p.write_bytes(hdr + rec)
    t = read_pcap(p)
    assert t.flows.dst_port.tolist() == [2222] and t.flows.eth_src.tolist() == [0]


def test_chunked_writer_matches_one_shot_and_is_atomic(tmp_path, monkeypatch):
    import vnetsim.io.pcap as pcap_mod
    f = FlowTable.build(ip_src=["10.0.0.1", "10.0.0.3"], ip_dst="10.0.0.2", ip_proto=6, src_port=[5, 6],
                        dst_port=80)
    rng = np.random.default_rng(0)
    n = 500
    flow, size = rng.integers(0, 2, n), rng.integers(64, 1519, n)
    t = np.cumsum(rng.integers(1, 1000, n)).astype(np.float64)
    write_pcap(tmp_path / "one.pcap", t, flow, size, f)
    monkeypatch.setattr(pcap_mod, "CHUNK_BYTES", 4096)  # force many small buffers
    with PcapWriter(tmp_path / "many.pcap", f) as w:
        w.write(t[:123], flow[:123], size[:123])
        assert not (tmp_path / "many.pcap").exists()  # appears only when complete
        w.write(t[123:], flow[123:], size[123:])
    assert (tmp_path / "one.pcap").read_bytes() == (tmp_path / "many.pcap").read_bytes()
    try:
        with PcapWriter(tmp_path / "failed.pcap", f) as w:
            w.write(t[:10], flow[:10], size[:10])
            raise RuntimeError("simulated failure")
    except RuntimeError:
        pass
    assert not (tmp_path / "failed.pcap").exists() and not (tmp_path / "failed.pcap.partial").exists()


def test_trace_becomes_packets(tmp_path):
    f = FlowTable.build(ip_src="10.0.0.1", ip_dst="10.0.0.2", ip_proto=17, src_port=1, dst_port=2)
    write_pcap(tmp_path / "a.pcap", np.array([1000, 3000, 7000]), np.zeros(3, int), np.array([64, 128, 256]), f,
               epoch_ns=10**18)
    pk = read_pcap(tmp_path / "a.pcap").to_packets(rescale=0.5, start_ns=100.0)
    assert pk.t_ns.tolist() == [100.0, 1100.0, 3100.0] and pk.size_bytes.tolist() == [64, 128, 256]


_addr4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
_addr6 = st.lists(st.integers(0, 65535), min_size=8, max_size=8).map(lambda w: ":".join(f"{x:x}" for x in w))


@st.composite
def _flow_tables(draw):
    n = draw(st.integers(1, 6))
    cols = {k: [] for k in ["ip_src", "ip_dst", "ip_proto", "src_port", "dst_port", "vlan", "tunnel", "vni",
                            "outer_ip_src", "outer_ip_dst", "outer_src_port", "outer_dst_port", "outer_vlan",
                            "geneve_opt_bytes", "eth_src", "eth_dst", "outer_eth_src", "outer_eth_dst"]}
    for _ in range(n):
        v = draw(st.sampled_from([4, 6]))
        ov = draw(st.sampled_from([4, 6]))
        addr = _addr4 if v == 4 else _addr6
        oaddr = _addr4 if ov == 4 else _addr6
        tunnel = draw(st.sampled_from([0, 1, 2]))
        cols["ip_src"].append(draw(addr))
        cols["ip_dst"].append(draw(addr))
        cols["ip_proto"].append(draw(st.sampled_from([6, 17])))
        cols["src_port"].append(draw(st.integers(0, 65535)))
        cols["dst_port"].append(draw(st.integers(0, 65535).filter(lambda p: p not in (4789, 6081))))
        cols["vlan"].append(draw(st.sampled_from([-1, 0, 4094])))
        cols["tunnel"].append(tunnel)
        cols["vni"].append(draw(st.integers(0, (1 << 24) - 1)) if tunnel else -1)
        cols["outer_ip_src"].append(draw(oaddr))
        cols["outer_ip_dst"].append(draw(oaddr))
        cols["outer_src_port"].append(draw(st.integers(0, 65535)))
        cols["outer_dst_port"].append(4789 if tunnel == 1 else 6081)
        cols["outer_vlan"].append(draw(st.sampled_from([-1, 100])))
        cols["geneve_opt_bytes"].append(draw(st.sampled_from([0, 4, 252])) if tunnel == 2 else 0)
        for k in ("eth_src", "eth_dst", "outer_eth_src", "outer_eth_dst"):
            cols[k].append(draw(st.integers(0, (1 << 48) - 1)) & ~(1 << 40))  # unicast
    # the same text order fixes each row's version (a v4 text gives version 4)
    return FlowTable.build(**cols).canonical()


@settings(max_examples=40, deadline=None)
@given(flows=_flow_tables(), sizes=st.lists(st.integers(64, 1518), min_size=1, max_size=20))
def test_write_then_read_gives_back_every_header(tmp_path_factory, flows, sizes):
    path = tmp_path_factory.mktemp("rt") / "rt.pcap"
    n = len(sizes)
    flow = np.arange(n) % len(flows)
    write_pcap(path, np.arange(n) * 10, flow, np.array(sizes), flows)
    t = read_pcap(path, keep_headers=True)
    assert (t.headers.records() == flows.records()[flow]).all()
    hdr_len = FrameTemplates.from_flows(flows).hdr_len[flow]  # frames smaller than their headers grow
    assert (t.orig_len == np.maximum(frame_len_bytes(flows, flow, np.array(sizes)), hdr_len)).all()
    assert (t.status == 0).all()
