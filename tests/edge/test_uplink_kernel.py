"""The uplink's compiled pass: departures in (time, id) order with their own columns whatever the
exit buckets hold (clusters, the overflow, ties, exits at infinity), reused departure buffers
never overwrite departures still held downstream, and the result does not depend on chunking."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.edge.uplink import UplinkStage
from vnetsim.engine.packets import Packets


def packets(t: np.ndarray, size: np.ndarray, flow: np.ndarray) -> Packets:
    n = len(t)
    return Packets(np.asarray(t, float), np.asarray(t, float) - 1.0, np.asarray(size, np.int32),
                   np.asarray(flow, np.int32), np.arange(n, dtype=np.int64) * 3 + 7)


def scenarios():
    rng = np.random.default_rng(11)
    n = 30_000
    smooth = np.sort(rng.uniform(0, 3e9, n))
    yield "jitter, 20 sites", smooth, dict(jitter_ns=2e6, latency_ns=1e6), 20, None
    # a burst of back-to-back arrivals on a fast link: thousands of exits per bucket
    burst = np.sort(np.r_[rng.uniform(0, 3e9, n // 2), 1e9 + rng.uniform(0, 1e3, n // 2)])
    yield "clustered exits", burst, dict(jitter_ns=5e3), 1, None
    # long outages: departures far past the chunk's span land in the overflow bucket
    yield "outage overflow", smooth, dict(jitter_ns=1e5, loss=0.01, tcp=True), 4, (
        np.array([[0.5e9, 2.0e9]] * 4), np.array([[1.9e9, 2.9e9]] * 4))
    # an outage that never ends: exits at infinity
    endless = (np.array([[1e9], [np.inf]]), np.array([[np.inf], [np.inf]]))
    yield "endless outage", smooth, dict(jitter_ns=1e5), 2, endless
    # equal exit times: no jitter, every message the same size, arrivals on a grid
    grid = np.repeat(np.arange(n // 10) * 1e6, 10)
    yield "ties", grid, dict(latency_ns=1e6), 10, None


@pytest.mark.parametrize("name,t,radio,sites,outages", list(scenarios()), ids=[s[0] for s in scenarios()])
def test_departures_are_ordered_by_time_then_id_with_their_own_columns(name, t, radio, sites, outages):
    rng = np.random.default_rng(len(name))
    n = len(t)
    size = np.full(n, 500) if name == "ties" else rng.integers(40, 1400, n)
    flow = np.arange(n) % sites if name == "ties" else rng.integers(0, sites, n)
    pk = packets(t, size, flow)
    starts, ends = outages if outages is not None else (np.full((sites, 1), np.inf), np.full((sites, 1), np.inf))
    st = UplinkStage(sites, np.arange(sites), 10e9 if name == "clustered exits" else 20e6, 0, starts, ends,
                     seed=5, **radio)
    outs = []
    for idx in np.array_split(np.arange(n), 3):
        res = st.advance(pk.take(idx), float(t[idx[-1]]) + 1.0)
        d = res.departures
        order = np.lexsort((d.pkt_id, d.t_ns))
        np.testing.assert_array_equal(order, np.arange(len(d)))
        outs.append(d)
    got = Packets(*(np.concatenate([getattr(d, f) for d in outs]) for f in ("t_ns", "t0_ns", "size_bytes", "flow",
                                                                             "pkt_id")))
    by_id = {int(p): k for k, p in enumerate(pk.pkt_id)}
    k = np.array([by_id[int(p)] for p in got.pkt_id])
    assert len(np.unique(k)) == len(k) == st.stats().queues["accepted_messages"].sum() - \
        st.stats().queues["lost_messages"].sum()
    np.testing.assert_array_equal(got.t0_ns, pk.t0_ns[k])
    np.testing.assert_array_equal(got.size_bytes, pk.size_bytes[k])
    np.testing.assert_array_equal(got.flow, pk.flow[k])
    assert (got.t_ns >= pk.t_ns[k]).all()
    if name == "endless outage":
        assert np.isinf(got.t_ns).sum() > 0 and np.isfinite(got.t_ns).sum() > 0


def test_departures_held_downstream_are_not_overwritten():
    rng = np.random.default_rng(2)
    n = 40_000
    t = np.sort(rng.uniform(0, 4e9, n))
    pk = packets(t, rng.integers(40, 1400, n), rng.integers(0, 3, n))
    st = UplinkStage(3, np.arange(3), 20e6, 0, np.full((3, 1), np.inf), np.full((3, 1), np.inf), jitter_ns=1e6)
    chunks = np.array_split(np.arange(n), 8)
    held = st.advance(pk.take(chunks[0]), float(t[chunks[0][-1]]) + 1).departures
    kept = held.t_ns[: len(held) // 2]                  # a view, as a pipeline keeps late packets
    copy = {f: getattr(held, f).copy() for f in ("t_ns", "t0_ns", "size_bytes", "flow", "pkt_id")}
    del held
    bases = set()
    for idx in chunks[1:]:
        res = st.advance(pk.take(idx), float(t[idx[-1]]) + 1)
        bases.add(id(res.departures.t_ns.base))
        del res
    np.testing.assert_array_equal(kept, copy["t_ns"][: len(kept)])
    assert len(bases) == 1, "released departure buffers are reused"


def test_chunking_does_not_change_departures_or_counters():
    rng = np.random.default_rng(9)
    n = 60_000
    t = np.sort(rng.uniform(0, 6e9, n))
    pk = packets(t, rng.integers(40, 1400, n), rng.integers(0, 5, n))
    starts = np.sort(rng.uniform(0, 6e9, (5, 3)), axis=1)
    ends = starts + rng.exponential(3e8, (5, 3))
    results = []
    for parts in (1, 7, 60):
        st = UplinkStage(5, np.arange(5), 8e6, 300_000, starts, ends, loss=0.02, latency_ns=2e6, jitter_ns=5e5,
                         stat_hi_ns=6e9)
        outs, drops = [], []
        for idx in np.array_split(np.arange(n), parts):
            res = st.advance(pk.take(idx), float(t[idx[-1]]) + 1)
            outs.append((res.departures.pkt_id.copy(), res.departures.t_ns.copy()))
            drops.append(res.drop_pid)
        ids = np.concatenate([o[0] for o in outs])
        ts = np.concatenate([o[1] for o in outs])
        order = np.argsort(ids)
        s = st.stats()
        results.append((ids[order], ts[order], np.sort(np.concatenate(drops)), s.queues.tobytes(),
                        s.wait.counts.tobytes(), s.sojourn.counts.tobytes(), s.sojourn.stats.tobytes()))
    assert all(r[0].size > 0 for r in results)
    for r in results[1:]:
        np.testing.assert_array_equal(r[0], results[0][0])
        np.testing.assert_array_equal(r[1], results[0][1])
        np.testing.assert_array_equal(r[2], results[0][2])
        assert r[3:] == results[0][3:]


def test_jitter_is_exponential_with_its_mean():
    """Messages far apart on an idle link: exit - arrival - service - latency is the jitter alone,
    exponential of mean ``jitter_ns`` (Kolmogorov-Smirnov, and the mean within 4 standard errors)."""
    from scipy import stats

    n, jitter, latency = 40_000, 3e5, 2e6
    t = np.arange(n) * 1e7                               # 10 ms apart, 1,000-byte messages take 80 us
    pk = packets(t, np.full(n, 1000), np.zeros(n))
    st = UplinkStage(1, np.zeros(1, np.int64), 100e6, 0, np.full((1, 1), np.inf), np.full((1, 1), np.inf),
                     latency_ns=latency, jitter_ns=jitter, seed=3)
    d = st.advance(pk, float(t[-1]) + 1).departures
    extra = d.t_ns - pk.t_ns[(d.pkt_id - 7) // 3] - 1000 * 8e9 / 100e6 - latency
    assert len(extra) == n and extra.min() >= 0
    assert abs(extra.mean() - jitter) < 4 * jitter / np.sqrt(n)
    assert stats.kstest(extra / jitter, "expon").pvalue > 1e-3


def lindley(t: np.ndarray, size: np.ndarray, queue: np.ndarray, ns_per_byte: float) -> tuple[np.ndarray, np.ndarray]:
    """Each message's start and departure on its FIFO queue (no buffer limit, loss or outage), the
    same floating-point operations in the same order as the stage's."""
    last: dict[int, float] = {}
    start, dep = np.empty(len(t)), np.empty(len(t))
    for i, (a, s, q) in enumerate(zip(t.tolist(), size.tolist(), queue.tolist())):
        st = max(a, last.get(q, -np.inf))
        start[i], dep[i] = st, st + float(s) * ns_per_byte
        last[q] = dep[i]
    return start, dep


def test_wait_histogram_is_every_wait_recorded_in_arrival_order():
    """The waits of exactly 0 counted and the others listed and recorded after the queue's pass
    give, bit for bit, the histogram of recording every wait in the window one by one; chunks and
    ring growth (busy queues, a 64-entry ring at first) change nothing."""
    from vnetsim.engine.histogram import LogHistogram

    rng = np.random.default_rng(4)
    n, sites, rate = 30_000, 3, 5e6
    t = np.cumsum(rng.exponential(4e5, n))              # about 0.96 of the three links' capacity
    size, flow = rng.integers(40, 1400, n), rng.integers(0, sites, n)
    pk = packets(t, size, flow)
    lo = float(t[n // 5])
    start, dep = lindley(t, size, flow, 8e9 / rate)
    ref = LogHistogram()
    ref.record((start - t)[pk.t0_ns >= lo])
    assert ((start - t)[pk.t0_ns >= lo] == 0).mean() > 0.02 and (start - t).max() > 1e7
    for parts in (1, 9):
        st = UplinkStage(sites, np.arange(sites), rate, 0, np.full((sites, 1), np.inf), np.full((sites, 1), np.inf),
                         stat_lo_ns=lo)
        outs = [st.advance(pk.take(idx), float(t[idx[-1]]) + 1.0).departures for idx in np.array_split(np.arange(n),
                                                                                                        parts)]
        assert st.ring.shape[1] > 64, "the rings grew"
        w = st.stats().wait
        np.testing.assert_array_equal(w.counts, ref.counts)
        np.testing.assert_array_equal(w.stats, ref.stats)
        got = np.concatenate([d.t_ns for d in outs])[np.argsort(np.concatenate([d.pkt_id for d in outs]))]
        np.testing.assert_array_equal(got, dep)


def test_buffered_at_is_the_messages_departing_after_t():
    """Per queue, the messages and bytes in the buffer at ``t`` (from its ring, whatever its head
    and wraparound) are those accepted that depart after ``t``."""
    rng = np.random.default_rng(8)
    n, sites = 20_000, 4
    t = np.cumsum(rng.exponential(2e5, n))
    size, flow = rng.integers(40, 1400, n), rng.integers(0, sites, n)
    pk = packets(t, size, flow)
    starts = np.array([[0.5e9, 3.6e9]] * sites) + np.arange(sites)[:, None] * 1e8
    ends = starts + np.array([0.4e9, 0.8e9])
    st = UplinkStage(sites, np.arange(sites), 8e6, 0, starts, ends)
    deps = [st.advance(pk.take(idx), float(t[idx[-1]]) + 1.0).departures for idx in np.array_split(np.arange(n), 4)]
    d_t = np.concatenate([d.t_ns for d in deps])
    d_q, d_b = np.concatenate([d.flow for d in deps]), np.concatenate([d.size_bytes for d in deps])
    for at in (float(t[-1]), float(t[-1]) + 2e8, float(t[-1]) + 1e12):
        msgs, byts = st.buffered_at(at)
        left = d_t > at
        np.testing.assert_array_equal(msgs, np.bincount(d_q[left], minlength=sites))
        np.testing.assert_array_equal(byts, np.bincount(d_q[left], weights=d_b[left], minlength=sites))
    assert st.buffered_at(float(t[-1]))[0].sum() > 100


def test_a_chunk_at_one_instant_with_exits_at_infinity():
    """Arrivals all at one time (no span: every exit in bucket 0, exits at infinity included)
    leave ordered by (time, id) with their own columns."""
    n = 3_000
    t = np.full(n, 5e8)
    pk = packets(t, np.arange(n) % 700 + 40, np.arange(n) % 3)
    pk = Packets(pk.t_ns, pk.t0_ns, pk.size_bytes, pk.flow, pk.pkt_id[::-1].copy())     # ids against arrival order
    starts, ends = np.array([[np.inf], [4e8], [5e8]]), np.array([[np.inf], [np.inf], [6e8]])
    st = UplinkStage(3, np.arange(3), 50e6, 0, starts, ends, jitter_ns=1e3, seed=2)
    d = st.advance(pk, 1e9).departures
    assert len(d) == n and np.isinf(d.t_ns).sum() == n // 3
    np.testing.assert_array_equal(np.lexsort((d.pkt_id, d.t_ns)), np.arange(n))
    k = {int(p): i for i, p in enumerate(pk.pkt_id)}
    idx = np.array([k[int(p)] for p in d.pkt_id])
    np.testing.assert_array_equal(d.size_bytes, pk.size_bytes[idx])
    np.testing.assert_array_equal(d.flow, pk.flow[idx])
