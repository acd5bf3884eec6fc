"""The scenario mapped onto the I/O-path model: placement, workloads, and what the row reports."""

from __future__ import annotations

import math

import pytest

from vnetsim.storage.config import StorageScenario
from vnetsim.storage.iomap import group_of_workloads, io_result, io_section, iopath_spec
from vnetsim.storage.sizing import size_cluster


def scenario(read_fraction=0.7, **storage) -> StorageScenario:
    st = {"flavor": "single", "hosts": 6, "host": {"devices": "4x3.84TB-nvme"}, "policy": {"raid": "raid1"},
          **storage}
    return StorageScenario.model_validate({
        "storage": st, "options": {"duration": "200ms"},
        "workload": {"vm_groups": [{"name": "db", "vms": 10, "disk": "200GB", "iops": 2000,
                                    "read_fraction": read_fraction},
                                   {"name": "web", "vms": 4, "disk": "50GB", "iops": 500,
                                    "read_fraction": read_fraction}]}})


def spec_of(sc):
    return iopath_spec(sc, size_cluster(sc))


def test_components_on_distinct_fault_domains():
    sc = scenario(hosts=12, fault_domains=6, policy={"raid": "raid6"}, architecture="esa")
    spec = spec_of(sc)
    for w in spec.workloads:
        for obj in w.objects:
            (copy,) = obj.copies
            racks = [spec.cluster.rack_of_host[h] for h in copy.hosts]
            assert len(copy.hosts) == 6 and len(set(racks)) == 6          # 4+2 on six racks
            assert copy.perf_leg == copy.hosts[:3]                        # ESA: FTT+1 performance leg


def test_stretched_objects_keep_one_copy_per_site_and_read_locally():
    sc = scenario(flavor="stretched", hosts=3, sites={"distance_km": 50})
    spec = spec_of(sc)
    assert spec.local_reads and spec.cluster.site_of_host == (0, 0, 0, 1, 1, 1)
    for w in spec.workloads:
        for obj in w.objects:
            a, b = obj.copies
            assert {spec.cluster.site_of_host[h] for h in a.hosts} == {spec.cluster.site_of_host[w.host]}
            assert len({spec.cluster.site_of_host[h] for h in b.hosts}) == 1 and set(a.hosts).isdisjoint(b.hosts)
    assert spec.network.inter_site_rtt_ns == pytest.approx(0.49e6)


def test_two_node_owner_holds_a_replica():
    spec = spec_of(scenario(flavor="robo", hosts=2, direct_connect=True))
    for w in spec.workloads:
        assert all(w.host in obj.copies[0].hosts for obj in w.objects)
    assert spec.network.hops_same_rack == 0


def test_vm_groups_spread_over_the_hosts_with_their_rates():
    spec = spec_of(scenario())
    groups = group_of_workloads(spec)
    db = [w for w in spec.workloads if groups[w.name] == "db"]
    web = [w for w in spec.workloads if groups[w.name] == "web"]
    assert len(db) == 6 and sorted(w.host for w in db) == list(range(6))   # 10 VMs over 6 hosts
    assert sorted(w.iops for w in db) == [2000] * 2 + [4000] * 4
    assert sum(w.iops for w in db) == 10 * 2000 and sum(w.iops for w in web) == 4 * 500
    assert len(web) == 4 and all(w.read_fraction == 0.7 for w in spec.workloads)
    assert sum(w.working_set_bytes for w in db) == pytest.approx(0.1 * 200e9 * 10)


def test_group_latency_is_merged_from_its_hosts():
    """count is the sum over the group's hosts, the mean their count-weighted mean; a percentile is
    the largest host's, never below any host's."""
    sc = scenario()
    sz = size_cluster(sc)
    spec = iopath_spec(sc, sz)
    from vnetsim.storage.iopath import simulate

    res = simulate(spec, duration_s=0.1, seed=3)
    merged = io_result(res, group_of_workloads(spec))["groups"]["db"]
    parts = [g for g in res.groups if g.name.startswith("db#")]
    assert merged["hosts"] == 6
    assert merged["writes"]["count"] == sum(p.writes.count for p in parts)
    assert merged["writes"]["mean"] == pytest.approx(sum(p.writes.count * p.writes.mean for p in parts)
                                                     / merged["writes"]["count"])
    assert merged["reads"]["p99"] == max(p.reads.p99 for p in parts)
    assert merged["reads"]["max"] == max(p.reads.max for p in parts)


@pytest.mark.parametrize("storage, fan_out", [
    ({"policy": {"raid": "raid1", "ftt": 1}}, 2),
    ({"policy": {"raid": "raid1", "ftt": 2}}, 3),
    ({"policy": {"raid": "raid5"}, "architecture": "esa"}, 2),                      # ESA: the RAID-1 perf leg
    ({"flavor": "stretched", "hosts": 3, "policy": {"raid": "raid1", "ftt": 1}}, 4),
])
def test_legs_per_io_follow_the_layout(storage, fan_out):
    """A read is one leg, a write one leg per replica (ESA erasure codes: per performance-leg copy):
    legs / I/Os = r + fan_out x (1 - r), within four binomial standard deviations."""
    r = 0.5
    sc = scenario(read_fraction=r, **storage)
    io = io_section(sc, size_cluster(sc))
    c = io["conservation"]
    assert c["issued"] == c["completed"] + c["in_flight"] + c["failed"] and c["legs_issued"] == c["legs_done"]
    n = c["issued"]
    expected = n * (r + fan_out * (1 - r))
    sd = (fan_out - 1) * math.sqrt(n * r * (1 - r))
    assert abs(c["legs_issued"] - expected) <= 4 * sd + 1


def test_stretched_writes_wait_for_the_other_site():
    sc = scenario(flavor="stretched", hosts=3, sites={"distance_km": 200})      # 1.96 ms RTT
    io = io_section(sc, size_cluster(sc))
    db = io["groups"]["db"]
    assert db["writes"]["p50"] > 1.96e6 and db["reads"]["p99"] < 1.96e6
    assert db["write_stages_ns"]["inter_site"] >= 0 and io["inter_site_utilisation"][0] > 0


def test_host_data_path_from_the_host_kind():
    """By default (options.host_data_path) the hosts' send and receive latency are the host kind's,
    run at the busiest NIC's frame rate (the iopath package's own network_from_host and nic_load);
    off, the 5 us defaults stay."""
    from vnetsim.storage.iopath import network_from_host, nic_load

    on = scenario()
    assert on.options.host_data_path                      # the default
    off = on.model_copy(update={"options": on.options.model_copy(update={"host_data_path": False})})
    plain = spec_of(off)
    assert (plain.network.host_tx_ns, plain.network.host_rx_ns) == (5000.0, 5000.0)
    spec = spec_of(on)
    pps, frame = nic_load(plain)
    duration_ns = min(max(20e6, 200 / pps * 1e9), 1e9)          # at least 200 frames
    expect = network_from_host(None, plain.network, packets_per_s=pps, frame_bytes=frame, duration_ns=duration_ns,
                               seed=on.seed)
    assert spec.network.host_rx_ns == pytest.approx(expect.host_rx_ns)
    assert spec.network.host_tx_ns == pytest.approx(expect.host_tx_ns)
    assert spec.network.host_rx_ns != 5000.0
