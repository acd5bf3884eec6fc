"""RSS input selection (IPv4/IPv6, sd/sdfn, outer/inner) and the RETA."""

from __future__ import annotations

import numpy as np
import pytest
from nic_vectors import MS_IPV4, MS_IPV6

from vnetsim.errors import ScenarioError
from vnetsim.net.flows import FlowTable
from vnetsim.nic.rss import HashFields, Reta, Rss, hash_input, rss_hash, uses_ports
from vnetsim.nic.toeplitz import MICROSOFT_KEY, Toeplitz

SDFN_ALL = HashFields("sdfn", "sdfn", "sdfn", "sdfn")
SD_ALL = HashFields("sd", "sd", "sd", "sd")


def _suite_flows(proto=6):
    rows = MS_IPV4 + MS_IPV6
    return FlowTable.build(ip_dst=[r[0] for r in rows], dst_port=[r[1] for r in rows],
                           ip_src=[r[2] for r in rows], src_port=[r[3] for r in rows], ip_proto=proto), rows


@pytest.mark.parametrize("proto", [6, 17])
def test_flow_table_hashes_reproduce_the_suite(proto):
    flows, rows = _suite_flows(proto)
    t = Toeplitz(MICROSOFT_KEY)
    h, hashed = rss_hash(flows.layer("outer"), t, SDFN_ALL)
    assert hashed.all() and h.tolist() == [r[5] for r in rows]
    h, _ = rss_hash(flows.layer("outer"), t, SD_ALL)
    assert h.tolist() == [r[4] for r in rows]


def test_default_fields_ixgbe_tcp_ports_udp_ips_only():
    tcp, rows = _suite_flows(6)
    udp, _ = _suite_flows(17)
    t = Toeplitz(MICROSOFT_KEY)
    fields = HashFields()  # tcp sdfn, udp sd
    assert rss_hash(tcp.layer("outer"), t, fields)[0].tolist() == [r[5] for r in rows]
    assert rss_hash(udp.layer("outer"), t, fields)[0].tolist() == [r[4] for r in rows]


def test_hash_input_layout_big_endian():
    flows, _ = _suite_flows()
    layer = flows.layer("outer")
    x = hash_input(layer, np.array([0]), 4, True)
    assert bytes(x[0]) == bytes([66, 9, 149, 187, 161, 142, 100, 80]) + (2794).to_bytes(2, "big") + \
        (1766).to_bytes(2, "big")
    assert hash_input(layer, np.array([5]), 6, True).shape == (1, 36)
    assert hash_input(layer, np.array([5]), 6, False).shape == (1, 32)


def test_other_protocols_hash_ips_and_non_ip_is_unhashed():
    flows = FlowTable.build(ip_src=["1.1.1.1", "1.1.1.1"], ip_dst="2.2.2.2", ip_proto=[1, 1], src_port=[5, 6],
                            ip_version=[4, 0])
    h, hashed = rss_hash(flows.layer("outer"), Toeplitz(MICROSOFT_KEY), SDFN_ALL)
    assert hashed.tolist() == [True, False] and h[1] == 0
    assert not uses_ports(flows.layer("outer"), SDFN_ALL).any()


def test_outer_vs_inner_layer():
    flows = FlowTable.build(ip_src="10.0.0.1", ip_dst="10.0.0.2", ip_proto=6, src_port=[1, 2], dst_port=80,
                            tunnel=1, vni=5, outer_ip_src="172.16.0.1", outer_ip_dst="172.16.0.2",
                            outer_src_port=50000, outer_dst_port=4789)
    t = Toeplitz(MICROSOFT_KEY)
    outer = rss_hash(flows.layer("outer"), t, SDFN_ALL)[0]
    inner = rss_hash(flows.layer("inner"), t, SDFN_ALL)[0]
    assert outer[0] == outer[1]  # same outer headers
    assert inner[0] != inner[1]


def test_reta_lookup_uses_low_bits():
    reta = Reta(np.arange(128) % 4, 4)
    assert reta.lookup(np.array([0, 1, 127, 128, 0xFFFFFFFF], np.uint32)).tolist() == [0, 1, 3, 0, 3]
    rr = Reta.round_robin(8, 3, first_queue=2)
    assert rr.entries.tolist() == [2, 3, 4, 2, 3, 4, 2, 3]


def test_reta_entry_past_queues_is_one_clear_line():
    with pytest.raises(ScenarioError) as err:
        Reta([0, 1, 2, 9], 4, "host.nic.steering.rss.reta")
    assert str(err.value) == ("host.nic.steering.rss.reta[3]: entry 9 points past the 4 RX queues (valid: 0-3) "
                              "(use a queue index below 4 or add queues)")


def test_reta_size_must_be_power_of_two():
    with pytest.raises(ScenarioError, match="power of two"):
        Reta([0, 1, 0], 2)


def test_rss_object_end_to_end():
    flows, rows = _suite_flows()
    rss = Rss(Toeplitz(MICROSOFT_KEY), SDFN_ALL, Reta.round_robin(128, 16))
    q, h, hashed = rss.queues(flows)
    assert q.tolist() == [(r[5] & 127) % 16 for r in rows]
