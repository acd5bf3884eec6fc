"""Round trips and forwarding through the host: closed forms, conservation in both directions, the
result's fields, and one-line errors for nonsense."""

from __future__ import annotations

import math

import pytest

import vnetsim
from vnetsim.errors import UserError
from vnetsim.host.answer import L3FWD_BURST_TX_DRAIN_NS


def host_doc(app: dict, rate: str = "1kpps", duration: str = "200ms", guest_mode: str = "poll", **host) -> dict:
    return {"name": "rt", "duration": duration, "warmup": "2ms",
            "traffic": {"flows": [{"name": "f", "count": 4, "rate": rate, "size": 64}]},
            "host": {"vms": [{"name": "vm0", "guest": {"service": {"mode": guest_mode}, "app": app}}], **host}}


def test_round_trip_fields_and_conservation_both_directions():
    row = vnetsim.run(host_doc({"respond": {"size_bytes": 128}}, rate="200kpps", duration="20ms")).variants[0]
    rt = row["round_trip_ns"]
    assert rt["samples"] > 1000 and rt["unsupported"] == [] or rt["samples"] < 10_000
    assert rt["mean"] > row["latency_ns"]["mean"], "the round trip contains the way in"
    rx, tx = row["packets"], row["packets_tx"]
    assert rx["offered"] == rx["delivered"] + rx["dropped"] + rx["in_flight"] and rx["in_flight"] >= 0
    assert tx["offered"] == rx["delivered"], "what reached the application is what the transmit side is offered"
    assert tx["offered"] == tx["delivered"] + tx["dropped"] + tx["in_flight"] and tx["in_flight"] >= 0
    assert rt["samples"] == tx["delivered"]
    for stage in ("vnic_tx_ring", "host_tx", "tx_wire", "peer"):
        assert stage in row["stage_latency_ns"]
    assert {"vnic_tx_ring", "pnic_tx_ring"} <= set(row["drops_by_stage"])
    assert "host/tx-vm0" in row["cpu"] and "vm0/vnic_tx/q0" in row["queues"]
    # the response is 128 B: its TX wire time is (128 + 20) * 8 / 10 Gb/s
    assert row["stage_latency_p99_ns"]["tx_wire"] >= (128 + 20) * 0.8 * 0.99


def test_receive_only_is_unchanged():
    """Without an answer there is no transmit side and no round-trip field."""
    row = vnetsim.run(host_doc({}, rate="100kpps", duration="5ms")).variants[0]
    assert "round_trip_ns" not in row and "packets_tx" not in row
    assert set(row["drops_by_stage"]) <= {"pnic_ring", "vnic_ring", "vf_ring", "tap_queue"}


def test_l3fwd_buffer_at_low_load_waits_half_a_drain_period():
    """Poisson arrivals far below one per drain period: each forwarded packet waits for the next
    100 us tick, uniformly placed, so the mean wait is 50 us (PASTA) with standard deviation
    100 / sqrt(12) us; tolerance 4 standard errors."""
    row = vnetsim.run(host_doc({"forward": {}}, rate="1kpps")).variants[0]
    n = row["stage_latency_samples"]["tx_buffer"]
    se = L3FWD_BURST_TX_DRAIN_NS / math.sqrt(12) / math.sqrt(n)
    assert n > 150
    assert abs(row["stage_latency_ns"]["tx_buffer"] - L3FWD_BURST_TX_DRAIN_NS / 2) < 4 * se
    burst = vnetsim.run(host_doc({"forward": {"batching": "burst"}}, rate="1kpps", duration="20ms")).variants[0]
    assert "tx_buffer" not in burst["stage_latency_ns"]
    assert burst["round_trip_ns"]["mean"] < row["round_trip_ns"]["mean"] - 30e3, "no drain wait without the buffer"


def test_l3fwd_buffer_at_high_load_flushes_full_bursts():
    """At 4 Mpps 32 packets gather in 8 us, long before the 100 us tick: the k-th packet of a burst
    (k = 0..31) waits for the 31 - k arrivals after it, 15.5 Poisson gaps on average. A burst's
    mean wait, sum_j j X_j / 32 over exponential gaps X_j, has variance sum_j j^2 / 32^2 = 10.2
    gaps^2; tolerance 4 standard errors over the bursts. (Host and guest poll with little work,
    so the arrivals reach the buffer nearly as offered.)"""
    row = vnetsim.run(host_doc({"forward": {}}, rate="4Mpps", duration="4ms", service={"mode": "poll"},
                               vswitch={"per_packet": "0ns"})).variants[0]
    gap_ns = 1e9 / row["offered_pps"]
    bursts = row["stage_latency_samples"]["tx_buffer"] / 32
    se = math.sqrt(sum(j * j for j in range(32)) / 32 ** 2) / math.sqrt(bursts) * gap_ns
    assert abs(row["stage_latency_ns"]["tx_buffer"] - 15.5 * gap_ns) < 4 * se
    assert row["stage_latency_p99_ns"]["tx_buffer"] < 60 * gap_ns < L3FWD_BURST_TX_DRAIN_NS / 5


def test_latency_sensitivity_high_shortens_the_ping():
    """Interrupt-driven guest, low rate: LS=high (no virtual coalescing, pinned vCPUs without deep
    C-states) answers faster than the defaults."""
    default = vnetsim.run(host_doc({"respond": {}}, guest_mode="interrupt", duration="50ms")).variants[0]
    high = vnetsim.run(host_doc({"respond": {}}, guest_mode="interrupt", duration="50ms",
                                latency_sensitivity="high")).variants[0]
    assert high["round_trip_ns"]["p50"] < default["round_trip_ns"]["p50"]


@pytest.mark.parametrize("app, vm_extra, words", [
    ({"respond": {}, "forward": {}}, {}, "not both"),
    ({"respond": {"size_bytes": 10}}, {}, "size_bytes"),
    ({"forward": {"tx_burst": 0}}, {}, "tx_burst"),
    ({"respond": {}}, {"tx": {"rate": "1Gbps"}}, "analytic tx"),
])
def test_nonsense_is_one_line(app, vm_extra, words):
    doc = host_doc(app, duration="1ms")
    doc["host"]["vms"][0].update(vm_extra)
    with pytest.raises(UserError) as err:
        vnetsim.run(doc)
    line = err.value.line()
    assert words in line and "\n" not in line


def test_every_vm_answers_or_none():
    doc = host_doc({"respond": {}}, duration="1ms")
    doc["host"]["vms"].append({"name": "vm1"})
    doc["traffic"]["flows"][0]["vm"] = "*"
    with pytest.raises(UserError) as err:
        vnetsim.run(doc)
    assert "every VM" in err.value.line()


@pytest.mark.parametrize("host_mode, kick_cycles", [("poll", 0), ("interrupt", 1559)])
def test_the_response_is_sent_by_the_vcpu_that_received_it(host_mode, kick_cycles):
    """The guest's useful CPU is its packets times (driver + application + the response's send +
    the doorbell exit where the host's TX thread sleeps), from t = 0 so no packet is half done."""
    doc = host_doc({"per_packet": "100ns", "respond": {"per_packet": "300ns"}}, rate="100kpps", duration="10ms",
                   service={"mode": host_mode})
    doc["warmup"] = "0ms"
    row = vnetsim.run(doc).variants[0]
    clock = 2.3e9
    work_ns = 50 / clock * 1e9 + 100 + 300 + kick_cycles / clock * 1e9    # PMD driver 50 cycles (poll guest)
    packets = row["cores"]["vm0/vcpu0"]["packets"]
    useful_ns = row["cpu"]["vm0/vcpu0"]["useful"] * (row["window_s"][1] - row["window_s"][0]) * 1e9
    assert packets * work_ns * (1 - 1e-9) <= useful_ns <= (packets + row["packets"]["in_flight"]) * work_ns * (1 + 1e-9)
    assert row["cores"]["host/tx-vm0"]["packets"] >= row["packets_tx"]["delivered"]
