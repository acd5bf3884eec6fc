"""Packet level: link queues against closed forms, conservation, drops, chunking, latency rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from vnetsim.fabric.config import FabricConfig
from vnetsim.fabric.metrics import unloaded_latency_ns
from vnetsim.fabric.packetlevel import PacketRunner
from vnetsim.fabric.routing import build_routing
from vnetsim.fabric.simulate import run_fabric_scenario
from vnetsim.fabric.topology import build_fabric
from vnetsim.fabric.traffic import make_flows, packet_source


def _batch_ci(x: np.ndarray, batches: int = 40, level: float = 0.999):
    """Mean and half-width of a confidence interval from batch means (first batch dropped: warm-up)."""
    b = np.array_split(x, batches + 1)[1:]
    means = np.array([v.mean() for v in b])
    half = stats.t.ppf(1 - (1 - level) / 2, batches - 1) * means.std(ddof=1) / np.sqrt(batches)
    return means.mean(), half


def _two_host_run(frames, rate_bps, duration_ns, seed=1):
    """host0 -> host1 through one switch, 10G links; returns waits at the sender's NIC queue."""
    fc = FabricConfig(topology="single_switch", racks=1, hosts_per_rack=2, host={"nic_speed": "10Gbps"})
    fabric = build_fabric(fc)
    routing = build_routing(fabric, seed)
    n = len(frames)
    flows = make_flows(np.zeros(n, np.int64), np.ones(n, np.int64), rate_bps, frames, seed)
    paths, plen = routing.paths(flows.src, flows.dst, flows.key0, flows.key1)
    unl = unloaded_latency_ns(fabric, paths, plen, flows.frame_bytes)
    waits = []

    def hook(dst, pk, horizon):
        assert (dst == 1).all()
        waits.append(pk.t_ns - pk.t0_ns - unl[pk.flow])

    src = packet_source(flows, duration_ns, seed, "poisson")
    st = PacketRunner(fabric, flows, paths, plen, src, np.zeros(n, np.int64), 1, 3, hook, chunk_packets=50_000).run()
    return np.concatenate(waits), st, flows


def test_md1_mean_wait_on_one_link():
    # Poisson arrivals, fixed 1518 B frames (1538 B on the wire) at 10 Gb/s, rho = 0.5:
    # M/D/1 (Pollaczek-Khinchine) Wq = rho * S / (2 (1 - rho)). The switch egress (same speed,
    # cut-through) adds no wait, so latency - unloaded latency is the NIC queue's wait.
    rho = 0.5
    s_ns = 1538 * 8 / 10.0
    waits, st, _ = _two_host_run(np.array([1518]), rho * 10e9, 0.4e9)
    assert st.dropped == 0 and st.delivered == st.offered > 150_000
    mean, half = _batch_ci(waits)
    theory = rho * s_ns / (2 * (1 - rho))
    assert abs(mean - theory) < half, (mean, theory, half)
    assert half < 0.05 * theory  # the test has power: the interval is narrow


def test_mg1_exponential_sizes_on_one_link():
    # Frame sizes drawn from an exponential distribution (M/M/1 up to the 20 B wire overhead);
    # flows are picked with equal probability, so service times are iid from the empirical set:
    # Pollaczek-Khinchine Wq = lambda E[S^2] / (2 (1 - rho)) with the exact empirical moments.
    rng = np.random.default_rng(42)
    frames = np.maximum(1, np.round(rng.exponential(1000.0, 4000))).astype(np.int64)
    wire = frames + 20
    rho = 0.6
    s = wire * 8 / 10.0  # ns at 10 Gb/s
    lam = rho / s.mean()  # packets per ns
    rate = wire * 8 * (lam * 1e9 / len(frames))  # equal packet rate per flow
    waits, st, flows = _two_host_run(frames, rate, 0.25e9)
    assert np.allclose(flows.pps, flows.pps[0])
    mean, half = _batch_ci(waits)
    theory = lam * (s ** 2).mean() / (2 * (1 - rho))
    assert abs(mean - theory) < half, (mean, theory, half)
    assert half < 0.06 * theory


def test_flow_and_packet_levels_agree_on_link_loads(build):
    # Per-link packet counts are Poisson with mean offered_bps * T / wire_bits (superposed
    # Poisson flows on fixed paths); all links within a Bonferroni band of 1e-3 overall.
    b = build({"racks": 4, "hosts_per_rack": 8, "spine": {"count": 4}},
              {"pattern": "replication", "load": 0.3}, seed=5)
    dur = 2e6
    from vnetsim.fabric.flowlevel import hashed_link_loads
    offered = hashed_link_loads(b.fabric.n_links, b.paths, b.plen, b.flows.rate_bps)
    src = packet_source(b.flows, dur, 5)
    st = PacketRunner(b.fabric, b.flows, b.paths, b.plen, src, np.arange(len(b.flows)), len(b.flows)).run()
    assert st.dropped == 0
    expect = offered * dur * 1e-9 / (1538 * 8)
    used = expect > 0
    z = stats.norm.ppf(1 - 1e-3 / (2 * used.sum()))
    dev = np.abs(st.link_accepted[used] - expect[used]) / np.sqrt(expect[used])
    assert dev.max() < z
    assert (st.link_accepted[~used] == 0).all()


def test_result_loads_flow_vs_packet(small_doc):
    small_doc["duration"] = "1ms"
    pk = run_fabric_scenario(small_doc).to_dict()
    small_doc["fabric"]["engine"] = {"level": "flow"}
    fl = run_fabric_scenario(small_doc).to_dict()
    assert pk["level"] == "packet" and fl["level"] == "flow"
    tp, tf = pk["links"]["table"], fl["links"]["table"]
    assert tp["link"] == tf["link"] and tp["offered_bps"] == tf["offered_bps"]
    util = np.array(tp["utilization"])
    off = np.array(tf["offered_utilization"])
    n = off * 1e6 * np.array(tp["speed_bps"]) * 1e-9 / (1538 * 8)  # expected packets per link
    # Poisson noise plus at most a few packets of edge effect at the window's ends
    assert (np.abs(util - off) * n / np.maximum(off, 1e-12) <= 5 * np.sqrt(n) + 3).all()


def test_conservation_and_tail_drops():
    # incast: 8 distinct senders at 0.9 of line rate into one 25G receiver with a 64 KB port buffer
    doc = {"duration": "200us", "seed": 2,
           "fabric": {"racks": 3, "hosts_per_rack": 4, "switch": {"buffer": {"kind": "per_port", "per_port": "64KB"}}},
           "traffic": {"pattern": "incast", "load": 0.9, "incast": {"fan_in": 8}}}
    r = run_fabric_scenario(doc).to_dict()
    p = r["packets"]
    assert p["offered"] == p["delivered"] + p["dropped"] and p["dropped"] > 0
    (link, drops), = r["drops"]["per_link"].items()
    assert link.startswith("leaf") and "->host" in link and drops == p["dropped"]
    # saturated receiver link: it delivers line rate for the run, plus the buffer it drains after
    # the end and what the senders' NIC queues still held (a few microseconds at 0.9 load)
    wire_bits = 1538 * 8
    hi = (25e9 * (200e-6 + 20e-6) + 64e3 * 8) / wire_bits + 1
    lo = 25e9 * (200e-6 - 10e-6) / wire_bits
    assert lo <= p["delivered"] <= hi


def test_same_seed_same_bytes_and_chunking_does_not_matter(small_doc):
    a = run_fabric_scenario(small_doc)
    b = run_fabric_scenario(small_doc)
    assert a.to_json() == b.to_json()
    small_doc["fabric"]["engine"] = {"chunk_packets": 1000}
    c = run_fabric_scenario(small_doc)
    assert c.to_json() == a.to_json()
    d = run_fabric_scenario(small_doc, seed=4)
    assert d.to_json() != a.to_json()


def test_unloaded_latency_by_hand():
    # leaf-spine-leaf, 25G hosts, 100G fabric, 1518 B frames (1538 B wire), 10 m cables at
    # 4.9 ns/m, 500 ns per switch. Serialization: 492.16 ns at 25G, 123.04 ns at 100G.
    s25, s100, hop = 1538 * 8 / 25, 1538 * 8 / 100, 49.0 + 500.0
    for mode, expect in (("cut_through", 2 * s25 + 3 * hop + 49.0),  # only slower egress cuts through
                         ("store_and_forward", 2 * s25 + 2 * s100 + 3 * hop + 49.0)):
        fc = FabricConfig(racks=2, hosts_per_rack=2, switch={"mode": mode})
        f = build_fabric(fc)
        r = build_routing(f, 1)
        fl = make_flows([0], [3], 1e9, 1518, 1)
        p, l = r.paths(fl.src, fl.dst, fl.key0, fl.key1)
        assert l[0] == 4
        assert unloaded_latency_ns(f, p, l, 1518)[0] == pytest.approx(expect, abs=1e-6)
        # a lone packet in the packet run takes exactly that long
        got = []
        src = packet_source(fl, 200e3, 1, "constant")
        PacketRunner(f, fl, p, l, src, np.zeros(1, np.int64), 1, 3,
                     lambda d, pk, h, got=got: got.append(pk.t_ns - pk.t0_ns), chunk_packets=1000).run()
        lat = np.concatenate(got)
        assert len(lat) > 0 and np.allclose(lat, expect, atol=1e-6)


def test_deliveries_are_time_ordered_across_chunks(build):
    b = build({"racks": 4, "hosts_per_rack": 8}, {"pattern": "uniform", "load": 0.5}, seed=3)
    seen = []
    dur = 300e3
    src = packet_source(b.flows, dur, 3, "poisson")
    st = PacketRunner(b.fabric, b.flows, b.paths, b.plen, src, np.zeros(len(b.flows), np.int64), 1, None,
                      lambda d, pk, h: seen.append((d.copy(), pk.t_ns.copy(), pk.flow.copy(), h, pk.t0_ns.copy())),
                      chunk_packets=1000).run()
    t = np.concatenate([s[1] for s in seen])
    assert len(seen) > 5 and (np.diff(t) >= 0).all()
    for k, s in enumerate(seen):          # each call: deliveries before its horizon, later ones after it
        assert (s[1] < s[3]).all()
        if k + 1 < len(seen):
            assert (seen[k + 1][1] >= s[3]).all()
    d = np.concatenate([s[0] for s in seen])
    fl = np.concatenate([s[2] for s in seen])
    assert (b.flows.dst[fl] == d).all()
    # Counts from independent places. Offered: a Poisson count of mean sum(pps) * T (4 sigma).
    lam_t = b.flows.pps.sum() * dur * 1e-9
    assert abs(st.offered - lam_t) < 4 * np.sqrt(lam_t)
    # Nothing is dropped (large shared buffers at half load), so every offered packet is delivered
    # once, and the links into hosts (their FIFO counters) accepted exactly the delivered packets.
    assert st.dropped == 0 and st.delivered == st.offered
    into_host = b.fabric.is_host[b.fabric.link_dst]
    assert st.link_accepted[into_host].sum() == len(t) == st.offered
    # Each delivered packet crossed every link of its flow's path: link hops = sum of path lengths.
    assert st.hops == st.link_accepted.sum() == b.plen[fl].sum()
    # And no packet is faster than its flow's zero-queueing latency (closed form, metrics.py).
    unl = unloaded_latency_ns(b.fabric, b.paths, b.plen, b.flows.frame_bytes)
    lat = t - np.concatenate([s[4] for s in seen])
    assert (lat >= unl[fl] - 1e-6).all() and (lat > unl[fl] + 1.0).any()


def test_valley_routes_are_refused_at_packet_level():
    from vnetsim.errors import ScenarioError
    from vnetsim.fabric.packetlevel import link_levels
    paths = np.array([[0, 1, 2], [1, 2, 0]])  # link 0 feeds 1 feeds 2 feeds 0: a loop over links
    with pytest.raises(ScenarioError, match="flow"):
        link_levels(paths, np.array([3, 3]), 3)
