"""The I/O path against its SimPy reference, I/O for I/O: a write completes at the slowest of its
legs, every stage (NIC, inter-site link, devices with several servers, failure stalls) queues as
specified, and the join's histograms hold exactly those latencies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from iopath_ref import as_array, completions_of, legs_of, reference_completions

from vnetsim.storage.iopath.jitter import JITTER_ATOMS, clip_atoms
from vnetsim.storage.iopath.legs import MAX_LEGS
from vnetsim.storage.iopath.pathrun import IOPathRun
from vnetsim.storage.iopath.spec import (
    Cluster,
    Copy,
    DeviceKind,
    HostDevices,
    HostFailure,
    IOPathSpec,
    Network,
    ObjectPlacement,
    PairJitter,
    ServiceTime,
    Workload,
)

FAST = DeviceKind("fast", ServiceTime(50e3, 0.5, 8e9), ServiceTime(30e3, 0.5, 8e9), queue_depth=2)
SLOW = DeviceKind("slow", ServiceTime(60e3, 1.0, 2e9), ServiceTime(40e3, 1.0, 2e9), queue_depth=1)
NET = Network(nic_bps=5e9, host_tx_ns=3000, host_rx_ns=2000, hop_ns=700, inter_site_bps=2e9,
              inter_site_rtt_ns=200e3)
BLOCKS = dict(block_bytes=(4096, 16384, 65536), block_weights=(0.6, 0.3, 0.1))


def _objects(make, n=6):
    return tuple(ObjectPlacement(make(i)) for i in range(n))


def single_site_raid1(hosts=5):
    cl = Cluster(tuple([0] * hosts), tuple(h // 2 for h in range(hosts)))
    objs = _objects(lambda i: (Copy("raid1", (i % hosts, (i + 1) % hosts, (i + 3) % hosts)),))
    w = (Workload("a", 0, 30_000, 0.6, objs, interarrival_scv=2.0, **BLOCKS),
         Workload("b", 2, 15_000, 0.3, objs[:3], **BLOCKS))
    return IOPathSpec(cl, HostDevices(FAST, 2), NET, w)


def osa_raid5():
    cl = Cluster((0,) * 5, (0, 0, 1, 1, 2))
    objs = _objects(lambda i: (Copy("ec", tuple((i + j) % 5 for j in range(4)), data_fragments=3),))
    w = (Workload("erp", 1, 20_000, 0.5, objs, **BLOCKS),)
    return IOPathSpec(cl, HostDevices(FAST, 1, cache=SLOW, cache_count=1, read_cache_bytes=50e9), NET, w,
                      architecture="osa")


def esa_raid5_perf_leg():
    cl = Cluster((0,) * 4, (0, 1, 2, 3))
    objs = _objects(lambda i: (Copy("ec", tuple((i + j) % 4 for j in range(3)), data_fragments=2,
                                    perf_leg=((i + 1) % 4, (i + 3) % 4)),))
    w = (Workload("erp", 0, 25_000, 0.7, objs, **BLOCKS),)
    return IOPathSpec(cl, HostDevices(FAST, 2), NET, w, architecture="esa")


def stretched_with_failure():
    cl = Cluster((0, 0, 0, 1, 1, 1), (0, 0, 1, 2, 2, 3))
    objs = _objects(lambda i: (Copy("raid1", (i % 3, (i + 1) % 3)), Copy("raid1", (3 + i % 3, 3 + (i + 2) % 3))))
    w = (Workload("site-a", 0, 20_000, 0.7, objs, **BLOCKS), Workload("site-b", 4, 10_000, 0.5, objs, **BLOCKS))
    return IOPathSpec(cl, HostDevices(FAST, 1), NET, w, local_reads=True,
                      failures=(HostFailure(0.01, 1, stall_s=0.004),))


def raid1_on_a_jittery_fabric():
    """``single_site_raid1`` with measured pair times and a spread for most pairs (skewed atoms,
    some clipped at ``-pair_ns``; pair (0, 1) without a spread keeps its fixed time)."""
    spec = single_site_raid1()
    n = spec.cluster.hosts
    rng = np.random.default_rng(3)
    pair = rng.uniform(2_000, 9_000, (n, n))
    row = np.arange(n * n).reshape(n, n)
    row[0, 1] = -1
    atoms = rng.exponential(4_000, (n * n, JITTER_ATOMS))
    atoms = np.stack([clip_atoms(a - a.mean(), p) for a, p in zip(atoms, pair.reshape(-1))])
    net = dataclasses.replace(NET, pair_ns=pair, pair_jitter=PairJitter(row, atoms))
    return dataclasses.replace(spec, network=net)


CASES = {"raid1": single_site_raid1, "raid1-jitter": raid1_on_a_jittery_fabric,
         "osa-raid5": osa_raid5, "esa-raid5": esa_raid5_perf_leg,
         "stretched-failure": stretched_with_failure}


def _recorded_run(spec, seed, duration_s, chunk_legs):
    run = IOPathRun(spec, seed, duration_s, path="pipeline-sorted")
    emitted, delivered = [], []
    split_until = run.source.split_until

    def record_until(h):
        local, remote = split_until(h)
        emitted.extend([local, remote])
        return local, remote

    run.source.split_until = record_until
    join = run.pipe.nodes[-1].obj

    def record_join(packets, h):
        delivered.append(packets)
        join(packets, h)

    run.pipe.nodes[-1].obj = record_join
    run.run(drain=True, chunk_legs=chunk_legs)
    return run, emitted, delivered


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_io_completes_when_the_reference_says(case):
    spec = CASES[case]()
    run, emitted, delivered = _recorded_run(spec, seed=7, duration_s=0.03, chunk_legs=512)
    ref = reference_completions(run, legs_of(emitted))
    fast = completions_of(delivered)
    assert len(ref) > 500 and sorted(ref) == sorted(fast)
    np.testing.assert_allclose(as_array(fast), as_array(ref), rtol=1e-12, atol=1e-6)
    # the join's histograms hold exactly these latencies: count, mean, max per group and kind
    issue = {}
    for p in emitted:
        issue.update(zip((p.pkt_id // MAX_LEGS).tolist(), p.t0_ns.tolist()))
    lat = {io: ref[io] - issue[io] for io in ref}
    t, r = run.tables, run.routes
    hist_of_io = {}
    for p in emitted:
        lc = r.leg_class[p.flow]
        hist_of_io.update(zip((p.pkt_id // MAX_LEGS).tolist(), (t.lc_group[lc] * 2 + t.lc_write[lc]).tolist()))
    for h in range(2 * len(spec.workloads)):
        mine = np.array([lat[io] for io in lat if hist_of_io[io] == h])
        got = run.join.histogram(h)
        assert got.count == len(mine)
        if len(mine):
            assert got.mean == pytest.approx(mine.mean(), rel=1e-9)
            assert got.max == pytest.approx(mine.max(), rel=1e-12)


def test_a_write_waits_for_its_slowest_replica():
    """With one replica on a slow remote path, writes take that path's time; reads from the owner
    replica do not."""
    spec = single_site_raid1()
    run, emitted, delivered = _recorded_run(spec, seed=3, duration_s=0.02, chunk_legs=4096)
    legs_back: dict[int, list[float]] = {}
    for p in delivered:
        for tt, pid in zip(p.t_ns.tolist(), p.pkt_id.tolist()):
            legs_back.setdefault(pid // MAX_LEGS, []).append(tt)
    fast = completions_of(delivered)
    multi = [io for io, v in legs_back.items() if len(v) == 3]
    assert multi and all(fast[io] == max(legs_back[io]) for io in multi)
    assert any(min(legs_back[io]) < max(legs_back[io]) for io in multi)


@pytest.mark.parametrize("make", [stretched_with_failure, raid1_on_a_jittery_fabric])
def test_results_do_not_depend_on_the_chunk_size(make):
    spec = make()
    a = completions_of(_recorded_run(spec, 11, 0.02, 97)[2])
    b = completions_of(_recorded_run(spec, 11, 0.02, 1 << 16)[2])
    assert a == b


def test_the_jitter_reaches_the_legs():
    """The same run without the spread: most I/Os complete at other times (the draws are applied;
    the reference test above checks they are the right ones)."""
    spec = raid1_on_a_jittery_fabric()
    plain = dataclasses.replace(spec, network=dataclasses.replace(spec.network, pair_jitter=None))
    a = completions_of(_recorded_run(spec, 11, 0.02, 4096)[2])
    b = completions_of(_recorded_run(plain, 11, 0.02, 4096)[2])
    assert a.keys() == b.keys()
    assert sum(a[k] != b[k] for k in a) > 0.5 * len(a)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_join_folded_at_the_devices_gives_each_io_the_same_latency(case):
    """The default path (legs folded into the join at their device, unsorted) against the plain
    stage-contract pipeline: the same histograms, bucket for bucket, the same maxima, the same I/O
    accounting."""
    spec = CASES[case]()
    apart, _, _ = _recorded_run(spec, seed=5, duration_s=0.03, chunk_legs=700)
    other = IOPathRun(spec, 5, 0.03, path="pipeline")
    other.run(chunk_legs=700)
    for h in range(2 * len(spec.workloads)):
        a, b = apart.join.histogram(h), other.join.histogram(h)
        assert a.count > 0 and np.array_equal(a.counts, b.counts)
        assert a.max == b.max and a.mean == pytest.approx(b.mean, rel=1e-12)
    assert apart.conservation() == other.conservation()
    np.testing.assert_allclose(apart.devices.stats().busy_ns, other.devices.stats().busy_ns, rtol=1e-9)
