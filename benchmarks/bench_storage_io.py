"""Storage I/O path benchmark: simulated I/Os per CPU second of one core (``time.process_time``, the
best of ``--repeat`` runs: the fair figure on a shared machine) and per wall-clock second, network
hops included, side by side with a plain SimPy event model of the same I/O path in the same run
(figures, never assertions). The issue's target: 5 M I/Os per second per core.

Workload: a 16-host single-site cluster (4 racks), RAID-1 FTT=1 objects (2 replicas) spread over
the hosts, 16 VM groups (one per host), 70 % reads, 4 KiB / 64 KiB blocks, Poisson arrivals; NVMe
devices (2 per host); every remote leg crosses its owner's NIC queue (25 Gb/s) and the fabric
hops; writes fan out to both replicas and complete at the slower one. A second case is a
stretched cluster (8 + 8 hosts, site mirroring, local reads), whose writes also cross the
inter-site link queue. Two more cases run the single-site cluster on a fabric's per-pair times:
their means alone (``pair_ns``), and with each pair's spread (``pair_jitter``: every remote leg
draws its request's and its reply's fabric time), so the spread's cost is the ratio of the two.

vnetsim: ``vnetsim.storage.iopath.simulate`` end to end (I/O generation, fan-out, NIC, inter-site
link and device stages, join, histograms). Peer: SimPy, one process per leg through the same
resources (NIC, link, devices with the same parallelism) and the same join, fed with the same legs
(their generation is not timed for the peer).

``--profile``: where the time goes instead: per case, one run under ``cProfile`` (its own time per
compiled kernel or Python function, in ns per I/O, the biggest first) and one plain run's user and
system CPU time and minor page faults per I/O (fresh memory costs a fault per 4 KiB page).

Run: PYTHONPATH=src python benchmarks/bench_storage_io.py [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import math
import pstats
import resource
import time

import numpy as np
import simpy

from vnetsim.storage.iopath import (
    Cluster,
    Copy,
    HostDevices,
    IOPathSpec,
    Network,
    ObjectPlacement,
    Workload,
    default_device_kinds,
    simulate,
)
from vnetsim.storage.iopath.device import leg_draws, leg_service_ns, leg_uniform
from vnetsim.storage.iopath.legs import LOCAL, MAX_LEGS, OTHER_SITE
from vnetsim.storage.iopath.pathrun import IOPathRun

HOSTS = 16


def single_site(iops_per_group: float) -> IOPathSpec:
    cl = Cluster((0,) * HOSTS, tuple(h // 4 for h in range(HOSTS)))
    objs = tuple(ObjectPlacement((Copy("raid1", (i % HOSTS, (i + 5) % HOSTS)),)) for i in range(64))
    groups = tuple(Workload(f"vm{h}", h, iops_per_group, 0.7, objs, block_bytes=(4096, 65536),
                            block_weights=(0.9, 0.1)) for h in range(HOSTS))
    return IOPathSpec(cl, HostDevices(default_device_kinds()["nvme"], 2), Network(), groups)


def stretched(iops_per_group: float) -> IOPathSpec:
    site = tuple(h // 8 for h in range(HOSTS))
    cl = Cluster(site, tuple(h // 4 for h in range(HOSTS)))
    objs = tuple(ObjectPlacement((Copy("raid1", (i % 8,)), Copy("raid1", (8 + (i + 3) % 8,)))) for i in range(64))
    groups = tuple(Workload(f"vm{h}", h, iops_per_group, 0.7, objs, block_bytes=(4096, 65536),
                            block_weights=(0.9, 0.1)) for h in range(HOSTS))
    return IOPathSpec(cl, HostDevices(default_device_kinds()["nvme"], 2), Network(inter_site_bps=100e9), groups,
                      local_reads=True)


def on_fabric(iops_per_group: float, spread: bool) -> IOPathSpec:
    """``single_site`` with per-pair fabric times (``Network.pair_ns``: 1 hop in a rack, 3 across,
    500 ns each) and, with ``spread``, each pair's spread (``Network.pair_jitter``: the atoms of an
    exponential of mean 1 us around the mean, as a loaded switch port's queue gives), so every
    remote leg draws its request's and its reply's fabric time."""
    spec = single_site(iops_per_group)
    rack = np.array(spec.cluster.rack_of_host)
    pair = np.where(rack[:, None] == rack[None, :], 500.0, 1500.0)
    net = dataclasses.replace(spec.network, pair_ns=pair)
    if spread:
        from vnetsim.storage.iopath.jitter import pair_atoms
        from vnetsim.storage.iopath.spec import PairJitter

        q = -1000.0 * np.log1p(-(np.arange(100_000) + 0.5) / 100_000)     # exponential quantiles
        atoms = np.tile(pair_atoms(q, 500.0), (HOSTS * HOSTS, 1))
        net = dataclasses.replace(net, pair_jitter=PairJitter(np.arange(HOSTS * HOSTS).reshape(HOSTS, HOSTS), atoms))
    return dataclasses.replace(spec, network=net)


def _atom(jitter, pid: int, flow: int) -> float:
    """A leg's draw of the fabric's spread (``jitter.LegJitter``; 0 without one)."""
    if jitter is None or jitter.row_of_flow[flow] < 0:
        return 0.0
    from vnetsim.storage.iopath.jitter import cell_of

    return float(jitter.atoms[jitter.row_of_flow[flow], cell_of(leg_uniform(jitter.key, pid, jitter.direction))])


def time_vnetsim(spec: IOPathSpec, duration_s: float, repeat: int) -> tuple[float, float, int, float]:
    """(I/Os per wall-clock second, per CPU second of this process, I/Os, mean write latency ns),
    best of ``repeat``. The run is single-threaded: CPU seconds are one core's seconds, which is the
    fair figure on a machine other processes share."""
    simulate(spec, duration_s=0.001, seed=1)                   # compile / load kernels outside the timing
    best, best_cpu, n, lat = math.inf, math.inf, 0, 0.0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        r = simulate(spec, duration_s=duration_s, seed=1)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        n = r.conservation.completed
        lat = sum(g.writes.mean * g.writes.count for g in r.groups) / sum(g.writes.count for g in r.groups)
    return n / best, n / best_cpu, n, lat


def simpy_peer(spec: IOPathSpec, duration_s: float) -> tuple[float, float, int, float]:
    """The same I/O path as SimPy processes: (I/Os per wall-clock second, per CPU second, I/Os,
    mean write latency ns)."""
    run = IOPathRun(spec, 1, duration_s)
    legs = run.source.until(math.inf)
    r, dev, net = run.routes, run.devices, spec.network
    out_jitter, back_jitter = getattr(run.nic, "jitter", None), getattr(dev, "reply_jitter", None)
    t_lc, lc = run.tables, run.routes.leg_class
    is_write = t_lc.lc_write[lc]
    rows = list(zip(legs.t_ns.tolist(), legs.pkt_id.tolist(), legs.flow.tolist(), legs.size_bytes.tolist()))
    start, cpu = time.perf_counter(), time.process_time()
    env = simpy.Environment()
    nics = [simpy.Resource(env, 1) for _ in range(spec.cluster.hosts)]
    links = [simpy.Resource(env, 1) for _ in range(2)]
    devices = [simpy.Resource(env, int(dev.depth[d])) for d in range(dev.n_devices)]
    left: dict[int, int] = {}
    last: dict[int, float] = {}
    lat_sum, writes = [0.0], [0]

    def leg(t, pid, flow, wire):
        yield env.timeout(t)
        route = r.route[flow]
        if route != LOCAL:
            with nics[r.nic_queue[flow]].request() as req:
                yield req
                yield env.timeout(wire * 8e9 / net.nic_bps)
            yield env.timeout(r.after_nic_ns[flow] + _atom(out_jitter, pid, flow))
            if route == OTHER_SITE:
                with links[r.site_link[flow]].request() as req:
                    yield req
                    yield env.timeout(wire * 8e9 / net.inter_site_bps)
                yield env.timeout(r.after_link_ns[flow])
        op = int(dev.f_op[flow])
        tier, slot, u1, u2 = leg_draws(dev.key, pid, op, float(dev.f_cache_p[flow]), dev.n_cap, dev.n_cache)
        s = leg_service_ns(op, tier, float(dev.f_block[flow]), dev.mu, dev.sigma, dev.ns_per_byte, u1, u2)
        with devices[int(dev.f_host[flow]) * dev.per_host + (dev.n_cap + slot if tier else slot)].request() as req:
            yield req
            yield env.timeout(s)
        yield env.timeout(dev.f_reply[flow] + _atom(back_jitter, pid, flow))
        io = pid // MAX_LEGS
        last[io] = max(last.get(io, 0.0), env.now)
        left[io] = left.get(io, int(dev_nlegs[flow])) - 1
        if left[io] == 0:
            if is_write[flow]:
                lat_sum[0] += last[io] - t
                writes[0] += 1
            del left[io], last[io]

    dev_nlegs = t_lc.lc_nlegs[lc]
    for row in rows:
        env.process(leg(*row))
    env.run()
    dt, dc = time.perf_counter() - start, time.process_time() - cpu
    n = len({pid // MAX_LEGS for _, pid, _, _ in rows})
    return n / dt, n / dc, n, lat_sum[0] / max(1, writes[0])


def profile(name: str, spec: IOPathSpec, duration_s: float, top: int = 14) -> None:
    """Where one run's CPU time goes: ns per I/O per function (own time, ``cProfile``), then a plain
    run's user / system time and minor page faults per I/O."""
    simulate(spec, duration_s=0.001, seed=1)
    prof = cProfile.Profile()
    r = prof.runcall(simulate, spec, duration_s=duration_s, seed=1)
    n = r.conservation.completed
    st = pstats.Stats(prof)
    rows = sorted(((v[2], v[0], f) for f, v in st.stats.items()), reverse=True)   # type: ignore[attr-defined]
    total = sum(t for t, _, _ in rows)
    print(f"\n{name}: {n:,} I/Os, {r.conservation.legs_done / max(1, n):.2f} legs per I/O, "
          f"{total / n * 1e9:.0f} ns per I/O under the profiler")
    for t, calls, (file, line, func) in rows[:top]:
        where = f"{file.split('/src/')[-1].split('/benchmarks/')[-1]}:{line}({func})"
        print(f"  {t / n * 1e9:7.1f} ns/IO {calls:>6} calls  {where}")
    print(f"  {(total - sum(t for t, _, _ in rows[:top])) / n * 1e9:7.1f} ns/IO in the rest")
    u0 = resource.getrusage(resource.RUSAGE_SELF)
    r = simulate(spec, duration_s=duration_s, seed=1)
    u1 = resource.getrusage(resource.RUSAGE_SELF)
    n = r.conservation.completed
    print(f"  plain run: user {(u1.ru_utime - u0.ru_utime) / n * 1e9:.0f} ns/IO, system "
          f"{(u1.ru_stime - u0.ru_stime) / n * 1e9:.0f} ns/IO, {(u1.ru_minflt - u0.ru_minflt) / n * 1e3:.2f} "
          "minor page faults per 1000 I/Os")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="where the time goes, per case (no peer)")
    args = ap.parse_args()
    iops = 200_000.0                                  # per group: 3.2 M IOPS in the cluster
    duration = 0.5 if args.quick else 2.0
    peer_duration = 0.01 if args.quick else 0.03
    cases = [("single site RAID-1 FTT=1", single_site), ("stretched, site mirroring", stretched),
             ("fabric pair means", lambda x: on_fabric(x, False))]
    if "pair_jitter" in {f.name for f in dataclasses.fields(Network)}:   # absent from trees before it
        cases.append(("fabric pair spread", lambda x: on_fabric(x, True)))
    if args.profile:
        for name, build in cases:
            profile(name, build(iops), duration)
        return
    print(f"{'case':<28}{'vnetsim I/O/s':>15}{'(CPU s)':>13}{'SimPy I/O/s':>13}{'(CPU s)':>10}{'ratio':>7}"
          f"{'I/Os':>12}{'write mean us':>15}{'(peer)':>8}")
    for name, build in cases:
        spec = build(iops)
        fast, fast_cpu, n, lat = time_vnetsim(spec, duration, args.repeat)
        peer, peer_cpu, pn, plat = simpy_peer(spec, peer_duration)
        print(f"{name:<28}{fast:>15,.0f}{fast_cpu:>13,.0f}{peer:>13,.0f}{peer_cpu:>10,.0f}"
              f"{fast_cpu / peer_cpu:>7.0f}{n:>12,}{lat / 1e3:>15.1f}{plat / 1e3:>8.1f}")
    print("I/O/s: I/Os simulated (issued and completed, every network hop and device visit included) per "
          "wall-clock second and per CPU second of this process (one core); ratio: per CPU second.")


if __name__ == "__main__":
    main()
