"""The scenario's failures mapped onto the rebuild model, and the row's rebuild section."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.config import StorageScenario
from vnetsim.storage.rebuildmap import rebuild_section, rebuild_spec
from vnetsim.storage.sizing import size_cluster


def scenario(failures, **storage) -> StorageScenario:
    st = {"flavor": "single", "hosts": 5, "host": {"devices": "4x3.84TB-nvme"}, "policy": {"raid": "raid1"},
          **storage}
    return StorageScenario.model_validate({
        "storage": st, "failures": failures, "availability": {"enabled": False},
        "options": {"duration": "100ms"},
        "workload": {"vm_groups": [{"name": "db", "vms": 10, "disk": "200GB", "used": 0.5, "iops": 1000}]}})


def spec_of(sc):
    return rebuild_spec(sc, size_cluster(sc))


def test_objects_sizes_and_cluster():
    sc = scenario([{"component": "host", "target": "2", "at": "1min"}])
    spec = spec_of(sc)
    (objs,) = spec.objects
    assert objs.objects == 10 and objs.kind == "raid1"
    assert objs.size_bytes.max() == pytest.approx(100e9)                  # 200 GB disks, half written
    assert (objs.size_bytes > 0).sum(axis=1).tolist() == [2] * 10         # two replicas + a witness each
    (ev,) = spec.failures
    assert (ev.t_s, ev.kind, ev.target, ev.recover_s) == (60.0, "host", 2, float("inf"))
    assert spec.repair_delay_s == 3600 and spec.stall_s == 6 and spec.adaptive
    # every host gives min(25 Gb/s NIC, 4 NVMe x 8 Gb/s) to a resync
    assert spec.cluster.resync_bps == (25e9,) * 5


def test_resync_volume_is_the_lost_components_size():
    """A host that never returns: after the repair delay its components are rebuilt elsewhere; the
    volume is what it held (the rebuild model's own proof is in tests/storage/iopath)."""
    sc = scenario([{"component": "host", "target": "0", "at": "0s"}])
    spec = spec_of(sc)
    (objs,) = spec.objects
    held = objs.size_bytes[objs.hosts == 0].sum()
    (out,) = rebuild_section(sc, size_cluster(sc))["outcomes"]
    assert out["semantics"] == "absent" and out["rebuild_start_s"] == pytest.approx(3600)
    assert out["resync_bytes"] == pytest.approx(held)


@pytest.mark.parametrize("failure, storage, what", [
    ({"component": "host", "target": "9"}, {}, "no host 9"),
    ({"component": "site", "target": "a"}, {}, "has one site"),
    ({"component": "witness"}, {}, "has no witness"),
    ({"component": "device", "target": "1.7"}, {}, "no device 1.7"),
    ({"component": "inter_site_link"}, {}, "inter-site link"),
])
def test_failures_outside_the_cluster_are_one_line(failure, storage, what):
    sc = scenario([failure], **storage)
    with pytest.raises(ModelError, match=what):
        spec_of(sc)


def test_bad_targets_are_schema_errors():
    with pytest.raises(ValueError, match="does not name a site"):
        scenario([{"component": "site", "target": "c"}])
    with pytest.raises(ValueError, match="recover must come after"):
        scenario([{"component": "host", "at": "10min", "recover": "5min"}])


def test_example_a_spare_host_is_what_lets_a_cluster_re_protect():
    """The example's host failure: the single-site cluster (RAID-5 2+1 on 4 hosts: one spare) rebuilds
    what the host held after the 60-minute delay, and its writes are slower during the resync; the
    two-node cluster and the stretched one (RAID-1 FTT 1 on 3 hosts per site) have no spare host
    in the site, so their objects stay unprotected until the host is back."""
    from pathlib import Path

    import vnetsim

    example = Path(__file__).resolve().parents[2] / "examples" / "erp-site-flavors.yaml"
    rows = {r["name"]: r for r in vnetsim.run(str(example)).variants}
    single = rows["single site"]["rebuild"]
    (out,) = single["outcomes"]
    assert out["rebuild_start_s"] == pytest.approx(600 + 3600) and out["reprotect_impossible_objects"] == 0
    assert out["resync_bytes"] > 0 and out["reprotected_s"] > out["rebuild_start_s"]
    assert out["resync_duration_s"] == pytest.approx(out["resync_bytes"] * 8 / out["resync_rate_bps"], rel=1e-6)
    before = single["foreground_before"]["groups"]["erp-db"]["writes"]["p99"]
    during = single["foreground_during_resync"]["groups"]["erp-db"]["writes"]["p99"]
    assert during > before
    for name in ("robo", "stretched"):
        (o,) = rows[name]["rebuild"]["outcomes"]
        assert o["objects_inaccessible"] == 0 and o["reprotect_impossible_objects"] == o["objects_affected"] > 0


def test_racks_as_fault_domains_place_components_on_distinct_racks():
    import numpy as np

    sc = scenario([{"component": "rack", "target": "1", "at": "0s"}], hosts=12, fault_domains=6,
                  policy={"raid": "raid6"})
    spec = spec_of(sc)
    assert spec.cluster.fault_domain == "rack"
    (objs,) = spec.objects
    rack = np.asarray(spec.cluster.rack_of_host)
    racks = rack[objs.hosts]
    assert all(len(set(row)) == 6 for row in racks)              # 4+2 on six racks
    (out,) = rebuild_section(sc, size_cluster(sc))["outcomes"]
    assert out["objects_inaccessible"] == 0                      # a rack takes one fragment of each


def test_the_preferred_site_is_the_one_that_survives_a_partition():
    """The rebuild model keeps its site 0 (with the witness) when the inter-site link fails: the
    preferred site is mapped there, whichever of a and b it is."""
    for preferred, survivor_hosts in (("a", {0, 1, 2}), ("b", {3, 4, 5})):
        sc = scenario([{"component": "inter_site_link", "at": "0s"}, {"component": "site", "target": preferred,
                                                                       "at": "1h"}],
                      flavor="stretched", hosts=3, sites={"preferred": preferred})
        spec = spec_of(sc)
        site0 = {h for h, s in enumerate(spec.cluster.site_of_host) if s == 0}
        assert site0 == survivor_hosts
        assert spec.failures[1].target == 0                 # failing the preferred site is the models' site 0


@pytest.mark.parametrize("storage", [
    {"policy": {"raid": "raid1", "ftt": 1}, "architecture": "osa"},
    {"policy": {"raid": "raid1", "ftt": 2}, "architecture": "osa"},
    {"policy": {"raid": "raid5"}, "architecture": "osa"},
    {"policy": {"raid": "raid6"}, "architecture": "osa", "hosts": 6},
    {"policy": {"raid": "raid1", "ftt": 1}, "architecture": "osa", "flavor": "stretched", "hosts": 3},
    {"policy": {"raid": "raid1", "ftt": 1}, "architecture": "osa", "flavor": "robo", "hosts": 2},
])
def test_components_and_votes_agree_with_the_rebuild_models_objects(storage):
    """Two independent counts of one object's components and votes (the sizing's components.py and
    the rebuild model's placer) agree for objects below 255 GB (OSA: no performance leg)."""
    from vnetsim.storage.components import object_components

    host = {"disk_groups": {"cache": {"capacity": "800GB"}, "capacity": {"count": 4, "capacity": "3.84TB"}},
            "nic": {"speed": "10Gbps"}}
    sc = scenario([{"component": "host", "target": "0"}], host=host, **storage)
    sz = size_cluster(sc)
    (objs,) = rebuild_spec(sc, sz).objects
    oc = object_components(100e9, sz.layout, witness_on_appliance=sc.storage.flavor == "robo")
    assert objs.hosts.shape[1] == oc.total
    assert int(objs.votes[0].sum()) == oc.votes
    assert int((objs.size_bytes[0] > 0).sum()) == oc.data


def test_row_has_the_latency_after_the_failure():
    """The row carries the rebuild model's three foreground runs; after a host is lost the writes
    of a RAID-1 group still complete (the surviving replicas), and the I/Os are conserved."""
    sc = scenario([{"component": "host", "target": "1", "at": "1min"}])
    sec = rebuild_section(sc, size_cluster(sc))
    for part in ("foreground_before", "foreground_after_failure", "foreground_during_resync"):
        io = sec[part]
        assert io is not None and io["groups"]["db"]["writes"]["count"] > 0, part
        c = io["conservation"]
        assert c["issued"] == c["completed"] + c["in_flight"] + c["failed"], part


def _many_objects(failures, raid: str, **storage) -> StorageScenario:
    """8 hosts, 4,000 small disks: a rebuild spreads evenly over the hosts (no I/O-path run)."""
    st = {"flavor": "single", "hosts": 8, "host": {"devices": "4x3.84TB-nvme"}, "policy": {"raid": raid}, **storage}
    return StorageScenario.model_validate({
        "storage": st, "failures": failures, "availability": {"enabled": True}, "options": {"io": False},
        "workload": {"vm_groups": [{"name": "db", "vms": 4000, "disk": "10GB", "used": 0.5, "iops": 1000}]}})


@pytest.mark.parametrize("storage", [{}, {"rebuild": {"throttle": "2Gbps"}},
                                     {"host": {"devices": "2x3.84TB-nvme", "nic": {"speed": "100Gbps"}}}])
def test_availability_and_rebuild_share_one_resync_rate(storage):
    """The availability model's rebuild bandwidth is the rebuild timeline's per-host rate
    (``resync.resync_rates``: capacity less the foreground replication, the adaptive floor, the
    throttle) times the other hosts of the site; a rebuilt byte costs 1 + k bytes of it."""
    from vnetsim.storage.rebuild.resync import host_rates
    from vnetsim.storage.reliability import availability_spec

    for raid, k in (("raid1", 1), ("raid6", 4)):
        sc = _many_objects([{"component": "host", "target": "0"}], raid, **storage)
        sz = size_cluster(sc)
        spec, av = rebuild_spec(sc, sz), availability_spec(sc, sz)
        rates = host_rates(spec.cluster, spec)
        assert np.ptp(rates) == 0 and sz.network.replication_per_host_bps > 0
        assert av.rebuild_bandwidth_bps == pytest.approx(rates[0] * 7, rel=1e-12)
        assert av.rebuild_bytes_per_byte == 1 + k


@pytest.mark.parametrize("raid", ["raid1", "raid5", "raid6"])
def test_a_balanced_host_rebuild_takes_the_availability_models_time(raid):
    """With thousands of small objects the timeline's busiest host carries its even share, so its
    host rebuild takes the availability model's copy time for the same bytes (within 2 %; the
    timeline is never faster: it times the busiest host)."""
    from vnetsim.storage.rebuild import simulate
    from vnetsim.storage.reliability import availability_spec

    sc = _many_objects([{"component": "host", "target": "0"}], raid)
    sz = size_cluster(sc)
    out = simulate(rebuild_spec(sc, sz), seed=sc.seed).outcomes[0]
    ratio = out.resync_duration_s / availability_spec(sc, sz).copy_s(out.resync_bytes)
    assert 1 - 1e-9 <= ratio < 1.02, ratio


def test_every_outcome_keeps_its_resync_plan_and_io_path():
    """Per outcome: its first resync plan and the I/O path while it runs: the outcome's own failed
    hosts gone, and one background write workload per (source, target) pair of its plan at the
    plan's own rate (its bytes over its duration, unpaced), reads at each source adding up."""
    from vnetsim.storage.rebuild import simulate
    from vnetsim.storage.rebuild.timeline import RESYNC_BLOCK_BYTES

    sc = scenario([{"component": "host", "target": "0", "at": "0s"},
                   {"component": "device", "target": "3.1", "at": "24h"}])
    res = simulate(spec_of(sc), seed=sc.seed, io_duration_s=0.001)
    assert len(res.resync_plans) == len(res.resync_io) == 2
    for o, plan, io in zip(res.outcomes, res.resync_plans, res.resync_io):
        assert plan is not None and io is not None and plan.duration_s == o.resync_duration_s
        down = sorted(f.host for f in io.failures)
        assert down == ([0] if o.event.kind == "host" else [])
        writes = {(w.host, w.objects[0].copies[0].hosts[0]): w.iops for w in io.workloads
                  if w.background and w.read_fraction == 0}
        assert set(writes) == set(plan.pair_bytes)
        for p, iops in writes.items():
            assert iops * RESYNC_BLOCK_BYTES == pytest.approx(plan.pair_bytes[p] / plan.duration_s, rel=1e-12)
        reads = {w.host: w.iops for w in io.workloads if w.background and w.read_fraction == 1}
        for src in {s for s, _ in writes}:
            assert reads[src] == pytest.approx(sum(v for p, v in writes.items() if p[0] == src), rel=1e-12)
    assert res.resync_plans[0].pair_bytes != res.resync_plans[1].pair_bytes


def test_a_throttled_rebuild_the_foreground_starves_is_one_error():
    """A throttle turns adaptive resync off: when the foreground replication takes all of a host's
    resync bandwidth, no rebuild would end, and the availability model says so in one line."""
    from vnetsim.storage.run import run_scenario

    sc = StorageScenario.model_validate({
        "storage": {"flavor": "single", "hosts": 8, "host": {"devices": "4x3.84TB-nvme"},
                    "policy": {"raid": "raid1"}, "rebuild": {"throttle": "512Mbps"}},
        "availability": {"enabled": True}, "options": {"io": False},
        "workload": {"vm_groups": [{"name": "db", "vms": 100, "disk": "10GB", "iops": 20000, "block_size": "64KB"}]}})
    with pytest.raises(ModelError) as exc:
        run_scenario(sc)
    assert exc.value.field == "storage.rebuild.throttle" and "never end" in exc.value.what
    adaptive = sc.model_copy(update={"storage": sc.storage.model_copy(update={"rebuild": sc.storage.rebuild.model_copy(
        update={"throttle": None})})})
    spec = run_scenario(adaptive)["availability"]["spec"]
    assert spec["rebuild_bandwidth_bps"] == pytest.approx(0.2 * 25e9 * 7)     # the adaptive floor


def test_resyncs_in_place_do_not_stand_for_a_rebuild():
    """The availability's rebuild classes take their stretch from rebuilds elsewhere: a host back
    before its repair delay (a resync in place) is left out, a device rebuild stands for every
    class then."""
    from vnetsim.storage.reliability import kind_stretches

    sc = scenario([])
    entry = {"stretch": 4.0, "name": "host 1 away", "kind": "host", "in_place": True}
    device = {"stretch": 2.0, "name": "device 2.0", "kind": "device", "in_place": False}
    assert kind_stretches(sc, [entry, None]) == {}
    got = kind_stretches(sc, [entry, None, device])
    assert {c: (v["stretch"], v["from"], v["own"]) for c, v in got.items()} == {
        "device": (2.0, "device 2.0", True), "host": (2.0, "device 2.0", False),
        "fault_domain": (2.0, "device 2.0", False)}
    below = kind_stretches(sc, [{**device, "stretch": 0.3}])
    assert all(v["stretch"] == 1.0 for v in below.values())          # never below host-bound


def test_every_failure_has_the_foreground_latency_of_its_own_resync():
    """Without a fabric too, each outcome carries the VMs' latency while its own first resync runs:
    the first's is the row's ``foreground_during_resync``; a later one is exactly what a run with
    that failure alone gives (host 1 back in place after 30 minutes, then a device of host 3
    rebuilt elsewhere). A failure whose resync never runs has none."""
    host = {"name": "host 1 away", "component": "host", "target": "1", "at": "0s", "recover": "30min"}
    device = {"name": "device 3.0", "component": "device", "target": "3.0", "at": "12h"}
    sc = scenario([host, device])
    rb = rebuild_section(sc, size_cluster(sc))
    first, later = rb["outcomes"]
    assert first["foreground_during_resync"] == rb["foreground_during_resync"]
    assert later["foreground_during_resync"]["groups"]["db"]["writes"]["count"] > 10
    alone_sc = scenario([{**device, "at": "0s"}])
    alone = rebuild_section(alone_sc, size_cluster(alone_sc))
    assert later["foreground_during_resync"] == alone["foreground_during_resync"]
    assert later["foreground_during_resync"] != first["foreground_during_resync"]
    # a stretched cluster's witness: nothing to resync, so no foreground during a resync
    witness = scenario([{"name": "w", "component": "witness", "at": "0s", "recover": "1min"}], flavor="stretched",
                       hosts=6)
    (w,) = rebuild_section(witness, size_cluster(witness))["outcomes"]
    assert w["resync_bytes"] == 0 and w["foreground_during_resync"] is None
