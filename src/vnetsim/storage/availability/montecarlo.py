"""Monte Carlo simulation of failures and repairs, fault domain by fault domain (compiled).

The kernel keeps every fault domain's status (healthy, or failed by device, host or rack), each
site's mode (normal, copy lost, site event) and the witness, draws the next event from the total
rate of everything that can happen (exponential holding times, as the Markov chain assumes), and
applies it to one fault domain chosen at random among those it can strike. A rack event fails
every host of the fault domain at once; a site event every fault domain of the site. It counts
the time objects are inaccessible, the data-loss events and the years that saw one.

A run of ``years`` cluster-years is split into batches, each its own random stream and its own
trajectory; 95 % intervals come from batch means (availability) and from the Poisson and binomial
counts (loss rate, annual loss probability).

Random numbers: the splitmix64 sequence of ``vnetsim.engine.rng``, seeded per batch.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
from scipy import stats

from vnetsim.engine.rng import GOLDEN_GAMMA, mix64, unit_open
from vnetsim.errors import ModelError
from vnetsim.storage.availability.chain import Rates, rates_of
from vnetsim.storage.availability.markov import nines_of
from vnetsim.storage.availability.spec import SECONDS_PER_YEAR, AvailabilityResult, AvailabilitySpec, Estimate

BATCHES = 64
ASSUMPTIONS = (
    "exponential failure and repair times, simulated fault domain by fault domain",
    "worst-case placement: any tolerance+1 failed fault domains of a site lose some object",
    "a failure in a fault domain already down is not modelled",
    "95 % intervals: batch means for availability, Poisson (Garwood) for the loss rate, "
    "Clopper-Pearson for the annual loss probability",
)


@numba.njit(cache=True)
def uniform(state):
    """The uniform in (0, 1) of splitmix64 state ``state`` (a uint64)."""
    return unit_open(mix64(state))


@numba.njit(cache=True)
def _repair(cls, failed, fds, width, device_local, reprotect, restore):
    if (cls == 0 and device_local) or fds - failed >= width:
        return reprotect[cls]
    return restore[cls]


@numba.njit(cache=True)
def failure_class(pick, failure):
    """The class (0 device, 1 host, 2 rack) of a failure drawn at ``pick`` in [0, sum of ``failure``)."""
    c = 0
    while c < 2 and pick >= failure[c]:
        pick -= failure[c]
        c += 1
    return c


@numba.njit(cache=True)
def random_fault_domain(state, status, s, fds, want):
    """A fault domain of site ``s`` whose status is ``want``, uniformly (rejection); (index, state)."""
    while True:
        state += GOLDEN_GAMMA
        k = int(uniform(state) * fds)
        if status[s, k] == want:
            return k, state


@numba.njit(cache=True)
def all_copies_lost(mode):
    """Every site's copy lost (mode 1): a data loss."""
    for o in range(mode.shape[0]):
        if mode[o] != 1:
            return False
    return True


@numba.njit(cache=True)
def _accessible(nsites, mode, nfailed, tolerance, witness, witness_up):
    if nsites == 2:
        bad = 0
        for s in range(2):
            if mode[s] != 0:
                bad += 1
        if not witness_up:
            bad += 1
        return bad <= 1
    if mode[0] != 0:
        return False
    down = nfailed[0]
    if witness and not witness_up:
        down += 1
    return down <= tolerance


@numba.njit(cache=True)
def simulate_kernel(years, seed, nsites, fds, tolerance, width, witness, failure, reprotect, restore, device_local,
                    site_failure, site_return, lost_return, lost_resync, witness_failure, witness_return):
    """One trajectory of ``years`` cluster-years from a healthy cluster.

    Returns (inaccessible years, data-loss events, years with a loss, events).
    """
    status = np.zeros((nsites, fds), dtype=np.int8)       # 0 healthy, 1 + class when failed
    counts = np.zeros((nsites, 3), dtype=np.int64)
    nfailed = np.zeros(nsites, dtype=np.int64)
    mode = np.zeros(nsites, dtype=np.int64)                # 0 normal, 1 copy lost (X), 2 site event (S)
    site_rate = np.zeros(nsites)
    lam_sum = failure[0] + failure[1] + failure[2]
    witness_up = True
    state = np.uint64(seed)
    t = 0.0
    downtime = 0.0
    losses = 0
    loss_years = 0
    events = 0
    year_end = 1.0
    loss_this_year = False
    while True:
        total = 0.0
        for s in range(nsites):
            if mode[s] == 0:
                r = (fds - nfailed[s]) * lam_sum + site_failure
                for c in range(3):
                    if counts[s, c] > 0:
                        r += counts[s, c] * _repair(c, nfailed[s], fds, width, device_local, reprotect, restore)
            elif mode[s] == 1:
                r = lost_resync if (nsites == 2 and mode[1 - s] == 0) else lost_return
            else:
                r = site_return
            site_rate[s] = r
            total += r
        w_rate = 0.0
        if witness:
            w_rate = witness_failure if witness_up else witness_return
        total += w_rate
        if total <= 0.0:
            break
        state += GOLDEN_GAMMA
        dt = -math.log(uniform(state)) / total
        if not _accessible(nsites, mode, nfailed, tolerance, witness, witness_up):
            downtime += min(dt, years - t)
        t += dt
        if t >= years:
            break
        while t >= year_end:
            year_end += 1.0
            loss_this_year = False
        events += 1
        state += GOLDEN_GAMMA
        pick = uniform(state) * total
        if pick >= total - w_rate:
            witness_up = not witness_up
            continue
        s = 0
        while s < nsites - 1 and pick >= site_rate[s]:
            pick -= site_rate[s]
            s += 1
        if mode[s] != 0:                                   # the lost copy or the site comes back whole
            mode[s] = 0
            continue
        healthy_rate = (fds - nfailed[s]) * lam_sum
        if pick < healthy_rate + site_failure and pick >= healthy_rate:
            mode[s] = 2                                    # site event: every fault domain down at once
            status[s, :] = 0
            counts[s, :] = 0
            nfailed[s] = 0
            continue
        if pick < healthy_rate:                            # a failure of class c in a healthy fault domain
            c = failure_class(pick / (fds - nfailed[s]), failure)
            if nfailed[s] == tolerance:                    # one too many: the site's copy is lost
                mode[s] = 1
                status[s, :] = 0
                counts[s, :] = 0
                nfailed[s] = 0
                if all_copies_lost(mode):
                    losses += 1
                    if not loss_this_year:
                        loss_years += 1
                        loss_this_year = True
                continue
            k, state = random_fault_domain(state, status, s, fds, 0)
            status[s, k] = c + 1
            counts[s, c] += 1
            nfailed[s] += 1
            continue
        pick -= healthy_rate + site_failure                # a repair of class c
        c = 0
        while c < 2:
            rc = counts[s, c] * _repair(c, nfailed[s], fds, width, device_local, reprotect, restore)
            if pick < rc:
                break
            pick -= rc
            c += 1
        while counts[s, c] == 0:                           # rounding at the very edge: the last class present
            c -= 1
        k, state = random_fault_domain(state, status, s, fds, c + 1)
        status[s, k] = 0
        counts[s, c] -= 1
        nfailed[s] -= 1
    return downtime, losses, loss_years, events


def kernel_args(r: Rates) -> tuple:
    """The kernel's model arguments (after ``years`` and ``seed``) for rates ``r``."""
    return (r.sites, r.fault_domains, r.tolerance, r.width, r.witness, r.failure, r.reprotect, r.restore,
            r.device_local, r.site_failure, r.site_return, r.lost_return, r.lost_resync, r.witness_failure,
            r.witness_return)


def batch_seed(seed: int, batch: int) -> np.uint64:
    """A well-mixed 64-bit seed for ``batch`` of run ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(batch,)).generate_state(1, np.uint64)[0]


def check_years(years: float) -> None:
    if not (math.isfinite(years) and years >= 1):
        raise ModelError("years", f"simulate at least one cluster-year, got {years}", "set years >= 1")


def run_batches(spec: AvailabilitySpec, years: float, seed: int, batches: int = BATCHES) -> np.ndarray:
    """(batches, 4) array of (inaccessible years, losses, years with a loss, events) per batch."""
    check_years(years)
    batches = int(min(batches, max(2, years)))
    per_batch = math.floor(years / batches)
    args = kernel_args(rates_of(spec))
    out = np.empty((batches, 4))
    for b in range(batches):
        out[b] = simulate_kernel(float(per_batch), batch_seed(seed, b), *args)
    return out


def _poisson_ci(count: float, exposure: float) -> tuple[float, float]:
    low = stats.chi2.ppf(0.025, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(0.975, 2 * count + 2) / 2
    return low / exposure, high / exposure


def _binomial_ci(k: float, n: float) -> tuple[float, float]:
    low = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


def summarize(per_batch: np.ndarray, years_per_batch: float, method: str, assumptions: tuple[str, ...],
              wall_s: float) -> AvailabilityResult:
    """Point estimates and 95 % intervals from per-batch counts."""
    batches = per_batch.shape[0]
    years = years_per_batch * batches
    unavail = per_batch[:, 0] / years_per_batch
    u = float(unavail.mean())
    half = float(stats.t.ppf(0.975, batches - 1) * unavail.std(ddof=1) / math.sqrt(batches))
    u_lo, u_hi = max(u - half, 0.0), min(u + half, 1.0)
    losses = float(per_batch[:, 1].sum())
    loss_years = float(per_batch[:, 2].sum())
    r_lo, r_hi = _poisson_ci(losses, years)
    p_lo, p_hi = _binomial_ci(loss_years, years)
    rate = losses / years

    def inv(x: float) -> float:
        return math.inf if x <= 0 else 1.0 / x

    return AvailabilityResult(
        method, Estimate(1 - u, 1 - u_hi, 1 - u_lo), Estimate(nines_of(u), nines_of(u_hi), nines_of(u_lo)),
        Estimate(u * SECONDS_PER_YEAR, u_lo * SECONDS_PER_YEAR, u_hi * SECONDS_PER_YEAR),
        Estimate(rate, r_lo, r_hi), Estimate(loss_years / years, p_lo, p_hi),
        Estimate(inv(rate), inv(r_hi), inv(r_lo)), assumptions, cluster_years=years,
        events_per_cluster_year=float(per_batch[:, 3].sum()) / years, wall_s=wall_s,
        notes=(f"{batches} batches of {years_per_batch:g} cluster-years, each from a healthy cluster",
               "MTTDL = 1 / loss rate (steady state)"))


def simulate(spec: AvailabilitySpec, years: float = 1e6, seed: int = 0) -> AvailabilityResult:
    """Availability and durability of ``spec`` from ``years`` simulated cluster-years."""
    start = time.perf_counter()
    per_batch = run_batches(spec, years, seed)
    years_per_batch = math.floor(years / per_batch.shape[0])
    return summarize(per_batch, years_per_batch, "montecarlo", ASSUMPTIONS, time.perf_counter() - start)
