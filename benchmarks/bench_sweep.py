"""Sweep speed-up, measured in one run (figures, never assertions).

A 32-point sweep of the host kind (8 RX-queue and rate settings x 4 replications; every point a
full host run of 6 s of traffic at 1.5 or 3 Mpps, about 1.3 s of CPU) timed four ways, each from
the call to the last stored point, worker start-up included:

1. ``workers=1``: the points one after the other in this process (the baseline);
2. ``workers=2``: the local process pool;
3. a Dask ``LocalCluster`` with 1 worker process, then with 2 (the cluster is started before the
   clock, as a user's cluster would be running already; its workers still load vnetsim and the
   compiled kernels on their first point).

Speed-ups are against the baseline of the same run; the rows of all four must be identical (same
keys, same seeds, same metrics), which the script checks. The target is >= 1.8x with 2 workers
on a 2-core machine: near-linear, start-up amortised over the points.

Run: python benchmarks/bench_sweep.py [--quick] [--duration 6s]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

SCENARIO = {
    "name": "bench sweep", "seed": 11, "duration": "6s", "warmup": "2ms",
    "traffic": {"flows": [{"name": "udp", "count": 1024, "rate": "2Mpps", "size": 256}]},
    "host": {"service": {"mode": "poll"}, "vms": [{"name": "vnf", "guest": {"service": {"mode": "poll"}}}]},
    "sweep": {"replications": 4,
              "grid": [{"path": "host.pnic.rx_queues", "values": [1, 2, 4, 8]},
                       {"path": "traffic.flows.udp.rate", "values": ["1.5Mpps", "3Mpps"]}]},
}


def _comparable(rows: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in ("wall_s", "cpu_s", "finished_at")} for r in rows),
                  key=lambda r: (r["key"], r["row"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="8 points instead of 32")
    ap.add_argument("--duration", default=None, help="simulated time per point (default 6s)")
    args = ap.parse_args()
    from distributed import LocalCluster

    from vnetsim.sweep import sweep

    doc = dict(SCENARIO)
    if args.duration:
        doc["duration"] = args.duration
    if args.quick:
        doc["sweep"] = dict(doc["sweep"], replications=1)
    # compile (or load) the kernels once, so no timing below pays for compilation
    sweep({k: v for k, v in doc.items() if k != "sweep"}, workers=1)

    timings: dict[str, float] = {}
    rows: dict[str, list] = {}
    cpu_per_point: dict[str, float] = {}
    points = 0

    def timed(label: str, **kw) -> None:
        nonlocal points
        start = time.perf_counter()
        res = sweep(doc, **kw)
        timings[label] = time.perf_counter() - start
        rows[label] = _comparable(res.rows)
        points = len(res.points)
        firsts = [r for r in res.rows if r["row"] == 0]
        wall = statistics.median(r["wall_s"] for r in firsts)
        cpu = statistics.median(r["cpu_s"] for r in firsts)
        first = max(r["cpu_s"] for r in firsts)
        cpu_per_point[label] = cpu
        print(f"{label:<22} {timings[label]:7.2f} s  ({res.ran} points; median point {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU in its worker; the slowest, a worker's first, {first:.2f} s CPU)", flush=True)

    print(f"cpus available: {len(os.sched_getaffinity(0))}; load average: {os.getloadavg()[0]:.2f}")
    timed("local, 1 worker", workers=1)
    timed("local, 2 workers", workers=2)
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            timed(f"dask, {n} worker{'s' if n > 1 else ''}", dask=cluster.scheduler_address)
    base = timings["local, 1 worker"]
    print(f"\n{points}-point sweep, speed-up against 1 local worker (target >= 1.8x with 2 workers):")
    for label, t in timings.items():
        print(f"  {label:<22} {t:7.2f} s   x{base / t:.2f}")
    print(f"  dask 2 vs dask 1 workers: x{timings['dask, 1 worker'] / timings['dask, 2 workers']:.2f}")
    print("median CPU per point against 1 local worker (worker overhead, independent of other load):")
    for label, c in cpu_per_point.items():
        print(f"  {label:<22} {c:7.2f} s   x{c / cpu_per_point['local, 1 worker']:.2f}")
    print(f"load average now: {os.getloadavg()[0]:.2f} (wall-clock speed-ups need otherwise idle CPUs)")
    same = all(r == rows["local, 1 worker"] for r in rows.values())
    print(f"identical rows in all four: {same}")


if __name__ == "__main__":
    main()
