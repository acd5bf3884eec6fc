"""Sweep speed-up, measured in one run (figures, never assertions), beside the machine's ceiling.

A 32-point sweep of the host kind (8 RX-queue and rate settings x 4 replications; every point a
full host run of 6 s of traffic at 1.5 or 3 Mpps, 0.7 to 1.4 s of CPU) timed four ways, each from
the call to the last stored point, worker start-up included:

1. ``workers=1``: the points one after the other in this process (the baseline);
2. ``workers=2``: the local process pool;
3. a Dask ``LocalCluster`` with 1 worker process, then with 2 (the cluster is started before the
   clock, as a user's cluster would be running already; its workers still load vnetsim and the
   compiled kernels on their first point).

The peers, measured in the same run right before the sweeps: how much two processes can get
out of this machine's two CPUs at all.

- ``cpu``: a compiled xorshift loop (registers only: no I/O, no memory traffic) in 1 process,
  then the same loop in each of 2 processes started together; the ceiling is ``2 t1 / t2``. On
  two real cores it is 2.0; two hyper-threads of one core, or vCPUs whose host is busy, give less.
- ``memory``: the same with a compiled sum over a 64 MiB array (more than the caches), for the
  share of the ceiling that memory bandwidth costs when both CPUs stream.

The sweep's speed-up over the cpu ceiling is the sweep's own efficiency: what is left to win
in the sweep itself. Where the time goes in each pooled run comes from ``SweepResult.timeline``:
each worker's start-up (the sweep's call to its first point), the points, the gaps between them
(scheduling, results back, the parent's writes) and its tail (idle while the last point ran).

The rows of all four must be identical (same keys, same seeds, same metrics), which the script
checks. Target: >= 1.8x with 2 workers. Other users' load moves every figure: ``--repeat N``
runs the ceiling and the local sweeps N times and prints the median and the best of each.

Run: VNETSIM_THREADS=1 python benchmarks/bench_sweep.py [--quick] [--duration 6s] [--repeat 3]
[--no-dask]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from collections import defaultdict

import numba
import numpy as np

SCENARIO = {
    "name": "bench sweep", "seed": 11, "duration": "6s", "warmup": "2ms",
    "traffic": {"flows": [{"name": "udp", "count": 1024, "rate": "2Mpps", "size": 256}]},
    "host": {"service": {"mode": "poll"}, "vms": [{"name": "vnf", "guest": {"service": {"mode": "poll"}}}]},
    "sweep": {"replications": 4,
              "grid": [{"path": "host.pnic.rx_queues", "values": [1, 2, 4, 8]},
                       {"path": "traffic.flows.udp.rate", "values": ["1.5Mpps", "3Mpps"]}]},
}
CPU_STEPS = 1_500_000_000       # xorshift steps: about 1.5 s on one idle core
MEMORY_PASSES = 60              # sums over 64 MiB: about 1 s on one idle core
MEMORY_BYTES = 64 << 20


@numba.njit(cache=True, nogil=True)
def _spin(steps):
    """xorshift64 in registers: pure compute."""
    x = np.uint64(88172645463325252)
    acc = np.uint64(0)
    for _ in range(steps):
        x ^= x << np.uint64(13)
        x ^= x >> np.uint64(7)
        x ^= x << np.uint64(17)
        acc += x & np.uint64(1)
    return acc


@numba.njit(cache=True, nogil=True)
def _stream(a, passes):
    """Sum an array larger than the caches, ``passes`` times: memory bandwidth."""
    total = 0.0
    for _ in range(passes):
        for i in range(a.shape[0]):
            total += a[i]
    return total


def _peer_worker(kind: str, barrier, results) -> None:
    """One process of a peer: load the kernel, wait for the others, run, report (start, end, cpu)."""
    if kind == "cpu":
        _spin(1000)
        work = lambda: _spin(CPU_STEPS)  # noqa: E731
    else:
        a = np.ones(MEMORY_BYTES // 8)
        _stream(a[:1000], 1)
        work = lambda: _stream(a, MEMORY_PASSES)  # noqa: E731
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    work()
    results.put((start, time.perf_counter(), time.process_time() - cpu))


def peer(kind: str, procs: int) -> float:
    """Wall time (s) of ``procs`` processes each doing the peer's work, started together."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_peer_worker, args=(kind, barrier, results)) for _ in range(procs)]
    for w in workers:
        w.start()
    spans = [results.get() for _ in workers]
    for w in workers:
        w.join()
    return max(e for _, e, _ in spans) - min(s for s, _, _ in spans)


def ceiling(kind: str) -> tuple[float, float, float]:
    """(1-process time, 2-process time, ceiling speed-up 2 t1 / t2)."""
    t1, t2 = peer(kind, 1), peer(kind, 2)
    return t1, t2, 2.0 * t1 / t2


def _comparable(rows: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in ("wall_s", "cpu_s", "finished_at")} for r in rows),
                  key=lambda r: (r["key"], r["row"]))


def where_the_time_goes(res, workers: int) -> str:
    """Per worker: start-up (the sweep's call to its first point), busy in points, gaps between
    points, tail (idle after its last point while others ran); and the parent's own share."""
    began, ended = res.span
    by_pid: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for pid, s, e in res.timeline:
        by_pid[pid].append((s, e))
    parts = []
    for spans in by_pid.values():
        spans.sort()
        busy = sum(e - s for s, e in spans)
        gaps = sum(b[0] - a[1] for a, b in zip(spans, spans[1:]))
        parts.append(f"start {spans[0][0] - began:4.2f} s, {len(spans):2d} points {busy:5.2f} s, "
                     f"gaps {gaps:4.2f} s, tail {ended - spans[-1][1]:4.2f} s")
    return "; ".join(parts) if len(by_pid) <= workers else f"{len(by_pid)} processes ran points"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="8 points instead of 32")
    ap.add_argument("--duration", default=None, help="simulated time per point (default 6s)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of the ceiling and the local sweeps")
    ap.add_argument("--no-dask", action="store_true", help="leave out the Dask LocalCluster runs")
    args = ap.parse_args()
    from vnetsim.sweep import sweep

    doc = dict(SCENARIO)
    if args.duration:
        doc["duration"] = args.duration
    if args.quick:
        doc["sweep"] = dict(doc["sweep"], replications=1)
    # compile (or load) the kernels once, so no timing below pays for compilation
    sweep({k: v for k, v in doc.items() if k != "sweep"}, workers=1)
    peer("cpu", 1), peer("memory", 1)

    timings: dict[str, list[float]] = defaultdict(list)
    ceilings: dict[str, list[float]] = defaultdict(list)
    rows: dict[str, list] = {}
    points = 0

    def timed(label: str, **kw) -> float:
        nonlocal points
        start = time.perf_counter()
        res = sweep(doc, **kw)
        took = time.perf_counter() - start
        timings[label].append(took)
        rows[label] = _comparable(res.rows)
        points = len(res.points)
        cpu = [r["cpu_s"] for r in res.rows if r["row"] == 0]
        print(f"  {label:<18} {took:7.2f} s  ({res.ran} points, CPU per point in its worker: median "
              f"{statistics.median(cpu):.2f} s, total {sum(cpu):.1f} s)", flush=True)
        n = kw.get("workers") or 2
        if n > 1 or kw.get("dask"):
            print(f"  {'':<18} {where_the_time_goes(res, n)}", flush=True)
        return took

    print(f"cpus available: {len(os.sched_getaffinity(0))}; load average: {os.getloadavg()[0]:.2f}")
    for k in range(args.repeat):
        print(f"round {k + 1} of {args.repeat} (load average {os.getloadavg()[0]:.2f}):")
        for kind in ("cpu", "memory"):
            t1, t2, c = ceiling(kind)
            ceilings[kind].append(c)
            print(f"  peer {kind:<13} 1 process {t1:5.2f} s, 2 processes {t2:5.2f} s: ceiling x{c:.2f}", flush=True)
        one = timed("local, 1 worker", workers=1)
        two = timed("local, 2 workers", workers=2)
        ceilings["sweep"].append(one / two)
        print(f"  sweep speed-up x{one / two:.2f} = {one / two / ceilings['cpu'][-1]:.0%} of this round's "
              f"cpu ceiling", flush=True)
    if not args.no_dask:
        from distributed import LocalCluster

        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                timed(f"dask, {n} worker{'s' if n > 1 else ''}", dask=cluster.scheduler_address)

    def both(xs: list[float], best=min) -> str:
        return f"median {statistics.median(xs):6.2f}, best {best(xs):6.2f}"

    base = statistics.median(timings["local, 1 worker"])
    print(f"\n{points}-point sweep over {args.repeat} round(s) (target >= 1.8x with 2 workers):")
    for label, ts in timings.items():
        speed_up = base / statistics.median(ts)
        print(f"  {label:<18} s: {both(ts)}   speed-up against the median 1 worker: x{speed_up:.2f}")
    print(f"  {'speed-up, local':<18} x: {both(ceilings['sweep'], max)} (each round against its own 1 worker)")
    for kind in ("cpu", "memory"):
        print(f"  {'ceiling, ' + kind:<18} x: {both(ceilings[kind], max)}")
    ratio = [s / c for s, c in zip(ceilings["sweep"], ceilings["cpu"])]
    print(f"  {'sweep / ceiling':<18}   median {statistics.median(ratio):.0%}, best {max(ratio):.0%} "
          "(the sweep's own efficiency on this machine)")
    if not args.no_dask:
        d1, d2 = timings["dask, 1 worker"][0], timings["dask, 2 workers"][0]
        print(f"  dask 2 vs dask 1 workers: x{d1 / d2:.2f}")
    print(f"load average now: {os.getloadavg()[0]:.2f} (wall-clock speed-ups need otherwise idle CPUs)")
    same = all(r == rows["local, 1 worker"] for r in rows.values())
    print(f"identical rows in all runs: {same}")


if __name__ == "__main__":
    main()
