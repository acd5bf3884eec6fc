"""The I/O path against closed forms and its own accounting: a device queue is M/G/1
(Pollaczek-Khinchine), I/Os are conserved, OSA erasure codes read-modify-write, ESA writes its
RAID-1 performance leg, stretched clusters read locally, failed hosts stall and are skipped."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from vnetsim.errors import ModelError
from vnetsim.storage.iopath import simulate
from vnetsim.storage.iopath.legs import READ, RMW, WRITE
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
    ServiceTime,
    Workload,
)


def _one_device_spec(lam, mean_ns, scv):
    dev = DeviceKind("d", ServiceTime(mean_ns, scv), ServiceTime(mean_ns, scv), queue_depth=1)
    obj = (ObjectPlacement((Copy("raid1", (0,)),)),)
    return IOPathSpec(Cluster((0,), (0,)), HostDevices(dev, 1), Network(), (Workload("vm", 0, lam, 1.0, obj),))


@pytest.mark.parametrize("scv,rho", [(0.25, 0.6), (2.0, 0.5)])
def test_device_queue_is_mg1(scv, rho):
    """Poisson reads at one device with lognormal service: the mean sojourn is Pollaczek-Khinchine's
    E[S] + lam E[S^2] / (2 (1 - rho)); the tolerance is a t interval over independent runs."""
    mean_ns = 50e3
    lam = rho / (mean_ns / 1e9)
    es2 = mean_ns ** 2 * (1 + scv)
    expected = mean_ns + lam / 1e9 * es2 / (2 * (1 - rho))
    runs = 10
    means, utils = [], []
    for seed in range(runs):
        r = simulate(_one_device_spec(lam, mean_ns, scv), duration_s=4.0, seed=seed, warmup_s=0.5)
        means.append(r.groups[0].reads.mean)
        utils.append(r.device_utilisation[0])
    se = np.std(means, ddof=1) / math.sqrt(runs)
    t = stats.t.ppf(0.9995, runs - 1)
    assert abs(np.mean(means) - expected) < t * se, (np.mean(means), expected, se)
    assert se < 0.05 * expected                    # the interval is tight enough to mean something
    se_u = np.std(utils, ddof=1) / math.sqrt(runs)
    assert abs(np.mean(utils) - rho) < t * se_u + 1e-3


def _cluster(n, sites=None):
    return Cluster(tuple(sites or [0] * n), tuple(range(n)))


NVME = DeviceKind("nvme", ServiceTime(80e3, 0.3, 24e9), ServiceTime(25e3, 0.3, 24e9), queue_depth=8)


def test_ios_are_conserved_with_failures_and_work_left_in_flight():
    objs = (ObjectPlacement((Copy("raid1", (1, 2)),)), ObjectPlacement((Copy("raid1", (3,)),)))
    spec = IOPathSpec(_cluster(4), HostDevices(NVME, 2), Network(nic_bps=10e9),
                      (Workload("vm", 0, 50_000, 0.5, objs, block_bytes=(4096, 65536), block_weights=(3, 1)),),
                      failures=(HostFailure(0.05, 3, stall_s=0.1), HostFailure(0.12, 1, stall_s=0.5)))
    for path in ("pipeline", "pipeline-sorted"):
        run = IOPathRun(spec, 5, 0.2, path=path)
        run.run(drain=False)
        c = run.conservation()
        assert c.in_flight > 0 and c.failed > 0 and c.completed > 0     # stalled, failed and done I/Os
        assert c.issued == c.completed + c.in_flight + c.failed
        assert c.legs_issued == c.legs_done + c.legs_in_flight
    done = simulate(spec, duration_s=0.2, seed=5).conservation
    assert done.in_flight == 0 and done.issued == done.completed + done.failed
    # the object on host 3 alone: its I/Os fail once host 3 is declared absent (t = 0.15 s)
    assert done.failed == pytest.approx(50_000 * 0.5 * 0.05, rel=0.1)


def _legs_by_op(run):
    t, r = run.tables, run.routes
    d = run.devices.stats()
    lc = r.leg_class
    return {(w, op): float(d.flow_legs[(t.lc_write[lc] == w) & (t.lc_op[lc] == op)].sum())
            for w in (0, 1) for op in (READ, WRITE, RMW)}


def _writes(run):
    return run.join.histogram(1).count


@pytest.mark.parametrize("k,m", [(3, 1), (4, 2)])
def test_osa_erasure_code_reads_and_writes_data_and_parity_per_small_write(k, m):
    hosts = k + m + 1
    objs = tuple(ObjectPlacement((Copy("ec", tuple((i + j) % hosts for j in range(k + m)), data_fragments=k),))
                 for i in range(hosts))
    spec = IOPathSpec(_cluster(hosts), HostDevices(NVME, 1), Network(),
                      (Workload("vm", 0, 20_000, 0.0, objs),), architecture="osa")
    run = IOPathRun(spec, 1, 0.1)
    run.run()
    legs = _legs_by_op(run)
    assert legs[(1, RMW)] == (1 + m) * _writes(run) and legs[(1, WRITE)] == 0
    # each read-modify-write leg is a read then a write: its service is the sum of both means
    d = run.devices.stats()
    rmw = (run.tables.lc_op[run.routes.leg_class] == RMW)
    per_leg = d.flow_service_ns[rmw].sum() / d.flow_legs[rmw].sum()
    assert per_leg == pytest.approx(80e3 + 25e3 + 2 * 4096 * 8e9 / 24e9, rel=0.03)


def test_esa_writes_go_to_the_raid1_performance_leg():
    objs = (ObjectPlacement((Copy("ec", (0, 1, 2), data_fragments=2, perf_leg=(1, 2)),)),)
    spec = IOPathSpec(_cluster(4), HostDevices(NVME, 1), Network(), (Workload("vm", 0, 20_000, 0.5, objs),))
    run = IOPathRun(spec, 2, 0.1)
    run.run()
    legs = _legs_by_op(run)
    assert legs[(1, WRITE)] == 2 * _writes(run) and legs[(1, RMW)] == 0
    assert legs[(0, READ)] == run.join.histogram(0).count          # a read is one leg


def _stretched(local_reads):
    objs = tuple(ObjectPlacement((Copy("raid1", (i % 2, 2 + i % 2)), Copy("raid1", (4 + i % 2, 6 + i % 2))))
                 for i in range(4))
    return IOPathSpec(_cluster(8, [0, 0, 0, 0, 1, 1, 1, 1]), HostDevices(NVME, 1),
                      Network(inter_site_rtt_ns=2e6), (Workload("vm", 0, 20_000, 0.7, objs),),
                      local_reads=local_reads)


def test_stretched_reads_stay_local_and_writes_cross_the_inter_site_link():
    r = simulate(_stretched(True), duration_s=0.1, seed=3)
    g = r.groups[0]
    assert g.read_stages_ns["inter_site"] == 0 and g.reads.max < 1e6       # never a 2 ms round trip
    assert g.writes.p50 > 2e6                                             # every write waits for site B
    far = simulate(_stretched(False), duration_s=0.1, seed=3).groups[0]
    assert far.reads.p90 > 2e6                                            # some reads go to site B


def test_owner_replica_is_read_locally_in_two_node():
    objs = (ObjectPlacement((Copy("raid1", (0, 1)),)),)
    spec = IOPathSpec(_cluster(2), HostDevices(NVME, 1), Network(), (Workload("vm", 0, 10_000, 1.0, objs),),
                      local_reads=True)
    g = simulate(spec, duration_s=0.05, seed=1).groups[0]
    assert g.read_stages_ns["network"] == 0 and g.read_stages_ns["nic"] == 0


def test_host_failure_stalls_then_writes_skip_the_host():
    objs = (ObjectPlacement((Copy("raid1", (1, 2)),)),)
    spec = IOPathSpec(_cluster(3), HostDevices(NVME, 1), Network(), (Workload("vm", 0, 10_000, 0.0, objs),),
                      failures=(HostFailure(0.05, 2, stall_s=0.02),))
    run = IOPathRun(spec, 4, 0.15)
    run.run()
    g = run.result().groups[0]
    assert 0.019e9 < g.writes.max <= 0.0201e9 + 1e6          # stalled until the host is declared absent
    d = run.devices.stats()
    assert d.legs[2] < d.legs[1]                             # host 2 got no legs after t = 0.07 s
    assert run.conservation().failed == 0


def test_bad_specs_are_model_errors():
    objs = (ObjectPlacement((Copy("raid1", (5,)),)),)
    spec = IOPathSpec(_cluster(2), HostDevices(NVME, 1), Network(), (Workload("vm", 0, 1000, 0.5, objs),))
    with pytest.raises(ModelError, match="outside"):
        simulate(spec, duration_s=0.01, seed=1)
    with pytest.raises(ModelError, match="duration"):
        simulate(_one_device_spec(10, 1e3, 0.1), duration_s=0, seed=1)


def test_normal_quantile_and_lognormal_draws():
    """Acklam's approximation against scipy's quantile; lognormal draws have the mean and SCV asked."""
    from vnetsim.storage.iopath.device import lognormal_draw, normal_quantile

    p = np.concatenate([np.logspace(-12, -1, 50), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-12, -1, 50)])
    got = np.array([normal_quantile(x) for x in p])
    np.testing.assert_allclose(got, stats.norm.ppf(p), rtol=2e-9, atol=1e-12)
    u = (np.arange(200_000) + 0.5) / 200_000            # a quadrature of the uniform
    mean, scv = 80e3, 0.5
    s2 = math.log1p(scv)
    x = np.array([lognormal_draw(math.log(mean) - s2 / 2, math.sqrt(s2), v) for v in u])
    assert x.mean() == pytest.approx(mean, rel=1e-3) and x.var() / x.mean() ** 2 == pytest.approx(scv, rel=1e-2)


@pytest.mark.parametrize("bad,match", [
    (dict(devices=HostDevices(NVME, 0)), "capacity device"),
    (dict(network=Network(nic_bps=0)), "nic_bps"),
    (dict(failures=(HostFailure(0.1, 9),)), "failures"),
])
def test_bad_io_specs_are_model_errors(bad, match):
    import dataclasses

    objs = (ObjectPlacement((Copy("raid1", (0, 1)),)),)
    spec = IOPathSpec(_cluster(2), HostDevices(NVME, 1), Network(), (Workload("vm", 0, 1000, 0.5, objs),))
    with pytest.raises(ModelError, match=match):
        simulate(dataclasses.replace(spec, **bad), duration_s=0.01, seed=1)
