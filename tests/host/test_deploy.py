"""Deployment shapes (``host.deployment``, vnetsim.host.deploy): each shape's receive chain agrees
packet for packet with the reference models chained by hand, conserves packets, and orders as it
must physically.

The packet-for-packet test draws the shape and everything around it (modes, rings, moderation,
device time, virtualization costs) with whole-ns costs, as tests/host/test_host_reference.py does
for the default shape; that file's engine and reference helpers are reused.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.host.test_host_reference import coalescing, engine, ns, reference, service  # noqa: E402

from vnetsim.api import load  # noqa: E402
from vnetsim.errors import ScenarioError  # noqa: E402
from vnetsim.host.path import HostPath  # noqa: E402

SHAPES = ["vswitch", "bare-metal", "poll-vswitch", "sriov", "vhost"]


@st.composite
def shape_cases(draw):
    shape = draw(st.sampled_from(SHAPES))
    n_q = draw(st.integers(1, 3))
    host_service = draw(service())
    if shape == "poll-vswitch":
        host_service = {k: v for k, v in host_service.items() if k != "hybrid"} | {"mode": "poll"}
    host = {
        "cpu_clock": "1GHz",
        "deployment": shape,
        "pnic": {"line_rate": "8Gbps", "rx_queues": n_q, "ring_size": draw(st.integers(1, 6)),
                 "coalescing": draw(coalescing())},
        "cores": draw(st.integers(1, n_q)),
        "service": host_service,
        "device": draw(st.one_of(st.just({"enabled": False}),
                                 st.fixed_dictionaries({"latency": ns, "per_byte_ns": st.sampled_from([0.0, 1.0]),
                                                        "dma_rate": st.sampled_from(["8Gbps", "16Gbps"])}))),
    }
    if shape == "bare-metal":
        host["app"] = {"per_packet": draw(ns)}
    else:
        host["latency_sensitivity"] = draw(st.sampled_from(["normal", "high"]))
        host["virtualization"] = {"posted_interrupts": draw(st.booleans()), "vm_exit": draw(ns),
                                  "notify": draw(ns)}
        vnic = {"queues": draw(st.integers(1, 2))}
        if shape != "sriov":
            host["vswitch"] = {"per_packet": draw(ns), "per_byte": draw(st.sampled_from(["0ns", "1ns"]))}
            vnic["coalescing"] = draw(coalescing())
            vnic |= {"type": "virtio", "ring_size": 256} if shape == "vhost" else {"ring_size": 32}
        if shape == "vhost":
            host["vhost"] = {"queue_size": draw(st.integers(1, 6)), "batch": draw(st.integers(1, 4)),
                             "per_packet": draw(ns), "per_byte": draw(st.sampled_from(["0ns", "1ns"]))}
        host["vms"] = [{"name": "vm", "vnic": vnic,
                        "guest": {"vcpus": draw(st.integers(1, 2)), "service": draw(service()),
                                  "app": {"per_packet": draw(ns)}}}]
    doc = {"duration": "1ms", "traffic": {"flows": [{"name": "f", "count": 4, "rate": "1Mpps"}]}, "host": host}
    n = draw(st.integers(0, 60))
    gaps = draw(st.lists(st.one_of(st.just(0), st.integers(0, 60), st.integers(0, 400)), min_size=n, max_size=n))
    t = np.cumsum(np.asarray(gaps, np.int64)).astype(np.float64) + 1.0
    size = np.asarray(draw(st.lists(st.sampled_from([64, 100, 128]), min_size=n, max_size=n)), np.int32)
    flow = np.asarray(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int32)
    end = float((int(t[-1]) if n else 0) + draw(st.integers(1, 3000)))
    return doc, t, size, flow, end, draw(st.integers(1, 20))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shape_cases())
def test_every_shape_matches_the_reference_chain(case):
    doc, t, size, flow, end, chunk = case
    plan, delivered, dropped = engine(doc, t, size, flow, end, chunk)
    ref_delivered, ref_dropped = reference(plan, t, size, flow, end)
    assert dropped == ref_dropped
    assert delivered == ref_delivered


def scenario(shape: str, rate: str = "1kpps", duration: str = "1s", **host) -> dict:
    h = {"deployment": shape, **host}
    if shape == "bare-metal":
        h.setdefault("service", {"mode": "poll"})      # a DPDK application
    return {"duration": duration, "warmup": "10ms", "seed": 3,
            "traffic": {"flows": [{"name": "f", "count": 64, "rate": rate, "size": 64}]}, "host": h}


def run(doc):
    model = load(doc)[2][0].model
    return HostPath(model).run()


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_conserves_packets(shape):
    """Offered = delivered + dropped + still inside, counted independently (sink, drop callbacks,
    the stages' own occupancy), with the rings small enough to drop at this load."""
    host: dict = {"pnic": {"ring_size": 16}}
    if shape == "bare-metal":
        host["service"] = {"mode": "interrupt"}      # the kernel stack: 500 cycles a packet, overloaded
    else:
        host["vms"] = [{"name": "vm0", "guest": {"service": {"mode": "interrupt"}}}]
    r = run(scenario(shape, rate="8Mpps", duration="4ms", **host))
    assert r.dropped_total > 0
    assert r.offered_total == r.delivered_total + r.dropped_total + r.in_flight_state


@pytest.fixture(scope="module")
def low_load():
    return {s: run(scenario(s)) for s in SHAPES}


def test_low_load_latency_orders_as_the_layers_do(low_load):
    """Bare-metal poll < SR-IOV < poll-mode vSwitch < standard vSwitch; vhost's extra thread puts
    it above the standard vSwitch (defaults, 1 kpps of 64 B)."""
    mean = {s: r.latency.mean for s, r in low_load.items()}
    assert mean["bare-metal"] < mean["sriov"] < mean["poll-vswitch"] < mean["vswitch"] < mean["vhost"], mean


def test_every_chain_starts_with_the_device_time(low_load):
    for shape, r in low_load.items():
        assert next(iter(r.stages)) == "wire" and list(r.stages)[1] == "nic_dma", shape
        dma = r.stages["nic_dma"]
        assert dma.mean == pytest.approx(527.0 + 64 * (130 / 128 / 8 + 0.169), rel=0.002), shape


def test_poll_vswitch_cores_spin_whole_and_are_reserved(low_load):
    from vnetsim.host.report import variant_result
    row = variant_result("v", "", low_load["poll-vswitch"], 3)
    host = {n: c for n, c in row["cpu"].items() if n.startswith("host/core")}
    assert host
    for c in host.values():
        assert c["useful"] + c["overhead"] + c["spin"] == pytest.approx(1.0, abs=1e-6)
        assert c["idle"] == 0.0
        assert sum(c.values()) == pytest.approx(1.0, abs=1e-9)


def test_shapes_have_their_stages(low_load):
    names = {s: [k for k in r.stages if k not in ("wire", "nic_dma")] for s, r in low_load.items()}
    assert names["vswitch"] == ["pnic_ring", "vswitch", "vnic_ring", "guest"]
    assert names["bare-metal"] == ["pnic_ring", "stack"]
    assert names["poll-vswitch"] == ["pnic_ring", "vswitch", "vnic_ring", "guest"]
    assert names["sriov"] == ["vf_ring", "guest"]
    assert names["vhost"] == ["pnic_ring", "bridge", "tap_queue", "vhost", "vnic_ring", "guest"]


@pytest.mark.parametrize("host, field", [
    ({"deployment": "bare-metal", "vms": [{"name": "a"}]}, "vms"),
    ({"deployment": "bare-metal", "vswitch": {"per_packet": "1ns"}}, "vswitch"),
    ({"deployment": "bare-metal", "latency_sensitivity": "high"}, "latency_sensitivity"),
    ({"deployment": "vswitch", "app": {"per_packet": "1ns"}}, "app"),
    ({"deployment": "sriov", "vswitch": {"per_packet": "1ns"}}, "vswitch"),
    ({"deployment": "sriov", "vms": [{"vnic": {"ring_size": 64}}]}, "vms[0].vnic.ring_size"),
    ({"deployment": "poll-vswitch", "service": {"mode": "interrupt"}}, "service.mode"),
    ({"deployment": "vhost", "vms": [{"vnic": {"type": "vmxnet3"}}]}, "vms[0].vnic.type"),
    ({"deployment": "vswitch", "vhost": {"batch": 4}}, "vhost"),
    ({"pnic": {"line_rate": "25Gbps"}, "device": {"dma_rate": "10Gbps"}}, "device.dma_rate"),
])
def test_nonsense_combinations_are_one_line(host, field):
    doc = {"duration": "1ms", "traffic": {"flows": [{"name": "f", "count": 1, "rate": "1kpps"}]}, "host": host}
    with pytest.raises(ScenarioError) as err:
        load(doc)
    text = str(err.value)
    assert field in text and "\n" not in text.strip(), text


# --- examples/deployments.yaml: the shapes side by side ---------------------------------------------

CHAIN_QUEUES = {"bare-metal": ["pnic/"], "sriov": ["/vf/"], "vhost": ["pnic/", "/tap/", "/vnic/"],
                "vswitch": ["pnic/", "/vnic/"], "poll-vswitch": ["pnic/", "/vnic/"]}


@pytest.fixture(scope="module")
def example():
    import vnetsim
    path = Path(__file__).resolve().parents[2] / "examples" / "deployments.yaml"
    _, _, variants = vnetsim.load(str(path))
    shapes = {v.name: v.model.host.deployment for v in variants}
    return vnetsim.run(str(path)).variants, shapes


def test_example_conserves_packets_stage_by_stage(example):
    """What each stage's queues took in, dropped and passed on accounts for every offered packet."""
    rows, shapes = example
    for row in rows:
        shape = shapes[row["name"].split(" @ ")[0]]
        p = row["packets"]
        stages = [[q for n, q in row["queues"].items() if key in n] for key in CHAIN_QUEUES[shape]]
        assert all(stages) and sum(len(s) for s in stages) == len(row["queues"]), row["name"]
        took = [sum(q["packets"] for q in s) for s in stages] + [p["delivered"]]
        dropped = [sum(q["dropped"] for q in s) for s in stages]
        inside = [took[k] - dropped[k] - took[k + 1] for k in range(len(stages))]
        assert min(inside) >= 0 and p["offered"] - took[0] >= 0, (row["name"], inside)
        assert p["offered"] - took[0] + sum(inside) == p["in_flight"], row["name"]
        assert sum(dropped) == p["dropped"] == sum(row["drops_by_stage"].values()), row["name"]


def test_example_cpu_shares_sum_to_one_with_reserved(example):
    rows, shapes = example
    for row in rows:
        for core, c in row["cpu"].items():
            assert all(0.0 <= v <= 1.0 + 1e-9 for v in c.values()), (row["name"], core)
            assert sum(c.values()) == pytest.approx(1.0, abs=1e-9), (row["name"], core)
        if "latency sensitivity high" in row["name"]:
            assert row["cpu"]["app/vcpu0"]["reserved"] > 0.5 and row["cpu"]["app/vcpu0"]["idle"] == 0.0


def test_example_shows_the_layers_at_low_load(example):
    rows, _ = example
    low = {r["name"].split(" @ ")[0]: r["latency_ns"]["mean"] for r in rows if r["name"].endswith("@ 10kpps")}
    # at 10 kpps VMXNET3's 4,000/s coalescing holds most packets back (up to 250 us): both VMXNET3
    # paths come last; virtio (no virtual coalescing, KVM halt-polling) and latency sensitivity high
    # (coalescing off) stay within a few tens of microseconds
    assert low["bare metal, DPDK"] < low["SR-IOV VF, posted interrupts"] \
        < low["standard vSwitch, latency sensitivity high"] < low["virtio with vhost"] \
        < low["poll-mode vSwitch"] < low["standard vSwitch"], low
    assert low["virtio with vhost"] < 0.5 * low["poll-mode vSwitch"], low
    assert low["bare metal, DPDK"] < 2e3        # a DPDK application next to the NIC: device time + a poll
