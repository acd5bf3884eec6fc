"""Edge benchmarks, measured in one run (numbers, never assertions).

1. The uplink stage alone: messages per CPU second (one core: ``time.process_time``, best of 3,
   the machine being shared) through ``UplinkStage`` (100 sites, 4 MiB buffers, outages, loss and
   jitter; and without loss and jitter; Poisson messages of 40-1400 bytes generated outside the
   timing, chunks of 262,144), beside a SimPy model of the same queue (FIFO, byte buffer,
   outages) on the same workload, cut to what SimPy finishes in a few seconds.
2. A month (730 h) of a 10,000-sensor deployment at 1 kHz (one site, filter + aggregate +
   compress, its messages simulated one by one through the uplink and the pipeline): wall-clock
   and CPU seconds (``--quick``: a tenth of it).
3. ``--chunk-kernels R``: one chunk of the quick workload (262,144 messages, chunk 4 counting
   from 0) captured with the stage's state before it, and the stage's ``advance`` run on it
   ``R`` times from that state, each compiled step timed: the least and the median CPU ns per message of each. On a
   shared machine the least of many runs of the same work moves least with other tenants; to
   compare two versions, run this alternately from each tree (``PYTHONPATH=<tree>/src``).

Run: PYTHONPATH=src python benchmarks/bench_edge.py [--quick] [--profile] [--chunk-kernels R]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time

import numpy as np

from vnetsim.edge import uplink
from vnetsim.edge.config import EdgeScenario
from vnetsim.edge.simulate import run_edge_scenario
from vnetsim.edge.uplink import UplinkStage
from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets


def workload(n: int, sites: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(1e9 / (sites * 400.0), n))          # 400 messages/s per site
    size = rng.integers(40, 1400, n).astype(np.int32)
    site = rng.integers(0, sites, n).astype(np.int32)
    span = float(t[-1])
    starts = np.sort(rng.uniform(0, span, (sites, 8)), axis=1)
    ends = starts + rng.exponential(2e9, (sites, 8))
    return t, size, site, starts, ends


def vnetsim_rate(n: int, sites: int, chunk: int = 1 << 18, repeat: int = 3, **radio) -> float:
    """Messages per CPU second through the uplink stage alone, chunk by chunk (best of ``repeat``)."""
    t, size, site, starts, ends = workload(n, sites)
    pk = Packets(t, t, size, site, np.arange(n, dtype=np.int64))
    kw = dict(loss=1e-3, latency_ns=4e6, jitter_ns=1e6)
    kw.update(radio)
    best = np.inf
    for _ in range(repeat):
        st = UplinkStage(sites, np.arange(sites), 10e6, 4 * 2**20, starts, ends, **kw)
        st.advance(pk.take(slice(0, 1000)), float(t[999]) + 1)          # compile outside the timing
        c0 = time.process_time()
        for lo in range(1000, n, chunk):
            hi = min(n, lo + chunk)
            st.advance(pk.take(slice(lo, hi)), float(t[hi - 1]) + 1)
        best = min(best, time.process_time() - c0)
    return (n - 1000) / best


def kernel_split(n: int, sites: int, chunk: int = 1 << 18) -> dict[str, float]:
    """CPU ns per message of the compiled steps of ``UplinkStage.advance`` (``jitter_draws``:
    the jitter's ziggurat draws; ``serve``: the queues, loss, outages, counters, the exit times
    and buckets; ``record_waits`` (``LogHistogram.record``): the nonzero waits' histogram;
    ``record_sojourns``: the sojourn histogram; ``place``: the departures scattered into their
    buckets and ordered), summed over the chunks after the first. The stage
    is timed through its own ``advance``, each step wrapped in a timer."""
    t, size, site, starts, ends = workload(n, sites)
    pk = Packets(t, t, size, site, np.arange(n, dtype=np.int64))
    st = UplinkStage(sites, np.arange(sites), 10e6, 4 * 2**20, starts, ends, loss=1e-3, latency_ns=4e6,
                     jitter_ns=1e6)
    spent = dict.fromkeys(STEPS, 0.0)
    st.advance(pk.take(slice(0, chunk)), float(t[chunk - 1]) + 1)
    with timed_steps(spent):
        for lo in range(chunk, n, chunk):
            hi = min(n, lo + chunk)
            st.advance(pk.take(slice(lo, hi)), float(t[hi - 1]) + 1)
    return {k: v / (n - chunk) * 1e9 for k, v in spent.items()}


STEPS = ("jitter_draws", "serve", "record_waits", "record_sojourns", "place")


@contextlib.contextmanager
def timed_steps(spent: dict[str, float]):
    """Wrap the uplink stage's compiled steps (``STEPS``) so that each adds its CPU seconds to
    ``spent`` while the block runs; the steps are put back after it."""
    steps = {k: getattr(uplink, k) for k in STEPS if k != "record_waits"}
    steps["record_waits"] = LogHistogram.record

    def timed(name):
        def call(*args):
            c0 = time.process_time()
            out = steps[name](*args)
            spent[name] += time.process_time() - c0
            return out
        return call

    try:
        for k in STEPS:
            if k == "record_waits":
                LogHistogram.record = timed(k)      # type: ignore[method-assign]
            else:
                setattr(uplink, k, timed(k))
        yield
    finally:
        for k, f in steps.items():
            if k == "record_waits":
                LogHistogram.record = f             # type: ignore[method-assign]
            else:
                setattr(uplink, k, f)


def chunk_kernels(rounds: int, sites: int = 100, chunk: int = 1 << 18, k: int = 4,
                  **radio) -> dict[str, tuple[float, float]]:
    """(least, median) CPU ns per message of each compiled step of ``UplinkStage.advance`` on the
    ``k``-th chunk of the quick workload, run ``rounds`` times from the stage's state before it
    (its per-queue state and rings restored each time)."""
    n = 1000 + (k + 1) * chunk
    t, size, site, starts, ends = workload(2_000_000, sites)
    pk = Packets(t[:n], t[:n], size[:n], site[:n], np.arange(n, dtype=np.int64))
    kw = dict(loss=1e-3, latency_ns=4e6, jitter_ns=1e6)
    kw.update(radio)
    st = UplinkStage(sites, np.arange(sites), 10e6, 4 * 2**20, starts, ends, **kw)
    st.advance(pk.take(slice(0, 1000)), float(t[999]) + 1)
    for lo in range(1000, 1000 + k * chunk, chunk):
        st.advance(pk.take(slice(lo, lo + chunk)), float(t[lo + chunk - 1]) + 1)
    part = pk.take(slice(n - chunk, n))
    horizon = float(t[n - 1]) + 1
    saved = st.state.copy(), st.ring_at.copy(), st.ring.copy()
    per_round: dict[str, list[float]] = {s: [] for s in STEPS}
    for _ in range(rounds):
        st.state[:], st.ring_at[:] = saved[0], saved[1]
        st.ring = saved[2].copy()
        spent = dict.fromkeys(STEPS, 0.0)
        with timed_steps(spent):
            st.advance(part, horizon)
        for s in STEPS:
            per_round[s].append(spent[s] / chunk * 1e9)
    return {s: (min(v), float(np.median(v))) for s, v in per_round.items()}


def simpy_rate(n: int, sites: int) -> float:
    import simpy

    t, size, site, starts, ends = workload(n, sites)
    env = simpy.Environment()
    stores = [simpy.Store(env) for _ in range(sites)]
    backlog = [0.0] * sites
    cap, ns_per_byte = 4 * 2**20, 8e9 / 10e6

    def source():
        for i in range(n):
            yield env.timeout(t[i] - env.now)
            q = site[i]
            if backlog[q] + size[i] <= cap:
                backlog[q] += size[i]
                stores[q].put(i)

    def server(q):
        outs = list(zip(starts[q], ends[q]))
        while True:
            i = yield stores[q].get()
            svc = size[i] * ns_per_byte
            while True:
                down = next((e for s, e in outs if s <= env.now < e), None)
                if down is not None:
                    yield env.timeout(down - env.now)
                    continue
                nxt = min((s for s, _ in outs if s > env.now), default=math.inf)
                if env.now + svc > nxt:
                    yield env.timeout(nxt - env.now)
                    continue
                break
            yield env.timeout(svc)
            backlog[q] -= size[i]

    env.process(source())
    for q in range(sites):
        env.process(server(q))
    c0 = time.process_time()
    env.run()
    return n / (time.process_time() - c0)


MONTH = {"seed": 1, "duration": "730h", "sites": 1,
         "sensors": [{"name": "vibration", "count": 10_000, "sample_rate": "1kHz", "sample_bytes": 2}],
         "events": {"rate": 0.01},
         "edge": {"flush": "1s", "message_bytes": 1200,
                  "stages": [{"kind": "filter", "keep": 0.5, "per_sample": "2ns"},
                             {"kind": "aggregate", "window": "1s", "group": 10, "summary_bytes": 32},
                             {"kind": "compress", "ratio": 2, "per_byte": "5ns"}]},
         "uplink": {"technology": "5g-embb", "outages": {"mean_up": "6h", "mean_down": "2min"}}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--profile", action="store_true", help="also split the uplink stage's CPU time by step")
    ap.add_argument("--chunk-kernels", type=int, default=0, metavar="R",
                    help="only time each compiled step on one captured chunk, R times from the same state")
    a = ap.parse_args()
    if a.chunk_kernels:
        for label, radio in (("outages, loss and jitter", {}), ("no loss, no jitter", dict(loss=0.0, jitter_ns=0.0))):
            res = chunk_kernels(a.chunk_kernels, **radio)
            print(f"one captured chunk (262,144 messages), {label}, {a.chunk_kernels} runs, CPU ns per message "
                  "(least / median): " + ", ".join(f"{k} {lo:.1f} / {med:.1f}" for k, (lo, med) in res.items())
                  + f"; all {sum(lo for lo, _ in res.values()):.1f}")
        return
    n_fast, n_peer = (2_000_000, 50_000) if a.quick else (10_000_000, 200_000)
    peer = simpy_rate(n_peer, 100)
    print(f"uplink stage alone, per core (CPU time; 100 sites, 4 MiB buffers, outages, loss 1e-3, 1 ms jitter): "
          f"SimPy {peer / 1e6:.4f} M messages/s ({n_peer:,} messages)")
    for label, radio in (("outages, loss and jitter", {}), ("no loss, no jitter", dict(loss=0.0, jitter_ns=0.0))):
        fast = vnetsim_rate(n_fast, 100, **radio)
        print(f"  vnetsim, {label}: {fast / 1e6:.2f} M messages/s ({n_fast:,} messages), "
              f"{fast / peer:,.0f}x SimPy; target 50 M/s: {fast / 50e6:.2f} of it")
    if a.profile:
        split = min((kernel_split(n_fast, 100) for _ in range(3)), key=lambda d: sum(d.values()))
        print("  where the time goes (CPU ns per message): "
              + ", ".join(f"{k} {v:.1f}" for k, v in split.items()))
    doc = dict(MONTH, duration="73h") if a.quick else MONTH
    sc = EdgeScenario.model_validate(doc)
    run_edge_scenario(EdgeScenario.model_validate(dict(MONTH, duration="1h")))      # compile outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    row = run_edge_scenario(sc)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    msgs = row["uplink"]["messages"]["in"]
    print(f"deployment: 10,000 sensors at 1 kHz for {sc.duration / 3.6e12:.0f} h "
          f"({row['raw_payload_bytes_per_s'] * sc.duration / 1e9 / 1e12:.1f} TB raw, {msgs:,} uplink messages): "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU ({msgs / cpu / 1e6:.2f} M messages per CPU second end to end; "
          f"target: a month in under 10 s)")


if __name__ == "__main__":
    main()
