"""The fabric's jitter in the I/O path: a frame's fabric time after its source's NIC link is what a
single switch adds (no spread when the source link holds all the queueing), each pair's drawn
fabric times have the measured mean and percentiles, the spread reaches the write-latency p99 on
an oversubscribed fabric while a single-leg read's mean stays, and the draws do not depend on the
legs' order or a second run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_iopath_onfabric import GAP, HDR, PROP_NS, SWITCH_NS, layout, loaded_spec, raid1, spec_of

from vnetsim.storage.iopath import simulate
from vnetsim.storage.iopath.jitter import (
    BODY_P,
    LegJitter,
    cell_edges,
    cell_of,
    drawn_quantile,
    frame_fabric_ns,
    pair_atoms,
)
from vnetsim.storage.iopath.onfabric import (
    FabricPlacement,
    FrameLog,
    _flows,
    _run,
    fabric_document,
    pair_samples,
    run_on_fabric,
)
from vnetsim.storage.iopath.pathrun import IOPathRun
from vnetsim.storage.iopath.spec import DeviceKind, HostDevices, ServiceTime, Workload
from vnetsim.storage.iopath.traffic import message_frames, traffic_matrix

SINGLE = {"topology": "single_switch", "racks": 1, "hosts_per_rack": 8, "host": {"nics": 1, "nic_speed": "25Gbps"}}


def draws(atoms: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """``n`` draws of one pair's atoms through the I/O path's kernel (legs with ids 0..n-1)."""
    t = np.zeros(n)
    LegJitter(np.zeros(1, np.int64), atoms[None, :], seed, 0).add(t, np.arange(n, dtype=np.int64),
                                                                  np.zeros(n, np.int32))
    return t


def logged_run(spec, where, seed, duration_ns):
    """One packet-level fabric run of ``spec``'s traffic with its deliveries logged: (result,
    per-pair samples of the fabric time after the source link)."""
    src, dst, frame, fps = traffic_matrix(spec).frame_arrays()
    flows, _ = _flows(src, dst, frame, fps, np.asarray(where, np.int64))
    log = FrameLog()
    d = _run(fabric_document(SINGLE, flows, duration_ns, seed, "packet"), log)
    n = spec.cluster.hosts
    return d, pair_samples(flows, log, {h: h for h in range(n)}, n, spec.network.nic_bps)


def test_the_source_link_is_taken_out_frame_by_frame():
    """One host writing to one other through a single switch whose port to the target runs at the
    NIC's rate (cut-through): all of the fabric's queueing is at the source's NIC link, so every
    frame's time after it is one switch and two cables, to the nanosecond, while the fabric's
    own per-pair latency spreads (its p99 well above its idle time)."""
    w = Workload("vm", 0, 0.5 / ((8000 + HDR + 18 + GAP) * 8 / 25e9), 0.0, (raid1(1),), (8000,), (1.0,))
    spec = spec_of(2, 2, [w])
    d, samples = logged_run(spec, (0, 1), seed=4, duration_ns=20e6)
    x = samples[(0, 1)]
    assert len(x) > 3_000
    np.testing.assert_allclose(x, SWITCH_NS + 2 * PROP_NS, atol=1e-6)
    i = [k for k in range(len(d["per_pair"]["src"])) if (d["per_pair"]["src"][k], d["per_pair"]["dst"][k]) == (0, 1)]
    assert d["per_pair"]["p99_ns"][i[0]] > d["per_pair"]["unloaded_ns"][i[0]] + 2_000   # the source link's queue
    run = run_on_fabric(spec, [FabricPlacement(SINGLE, (0, 1))], seed=4, level="packet", duration_ns=20e6)
    jit = run.spec.network.pair_jitter
    assert np.abs(jit.atoms_ns[jit.row[0, 1]]).max() < 1e-6          # no spread left to draw


def test_lindley_against_a_plain_queue():
    """``frame_fabric_ns`` against a FIFO written out here: two sources interleaved, frames given
    out of order, each frame's delivery its departure plus a known fabric time."""
    rng = np.random.default_rng(5)
    n = 4000
    src = rng.integers(0, 2, n)
    t0 = np.sort(rng.exponential(3_000, n).cumsum())
    frame = rng.choice([146, 9018], n)
    s = (frame + GAP) * 8 / 25.0
    dep = np.empty(n)
    last = {0: -np.inf, 1: -np.inf}
    for i in range(n):                                   # t0 is sorted: the queue in offer order
        last[src[i]] = max(t0[i], last[src[i]]) + s[i]
        dep[i] = last[src[i]]
    fab = rng.uniform(1_000, 20_000, n)
    perm = rng.permutation(n)
    got = frame_fabric_ns(src[perm], t0[perm], (dep + fab)[perm], frame[perm], 25e9, GAP)
    np.testing.assert_allclose(got, fab[perm], rtol=0, atol=1e-6)


def incast_spec():
    """Seven hosts writing 32 KiB blocks to host 0 through one switch: each source link ~9 %
    busy, the switch's port to host 0 ~65 %: the pair's queueing is at the switch."""
    work = [Workload(f"vm{h}", h, 8_500.0, 0.0, (raid1(0),), (32768,), (1.0,)) for h in range(1, 8)]
    return spec_of(8, 1, work)


def test_the_drawn_fabric_times_have_the_measured_mean_and_percentiles():
    """Per pair of the incast: the drawn times' mean is the pair's ``pair_ns`` within 4 standard
    errors of the draws; their p50 / p90 / p99 / p99.5 lie where the measured sample has them,
    within the atoms' cell (2 % in the body, 0.25 % in the tail) plus 4 standard errors of a
    quantile of the draws
    (sqrt(p (1 - p) / n) in probability), read off the sample's own quantile function; and with
    the frame's serialization the drawn p99 is at most the fabric's measured p99 (which also
    holds the source link's wait) within its geometric bucket (4.4 %): a frame's latency is its
    source-link wait, its serialization (at least the pair's smallest frame's) and its fabric time."""
    spec = incast_spec()
    where = tuple(range(8))
    run = run_on_fabric(spec, [FabricPlacement(SINGLE, where)], seed=6, level="packet", duration_ns=100e6)
    _, samples = logged_run(spec, where, seed=6, duration_ns=100e6)
    net, p = run.spec.network, run.summary["pairs"]
    n = 200_000
    for k in range(len(p["src"])):
        a, b = p["src"][k], p["dst"][k]
        if b != 0:
            continue                                             # the acknowledgements: idle
        x = samples[(a, b)]
        atoms = net.pair_jitter.atoms_ns[net.pair_jitter.row[a, b]]
        np.testing.assert_allclose(atoms, pair_atoms(x, net.pair_ns[a, b]), rtol=0, atol=1e-9)
        t = net.pair_ns[a, b] + draws(atoms, n, seed=k)
        assert abs(t.mean() - net.pair_ns[a, b]) <= 4 * t.std() / np.sqrt(n) + 1e-9
        for q in (0.5, 0.9, 0.99, 0.995):
            cell = np.diff(cell_edges())[0 if q < BODY_P else -1]
            dq = cell + 4 * np.sqrt(q * (1 - q) / n)
            lo, hi = np.quantile(x - x.mean() + net.pair_ns[a, b], [max(q - dq, 0), min(q + dq, 1)])
            assert lo - 1e-6 <= np.quantile(t, q) <= hi + 1e-6, (a, q)
        assert np.quantile(t, 0.99) > net.pair_ns[a, b] + 3_000           # the switch port's queue spreads it
        s_min = min(f + GAP for f, _ in message_frames(32768 + HDR, 9000)) * 8 / 25.0
        shift = net.pair_ns[a, b] - x.mean()         # the mean source-link wait measured less the formula's
        assert np.quantile(t, 0.99) - shift + s_min <= p["p99_ns"][k] * 1.0443 + 1e-6
        assert p["fabric_p99_ns"][k] == pytest.approx(net.pair_ns[a, b] + drawn_quantile(atoms, 0.99))


def _mean_se(run: IOPathRun, h: int) -> tuple[float, float]:
    """Mean and its standard error of join histogram ``h`` (spread from the buckets' midpoints)."""
    hist = run.join.histogram(h)
    nz = np.nonzero(hist.counts)[0]
    mid = np.array([sum(hist.bucket_bounds(int(b))) / 2 for b in nz])
    c = hist.counts[nz].astype(np.float64)
    var = np.average((mid - hist.mean) ** 2, weights=c)
    return hist.mean, float(np.sqrt(var / hist.count))


def test_the_spread_reaches_the_write_p99_and_not_a_reads_mean():
    """The oversubscribed fabric under load (``loaded_spec``, a 4:1 leaf uplink ~80 % busy) with
    fast devices (so the network's tail shows) and a tenth of the I/Os reads: the same seed with
    the pairs' spread and with their means only. The write-latency p99 with the spread lies above
    the means-only run's quantile at 0.99 + 4 sqrt(0.99 x 0.01 / n) (n writes: 4 standard errors
    of a p99 in probability), and the means-only p99 below the spread's quantile at 0.99 minus as
    much (a write waits for the slower of two legs that cross the uplink's queue); a read (one
    leg) keeps its mean within 3 standard errors (the atoms have mean 0); a write's mean can only
    rise (the mean of a max is at least the max of the means)."""
    base = loaded_spec()
    fast = DeviceKind("fast", ServiceTime(8e3, 0.25), ServiceTime(5e3, 0.25), queue_depth=32)
    spec = dataclasses.replace(base, devices=HostDevices(fast, 4),
                               workloads=tuple(dataclasses.replace(w, read_fraction=0.1) for w in base.workloads))
    run = run_on_fabric(spec, [FabricPlacement(layout(2, 4, 1, "8x25G"), tuple(range(8)))], seed=2,
                        target_packets=60_000)
    assert run.spec.network.pair_jitter is not None
    plain = dataclasses.replace(run.spec, network=dataclasses.replace(run.spec.network, pair_jitter=None))
    a, b = IOPathRun(run.spec, 4, 0.4), IOPathRun(plain, 4, 0.4)
    a.run()
    b.run()
    groups = len(spec.workloads)
    wa, wb = merged_histogram(a, groups, 1), merged_histogram(b, groups, 1)
    assert wa.count == wb.count > 20_000
    dq = 4 * np.sqrt(0.99 * 0.01 / wa.count)
    assert wa.quantile(0.99) > wb.quantile(0.99 + dq) and wb.quantile(0.99) < wa.quantile(0.99 - dq)
    for g in range(groups):
        ra, sa = _mean_se(a, 2 * g)
        rb, sb = _mean_se(b, 2 * g)
        assert abs(ra - rb) <= 3 * np.hypot(sa, sb), g
        ma, se = _mean_se(a, 2 * g + 1)
        mb, _ = _mean_se(b, 2 * g + 1)
        assert ma >= mb - 3 * se


def merged_histogram(run: IOPathRun, groups: int, write: int):
    """Every group's read (0) or write (1) histogram merged."""
    out = run.join.histogram(write)
    for g in range(1, groups):
        out.merge(run.join.histogram(2 * g + write))
    return out


def test_the_same_seed_gives_the_same_spread_and_latencies():
    spec = incast_spec()
    runs = [run_on_fabric(spec, [FabricPlacement(SINGLE, tuple(range(8)))], seed=3, level="packet",
                          target_packets=20_000) for _ in range(2)]
    ja, jb = (r.spec.network.pair_jitter for r in runs)
    assert np.array_equal(ja.row, jb.row) and np.array_equal(ja.atoms_ns, jb.atoms_ns)
    a, b = (simulate(r.spec, duration_s=0.01, seed=5) for r in runs)
    assert repr(a) == repr(b)          # NaN fields (no reads) compare by their text


def test_a_uniform_falls_in_its_cell():
    """The kernel's cell of ``u`` is the cell of ``cell_edges`` holding it, a hair (1e-12) either
    side of every edge included (at an edge itself the two differ by their rounding, an event of
    probability 0), and the cells' widths (the atoms' probabilities) sum to 1."""
    edges = cell_edges()
    u = np.concatenate([np.linspace(1e-9, 1 - 1e-9, 100_001), edges[1:-1] + 1e-12, edges[1:-1] - 1e-12])
    want = np.searchsorted(edges, u, side="right") - 1
    got = np.array([cell_of(x) for x in u])
    assert np.array_equal(got, want)
    assert np.diff(edges).sum() == pytest.approx(1.0, abs=1e-12) and (np.diff(edges) > 0).all()


def test_all_pairs_quantiles_in_one_sort_are_numpys_bit_for_bit():
    """``pair_jitter`` takes every pair's cell quantiles in one sort (``cell_quantiles``): bit for bit
    ``np.quantile`` of each pair's samples (one value, two equal, ties, heavy tails), so each row is
    ``pair_atoms`` of its pair."""
    from vnetsim.storage.iopath.jitter import _MIDDLES, cell_quantiles, pair_jitter

    rng = np.random.default_rng(8)
    samples = [rng.exponential(1000.0, int(rng.integers(1, 300))) for _ in range(200)]
    samples += [np.array([5.0]), np.array([1.0, 1.0]), np.array([3.0, -1.0]), np.round(rng.normal(100, 3, 80)),
                rng.pareto(1.5, 1000) * 1e4]
    got = cell_quantiles(samples)
    ref = np.array([np.quantile(s, _MIDDLES) for s in samples])
    assert (got.view(np.int64) == ref.view(np.int64)).all()
    pairs = {(i // 15, i % 15): s for i, s in enumerate(samples)}
    pair_ns = rng.uniform(100.0, 2000.0, (15, 15))
    pj = pair_jitter(15, pairs, pair_ns)
    assert pj is not None
    for k, s in pairs.items():
        assert (pj.atoms_ns[pj.row[k]].view(np.int32) == pair_atoms(s, float(pair_ns[k])).view(np.int32)).all()
