"""The host path end to end: conservation, CPU accounting, chunk independence, throughput bounds."""

import json

import numpy as np
import pytest

from vnetsim.api import load, run
from vnetsim.host.path import HostPath
from vnetsim.host.plan import compile_host
from vnetsim.host.throughput import zero_loss_search


def scenario(**over):
    doc = {
        "name": "t",
        "duration": "20ms",
        "traffic": {"flows": [{"name": "f", "count": 64, "rate": "1Mpps", "size": 128}]},
        "host": {"vms": [{"name": "vm", "guest": {"app": {"per_packet": "300cycles"}}}]},
    }
    for path, value in over.items():
        node = doc
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return doc


def model(doc):
    return load(doc)[2][0].model


MODES = ["interrupt", "poll", "hybrid"]


@pytest.mark.parametrize("mode", MODES)
def test_conservation_with_drops(mode):
    """offered = delivered + dropped + in flight, and in flight is what the model still holds."""
    doc = scenario(**{"traffic.flows": [{"name": "f", "count": 64, "rate": "6Mpps", "size": 64}],
                      "host.pnic.ring_size": 64})
    doc["host"]["service"] = {"mode": mode}
    doc["host"]["vms"][0]["guest"]["service"] = {"mode": mode}
    run_ = HostPath(model(doc), trace=True).run()
    assert run_.window_ns[0] == 0.0
    assert sum(run_.drops.values()) > 0, "the scenario must overload a ring"
    assert run_.offered == run_.offered_total
    in_flight = run_.offered - run_.delivered - sum(run_.drops.values())
    assert in_flight == run_.in_flight_state >= 0
    delivered, _, dropped, _ = run_.trace.arrays()
    assert len(np.intersect1d(delivered, dropped)) == 0
    assert len(np.unique(delivered)) == run_.delivered


@pytest.mark.parametrize("mode", MODES)
def test_cpu_fractions_sum_to_one(mode):
    doc = scenario(warmup="3ms")
    doc["host"]["service"] = {"mode": mode}
    doc["host"]["vms"][0]["guest"]["service"] = {"mode": mode}
    res = run(doc).variants[0]
    for core, c in res["cpu"].items():
        parts = [c["useful"], c["overhead"], c["spin"], c["idle"]]
        assert all(p >= 0 for p in parts)
        assert sum(parts) == pytest.approx(1.0, abs=1e-9), core
    if mode == "poll":
        assert all(c["idle"] < 1e-9 for c in res["cpu"].values()), "a poll-mode core never idles"


@pytest.mark.parametrize("cores", [1, 2])
def test_results_do_not_depend_on_chunk_size(cores):
    """Byte for byte, also with several cores per stage (their departures interleave across chunks)."""
    doc = scenario(warmup="2ms")
    doc["traffic"]["flows"].append({"name": "g", "count": 5, "rate": "300kpps", "arrival": {"kind": "onoff"},
                                    "size": "imix"})
    doc["host"]["pnic"] = {"rx_queues": cores}
    doc["host"]["vms"][0]["vnic"] = {"queues": cores}
    doc["host"]["vms"][0]["guest"]["vcpus"] = cores
    a = json.loads(run(dict(doc, chunk_packets=1000)).to_json())
    b = json.loads(run(dict(doc, chunk_packets=1_000_000)).to_json())
    if cores > 1:
        # The ring server sums its cores' wait and work times into one histogram core after core
        # within a chunk, so with several cores the summation order (not the values) follows the
        # chunking: the stage means may differ in the last bits. Everything else is exact.
        sa, sb = a["variants"][0].pop("stage_latency_ns"), b["variants"][0].pop("stage_latency_ns")
        assert sa.keys() == sb.keys() and all(sa[k] == pytest.approx(sb[k], rel=1e-12) for k in sa)
    assert a == b


def test_same_seed_same_bytes_other_seed_differs():
    assert run(scenario()).to_json() == run(scenario()).to_json()
    assert run(scenario()).to_json() != run(scenario(seed=2)).to_json()


def test_zero_loss_throughput_matches_capacity():
    """Constant arrivals through two poll-mode stages with fixed costs: nothing is lost below the
    slower stage's capacity B / (poll_cost + B * work); above it the ring overflows within the trial
    unless the excess is too small to fill it (the upper bound allows for that)."""
    doc = scenario(duration="40ms")
    doc["traffic"]["flows"] = [{"name": "f", "count": 16, "rate": "1Mpps", "size": 64, "arrival": "constant"}]
    doc["host"]["service"] = {"mode": "poll", "per_packet": "100ns", "poll_cost": "50ns", "batch": 32}
    doc["host"]["vswitch"] = {"per_packet": "60ns", "per_byte": "0ns"}    # no copy cost: fixed costs only
    doc["host"]["vms"][0]["guest"] = {"service": {"mode": "poll", "per_packet": "50ns", "poll_cost": "50ns"},
                                      "app": {"per_packet": "100ns"}}
    m = model(doc)
    cap = min(32 / (50 + 32 * 160), 32 / (50 + 32 * 150)) * 1e9
    entry = zero_loss_search(m, "t", "", resolution=0.002)
    ring = m.host.pnic.ring_size
    assert cap * (1 - 0.006) <= entry["zero_loss_pps"] <= cap + 2 * ring / 0.04


def test_zero_loss_counts_the_way_back():
    """Echo 1500-byte answers to 64-byte requests: the way back is the bottleneck. Nothing is lost
    below the TX wire's rate line / ((1500 + 20) * 8) bits; above it the pNIC TX ring overflows
    within the trial unless the excess is too small to fill it (the search brackets the rate to its
    resolution of the 64-byte line rate). A search counting only the receive
    side's drops would find a rate near the 64-byte line rate instead (about 18x higher)."""
    doc = scenario(duration="40ms")
    doc["traffic"]["flows"] = [{"name": "f", "count": 16, "rate": "100kpps", "size": 64, "arrival": "constant"}]
    doc["host"]["service"] = {"mode": "poll", "per_packet": "10ns", "poll_cost": "10ns", "batch": 32}
    doc["host"]["vms"][0]["guest"] = {"service": {"mode": "poll", "per_packet": "10ns", "poll_cost": "10ns"},
                                      "app": {"per_packet": "10ns", "respond": {"size_bytes": 1500}}}
    m = model(doc)
    cap = m.host.pnic.line_rate / ((1500 + 20) * 8)
    entry = zero_loss_search(m, "t", "", resolution=0.002)
    step = entry["resolution"] * entry["line_rate_pps"]          # the search's bracket, in pps
    assert cap - step <= entry["zero_loss_pps"] <= cap + 2 * 512 / 0.04
    assert any(t["dropped"] > 0 for t in entry["trials"]), "the trials above the bound lost answers"


def test_latency_sensitivity_high_preset():
    doc = scenario()
    doc["host"]["latency_sensitivity"] = "high"
    doc["host"]["pnic"] = {"rx_queues": 4}
    doc["host"]["cores"] = 1
    plan = compile_host(model(doc).host, model(doc).traffic.flows)
    host, guest = plan.ring_stages()      # the NIC's device time comes first in plan.receive
    assert len(host.cores) == 4, "a dedicated core per queue"
    assert all(r.coalesce_min_interval_ns == 0 and r.coalesce_frames == 1 for r in guest.rings)
    assert all(c.cstates == ((2e3, 2e3),) for c in guest.cores), "no deep C-states: the host CPU's C1 only"
    normal = compile_host(model(scenario()).host, model(scenario()).traffic.flows)
    assert normal.ring_stages()[1].rings[0].coalesce_min_interval_ns == pytest.approx(250e3), "VMXNET3 rbc 4000/s"


def test_queues_cores_and_vms():
    doc = scenario()
    doc["traffic"]["flows"] = [
        {"name": "a", "count": 8, "rate": "400kpps", "vm": "vm"},
        {"name": "b", "count": 1, "rate": "100kpps", "vm": "other", "queue": 3},
    ]
    doc["host"]["pnic"] = {"rx_queues": 4}
    doc["host"]["cores"] = 2
    doc["host"]["vms"].append({"name": "other", "vnic": {"queues": 2}, "guest": {"vcpus": 2}})
    res = run(doc).variants[0]
    q = res["queues"]
    per_q = sorted([q["other/vnic/q0"]["packets"], q["other/vnic/q1"]["packets"]])
    assert per_q[0] == 0 and per_q[1] > 0, "one flow, one vNIC queue"
    assert q["pnic/q3"]["packets"] > q["pnic/q0"]["packets"], "flow b pinned to queue 3"
    assert set(res["cpu"]) == {"host/core0", "host/core1", "vm/vcpu0", "other/vcpu0", "other/vcpu1"}
    assert sorted([res["cores"]["other/vcpu0"]["packets"], res["cores"]["other/vcpu1"]["packets"]])[0] == 0
    total_q = sum(v["packets"] for k, v in q.items() if k.startswith("pnic"))
    assert total_q == res["packets"]["offered"]


def test_json_has_documented_fields():
    """The documented fields, and what they must add up to, each side from a different place."""
    doc = scenario()
    res = json.loads(run(doc).to_json())
    v = res["variants"][0]
    assert v["stage_latency_ns"].keys() == {"wire", "nic_dma", "pnic_ring", "vswitch", "vnic_ring", "guest"}
    assert v["drops_by_stage"].keys() == {"pnic_ring", "vnic_ring"}
    p = v["packets"]
    window_s = v["window_s"][1] - v["window_s"][0]
    # offered: a Poisson count of 1 Mpps over the 20 ms window (4 sigma), 128 B frames + 20 B on the wire
    assert abs(p["offered"] - 1e6 * window_s) < 4 * np.sqrt(1e6 * window_s)
    assert v["offered_bps"] == pytest.approx(p["offered"] * (128 + 20) * 8 / window_s, rel=1e-12)
    # every offered packet lands on a pNIC queue (ring counters), every delivered one was served by
    # the guest's vCPU (ring-server counters, not the sink's count)
    assert sum(q["packets"] for k, q in v["queues"].items() if k.startswith("pnic")) == p["offered"]
    assert v["cores"]["vm/vcpu0"]["packets"] == p["delivered"]
    assert sum(q["dropped"] for q in v["queues"].values()) == sum(v["drops_by_stage"].values()) == p["dropped"]
    # in flight is what the model still holds at the end (rings and arrivals waiting for the next
    # chunk), counted in the pipeline, not by subtraction
    assert p["in_flight"] == HostPath(model(doc)).run().in_flight_state > 0
    # end to end = the sum of the stages a packet passes (the sets differ only by the packets in flight)
    assert v["latency_ns"]["mean"] == pytest.approx(sum(v["stage_latency_ns"].values()), rel=1e-3)
    assert v["stage_latency_ns"]["wire"] >= (128 + 20) * 8 / 10.0     # one serialization at 10 Gb/s


def test_wire_serialisation_at_line_rate():
    """Constant 64-byte frames far below line rate: the wire stage is exactly one serialization,
    (64 + 20) * 8 bits at 10 Gb/s = 67.2 ns."""
    doc = scenario()
    doc["traffic"]["flows"] = [{"name": "f", "rate": "100kpps", "size": 64, "arrival": "constant"}]
    res = run(doc).variants[0]
    assert res["stage_latency_ns"]["wire"] == pytest.approx(67.2, rel=1e-9)
