"""Host results warn when configured resources stay unused and when a queue was still growing."""

from __future__ import annotations

import copy

import vnetsim

BIG_RINGS = {"pnic": {"ring_size": 4096}, "vms": [{"name": "vm", "vnic": {"ring_size": 4096}}]}


def _run(rate: str, duration: str, host: dict | None = None) -> dict:
    doc = {"duration": duration, "warmup": "1ms", "seed": 3,
           "traffic": {"flows": [{"name": "a", "count": 64, "rate": rate, "size": 128}]},
           "host": copy.deepcopy(host if host is not None else BIG_RINGS)}
    return vnetsim.run(doc).variants[0]


def _growing(row: dict) -> list[str]:
    return [w for w in row["warnings"] if "still growing" in w]


def test_a_stable_run_says_nothing():
    row = _run("1Mpps", "10ms")      # one core about 45% busy; a backlog of ~240 packets in coalescing
    assert row["packets"]["in_flight"] > 64 and row["warnings"] == []


def test_an_overloaded_short_run_says_the_queue_was_still_growing():
    row = _run("3Mpps", "5ms")       # a core saturated, 8192 ring slots still filling, nothing dropped yet
    assert row["packets"]["dropped"] == 0 and row["packets"]["in_flight"] > 1000
    (w,) = _growing(row)
    assert "host/core0" in w and "duration" in w


def test_an_overloaded_steady_state_is_not_called_growing():
    small = {"pnic": {"ring_size": 256}, "vms": [{"name": "vm", "vnic": {"ring_size": 256}}]}
    row = _run("3Mpps", "30ms", small)   # rings full early: the excess is dropped, the drops say so
    assert row["packets"]["dropped"] > 10 * row["packets"]["in_flight"]
    assert _growing(row) == []


def test_vcpus_without_vnic_queues_are_warned_about():
    host = {"vms": [{"name": "pgw", "guest": {"vcpus": 4}, "vnic": {"queues": 2}}]}
    row = _run("100kpps", "5ms", host)
    (w,) = row["warnings"]
    assert "VM pgw: 4 vCPUs but 2 vNIC queues" in w and "pgw/vcpu2, pgw/vcpu3" in w
    assert row["cpu"]["pgw/vcpu3"]["idle"] == 1.0, "the warning is true: the vCPU did nothing"
    host["vms"][0]["vnic"]["queues"] = 4
    assert _run("100kpps", "5ms", host)["warnings"] == []


def test_host_cores_without_pnic_queues_are_warned_about():
    row = _run("100kpps", "5ms", {"cores": 4, "pnic": {"rx_queues": 2}})
    (w,) = row["warnings"]
    assert "2 of 4 host cores serve no pNIC queue" in w and "host/core2, host/core3" in w


def _one_flow(host: dict, count: int = 1) -> dict:
    doc = {"duration": "3ms", "warmup": "1ms", "seed": 3,
           "traffic": {"flows": [{"name": "a", "count": count, "rate": "100kpps", "size": 128}]}, "host": host}
    return vnetsim.run(doc).variants[0]


def test_queues_no_flow_reaches_are_warned_about_and_are_empty():
    row = _one_flow({"cores": 8, "pnic": {"rx_queues": 8}})
    (w,) = row["warnings"]
    assert "the host: 7 of 8 pNIC queues receive no flow" in w and "more flows" in w
    busy = sorted(c["useful"] for n, c in row["cpu"].items() if n.startswith("host/core"))
    assert busy[:7] == [0.0] * 7 and busy[7] > 0, "the warning is true: seven cores did nothing"
    assert _one_flow({"cores": 8, "pnic": {"rx_queues": 8}}, count=256)["warnings"] == []


def test_many_flows_on_one_queue_blame_the_hash_not_the_flow_count():
    # VXLAN from one VTEP, hashed on the outer IPs only: 64 flows share a few outer 2-tuples
    host = {"pnic": {"rx_queues": 4, "steering": {"mode": "rss", "rss": {"layer": "outer", "fields": {"udp4": "sd"}}},
                     "overlay": {"vteps": [{"mac": "00:50:56:6a:00:01", "ip": "172.16.10.11", "vlan": 100}]}}}
    row = _one_flow(host, count=64)
    (w,) = [x for x in row["warnings"] if "receive no flow" in x]
    assert "of 4 pNIC queues" in w and "all 64 flows land on the others" in w and "more flows" not in w
