"""Closed forms: the engine's FIFO queues and ring server against queueing theory.

How tolerances are set (see docs/models/validation.md). Every estimate is a mean over one long
run, with its standard error from *batch means*: the run (after a warm-up that is dropped) is cut
into B = 100 consecutive batches; the batch averages are nearly independent and nearly normal, so
SE = sd(batch averages) / sqrt(B). A test asserts

    |estimate - theory| <= Z * SE,   Z = 4,

whose false-failure probability, for a correct engine, is P(|t_99| > 4) ~= 1.2e-4 per assertion
(about 2e-3 for the 16 such assertions of this file together). The seeds are fixed, so a given
version of the code passes or fails deterministically; the probability is the chance that the
fixed seed is an unlucky one. Each test also asserts that its band is tight: Z * SE must be at
most 3 % of the theoretical value (the sample is large enough that the check has teeth).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from vnetsim.engine.fifo import FifoQueues
from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import CPU_FIELDS, CoreSpec, RingServer, RingSpec

Z = 4.0
N_BATCHES = 100
MAX_REL_BAND = 0.03
FALSE_FAILURE_PER_ASSERT = 2 * stats.t.sf(Z, N_BATCHES - 1)   # ~1.2e-4


def batch_means(x: np.ndarray, n_batches: int = N_BATCHES) -> tuple[float, float]:
    """(mean, standard error) of a stationary but correlated sequence, by batch means."""
    m = len(x) // n_batches
    b = np.asarray(x[: m * n_batches], np.float64).reshape(n_batches, m).mean(axis=1)
    return float(b.mean()), float(b.std(ddof=1) / np.sqrt(n_batches))


def check(label: str, x: np.ndarray, theory: float, max_rel_band: float = MAX_REL_BAND):
    est, se = batch_means(x)
    print(f"\n{label}: estimate {est:.6g} theory {theory:.6g} SE {se:.3g} "
          f"(band +-{Z * se / theory:.2%}; P(false failure) {FALSE_FAILURE_PER_ASSERT:.1e})")
    assert Z * se <= max_rel_band * abs(theory), f"{label}: the confidence band is too wide to prove anything"
    assert abs(est - theory) <= Z * se, f"{label}: {est} vs {theory} +- {Z * se}"
    return est, se


def poisson(rng, lam_per_ns: float, n: int) -> np.ndarray:
    return np.cumsum(rng.exponential(1.0 / lam_per_ns, n))


def packets(t: np.ndarray) -> Packets:
    n = len(t)
    return Packets(t, t.copy(), np.full(n, 64, np.int32), np.zeros(n, np.int32), np.arange(n, dtype=np.int64))


def fifo_run(t, service, n_chunks=8, cap_pkts=None):
    """Departures (NaN for drops) of one FIFO queue, fed in chunks (the state is carried)."""
    fq = FifoQueues(1, cap_pkts=cap_pkts)
    cuts = np.linspace(0, len(t), n_chunks + 1).astype(int)
    dep = np.concatenate([fq.advance(t[a:b], np.zeros(b - a, np.int64), service[a:b], np.full(b - a, 64))
                          for a, b in zip(cuts[:-1], cuts[1:])])
    return fq, dep


# ------------------------------------------------------------------------------------------------
# 1. FIFO: M/M/1, M/D/1 (Pollaczek-Khinchine), M/M/1/K blocking
# ------------------------------------------------------------------------------------------------

def test_mm1_wait_and_sojourn():
    rng = np.random.default_rng(20240601)
    mu, lam, n = 1 / 1000.0, 0.6 / 1000.0, 2_000_000          # per ns; rho = 0.6
    t = poisson(rng, lam, n)
    s = rng.exponential(1 / mu, n)
    _, dep = fifo_run(t, s)
    warm = n // 100
    sojourn = (dep - t)[warm:]
    rho = lam / mu
    check("M/M/1 mean wait Wq = rho/(mu-lam)", sojourn - s[warm:], rho / (mu - lam))
    check("M/M/1 mean sojourn W = 1/(mu-lam)", sojourn, 1 / (mu - lam))


def test_md1_pollaczek_khinchine():
    rng = np.random.default_rng(20240602)
    d, lam, n = 1000.0, 0.7 / 1000.0, 1_000_000
    rho = lam * d
    t = poisson(rng, lam, n)
    s = np.full(n, d)
    _, dep = fifo_run(t, s)
    warm = n // 100
    # P-K: Wq = lam E[S^2] / (2 (1 - rho)), E[S^2] = d^2
    check("M/D/1 mean wait (P-K)", (dep - t - s)[warm:], lam * d * d / (2 * (1 - rho)))


def test_mm1k_blocking_probability():
    rng = np.random.default_rng(20240603)
    mu, lam, k, n = 1 / 1000.0, 0.8 / 1000.0, 5, 2_000_000
    rho = lam / mu
    t = poisson(rng, lam, n)
    s = rng.exponential(1 / mu, n)
    fq, dep = fifo_run(t, s, cap_pkts=[k])
    dropped = np.isnan(dep)
    assert int(fq.dropped[0]) == int(dropped.sum()) and int(fq.accepted[0]) == n - int(dropped.sum())
    # Drops are positively correlated (they come in bursts while the buffer is full), so the plain
    # binomial SE sqrt(p(1-p)/n) would be too small; batch means of the drop indicator account for it.
    p_theory = (1 - rho) * rho ** k / (1 - rho ** (k + 1))
    est, se = check("M/M/1/K blocking probability", dropped[n // 100:].astype(np.float64), p_theory)
    binomial_se = np.sqrt(p_theory * (1 - p_theory) / n)
    print(f"  (binomial SE {binomial_se:.3g} vs batch-means SE {se:.3g})")


# ------------------------------------------------------------------------------------------------
# 2. Jackson tandem of three M/M/1 FIFOs
# ------------------------------------------------------------------------------------------------

def test_jackson_tandem_of_three():
    rng = np.random.default_rng(20240604)
    lam, n = 0.5 / 1000.0, 1_000_000
    mus = [1 / 800.0, 1 / 1000.0, 1 / 700.0]                  # rho = 0.4, 0.5, 0.35
    t = poisson(rng, lam, n)
    x = t
    for mu in mus:                                           # each stage's departures feed the next
        _, x = fifo_run(x, rng.exponential(1 / mu, n))
        assert np.all(np.diff(x) >= 0)
    check("Jackson tandem mean sojourn = sum 1/(mu_i - lam)", (x - t)[n // 100:],
          sum(1 / (mu - lam) for mu in mus))


# ------------------------------------------------------------------------------------------------
# Ring server helpers
# ------------------------------------------------------------------------------------------------

def ring_run(core: CoreSpec, t, work, n_chunks=400, capacity=4096, tail_ns=1e6, warm_ns=0.0):
    """One ring served by one core, fed chunk by chunk (equal time spans).

    Returns per-packet pick and departure (NaN if not delivered), per-chunk CPU fractions
    (useful, overhead, spin, idle) and the server.
    """
    n = len(t)
    srv = RingServer([core], [RingSpec(capacity=capacity, core=0)], stat_lo_ns=warm_ns)
    pk = packets(t)
    horizons = np.linspace(t[0], t[-1], n_chunks + 1)[1:]
    horizons[-1] = t[-1] + tail_ns
    pick = np.full(n, np.nan)
    dep = np.full(n, np.nan)
    frac = []
    def cpu():
        return np.array([srv.counters()[f][0] for f in CPU_FIELDS])

    lo_idx, prev_h, prev_acc = 0, warm_ns, cpu()
    for h in horizons:
        hi_idx = int(np.searchsorted(t, h, side="left")) if h < horizons[-1] else n
        out = srv.advance(pk.take(slice(lo_idx, hi_idx)), np.zeros(hi_idx - lo_idx, np.int64),
                          work[lo_idx:hi_idx], h)
        lo_idx = hi_idx
        pid = out.departures.pkt_id
        pick[pid], dep[pid] = out.pick_ns, out.departures.t_ns
        if h > warm_ns and prev_h >= warm_ns and h < horizons[-1]:
            frac.append((cpu() - prev_acc) / (h - prev_h))
        if h > warm_ns:
            prev_h, prev_acc = h, cpu()
    assert srv.drops.sum() == 0
    return pick, dep, np.asarray(frac), srv


# ------------------------------------------------------------------------------------------------
# 3. Poll mode = M/G/1 with multiple vacations
# ------------------------------------------------------------------------------------------------
# One ring, batch 1, poll_cost 0, empty_cost e. A poll that finds the ring empty costs e (a
# "vacation" of length V = e) and the next poll follows at its end; a poll that finds a packet
# takes exactly that one (oldest first) at its time p, and the packet departs at p + S (its own
# work). The next poll is at p + S. So the server serves exhaustively, one packet after another,
# and whenever it finds the system empty it takes vacations of length e until one ends with a
# packet waiting: the M/G/1 queue with multiple vacations. Its waiting time *until service
# starts* (the queueing delay, arrival -> pick) is, by the Fuhrmann-Cooper decomposition,
#     Wq = lam E[S^2] / (2 (1 - rho)) + E[V^2] / (2 E[V]) = lam E[S^2] / (2 (1 - rho)) + e / 2.
# With poll_cost 0 and batch 1 the departure is pick + S, so departure - arrival - S = pick -
# arrival: both are the quantity the formula gives (checked equal below). The CPU: useful = rho,
# spin = 1 - rho (every other instant is an empty poll), overhead = idle = 0.

@pytest.mark.parametrize("service", ["exponential", "deterministic"])
def test_poll_mode_is_mg1_with_multiple_vacations(service):
    rng = np.random.default_rng(20240605 if service == "exponential" else 20240606)
    lam, mean_s, e, n = 0.5 / 1000.0, 1000.0, 300.0, 1_000_000
    t = poisson(rng, lam, n)
    s = rng.exponential(mean_s, n) if service == "exponential" else np.full(n, mean_s)
    es2 = 2 * mean_s ** 2 if service == "exponential" else mean_s ** 2
    rho = lam * mean_s
    warm = n // 100
    core = CoreSpec(mode="poll", batch=1, poll_cost_ns=0.0, empty_poll_cost_ns=e)
    pick, dep, frac, srv = ring_run(core, t, s, warm_ns=float(t[warm]))
    assert not np.isnan(dep).any()
    wait = (dep - t - s)[warm:]
    assert np.allclose(wait, (pick - t)[warm:], rtol=0, atol=1e-6)
    check(f"poll mode ({service} S) mean wait, M/G/1 + vacations", wait,
          lam * es2 / (2 * (1 - rho)) + e / 2)
    check(f"poll mode ({service} S) useful CPU fraction = rho", frac[:, 0], rho)
    check(f"poll mode ({service} S) spin CPU fraction = 1 - rho", frac[:, 2], 1 - rho)
    assert srv.counters()["overhead_ns"][0] == 0 and srv.counters()["idle_ns"][0] == 0


# ------------------------------------------------------------------------------------------------
# 4. Interrupt mode = M/G/1 with setup times
# ------------------------------------------------------------------------------------------------
# One ring, batch 1, poll_cost 0, empty_cost 0, coalescing off (frames 1, delay 0, min_interval 0),
# one C-state with residency 0 and exit X (so every wake-up pays X), irq_cost I, wakeup K.
# A blocked core with an empty, armed ring: the first arrival a fires the interrupt at a (fire =
# max(arm_time, last_fire + 0, min(a + 0, a)) = a); the core pays U = X + I + K and polls at a + U,
# taking one packet; a full batch (1) puts the ring back on the poll list, so it keeps polling
# (no interrupt while running: the ring is disarmed) until a poll finds the ring empty (cost 0),
# re-arms it and blocks. That is the M/G/1 queue with exhaustive service and a setup time U
# before each busy period. Waiting time until service starts (arrival -> pick = departure -
# arrival - S), Bischof (2001), Takagi (1991):
#     Wq = lam E[S^2] / (2 (1 - rho)) + (2 E[U] + lam E[U^2]) / (2 (1 + lam E[U])).
# An arrival finds the core blocked with probability P0 = (1 - rho) / (1 + lam E[U]) (PASTA), and
# exactly those arrivals raise an interrupt: interrupts per arrival = P0. CPU: useful = rho,
# overhead = (rate of wake-ups) * U = lam P0 U, idle = P0, spin = 0 (empty polls cost 0).

X_NS, IRQ_NS, WAKE_NS = 2000.0, 300.0, 700.0


def interrupt_setup_run(seed=20240607, n=1_000_000):
    rng = np.random.default_rng(seed)
    lam, mean_s = 0.5 / 1000.0, 1000.0
    t = poisson(rng, lam, n)
    s = rng.exponential(mean_s, n)
    core = CoreSpec(mode="interrupt", batch=1, poll_cost_ns=0.0, empty_poll_cost_ns=0.0, irq_cost_ns=IRQ_NS,
                    wakeup_ns=WAKE_NS, cstates=((X_NS, 0.0),))
    warm = n // 100
    pick, dep, frac, srv = ring_run(core, t, s, warm_ns=float(t[warm]))
    return lam, mean_s, t, s, warm, pick, dep, frac, srv


@pytest.fixture(scope="module")
def interrupt_setup():
    return interrupt_setup_run()


def test_interrupt_mode_is_mg1_with_setup_times(interrupt_setup):
    lam, mean_s, t, s, warm, pick, dep, frac, srv = interrupt_setup
    rho, u = lam * mean_s, X_NS + IRQ_NS + WAKE_NS
    assert not np.isnan(dep).any()
    wait = (dep - t - s)[warm:]
    assert np.allclose(wait, (pick - t)[warm:], rtol=0, atol=1e-6)
    check("interrupt mode mean wait, M/G/1 + setup", wait,
          lam * 2 * mean_s ** 2 / (2 * (1 - rho)) + (2 * u + lam * u * u) / (2 * (1 + lam * u)))
    # The arrivals that found the core blocked are those picked exactly U after they arrived.
    p0 = (1 - rho) / (1 + lam * u)
    woke = np.isclose(pick - t, u, rtol=0, atol=1e-6)
    assert int(woke.sum()) == int(srv.counters()["interrupts"][0]) == int(srv.counters()["wakeups"][0])
    check("interrupt mode P(arrival finds the core blocked) = interrupts per arrival", woke[warm:].astype(float), p0)
    check("interrupt mode useful CPU fraction = rho", frac[:, 0], rho)
    check("interrupt mode overhead + idle CPU fraction = 1 - rho", frac[:, 1] + frac[:, 3], 1 - rho)
    assert srv.counters()["spin_ns"][0] == 0


def test_interrupt_mode_overhead_and_idle_split(interrupt_setup):
    """A busy period starts with the setup U = X + irq + wakeup: the C-state exit X is idle (the
    core waits, executing nothing), irq + wakeup are overhead."""
    lam, mean_s, t, s, warm, pick, dep, frac, srv = interrupt_setup
    rho, u = lam * mean_s, X_NS + IRQ_NS + WAKE_NS
    p0 = (1 - rho) / (1 + lam * u)
    check("interrupt mode idle CPU fraction = P0 + lam P0 X", frac[:, 3], p0 + lam * p0 * X_NS)
    check("interrupt mode overhead CPU fraction = lam P0 (irq + wakeup)", frac[:, 1], lam * p0 * (IRQ_NS + WAKE_NS))


# ------------------------------------------------------------------------------------------------
# 5. Conservation
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["interrupt", "poll", "hybrid"])
def test_conservation(mode):
    """offered = delivered + dropped + held at the end; the four CPU fractions sum to 1."""
    rng = np.random.default_rng({"interrupt": 1, "poll": 2, "hybrid": 3}[mode])
    n = 200_000
    t = poisson(rng, 3.0 / 1000.0, n)                        # overloaded: drops happen
    ring = rng.integers(0, 3, n)
    work = rng.exponential(900.0, n)
    cores = [CoreSpec(mode=mode, batch=4, poll_cost_ns=50.0, empty_poll_cost_ns=40.0, irq_cost_ns=200.0,
                      wakeup_ns=300.0, cstates=((100.0, 500.0), (1000.0, 5000.0)), sleep_after_empty_polls=2,
                      sleep_ns=500.0, block_after_empty_polls=50) for _ in range(2)]
    rings = [RingSpec(64, 0, 2000.0, 8, 0.0), RingSpec(32, 0), RingSpec(128, 1, 0.0, 1, 5000.0)]
    lo, end = float(t[n // 10]), float(t[-1] + 5000.0)
    srv = RingServer(cores, rings, stat_lo_ns=lo, stat_hi_ns=end)
    pk = packets(t)
    horizons = np.r_[np.sort(rng.uniform(0, t[-1], 30)), end]
    delivered = dropped = fed = 0
    for h in horizons:
        upto = int(np.searchsorted(t, h, side="left")) if h < end else n
        out = srv.advance(pk.take(slice(fed, upto)), ring[fed:upto], work[fed:upto], h)
        fed = upto
        delivered += len(out.departures)
        dropped += len(out.drop_pid)
    assert dropped > 0 and delivered > 0
    assert int(srv.drops.sum()) == dropped
    assert n == delivered + dropped + int(srv.occupancy().sum()) + srv.pending_count()
    cpu = srv.cpu_buckets(end)
    for c in range(len(cores)):
        assert (cpu[c] >= 0).all()
        assert cpu[c].sum() == pytest.approx(end - lo, rel=1e-9)
