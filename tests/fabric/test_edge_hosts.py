"""Hosts at the fabric's edge run the host model: the fabric's deliveries go on through each
receiving host's rings, threads and VM, as the independent reference model of a host says."""

import sys
from pathlib import Path

import numpy as np
import pytest

from vnetsim.engine.histogram import LogHistogram
from vnetsim.errors import ScenarioError
from vnetsim.fabric.simulate import run_fabric_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference.host_chain import reference_receive  # noqa: E402

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


def _reference_host(plan, t, t0, size, flow, pid, end):
    """The SimPy reference (tests/reference, written from docs/models/engine.md) chained by hand:
    pNIC rings and host cores, then vNIC rings and vCPUs. Returns {pid: delivery time} and drops."""
    delivered, dropped = reference_receive(plan, t, pid, flow, size, end)
    return delivered, len(dropped)


def test_edge_hosts_match_the_reference_host_fed_the_fabric_deliveries():
    seen = []
    res = run_fabric_scenario(DOC, on_deliver=lambda d, pk, h: seen.append((d.copy(), pk))).data
    edge = res["edge_hosts"]
    assert edge["hosts"] == 2
    # what each modelled host runs (its plan) and its flow numbering; the run itself is the reference's
    from vnetsim.fabric.config import FabricScenario
    from vnetsim.fabric.edge import EdgeHosts
    from vnetsim.fabric.topology import build_fabric
    from vnetsim.fabric.traffic import build_flows

    scen = FabricScenario.model_validate(DOC)
    fabric = build_fabric(scen.fabric)
    flows = build_flows(scen.fabric, scen.traffic, fabric, 5)
    hosts = EdgeHosts(scen.edge, fabric, flows, 2e6)
    names = [fabric.names[n] for n in fabric.hosts]
    total = 0
    for k, row in enumerate(edge["per_host"]):
        h = names.index(row["host"])
        sel = [(pk.take(np.flatnonzero(d == h))) for d, pk in seen]
        t = np.concatenate([p.t_ns for p in sel])
        t0 = np.concatenate([p.t0_ns for p in sel])
        size = np.concatenate([p.size_bytes for p in sel]).astype(np.int64)
        pid = np.concatenate([p.pkt_id for p in sel])
        flow = hosts.local[np.concatenate([p.flow for p in sel])]
        assert (np.diff(t) >= 0).all() and len(t) > 500
        delivered, drops = _reference_host(hosts.receivers[k].plan, t, t0, size, flow, pid, 2e6)
        assert row["delivered"] == len(delivered) > 0
        assert row["drops"] == drops
        lat = LogHistogram()
        t0_of = dict(zip(pid.tolist(), t0.tolist()))
        lat.record(np.array([v - t0_of[p] for p, v in delivered.items()]))
        assert row["p99_ns"] == pytest.approx(lat.quantile(0.99), rel=1e-12)
        total += row["delivered"]
    assert edge["delivered"] == total
    assert sum(r["drops"] for r in edge["per_host"]) == sum(edge["drops_by_stage"].values()) > 0


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
