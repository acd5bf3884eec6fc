"""Flows from an encapsulated capture are keyed by the inner flow (tunnel, VNI, inner headers)
unless the scenario asks for the outer headers (``trace.flow_key: outer``)."""

from __future__ import annotations

import numpy as np
import pytest
from scapy.all import IP, UDP, VXLAN, Ether, wrpcap

import vnetsim
from vnetsim.errors import UserError
from vnetsim.host.config import Host
from vnetsim.host.flows import build_catalog, key_by_inner
from vnetsim.io.pcap import read_pcap
from vnetsim.traffic.config import FlowGroup

N_PACKETS, INNER_PORTS = 120, 3


@pytest.fixture(scope="module")
def varying(tmp_path_factory):
    """A VXLAN capture whose outer UDP source port changes with every packet (a VTEP that varies its
    entropy per packet), carrying 3 inner UDP flows round robin."""
    path = tmp_path_factory.mktemp("cap") / "varying.pcap"
    packets = []
    for i in range(N_PACKETS):
        inner = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2")
                 / UDP(sport=1000 + i % INNER_PORTS, dport=5000) / (b"x" * 18))
        p = (Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") / IP(src="192.0.2.1", dst="192.0.2.2")
             / UDP(sport=40000 + i, dport=4789) / VXLAN(vni=7) / inner)
        p.time = 1.0 + i * 1e-5
        packets.append(p)
    wrpcap(str(path), packets)
    return path


def test_a_varying_outer_port_is_one_flow_per_inner_flow(varying):
    trace = read_pcap(varying, keep_headers=True)
    assert len(trace.flows) == N_PACKETS                        # every packet its own outer header set
    keyed = key_by_inner(trace)
    assert len(keyed.flows) == INNER_PORTS
    assert np.array_equal(np.bincount(keyed.flow), [N_PACKETS // INNER_PORTS] * INNER_PORTS)
    # every packet's flow has that packet's inner headers, and its first packet's outer ones
    assert np.array_equal(keyed.flows.src_port[keyed.flow], trace.headers.src_port)
    assert np.array_equal(keyed.flows.outer_src_port, [40000, 40001, 40002])
    assert (keyed.flows.vni == 7).all() and (keyed.flows.tunnel == 1).all()


@pytest.mark.parametrize("name, flows", [("vxlan.pcap", 4), ("geneve.pcap", 4)])
def test_real_captures_keep_their_flows(real_pcap_dir, name, flows):
    """In tcpdump's captures the outer source port follows the inner flow (Linux entropy hashing),
    so keying by the inner flow changes nothing: same flows, same headers, same packet mapping."""
    trace = read_pcap(real_pcap_dir / name)
    keyed = key_by_inner(trace)
    assert len(trace.flows) == len(keyed.flows) == flows
    assert np.array_equal(keyed.flow, trace.flow)
    assert np.array_equal(keyed.flows.records(), trace.flows.records())


def _groups(path, key=None):
    trace = {"pcap": str(path), "loop": True, **({"flow_key": key} if key else {})}
    return [FlowGroup(name="cap", trace=trace)]


def test_the_catalog_keys_by_inner_unless_asked(varying):
    inner = build_catalog(_groups(varying), Host(), 1)
    outer = build_catalog(_groups(varying, "outer"), Host(), 1)
    assert len(inner) == INNER_PORTS and len(outer) == N_PACKETS
    assert inner.trace_flows == {"cap": {"flow_key": "inner", "flows": INNER_PORTS, "header_sets": N_PACKETS}}
    assert outer.trace_flows["cap"]["flows"] == N_PACKETS


def test_a_host_run_of_the_capture(varying):
    scenario = {"name": "cap", "duration": "2ms", "host": {"pnic": {"rx_queues": 4}},
                "traffic": {"flows": [{"name": "cap", "trace": {"pcap": str(varying), "loop": True}}]}}
    row = vnetsim.run(scenario).variants[0]
    assert row["steering"]["flows"] == INNER_PORTS
    assert row["trace_flows"]["cap"] == {"flow_key": "inner", "flows": INNER_PORTS, "header_sets": N_PACKETS}
    by_outer = vnetsim.run(scenario, overrides=["traffic.flows.cap.trace.flow_key=outer"]).variants[0]
    assert by_outer["steering"]["flows"] == N_PACKETS
    # the same packets either way: only what makes a flow differs
    assert by_outer["packets"]["offered"] == row["packets"]["offered"]


def test_a_bad_flow_key_is_one_line():
    with pytest.raises(UserError) as err:
        vnetsim.run({"traffic": {"flows": [{"trace": {"pcap": "x.pcap", "flow_key": "middle"}}]}})
    assert "flow_key" in err.value.line()
