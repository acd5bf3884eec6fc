"""Hosts at the fabric's edge run the host model: the fabric's deliveries go on through each
receiving host's rings, threads and VM, exactly as a standalone host would process them."""

import numpy as np
import pytest

from vnetsim.engine.packets import Packets
from vnetsim.errors import ScenarioError
from vnetsim.fabric.simulate import run_fabric_scenario
from vnetsim.host.path import HostReceive

DOC = {
    "name": "edge", "seed": 5, "duration": "2ms",
    "fabric": {"topology": "spine_leaf", "racks": 2, "hosts_per_rack": 4, "host": {"nics": 1, "nic_speed": "25Gbps"},
               "leaf": {"ports": "48x25G+8x100G"}, "spine": {"ports": "32x100G", "count": 2},
               "engine": {"level": "packet", "chunk_packets": 1000}},
    "traffic": {"pattern": "uniform", "load": 0.3, "frame_size": "1518B"},
    "edge": {"hosts": ["host1", "host6"],
             "host": {"pnic": {"rx_queues": 2, "ring_size": 16}, "service": {"mode": "interrupt"},
                      "vms": [{"name": "a", "guest": {"app": {"per_packet": "2us"}}}, {"name": "b"}]}},
}


def test_edge_hosts_equal_a_standalone_host_fed_the_same_deliveries():
    seen = []
    res = run_fabric_scenario(DOC, on_deliver=lambda d, pk, h: seen.append((d.copy(), pk, h))).data
    edge = res["edge_hosts"]
    assert edge["hosts"] == 2
    # Rebuild: feed host1's deliveries, in the same chunks, to a standalone receive path.
    from vnetsim.fabric.config import FabricScenario
    from vnetsim.fabric.edge import EdgeHosts
    from vnetsim.fabric.topology import build_fabric
    from vnetsim.fabric.traffic import build_flows

    scen = FabricScenario.model_validate(DOC)
    fabric = build_fabric(scen.fabric)
    flows = build_flows(scen.fabric, scen.traffic, fabric, 5)
    ref = EdgeHosts(scen.edge, fabric, flows, 2e6)
    names = [fabric.names[n] for n in fabric.hosts]
    h1 = names.index("host1")
    rx: HostReceive = ref.receivers[0]
    for d, pk, h in seen:
        sel = np.flatnonzero(d == h1)
        p = pk.take(sel)
        rx.advance(Packets(p.t_ns, p.t0_ns, p.size_bytes, ref.local[p.flow].astype(np.int32), p.pkt_id), min(h, 2e6))
    rx.advance(Packets.empty(), 2e6)
    row = edge["per_host"][0]
    assert row["host"] == "host1"
    assert row["delivered"] == rx.delivered > 0
    assert row["p99_ns"] == rx.latency.quantile(0.99)
    assert row["drops"] == sum(rx.parts()["drops"].values())


def test_edge_conservation_and_latency_adds_up():
    res = run_fabric_scenario(DOC).data
    edge = res["edge_hosts"]
    fabric_lat = res["latency_ns"]["overall"]
    # the host part only adds latency: the application sees packets after the fabric delivered them
    assert edge["latency_ns"]["p50"] > fabric_lat["p50"]
    inside = sum(edge["stage_latency_ns"].values())
    assert edge["latency_ns"]["mean"] == pytest.approx(fabric_lat["mean"] + inside, rel=0.25)
    assert 0 < edge["host_core_busy"]["max"] <= 1.0


def test_edge_needs_packet_level():
    doc = dict(DOC, fabric=dict(DOC["fabric"], engine={"level": "flow"}))
    with pytest.raises(ScenarioError) as err:
        run_fabric_scenario(doc)
    assert "packet level" in err.value.line()


def test_unknown_edge_host():
    doc = dict(DOC, edge=dict(DOC["edge"], hosts=["host99"]))
    with pytest.raises(ScenarioError) as err:
        run_fabric_scenario(doc)
    assert "host99" in err.value.line() and "edge.hosts" in err.value.line()
