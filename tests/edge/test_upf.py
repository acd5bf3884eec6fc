"""The UPF stage equals a standalone host run fed the same GTP-U packets: the N3 stream that
reaches the UPF in an edge run is captured, pushed chunk by chunk into a pipeline built only from
the host package's public exports (a line-rate wire, then ``vnetsim.host.HostReceive``), and both
deliver the same packets at the same times, drop the same, and report the same latencies."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.edge.config import EdgeScenario
from vnetsim.edge.simulate import run_edge_scenario
from vnetsim.edge.upf import GtpuEncap, UpfLatency, n3_catalog
from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import Pipeline
from vnetsim.engine.stage import FifoStage
from vnetsim.host import HostReceive, compile_host_flows


def scenario(app_per_packet: str) -> EdgeScenario:
    return EdgeScenario.model_validate({
        "seed": 4, "duration": "3s", "sites": 3, "chunk_messages": 4096,
        "sensors": [{"name": "s", "count": 100, "sample_rate": "1kHz", "samples_per_message": 10}],
        "events": {"rate": 2.0},
        "uplink": {"technology": "fibre", "outages": {"schedule": [["1s", "0.2s"]]}},
        "upf": {"enabled": True, "host": {
            "pnic": {"ring_size": 256},
            "vms": [{"name": "upf", "vnic": {"ring_size": 256},
                     "guest": {"vcpus": 1, "service": {"mode": "poll"}, "app": {"per_packet": app_per_packet}}}]}},
    })


def concat(runs: list[Packets]) -> Packets:
    runs = [r for r in runs if len(r)]
    return Packets(*(np.concatenate([getattr(r, c) for r in runs]) for c in ("t_ns", "t0_ns", "size_bytes", "flow",
                                                                               "pkt_id")))


@pytest.mark.parametrize("app_per_packet", ["300cycles", "40us"], ids=["light", "overloaded"])
def test_upf_equals_a_standalone_host_run_fed_the_same_packets(monkeypatch, app_per_packet):
    sc = scenario(app_per_packet)
    fed: list[tuple[Packets, Packets, float]] = []        # (uplink exits, N3 frames, horizon) per chunk
    edge_out: list[Packets] = []
    encap, deliver = GtpuEncap.advance, UpfLatency.__call__

    def spy_encap(self, arrivals, horizon_ns):
        res = encap(self, arrivals, horizon_ns)
        fed.append((arrivals, res.departures, horizon_ns))
        return res

    def spy_deliver(self, packets, horizon_ns):
        edge_out.append(packets)
        return deliver(self, packets, horizon_ns)

    monkeypatch.setattr(GtpuEncap, "advance", spy_encap)
    monkeypatch.setattr(UpfLatency, "__call__", spy_deliver)
    row = run_edge_scenario(sc)["upf"]
    monkeypatch.undo()

    inner = concat([a for a, _, _ in fed])
    n3 = concat([d for _, d, _ in fed])
    np.testing.assert_array_equal(n3.size_bytes, inner.size_bytes + 62)     # GTP-U with the container, Ethernet
    np.testing.assert_array_equal(n3.pkt_id, inner.pkt_id)

    # the standalone host: public exports of vnetsim.host and the engine's wire
    t_end = float(sc.duration)
    plan = compile_host_flows(sc.upf.host, n3_catalog(sc.sites, 1))
    pipe = Pipeline()
    src = pipe.source(None, "n3")
    wire = FifoStage(plan.line_rate_bps, stat_hi_ns=t_end, sojourn_histogram=True, name="wire")
    wire_node = pipe.add(wire)
    pipe.connect(src, wire_node)
    host = HostReceive(plan, 0.0, t_end, None, pipe, wire_node)
    app = pipe.nodes[-1]
    got: list[Packets] = []
    inner_deliver = app.obj

    def collect(packets, horizon_ns):
        got.append(packets)
        inner_deliver(packets, horizon_ns)

    app.obj = collect
    for _, frames, horizon in fed:
        pipe.step(horizon, {src: frames})
    host.finish()

    mine, theirs = concat(edge_out), concat(got)
    assert len(mine) == len(theirs) > 1000
    np.testing.assert_array_equal(mine.pkt_id, theirs.pkt_id)               # packet for packet
    np.testing.assert_array_equal(mine.t_ns, theirs.t_ns)
    parts = host.parts()
    assert row["delivered"] == parts["delivered"] and row["drops"] == parts["drops"]
    assert row["dropped_total"] == host.dropped_total
    if app_per_packet == "40us":
        assert host.dropped_total > 0, "the overloaded UPF drops"
    stages = {"wire": wire.stats().sojourn, **parts["receive_stages"]}
    assert row["stage_latency_ns"] == {k: h.mean for k, h in stages.items()}
    assert row["stage_latency_p99_ns"] == {k: h.quantile(0.99) for k, h in stages.items()}

    # the UPF latency distribution: NIC wire to the application, per packet, histogram-exact
    by_id = np.argsort(n3.pkt_id)
    entry = n3.t_ns[by_id][np.searchsorted(n3.pkt_id[by_id], theirs.pkt_id)]
    h = LogHistogram()
    done = theirs.t_ns <= t_end
    h.record((theirs.t_ns - entry)[done])
    assert row["latency_ns"] == {"count": h.count, **h.summary()}
    assert row["latency_ns"]["count"] == row["delivered"]
