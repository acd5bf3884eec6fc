"""Edge benchmarks, measured in one run (numbers, never assertions).

1. The uplink stage: messages per second through ``UplinkStage`` (100 sites, finite buffers,
   outages, loss and jitter; Poisson messages of 40-1400 bytes generated outside the timing),
   beside a SimPy model of the same queue (FIFO, byte buffer, outages) on the same workload, cut
   to what SimPy finishes in a few seconds.
2. A month of a 10,000-sensor deployment at 1 kHz (one site, filter + aggregate + compress, its
   messages simulated one by one through the uplink and the pipeline): wall-clock seconds.

Run: PYTHONPATH=src python benchmarks/bench_edge.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from vnetsim.edge.config import EdgeScenario
from vnetsim.edge.simulate import run_edge_scenario
from vnetsim.edge.uplink import UplinkStage
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


def vnetsim_rate(n: int, sites: int, chunk: int = 1 << 20) -> float:
    t, size, site, starts, ends = workload(n, sites)
    st = UplinkStage(sites, np.arange(sites), 10e6, 4 * 2**20, starts, ends, loss=1e-3, latency_ns=4e6,
                     jitter_ns=1e6)
    pk = Packets(t, t, size, site, np.arange(n, dtype=np.int64))
    st.advance(pk.take(slice(0, 1000)), float(t[999]) + 1)              # compile outside the timing
    t0 = time.perf_counter()
    for lo in range(1000, n, chunk):
        hi = min(n, lo + chunk)
        st.advance(pk.take(slice(lo, hi)), float(t[hi - 1]) + 1)
    return (n - 1000) / (time.perf_counter() - t0)


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
    t0 = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t0)


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
    a = ap.parse_args()
    n_fast, n_peer = (2_000_000, 50_000) if a.quick else (20_000_000, 200_000)
    fast = vnetsim_rate(n_fast, 100)
    peer = simpy_rate(n_peer, 100)
    print(f"uplink stage: vnetsim {fast / 1e6:.2f} M messages/s ({n_fast:,} messages, 100 sites), "
          f"SimPy {peer / 1e6:.4f} M messages/s ({n_peer:,}): {fast / peer:,.0f}x")
    doc = dict(MONTH, duration="73h") if a.quick else MONTH
    sc = EdgeScenario.model_validate(doc)
    t0 = time.perf_counter()
    row = run_edge_scenario(sc)
    wall = time.perf_counter() - t0
    msgs = row["uplink"]["messages"]["in"]
    print(f"deployment: 10,000 sensors at 1 kHz for {sc.duration / 3.6e12:.0f} h "
          f"({row['raw_payload_bytes_per_s'] * sc.duration / 1e9 / 1e12:.1f} TB raw, {msgs:,} uplink messages): "
          f"{wall:.2f} s wall ({msgs / wall / 1e6:.2f} M messages/s end to end)")


if __name__ == "__main__":
    main()
