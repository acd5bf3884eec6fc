"""The uplink stage: Pollaczek-Khinchine mean waits, overflow during an outage, byte conservation,
and message-for-message agreement with a small SimPy model of the same semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vnetsim.edge.uplink import UplinkStage
from vnetsim.engine.packets import Packets

NO_OUTAGE = (np.full((1, 1), np.inf), np.full((1, 1), np.inf))


def packets(t: np.ndarray, size: np.ndarray, pid0: int = 0) -> Packets:
    n = len(t)
    return Packets(np.asarray(t, float), np.asarray(t, float), np.asarray(size, np.int32), np.zeros(n, np.int32),
                   np.arange(pid0, pid0 + n, dtype=np.int64))


def batch_mean_waits(t: np.ndarray, size: np.ndarray, rate_bps: float, batches: int) -> np.ndarray:
    """Run the stage batch by batch; each batch's mean queueing wait from the stage's counters."""
    st = UplinkStage(1, np.zeros(1, np.int64), rate_bps, 0, *NO_OUTAGE)
    means = []
    for idx in np.array_split(np.arange(len(t)), batches):
        before = st.stats().queues[0].copy()
        st.advance(packets(t[idx], size[idx], int(idx[0])), float(t[idx[-1]]) + 1.0)
        after = st.stats().queues[0]
        accepted = after["accepted_messages"] - before["accepted_messages"]
        means.append((after["wait_ns"] - before["wait_ns"]) / accepted)
    return np.array(means[1:])          # the first batch is the warm-up


def pk_wait_ns(lam_per_ns: float, s: np.ndarray) -> float:
    """M/G/1 mean wait in queue: lambda E[S^2] / (2 (1 - rho))."""
    rho = lam_per_ns * s.mean()
    return lam_per_ns * (s ** 2).mean() / (2 * (1 - rho))


def test_md1_mean_wait_is_pollaczek_khinchine():
    rng = np.random.default_rng(1)
    rate, size, rho = 50e6, 1000, 0.7
    service_ns = size * 8e9 / rate
    lam = rho / service_ns
    t = np.cumsum(rng.exponential(1 / lam, 400_000))
    sizes = np.full(len(t), size)
    means = batch_mean_waits(t, sizes, rate, 41)
    expected = pk_wait_ns(lam, np.full(1, service_ns))
    se = means.std(ddof=1) / math.sqrt(len(means))
    assert abs(means.mean() - expected) < 4.5 * se, (means.mean(), expected, se)
    assert expected == pytest.approx(rho * service_ns / (2 * (1 - rho)))


def test_mm1_mean_wait_is_pollaczek_khinchine():
    """Exponential message sizes (whole bytes): M/G/1 with the sizes' own moments, close to M/M/1."""
    rng = np.random.default_rng(2)
    rate, rho = 10e6, 0.6
    sizes = np.maximum(1, np.rint(rng.exponential(800.0, 400_000))).astype(np.int64)
    service = sizes * 8e9 / rate
    lam = rho / service.mean()
    t = np.cumsum(rng.exponential(1 / lam, len(sizes)))
    means = batch_mean_waits(t, sizes, rate, 41)
    expected = pk_wait_ns(lam, service)
    se = means.std(ddof=1) / math.sqrt(len(means))
    assert abs(means.mean() - expected) < 4.5 * se, (means.mean(), expected, se)
    mm1 = rho * service.mean() / (1 - rho)
    assert expected == pytest.approx(mm1, rel=0.01)       # the rounding to whole bytes barely matters


def test_outage_overflow_is_arrivals_during_the_outage_minus_the_buffer():
    """Constant 500 kB/s into a 300 kB buffer, a 2 s outage: lambda * D - B bytes are lost."""
    period_ns, size, buf = 1e6, 500, 300_000
    t = 0.5e6 + period_ns * np.arange(5000)
    out = (np.array([[1e9]]), np.array([[3e9]]))
    st = UplinkStage(1, np.zeros(1, np.int64), 100e6, buf, *out, stat_hi_ns=5e9)
    res = st.advance(packets(t, np.full(len(t), size)), 5e9)
    q = st.stats().queues[0]
    lam_bytes_per_s, down_s = size / (period_ns / 1e9), 2.0
    assert q["dropped_bytes"] == lam_bytes_per_s * down_s - buf == 700_000
    assert len(res.drop_pid) == q["dropped_messages"] == 1400
    dep = res.departures.t_ns
    assert (dep >= 3e9).sum() > 0 and not ((dep > 1e9) & (dep < 3e9)).any(), "nothing leaves during the outage"
    assert q["max_backlog_bytes"] == buf


def test_bytes_are_conserved_with_outages_loss_and_a_small_buffer():
    rng = np.random.default_rng(3)
    n = 50_000
    t = np.sort(rng.uniform(0, 10e9, n))
    size = rng.integers(40, 1400, n)
    flow_site = np.array([0, 1])
    starts = np.array([[1e9, 6e9, np.inf], [2e9, 2.5e9, 8e9]])
    ends = starts + np.array([[1.5e9, 0.2e9, 0], [0.3e9, 1e9, 0.5e9]])
    ends[0, 2] = np.inf
    pk = packets(t, size)
    pk.flow[:] = rng.integers(0, 2, n).astype(np.int32)
    st = UplinkStage(2, flow_site, 5e6, 200_000, starts, ends, loss=0.01, latency_ns=1e6, jitter_ns=2e5,
                     stat_hi_ns=10e9)
    out_t, delivered, dropped = [], 0, 0
    for lo, hi in ((0, 1e9), (1e9, 4.5e9), (4.5e9, 10e9)):
        m = (t >= lo) & (t < hi)
        res = st.advance(pk.take(np.flatnonzero(m)), hi)
        delivered += len(res.departures)
        dropped += len(res.drop_pid)
        out_t.append(res.departures.t_ns)
    q = st.stats().queues
    out_bytes = q["dropped_bytes"].sum() + q["sent_bytes"].sum() + q["buffered_bytes"].sum()
    assert q["in_bytes"].sum() == size.sum() == out_bytes
    assert q["in_messages"].sum() == n == dropped + q["accepted_messages"].sum()
    assert q["accepted_messages"].sum() == delivered + q["lost_messages"].sum()
    assert q["dropped_messages"].sum() > 0 and q["lost_messages"].sum() > 0 and q["buffered_bytes"].sum() >= 0
    assert all(np.all(np.diff(x) >= 0) for x in out_t), "departures in time order"


def simpy_uplink(t, size, rate_bps, cap_bytes, outages, latency_ns):
    """A SimPy model: arrivals are processes, one server takes messages FIFO, waits out outages and
    resends a transmission an outage cut; the buffer holds messages until their last bit left."""
    simpy = pytest.importorskip("simpy")
    env = simpy.Environment()
    store = simpy.Store(env)
    state = {"backlog": 0.0}
    exits, drops = {}, []

    def arrive(i):
        yield env.timeout(t[i])
        if state["backlog"] + size[i] > cap_bytes:
            drops.append(i)
            return
        state["backlog"] += size[i]
        store.put(i)

    def down_until(now):
        for s, e in outages:
            if s <= now < e:
                return e
        return None

    def server():
        while True:
            i = yield store.get()
            svc = size[i] * 8e9 / rate_bps
            while True:
                end = down_until(env.now)
                if end is not None:
                    yield env.timeout(end - env.now)
                    continue
                nxt = min((s for s, _ in outages if s > env.now), default=math.inf)
                if env.now + svc > nxt:
                    yield env.timeout(nxt - env.now)
                    continue
                break
            yield env.timeout(svc)
            state["backlog"] -= size[i]
            exits[i] = env.now + latency_ns

    for i in range(len(t)):
        env.process(arrive(i))
    env.process(server())
    env.run()
    return exits, sorted(drops)


def renewal_outages() -> list[tuple[float, float]]:
    """Random on/off outages (exponential up and down times), where no closed form holds for
    Poisson messages of random sizes: the event-driven reference decides."""
    from vnetsim.edge.config import Outages
    from vnetsim.edge.outages import draw_outages

    s, e = draw_outages(Outages(mean_up="300ms", mean_down="150ms"), 1, 4e9, seed=8)
    keep = np.isfinite(s[0])
    return list(zip(s[0][keep].tolist(), e[0][keep].tolist()))


@pytest.mark.parametrize("outage_kind", ["schedule", "renewal"])
def test_uplink_equals_a_simpy_reference_message_for_message(outage_kind):
    rng = np.random.default_rng(4)
    n = 3000
    t = np.sort(rng.uniform(0, 3e9, n))
    size = rng.integers(50, 1500, n)
    outages = [(0.5e9, 0.9e9), (1.7e9, 1.75e9), (2.2e9, 2.6e9)] if outage_kind == "schedule" else renewal_outages()
    ref_exit, ref_drop = simpy_uplink(t, size, 8e6, 150_000, outages, 2e6)
    st = UplinkStage(1, np.zeros(1, np.int64), 8e6, 150_000, np.array([[s for s, _ in outages]]),
                     np.array([[e for _, e in outages]]), latency_ns=2e6)
    exits, drops = {}, []
    for idx in np.array_split(np.arange(n), 7):
        res = st.advance(packets(t[idx], size[idx], int(idx[0])), float(t[idx[-1]]) + 1e-3)
        exits.update(zip(res.departures.pkt_id.tolist(), res.departures.t_ns.tolist()))
        drops += res.drop_pid.tolist()
    assert sorted(drops) == ref_drop and len(ref_drop) > 0
    assert exits.keys() == ref_exit.keys()
    got = np.array([exits[i] for i in sorted(exits)])
    ref = np.array([ref_exit[i] for i in sorted(ref_exit)])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-3)


def test_outage_overflow_against_the_fluid_closed_form():
    """Constant input lambda (bytes/s) into a buffer B in front of a fast link, exponential outages
    of mean m, exponential up times of mean u. An outage that starts with the buffer empty (the
    up time before it longer than the drain time) overflows it by (lambda D - B)^+, within two
    messages (the one cut in transmission, the arrival grid); over such outages the mean is
    E[(lambda D - B)^+] = lambda m exp(-b), b = B / (lambda m), within 4 standard errors:
    Var = (lambda m)^2 e^-b (2 - e^-b). The long-run share of bytes lost is m e^-b / (u + m)
    (renewal reward), within 4 standard errors of the ratio (docs/models/edge.md)."""
    from vnetsim.edge.config import Outages
    from vnetsim.edge.outages import draw_outages

    period_ns, size, buf = 10e6, 5000, 500_000              # lambda = 500 kB/s; b = 0.5
    lam, m, u = size / (period_ns / 1e9), 2.0, 20.0
    horizon = 40_000e9                                      # about 1800 outages
    starts, ends = draw_outages(Outages(mean_up="20s", mean_down="2s"), 1, horizon, seed=21)
    st = UplinkStage(1, np.zeros(1, np.int64), 100e6, buf, starts, ends)
    t = 0.5 * period_ns + period_ns * np.arange(int(horizon / period_ns) - 200)
    dropped_t = []
    for idx in np.array_split(np.arange(len(t)), 8):
        res = st.advance(packets(t[idx], np.full(len(idx), size), int(idx[0])), float(t[idx[-1]]) + 1.0)
        dropped_t.append(t[res.drop_pid])
    drop_at = np.concatenate(dropped_t)
    s, e = starts[0][np.isfinite(starts[0])], ends[0][np.isfinite(starts[0])]
    whole = e < t[-1] - 10e9                                # outages over before the stream's end
    if not whole.all():
        drop_at = drop_at[drop_at < s[~whole][0]]
    s, e = s[whole], e[whole]
    outage_of_drop = np.searchsorted(s, drop_at, side="right") - 1
    assert (outage_of_drop >= 0).all() and (drop_at - s[outage_of_drop] < (e - s)[outage_of_drop] + 1e6).all(), \
        "drops happen only during an outage (or the instant it ends, while the full buffer starts to drain)"
    per_outage = np.bincount(outage_of_drop, minlength=len(s))[:len(s)] * float(size)
    fluid = np.maximum(lam * (e - s) / 1e9 - buf, 0.0)
    drain_s = 2 * buf / (100e6 / 8 - lam)                   # the largest backlog drains well within this
    empty = np.r_[True, (s[1:] - e[:-1]) / 1e9 > drain_s]
    assert empty.sum() > 1700
    assert np.abs(per_outage - fluid)[empty].max() <= 2 * size
    b = buf / (lam * m)
    expected = lam * m * math.exp(-b)
    k = int(empty.sum())
    se = lam * m * math.sqrt(math.exp(-b) * (2 - math.exp(-b)) / k)
    assert abs(per_outage[empty].mean() - expected) < 4 * se + 2 * size, (per_outage[empty].mean(), expected, se)
    # the share of bytes lost: outages per second (cycle length u + m, standard deviation
    # sqrt(u^2 + m^2)) times the mean overflow, over lambda
    lost_share = per_outage.sum() / (lam * (t[-1] - t[0]) / 1e9)
    share = m * math.exp(-b) / (u + m)
    rel_se = math.sqrt((u ** 2 + m ** 2) / (u + m) ** 2 / len(s) + (se / expected) ** 2)
    assert abs(lost_share / share - 1) < 4 * rel_se + 2 * size / expected, (lost_share, share, rel_se)
