"""Engine and host-path benchmarks, with a peer measured in the same run.

    python benchmarks/run.py                     # everything, including a 1e9-packet memory run (~3 min)
    python benchmarks/run.py --quick             # smaller sizes (the memory run uses 1e8 packets)
    python benchmarks/run.py --quick --json after.json --baseline before.json

Prints one table (figure, value, peer, ratio to the peer; with ``--baseline``, the figure from an
earlier ``--json`` file and the ratio to it) and asserts nothing: figures are reported, not enforced
by tests. Timed figures are the best of ``--repeat`` runs (other processes share the machine).

1. FIFO M/M/1 (rho = 0.8) and a 3-hop tandem of FIFO links: packet-hops per second, traffic
   generation included, vnetsim (compiled Lindley kernel, chunked) vs ns.py (SimPy) on the same
   workload: Poisson arrivals, exponential packet sizes, links at a fixed bit rate.
2. The whole host path (wire, pNIC ring, host thread + vSwitch, vNIC ring, guest + app, stats):
   simulated packets per wall-clock second on one core.
3. Peak resident memory of a long host-path run (streamed in chunks).
4. Cold start: ``vnetsim run examples/poll-mode.yaml`` with an empty numba cache (every kernel
   compiled), and the same run warm, each in a fresh process; the warm run's time outside
   simulation is the warm run minus the variants' second run inside one process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RHO = 0.8
LINK_BPS = 10e9
MEAN_BYTES = 1000.0
ROOT = Path(__file__).resolve().parents[1]


def vnetsim_fifo(n_packets: int, hops: int, chunk: int = 1 << 20) -> tuple[float, float]:
    """(packet-hops per second, mean sojourn ns of the last hop) for n packets through ``hops`` links."""
    from vnetsim.engine.fifo import lindley_single
    from vnetsim.engine.rng import stream

    rng = stream(1, "bench/fifo")
    mean_service_ns = MEAN_BYTES * 8 / LINK_BPS * 1e9
    mean_gap_ns = mean_service_ns / RHO
    ns_per_byte = 8 / LINK_BPS * 1e9
    lindley_single(np.zeros(4), np.ones(4), 0.0)  # compile outside the timing
    start = time.perf_counter()
    last = [-np.inf] * hops
    t0 = 0.0
    total, sojourn = 0, 0.0
    done = 0
    while done < n_packets:
        n = min(chunk, n_packets - done)
        t = t0 + np.cumsum(rng.standard_exponential(n) * mean_gap_ns)
        t0 = float(t[-1])
        service = rng.standard_exponential(n) * (MEAN_BYTES * ns_per_byte)
        arrive = t
        for h in range(hops):
            dep, last[h] = lindley_single(arrive, service, last[h])
            if h == hops - 1:
                sojourn += float((dep - arrive).sum())
            arrive = dep
        total += n
        done += n
    elapsed = time.perf_counter() - start
    return n_packets * hops / elapsed, sojourn / total


def nspy_fifo(n_packets: int, hops: int) -> tuple[float, float] | None:
    """The same workload in ns.py: DistPacketGenerator -> Port x hops -> PacketSink."""
    try:
        import simpy
        from ns.packet.dist_generator import DistPacketGenerator
        from ns.packet.sink import PacketSink
        from ns.port.port import Port
    except ImportError:
        return None
    random.seed(1)
    mean_service_s = MEAN_BYTES * 8 / LINK_BPS
    gap_s = mean_service_s / RHO
    env = simpy.Environment()
    horizon = n_packets * gap_s
    gen = DistPacketGenerator(env, "src", lambda: random.expovariate(1 / gap_s),
                              lambda: random.expovariate(1 / MEAN_BYTES), finish=horizon, flow_id=0)
    ports = [Port(env, LINK_BPS) for _ in range(hops)]
    sink = PacketSink(env, rec_waits=True, rec_arrivals=False, absolute_arrivals=False, debug=False)
    gen.out = ports[0]
    for a, b in zip(ports, ports[1:]):
        a.out = b
    ports[-1].out = sink
    start = time.perf_counter()
    env.run(until=horizon)
    elapsed = time.perf_counter() - start
    sent = gen.packets_sent
    waits = sink.waits.get(0, [])
    return sent * hops / elapsed, (float(np.mean(waits)) * 1e9 if waits else float("nan"))


HOST_BENCH = {
    "name": "bench",
    "duration": "1s",
    "traffic": {"flows": [{"name": "f", "count": 1024, "rate": "4Mpps", "size": 64}]},
    "host": {"service": {"mode": "poll"},
             "vms": [{"name": "vnf", "guest": {"service": {"mode": "poll"}, "app": {"per_packet": "100cycles"}}}]},
}

HOST_10MPPS = {
    "name": "bench-10mpps",
    "duration": "1s",
    "traffic": {"flows": [{"name": "f", "count": 4096, "rate": "10Mpps", "size": 64}]},
    "host": {"pnic": {"rx_queues": 4},
             "vms": [{"name": "vnf", "vnic": {"queues": 4},
                      "guest": {"vcpus": 4, "service": {"mode": "poll"}, "app": {"per_packet": "100cycles"}}}]},
}


def _ratio(x: float) -> str:
    """A ratio to a peer: whole numbers when large, two decimals below 10."""
    return f"{x:,.0f}x" if x >= 10 else f"{x:.2f}x"


def host_path(doc: dict, duration: str) -> tuple[float, dict]:
    """Simulated packets per wall second for a host scenario, and its headline result."""
    import vnetsim

    vnetsim.run(dict(doc, duration="2ms"))  # compile the kernels outside the timing
    start = time.perf_counter()
    res = vnetsim.run(dict(doc, duration=duration))
    elapsed = time.perf_counter() - start
    v = res.variants[0]
    return v["packets"]["offered"] / elapsed, {"elapsed_s": elapsed, "offered": v["packets"]["offered"],
                                               "p99_ns": v["latency_ns"]["p99"], "dropped": v["packets"]["dropped"]}


# The same host answering every packet (app.respond): wire, receive path, the response's send on the
# same vCPU, the host's TX thread, TX DMA, TX wire, peer (docs/models/host.md, Transmit path).
_ANSWERING_APP = {"per_packet": "100cycles", "respond": {}}
_ANSWERING_GUEST = {"service": {"mode": "poll"}, "app": _ANSWERING_APP}
HOST_BENCH_ROUND_TRIP = {**HOST_BENCH, "name": "bench-round-trip",
                         "host": {"service": {"mode": "poll"}, "vms": [{"name": "vnf", "guest": _ANSWERING_GUEST}]}}


def host_path_per_cpu_s(doc: dict, duration: str) -> tuple[float, dict]:
    """Offered packets (a round trip counts as one) per second of this process's CPU time: per core,
    whatever threads the pipeline runs on."""
    import vnetsim

    vnetsim.run(dict(doc, duration="2ms"))  # compile the kernels outside the timing
    start = time.process_time()
    res = vnetsim.run(dict(doc, duration=duration))
    cpu_s = time.process_time() - start
    return res.variants[0]["packets"]["offered"] / cpu_s, {"cpu_s": cpu_s}


def round_trip_pairs(repeat: int, duration: str) -> tuple[float, dict, float, dict, dict]:
    """The receive-only and the round-trip host path per CPU second, run in turns (one of each per
    repeat, so a shared machine's load drifts over both alike): the best of each, and the ratio
    within each pair (its median and range: the typical ratio, not only best against best)."""
    pairs = [(host_path_per_cpu_s(HOST_BENCH, duration), host_path_per_cpu_s(HOST_BENCH_ROUND_TRIP, duration))
             for _ in range(max(1, repeat))]
    rx, rt = max((p[0] for p in pairs), key=lambda r: r[0]), max((p[1] for p in pairs), key=lambda r: r[0])
    ratios = sorted(b[0] / a[0] for a, b in pairs)
    return rx[0], rx[1], rt[0], rt[1], {"pair_ratio_median": float(np.median(ratios)),
                                        "pair_ratio_range": [ratios[0], ratios[-1]]}


def long_run_child(packets: float) -> None:
    """Run in a child process: a long host-path run; print wall time and peak RSS."""
    import vnetsim

    rate = 10e6
    seconds = packets / rate
    doc = dict(HOST_10MPPS, duration=f"{seconds}s")
    start = time.perf_counter()
    res = vnetsim.run(doc)
    elapsed = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"packets": res.variants[0]["packets"]["offered"], "elapsed_s": elapsed,
                      "peak_rss_mib": rss_kib / 1024}))


def cold_start(cache_dir: str | None) -> float:
    """Wall seconds of ``vnetsim run examples/poll-mode.yaml -q`` in a fresh process; with
    ``cache_dir`` (empty) numba finds nothing cached and compiles every kernel it uses."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    cmd = [sys.executable, "-c", "import sys; from vnetsim.cli.app import main; sys.argv = sys.argv[1:]; main()",
           "vnetsim", "run", str(ROOT / "examples" / "poll-mode.yaml"), "-q"]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def simulation_s() -> float:
    """Seconds the poll-mode example's variants take run a second time in one process: the part of
    a warm run that is simulation (benchmarks/bench_start.py has the whole breakdown)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_start import EXAMPLE, PHASES

    out = subprocess.run([sys.executable, "-c", PHASES, EXAMPLE], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])["second_run"]


def best_of(repeat: int, fn, *args):
    """The run with the highest first value (a rate) out of ``repeat``."""
    return max((fn(*args) for _ in range(max(1, repeat))), key=lambda r: r[0])


class Figures:
    """Collected figures: printed as one table, written as JSON."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def add(self, name: str, value: float, unit: str, peer: str | None = None, peer_value: float | None = None,
            higher_is_better: bool = True, **detail) -> None:
        ratio = value / peer_value if peer_value else None
        self.rows[name] = {"value": value, "unit": unit, "peer": peer, "peer_value": peer_value, "ratio": ratio,
                           "higher_is_better": higher_is_better, "detail": detail}

    def table(self, baseline: dict | None = None) -> str:
        head = ["figure", "value", "peer", "ratio"] + (["before", "after/before"] if baseline else [])
        lines = []
        for name, r in self.rows.items():
            cells = [name, _fmt(r["value"], r["unit"]),
                     f"{r['peer']} {_fmt(r['peer_value'], r['unit'])}" if r["peer_value"] else "-",
                     _ratio(r["ratio"]) if r["ratio"] else "-"]
            if baseline:
                old = baseline.get(name, {}).get("value")
                cells += [_fmt(old, r["unit"]) if old else "-", f"{r['value'] / old:.2f}x" if old else "-"]
            lines.append(cells)
        widths = [max(len(c) for c in col) for col in zip(head, *lines)]
        fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(c) for c in lines])


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit.endswith("/s"):
        return f"{x / 1e6:.3f} M{unit}" if x < 1e6 else f"{x / 1e6:.2f} M{unit}"
    return f"{x:.2f} {unit}"


def machine() -> dict:
    cpu = os.popen("grep -m1 'model name' /proc/cpuinfo").read().split(":")[-1].strip()
    import numba

    return {"cpu": cpu, "cpus": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__,
            "numba": numba.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--repeat", type=int, default=3, help="timed vnetsim figures: best of this many runs")
    ap.add_argument("--json", metavar="OUT", help="write the figures (and the machine) as JSON")
    ap.add_argument("--baseline", metavar="JSON", help="an earlier --json file: adds before and after/before")
    ap.add_argument("--skip", default="", help="comma-separated sections to skip: fifo,host,memory,cold")
    ap.add_argument("--long-child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.long_child:
        long_run_child(args.long_child)
        return
    skip = set(filter(None, args.skip.split(",")))
    n_vn = 2_000_000 if args.quick else 20_000_000
    n_ns = 50_000 if args.quick else 200_000
    info = machine()
    print(f"machine: {info['cpu']}, {info['cpus']} CPUs, Python {info['python']}, numba {info['numba']}; "
          f"one core used; best of {args.repeat}\n")
    figs = Figures()

    if "fifo" not in skip:
        theory_ns = MEAN_BYTES * 8 / LINK_BPS * 1e9 / (1 - RHO)
        for hops, name in ((1, "fifo.mm1"), (3, "fifo.tandem3")):
            vn, vn_soj = best_of(args.repeat, vnetsim_fifo, n_vn, hops)
            ns = nspy_fifo(n_ns, hops)
            figs.add(f"{name}.hops_per_s", vn, "hops/s", "ns.py" if ns else None, ns[0] if ns else None,
                     packets=n_vn, peer_packets=n_ns, mean_sojourn_ns=vn_soj,
                     theory_sojourn_ns=theory_ns if hops == 1 else None)

    if "host" not in skip:
        dur = "0.25s" if args.quick else "1s"
        for doc, name in ((HOST_BENCH, "host.1q_poll_4mpps"), (HOST_10MPPS, "host.4q_interrupt_10mpps")):
            pps, res = best_of(args.repeat, host_path, doc, dur)
            figs.add(f"{name}.packets_per_s", pps, "packets/s", **res)
        rx, rx_res, rt, rt_res, paired = round_trip_pairs(args.repeat, dur)
        figs.add("host.1q_poll_4mpps.round_trips_per_cpu_s", rt, "round trips/s", "receive-only per cpu-s", rx,
                 round_trip_over_receive=rt / rx, receive_only=rx_res, round_trip=rt_res, **paired)
        lo, hi = paired["pair_ratio_range"]
        print(f"round trip / receive-only per CPU second, within each of {args.repeat} pairs: median "
              f"{paired['pair_ratio_median']:.2f}x, {lo:.2f}-{hi:.2f}x")

    if "memory" not in skip:
        packets = 1e8 if args.quick else 1e9
        out = subprocess.run([sys.executable, __file__, "--long-child", str(packets)], capture_output=True, text=True)
        if out.returncode != 0:
            print("memory run failed:", out.stderr.strip().splitlines()[-1:])
        else:
            res = json.loads(out.stdout.strip().splitlines()[-1])
            figs.add("host.long_run.packets_per_s", res["packets"] / res["elapsed_s"], "packets/s", **res)
            figs.add("host.long_run.peak_rss_mib", res["peak_rss_mib"], "MiB", higher_is_better=False,
                     packets=res["packets"])

    if "cold" not in skip:
        with tempfile.TemporaryDirectory() as empty:
            cold = cold_start(empty)
        cold_start(None)                                  # fill the cache if it is empty
        warm = min(cold_start(None) for _ in range(max(1, args.repeat)))
        simulation = min(simulation_s() for _ in range(max(1, args.repeat)))
        figs.add("cold_start.poll_mode_s", cold, "s", higher_is_better=False, note="empty numba cache")
        figs.add("warm_start.poll_mode_s", warm, "s", higher_is_better=False, note="numba cache filled")
        figs.add("warm_start.outside_simulation_s", warm - simulation, "s", higher_is_better=False,
                 note="warm run minus its simulation (the variants rerun in one process); target <= 1 s",
                 simulation_s=simulation)

    baseline = json.loads(Path(args.baseline).read_text())["figures"] if args.baseline else None
    print(figs.table(baseline))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "quick": args.quick, "repeat": args.repeat,
                                               "figures": figs.rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
