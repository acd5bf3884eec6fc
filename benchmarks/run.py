"""Engine and host-path benchmarks, with a peer measured in the same run.

    python benchmarks/run.py            # everything, including a 1e9-packet memory run (~2-3 min)
    python benchmarks/run.py --quick    # smaller sizes (the memory run uses 1e8 packets)

Prints figures and ratios; asserts nothing (figures are reported, not enforced by tests).
1. FIFO M/M/1 (rho = 0.8) and a 3-hop tandem of FIFO links: packet-hops per second, traffic
   generation included, vnetsim (compiled Lindley kernel, chunked) vs ns.py (SimPy) on the same
   workload: Poisson arrivals, exponential packet sizes, links at a fixed bit rate.
2. The whole host path (wire, pNIC ring, host thread + vSwitch, vNIC ring, guest + app, stats):
   simulated packets per wall-clock second on one core.
3. Peak resident memory of a long host-path run (streamed in chunks).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time

import numpy as np

RHO = 0.8
LINK_BPS = 10e9
MEAN_BYTES = 1000.0


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--long-child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.long_child:
        long_run_child(args.long_child)
        return
    n_vn = 2_000_000 if args.quick else 20_000_000
    n_ns = 50_000 if args.quick else 200_000
    cpu = os.popen("grep -m1 'model name' /proc/cpuinfo").read().split(":")[-1].strip()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; one core used\n")

    print("1. FIFO links, Poisson arrivals, exponential sizes, rho = 0.8 (packet-hops per second)")
    theory_ns = MEAN_BYTES * 8 / LINK_BPS * 1e9 / (1 - RHO)
    for hops in (1, 3):
        vn, vn_soj = vnetsim_fifo(n_vn, hops)
        ns = nspy_fifo(n_ns, hops)
        label = "M/M/1" if hops == 1 else "3-hop tandem"
        print(f"   {label:13s} vnetsim {vn / 1e6:8.1f} M hops/s ({n_vn:,} packets)", end="")
        if ns is None:
            print("   ns.py not installed (pip install ns.py)")
        else:
            print(f" | ns.py {ns[0] / 1e6:6.3f} M hops/s ({n_ns:,} packets) | ratio {vn / ns[0]:,.0f}x")
        if hops == 1:
            print(f"   {'':13s} mean sojourn: vnetsim {vn_soj:.1f} ns, M/M/1 theory {theory_ns:.1f} ns")

    print("\n2. Whole host path (simulated packets per wall-clock second, one core)")
    dur = "0.25s" if args.quick else "1s"
    for doc, label in ((HOST_BENCH, "1 queue, poll host + DPDK guest, 4 Mpps"),
                       (HOST_10MPPS, "4 queues/cores, interrupt host + 4-vCPU DPDK guest, 10 Mpps")):
        pps, info = host_path(doc, dur)
        print(f"   {label}: {pps / 1e6:.2f} M packets/s "
              f"({info['offered']:,} packets in {info['elapsed_s']:.2f} s; p99 {info['p99_ns'] / 1e3:.1f} us)")

    packets = 1e8 if args.quick else 1e9
    print(f"\n3. Memory of a long run ({packets:.0e} packets, 10 Mpps scenario, chunked)")
    out = subprocess.run([sys.executable, __file__, "--long-child", str(packets)], capture_output=True, text=True)
    if out.returncode != 0:
        print("   failed:", out.stderr.strip().splitlines()[-1:])
    else:
        info = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"   {info['packets']:,} packets in {info['elapsed_s']:.1f} s "
              f"({info['packets'] / info['elapsed_s'] / 1e6:.2f} M packets/s); peak RSS {info['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
