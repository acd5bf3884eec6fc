"""Fabric benchmarks, measured in one run (numbers, never assertions).

1. Packet level: link hops per second on a 1,000-host spine-leaf (25 racks x 40 hosts, 8 spines),
   storage replication traffic, traffic generation included.
2. Flow level: seconds for a whole run (routes, loads, metrics) on 10,032 hosts (super-spine)
   and 27,648 hosts (k=48 fat-tree).
3. ns.py's fat-tree example workload (examples/fattree.py in the ns.py repository: k=8 fat-tree,
   128 random host pairs, one 1000-byte packet per second per flow, 100 kb/s ports, 1000-packet
   buffers, 1500 s) with FIFO ports (its SimplePacketSwitch; the example's DRR scheduler has no
   counterpart here), side by side with vnetsim on the same workload: store-and-forward, no
   switch latency or propagation, 980 B frames + 20 B wire overhead = 1000 B per packet.

Run: PYTHONPATH=src python benchmarks/bench_fabric.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from vnetsim.fabric.config import FabricScenario
from vnetsim.fabric.packetlevel import PacketRunner
from vnetsim.fabric.routing import build_routing
from vnetsim.fabric.simulate import run_fabric_scenario
from vnetsim.fabric.topology import build_fabric
from vnetsim.fabric.traffic import build_flows, make_flows, packet_source


def packet_run(doc: dict, duration_ns: float, flows=None):
    """Build everything, then time only the packet run (generation + queues + delivery)."""
    s = FabricScenario.model_validate(doc)
    fabric = build_fabric(s.fabric)
    routing = build_routing(fabric, s.seed)
    flows = build_flows(s.fabric, s.traffic, fabric, s.seed) if flows is None else flows(fabric)
    paths, plen = routing.paths(flows.src, flows.dst, flows.key0, flows.key1)
    src = packet_source(flows, duration_ns, s.seed, s.traffic.arrivals, s.traffic.phase)
    runner = PacketRunner(fabric, flows, paths, plen, src, np.zeros(len(flows), np.int64), 1, 3,
                          chunk_packets=s.fabric.engine.chunk_packets)
    t0 = time.perf_counter()
    st = runner.run()
    return st, time.perf_counter() - t0


def bench_packet_1000(quick: bool) -> None:
    doc = {"seed": 1, "fabric": {"topology": "spine_leaf", "racks": 25, "hosts_per_rack": 40},
           "traffic": {"pattern": "replication", "load": 0.4}}
    # compile (or load from the cache) every kernel outside the timing: small chunks, so that held
    # arrivals and merges of several runs happen too
    packet_run({**doc, "fabric": {**doc["fabric"], "engine": {"chunk_packets": 1000}}}, 2e4)
    dur = 1e6 if quick else 5e6
    st, wall = packet_run(doc, dur)
    print(f"packet level, 1,000-host spine-leaf (25x40 hosts, 8 spines), replication at 0.4 load, "
          f"{dur / 1e6:g} ms simulated:")
    print(f"  {st.offered:,} packets, {st.hops:,} link hops, {st.dropped:,} dropped, wall {wall:.3f} s -> "
          f"{st.hops / wall / 1e6:.1f} M hops/s ({st.offered / wall / 1e6:.2f} M packets/s), one core")


def bench_flow_level() -> None:
    cases = [("10,032 hosts, super-spine (209 racks x 48)",
              {"fabric": {"topology": "super_spine", "racks": 209, "hosts_per_rack": 48},
               "traffic": {"pattern": "replication"}}),
             ("27,648 hosts, k=48 fat-tree",
              {"fabric": {"topology": "fat_tree", "fat_tree": {"k": 48}}, "traffic": {"pattern": "replication"}})]
    run_fabric_scenario(cases[0][1])  # compile
    for label, doc in cases:
        t0 = time.perf_counter()
        r = run_fabric_scenario(doc)
        wall = time.perf_counter() - t0
        d = r.data
        print(f"flow level, {label}: {d['traffic']['flows']:,} flows, {d['links']['active']:,} links, "
              f"wall {wall:.2f} s (routes, loads, hop/latency over all host pairs, bisection)")


def ns_py_fattree(k: int, n_flows: int, until_s: float, seed: int):
    """ns.py's fat-tree example with FIFO switches. Returns (delivered packets, link hops, wall s,
    mean latency s, the flows' (src, dst) host indices)."""
    import simpy
    from ns.packet.dist_generator import DistPacketGenerator
    from ns.packet.sink import PacketSink
    from ns.switch.switch import SimplePacketSwitch
    from ns.topos.fattree import build as build_fattree
    from ns.topos.utils import generate_fib, generate_flows

    random.seed(seed)
    env = simpy.Environment()
    ft = build_fattree(k)
    hosts = {n for n in ft.nodes() if ft.nodes[n]["type"] == "host"}
    flows = generate_flows(ft, hosts, n_flows)
    for fid, flow in flows.items():
        flow.pkt_gen = DistPacketGenerator(env, f"flow_{fid}", lambda: 1.0, lambda: 1000, flow_id=fid)
        flow.pkt_sink = PacketSink(env)
    ft = generate_fib(ft, flows)
    for node_id in ft.nodes():
        node = ft.nodes[node_id]
        node["device"] = SimplePacketSwitch(env, k, 100000, 1000, element_id=f"{node_id}")
        node["device"].demux.fib = node["flow_to_port"]
    for node_id in ft.nodes():
        node = ft.nodes[node_id]
        for port, nh in node["port_to_nexthop"].items():
            node["device"].ports[port].out = ft.nodes[nh]["device"]
    for fid, flow in flows.items():
        flow.pkt_gen.out = ft.nodes[flow.src]["device"]
        ft.nodes[flow.dst]["device"].demux.ends[fid] = flow.pkt_sink
    t0 = time.perf_counter()
    env.run(until=until_s)
    wall = time.perf_counter() - t0
    # the sink records each arrival twice (waits and arrivals); count waits. ns.py stamps a packet
    # one inter-arrival time (1 s) before it sends it, so that second is taken off the wait.
    waits = {fid: f.pkt_sink.waits.get(fid, []) for fid, f in flows.items()}
    delivered = sum(len(w) for w in waits.values())
    hops = sum(len(waits[fid]) * (len(f.path) - 1) for fid, f in flows.items())
    mean = float(np.mean([x - 1.0 for w in waits.values() for x in w]))
    first_host = min(hosts)  # hosts are numbered last, edge switch by edge switch: our host order
    pairs = np.array([[f.src - first_host, f.dst - first_host] for f in flows.values()], np.int64)
    return delivered, hops, wall, mean, pairs


def vnetsim_fattree(k: int, pairs: np.ndarray, until_s: float, seed: int):
    """The same workload in vnetsim: synchronized senders, 1000 B on the wire once a second."""
    doc = {"seed": seed, "fabric": {"topology": "fat_tree", "fat_tree": {"k": k, "link_speed": "100kbps"},
                                    "cable_length_m": 0, "switch": {"mode": "store_and_forward", "latency": 0,
                                                                    "buffer": {"kind": "per_port",
                                                                               "per_port": "1MB"}}},
           "traffic": {"pattern": "flows", "arrivals": "constant", "phase": "aligned", "frame_size": "980B",
                       "flows": [{"src": 0, "dst": 1, "rate": "8kbps"}]}}
    st, wall = packet_run(doc, until_s * 1e9, lambda fabric: make_flows(pairs[:, 0], pairs[:, 1], 8000.0, 980, seed))
    return st.delivered, st.hops, wall, float(st.latency.mean) * 1e-9


def bench_ns_py(quick: bool) -> None:
    k, n_flows, until = 8, 128, (300.0 if quick else 1500.0)
    try:
        import ns  # noqa: F401
    except ImportError:
        print("ns.py not installed: skipping the side-by-side (pip install ns.py)")
        return
    d1, h1, w1, m1, pairs = ns_py_fattree(k, n_flows, until, 1)
    vnetsim_fattree(k, pairs, 10.0, 1)  # compile
    d2, h2, w2, m2 = vnetsim_fattree(k, pairs, until, 1)
    r1, r2 = h1 / w1, h2 / w2
    print(f"ns.py fat-tree example workload (k={k}, {n_flows} flows, 1 pkt/s of 1000 B, 100 kb/s links, "
          f"{until:g} s simulated, FIFO ports, same host pairs):")
    print(f"  ns.py 0.4.3 : {d1:,} packets, {h1:,} link hops in {w1:.2f} s -> {r1 / 1e6:.3f} M hops/s, "
          f"mean latency {m1 * 1e3:.1f} ms")
    print(f"  vnetsim     : {d2:,} packets, {h2:,} link hops in {w2:.3f} s -> {r2 / 1e6:.3f} M hops/s, "
          f"mean latency {m2 * 1e3:.1f} ms")
    print(f"  ratio       : {r2 / r1:.0f}x hops per second (paths differ: ns.py picks a random shortest path "
          f"per flow, vnetsim an ECMP hash)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter runs")
    args = ap.parse_args()
    bench_packet_1000(args.quick)
    bench_flow_level()
    bench_ns_py(args.quick)


if __name__ == "__main__":
    main()
