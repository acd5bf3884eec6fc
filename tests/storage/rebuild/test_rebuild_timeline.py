"""Failures and rebuilds: resync volume is exactly the lost components' size, rebuild time follows
volume over bandwidth, absent waits for the repair delay while degraded rebuilds at once, a host that
comes back resyncs only what changed, re-protection fails without a spare host, and the foreground
sees the resync."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.storage.iopath import Cluster, Copy, HostDevices, IOPathSpec, Network, ObjectPlacement, Workload
from vnetsim.storage.iopath.defaults import default_device_kinds
from vnetsim.storage.rebuild import WITNESS_HOST, FailureEvent, RebuildCluster, RebuildSpec, object_set, simulate

GB = 1e9


def _cluster(n, rate=10e9, free=100e12, sites=None, racks=None, devices=1, fg=(), inter_site_bps=10e9):
    return RebuildCluster(tuple(sites or [0] * n), tuple(racks or range(n)), devices, (rate,) * n, (free,) * n,
                          tuple(fg), inter_site_bps=inter_site_bps)


LAYOUTS = {
    "raid1-ftt1": dict(kind="raid1", ftt=1),
    "raid1-ftt2": dict(kind="raid1", ftt=2),
    "raid5-3+1": dict(kind="ec", data_fragments=3, parity_fragments=1),
    "raid6-4+2": dict(kind="ec", data_fragments=4, parity_fragments=2),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("failed", [0, 3])
def test_resync_volume_is_the_lost_components_size(name, failed):
    kw = dict(LAYOUTS[name])
    kind = kw.pop("kind")
    sizes = (37 * GB, 255 * GB)
    sets = tuple(object_set(kind, 50 + 7 * i, s, [list(range(8))], devices_per_host=2, **kw)
                 for i, s in enumerate(sizes))
    r = simulate(RebuildSpec(_cluster(8, devices=2), sets, (FailureEvent(100.0, "host", failed),)))
    o = r.outcomes[0]
    lost = sum(float(s.size_bytes[s.hosts == failed].sum()) for s in sets)
    assert lost > 0 and o.resync_bytes == (lost if kind == "raid1" else pytest.approx(lost, rel=1e-14))
    k = 1 if kind == "raid1" else kw["data_fragments"]
    assert o.resync_read_bytes == pytest.approx(k * lost, rel=1e-12)   # an EC fragment is read k times over
    assert o.components_lost == sum(int((s.hosts == failed).sum()) for s in sets)
    assert o.reprotect_impossible_objects == 0 and o.objects_inaccessible == 0
    assert r.timeline[-1].unprotected_objects == 0


def test_device_failure_is_degraded_and_rebuilds_at_once():
    objs = object_set("raid1", 40, 10 * GB, [list(range(4))], ftt=1, devices_per_host=2)
    r = simulate(RebuildSpec(_cluster(4, devices=2), (objs,), (FailureEvent(50.0, "device", 2 * 1 + 1),)))
    o = r.outcomes[0]
    assert o.semantics == "degraded" and o.rebuild_start_s == 50.0 and o.io_stall_s == 0.0
    lost = float(objs.size_bytes[(objs.hosts == 1) & (objs.devices == 1)].sum())
    assert o.resync_bytes == lost > 0


def test_host_failure_is_absent_waits_the_repair_delay_and_stalls():
    objs = object_set("raid1", 40, 10 * GB, [list(range(4))], ftt=1)
    r = simulate(RebuildSpec(_cluster(4), (objs,), (FailureEvent(50.0, "host", 1),)))
    o = r.outcomes[0]
    assert o.semantics == "absent" and o.rebuild_start_s == 50.0 + 3600.0 and o.io_stall_s == 6.0
    assert o.reprotected_s == pytest.approx(o.rebuild_start_s + o.resync_duration_s)


def test_a_host_back_before_the_delay_resyncs_only_what_was_written():
    write_bps = 8e9                   # 1 GB/s over 40 objects: 25 MB/s each
    objs = object_set("raid1", 40, 100 * GB, [list(range(4))], ftt=1, write_bps=write_bps)
    away = 600.0
    r = simulate(RebuildSpec(_cluster(4), (objs,), (FailureEvent(50.0, "host", 1, recover_s=50.0 + away),)))
    o = r.outcomes[0]
    data_comps = int(((objs.hosts == 1) & (objs.copy >= 0)).sum())
    assert o.rebuild_start_s == 50.0 + away
    assert o.resync_bytes == pytest.approx(data_comps * write_bps / 8 / 40 * away, rel=1e-12)
    late = simulate(RebuildSpec(_cluster(4), (objs,), (FailureEvent(50.0, "host", 1, recover_s=50.0 + 7200),)))
    assert late.outcomes[0].resync_bytes == float(objs.size_bytes[objs.hosts == 1].sum())   # rebuilt in full


def test_rebuild_time_is_volume_over_bandwidth():
    # one object, one replica lost: one source reads it, one target writes it, each at its rate
    one = object_set("raid1", 1, 200 * GB, [[0, 1, 2, 3]], ftt=1)
    o = simulate(RebuildSpec(_cluster(4, rate=4e9), (one,), (FailureEvent(0.0, "device", 0),))).outcomes[0]
    assert o.resync_duration_s == pytest.approx(200 * GB * 8 / 4e9, rel=1e-12)
    # a host of 7 lost: no faster than the 6 others' summed bandwidth allows, and close to it
    many = object_set("raid1", 600, 50 * GB, [list(range(7))], ftt=1)
    o = simulate(RebuildSpec(_cluster(7, rate=10e9), (many,), (FailureEvent(0.0, "host", 0),))).outcomes[0]
    floor = (o.resync_bytes + o.resync_read_bytes) * 8 / (6 * 10e9)
    assert floor <= o.resync_duration_s <= 1.25 * floor
    assert o.resync_rate_bps == pytest.approx(o.resync_bytes * 8 / o.resync_duration_s)
    assert o.fabric_bps == pytest.approx(o.resync_read_bytes * 8 / o.resync_duration_s)


def test_throttle_and_adaptive_resync_scale_the_time():
    objs = object_set("raid1", 100, 20 * GB, [list(range(5))], ftt=1)
    ev = (FailureEvent(0.0, "device", 0),)
    free = simulate(RebuildSpec(_cluster(5), (objs,), ev)).outcomes[0].resync_duration_s
    throttled = simulate(RebuildSpec(_cluster(5), (objs,), ev, throttle_bps=512e6)).outcomes[0].resync_duration_s
    assert throttled == pytest.approx(free * 10e9 / 512e6, rel=1e-9)
    busy = _cluster(5, fg=[9.5e9] * 5)          # foreground takes 95 % of each host's bandwidth
    adaptive = simulate(RebuildSpec(busy, (objs,), ev)).outcomes[0].resync_duration_s
    assert adaptive == pytest.approx(free / 0.2, rel=1e-9)       # adaptive resync keeps 20 %
    fixed = simulate(RebuildSpec(busy, (objs,), ev, adaptive=False)).outcomes[0].resync_duration_s
    assert fixed == pytest.approx(free / 0.05, rel=1e-9)         # only the spare 5 %


def test_reprotection_is_impossible_without_a_spare_host():
    objs = object_set("raid1", 30, 10 * GB, [[0, 1, 2]], ftt=1)
    r = simulate(RebuildSpec(_cluster(3), (objs,), (FailureEvent(0.0, "host", 0),)))
    o = r.outcomes[0]
    affected = int((objs.hosts == 0).any(axis=1).sum())
    assert o.reprotect_impossible_objects == affected and o.reprotected_s == np.inf
    assert r.timeline[-1].unprotected_objects == affected and o.objects_inaccessible == 0
    ok = simulate(RebuildSpec(_cluster(4), (object_set("raid1", 30, 10 * GB, [[0, 1, 2, 3]], ftt=1),),
                              (FailureEvent(0.0, "host", 0),))).outcomes[0]
    assert ok.reprotect_impossible_objects == 0 and np.isfinite(ok.reprotected_s)


def test_racks_as_fault_domains_keep_rebuilt_components_apart():
    racks = [0, 0, 1, 1, 2, 2, 3, 3]
    objs = object_set("raid1", 40, 10 * GB, [[0, 2, 4, 6, 1, 3, 5, 7]], ftt=1, spread=False)   # racks apart
    cl = RebuildCluster((0,) * 8, tuple(racks), 1, (10e9,) * 8, (100e12,) * 8, fault_domain="rack")
    r = simulate(RebuildSpec(cl, (objs,), (FailureEvent(0.0, "rack", 0),)))
    assert r.outcomes[0].reprotect_impossible_objects == 0
    o = r.outcomes[0]
    assert o.semantics == "absent" and o.components_lost == int(np.isin(objs.hosts, [0, 1]).sum())


def test_second_failure_before_the_rebuild_loses_objects():
    objs = object_set("raid1", 30, 10 * GB, [list(range(5))], ftt=1)
    r = simulate(RebuildSpec(_cluster(5), (objs,), (FailureEvent(0.0, "host", 0), FailureEvent(60.0, "host", 1))))
    both = int(((objs.hosts == 0) | (objs.hosts == 1)).sum(axis=1).__ge__(2).sum())
    assert r.outcomes[1].objects_inaccessible == both > 0


def test_stretched_site_failure_keeps_objects_and_resyncs_across_the_link():
    objs = object_set("raid1", 60, 50 * GB, [[0, 1, 2], [3, 4, 5]], ftt=0, write_bps=4e9)
    cl = _cluster(6, sites=[0, 0, 0, 1, 1, 1], inter_site_bps=10e9)
    r = simulate(RebuildSpec(cl, (objs,), (FailureEvent(600.0, "site", 1, recover_s=600.0 + 7200),)))
    o = r.outcomes[0]
    assert o.objects_inaccessible == 0 and o.io_stall_s == 6.0
    stale = 60 * min(50 * GB, 4e9 / 8 / 60 * 7200)
    assert o.resync_bytes == pytest.approx(stale) and o.inter_site_bytes == pytest.approx(stale)
    assert o.resync_duration_s == pytest.approx(stale * 8 / 10e9)        # the inter-site link is the bottleneck
    # the witness fails too: a site failure then takes every object down
    r2 = simulate(RebuildSpec(cl, (objs,), (FailureEvent(100.0, "witness"), FailureEvent(200.0, "site", 1))))
    assert r2.outcomes[0].objects_inaccessible == 0 and r2.outcomes[1].objects_inaccessible == 60
    assert (objs.hosts == WITNESS_HOST).sum() == 60


def test_inter_site_link_failure_keeps_the_preferred_site():
    objs = object_set("raid1", 20, 10 * GB, [[0, 1], [2, 3]], ftt=0)
    r = simulate(RebuildSpec(_cluster(4, sites=[0, 0, 1, 1]), (objs,), (FailureEvent(0.0, "inter_site_link"),)))
    o = r.outcomes[0]
    assert o.objects_inaccessible == 0 and o.components_lost == 20


def test_foreground_latency_during_the_resync():
    nvme = default_device_kinds()["nvme"]
    place = tuple(ObjectPlacement((Copy("raid1", (i % 4, (i + 1) % 4)),)) for i in range(8))
    fg = IOPathSpec(Cluster((0,) * 4, (0, 1, 2, 3)), HostDevices(nvme, 1), Network(nic_bps=10e9),
                    (Workload("erp", 0, 20_000, 0.7, place),))
    objs = object_set("raid1", 40, 100 * GB, [[0, 1, 2, 3]], ftt=1)
    spec = RebuildSpec(_cluster(4, rate=8e9), (objs,), (FailureEvent(0.0, "device", 1),), foreground=fg)
    r = simulate(spec, io_duration_s=0.2)
    assert r.foreground_before is not None and r.foreground_during_resync is not None
    before, during = r.foreground_before.groups[0], r.foreground_during_resync.groups[0]
    names = [g.name for g in r.foreground_during_resync.groups]
    assert any(n.startswith("resync-write") for n in names) and any(n.startswith("resync-read") for n in names)
    assert during.writes.mean > before.writes.mean          # the resync queues ahead of foreground writes
    assert max(r.foreground_during_resync.nic_utilisation) > max(r.foreground_before.nic_utilisation)


def test_a_witness_comes_back_in_place_and_a_lost_one_stays_lost():
    objs = object_set("raid1", 10, 10 * GB, [[0, 1], [2, 3]], ftt=0)
    cl = _cluster(4, sites=[0, 0, 1, 1])
    back = simulate(RebuildSpec(cl, (objs,), (FailureEvent(0.0, "witness", recover_s=600.0),)))
    assert back.timeline[1].unprotected_objects == 10 and back.timeline[-1].unprotected_objects == 0
    assert back.outcomes[0].resync_bytes == 0 and back.outcomes[0].objects_inaccessible == 0
    gone = simulate(RebuildSpec(cl, (objs,), (FailureEvent(0.0, "witness"),)))
    assert gone.outcomes[0].reprotect_impossible_objects == 10 and gone.timeline[-1].unprotected_objects == 10


def test_a_site_of_a_large_cluster():
    """64 hosts, 20,000 objects: a site's 60,000 components lost, back after 2 h, every stale one
    resynced over the link from the other site."""
    objs = object_set("raid1", 20_000, 100 * GB, [list(range(32)), list(range(32, 64))], ftt=1, write_bps=8e9)
    cl = _cluster(64, sites=[0] * 32 + [1] * 32)
    r = simulate(RebuildSpec(cl, (objs,), (FailureEvent(0.0, "site", 1, recover_s=7200.0),)))
    o = r.outcomes[0]
    assert o.components_lost == 60_000 and r.timeline[-1].unprotected_objects == 0
    stale = 40_000 * min(100 * GB, 8e9 / 8 / 20_000 * 7200)          # two replicas per object in site 1
    assert o.resync_bytes == pytest.approx(stale) and o.inter_site_bytes == pytest.approx(stale)


def test_bad_rebuild_specs_are_model_errors():
    from vnetsim.errors import ModelError

    objs = object_set("raid1", 4, GB, [[0, 1, 2]], ftt=1)
    with pytest.raises(ModelError, match="no host 7"):
        simulate(RebuildSpec(_cluster(3), (objs,), (FailureEvent(0.0, "host", 7),)))
    with pytest.raises(ModelError, match="recovery after"):
        simulate(RebuildSpec(_cluster(3), (objs,), (FailureEvent(10.0, "host", 1, recover_s=5.0),)))
    with pytest.raises(ModelError, match="hosts in the cluster"):
        simulate(RebuildSpec(_cluster(2), (objs,), ()))
    short = RebuildCluster((0, 0, 0), (0, 1, 2), 1, (1e9,) * 2, (1e12,) * 3)
    with pytest.raises(ModelError, match="one entry per host"):
        simulate(RebuildSpec(short, (objs,), ()))


def test_every_resync_gets_its_own_foreground_run():
    """``every_resync``: a device of host 1 fails, then host 2 for good (rebuilt after the repair
    delay): two resyncs, each with its own foreground run (phase ``during_resync:K`` for the later
    one); the first's is ``foreground_during_resync`` itself, unchanged by the option; without the
    option there are none. The later run is a run of its own spec: what ``prepare`` was handed."""
    from vnetsim.storage.iopath import simulate as io_simulate
    from vnetsim.storage.rebuild.timeline import resync_io_duration_s

    nvme = default_device_kinds()["nvme"]
    place = tuple(ObjectPlacement((Copy("raid1", (i % 5, (i + 1) % 5)),)) for i in range(10))
    fg = IOPathSpec(Cluster((0,) * 5, (0, 1, 2, 3, 4)), HostDevices(nvme, 1), Network(nic_bps=10e9),
                    (Workload("erp", 0, 20_000, 0.7, place),))
    objs = object_set("raid1", 40, 100 * GB, [[0, 1, 2, 3, 4]], ftt=1)
    spec = RebuildSpec(_cluster(5, rate=8e9), (objs,), (FailureEvent(0.0, "device", 1),
                                                        FailureEvent(7200.0, "host", 2)), foreground=fg)
    seen: dict[str, IOPathSpec] = {}

    def prepare(phase, io):
        seen[phase] = io
        return io

    plain = simulate(spec, io_duration_s=0.05)
    every = simulate(spec, io_duration_s=0.05, prepare=prepare, every_resync=True)
    assert plain.foreground_during_resyncs == ()
    assert repr(every.foreground_during_resync) == repr(plain.foreground_during_resync)    # NaN-safe equality
    first, later = every.foreground_during_resyncs
    assert first is every.foreground_during_resync and later is not None
    assert set(seen) == {"before", "after_failure", "during_resync", "during_resync:1"}
    assert repr(later) == repr(io_simulate(seen["during_resync:1"], duration_s=0.05, seed=1))
    # the later resync's spec: host 2 gone (its VMs elsewhere), its own resync pairs as background
    assert [f.host for f in seen["during_resync:1"].failures] == [2]
    assert {w.name for w in seen["during_resync:1"].workloads if w.background} != \
        {w.name for w in seen["during_resync"].workloads if w.background}
    # the I/O bound of a later run: at most that many I/Os, never longer than asked
    io = seen["during_resync:1"]
    iops = sum(w.iops for w in io.workloads)
    assert resync_io_duration_s(io, 1.0, ios=1000) == pytest.approx(1000 / iops)
    assert resync_io_duration_s(io, 1e-4, ios=10**9) == 1e-4
