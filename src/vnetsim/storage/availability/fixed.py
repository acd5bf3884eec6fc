"""Monte Carlo with fixed repair times: what the exponential assumption of the chain hides.

Real repairs are closer to fixed durations than to exponential ones: the repair delay is exactly
60 minutes, a rebuild copies a known volume at a throttled rate. This kernel keeps failures
Poisson (exponential times to failure, as the field data are summarised) but gives every repair a
fixed duration, set when the failure happens: R (re-protection) when the site then has enough
healthy fault domains, H (the hardware returns) otherwise, exactly the rule of the chain
(docs/models/storage-availability.md); the lost copy, the site event and the witness return after
their fixed times too. Everything else is the exponential kernel's model. No Markov chain gives
these figures; they are checked against the renewal closed form of a two-way mirror.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np

from vnetsim.engine.rng import GOLDEN_GAMMA
from vnetsim.storage.availability.chain import rates_of
from vnetsim.storage.availability.montecarlo import (
    BATCHES,
    _accessible,
    _repair,
    all_copies_lost,
    batch_seed,
    check_years,
    failure_class,
    kernel_args,
    random_fault_domain,
    summarize,
    uniform,
)
from vnetsim.storage.availability.spec import AvailabilityResult, AvailabilitySpec

ASSUMPTIONS = (
    "Poisson failures, fixed repair durations (set at the failure: re-protect or wait for the hardware)",
    "worst-case placement: any tolerance+1 failed fault domains of a site lose some object",
    "a failure in a fault domain already down is not modelled",
    "95 % intervals: batch means for availability, Poisson (Garwood) for the loss rate, "
    "Clopper-Pearson for the annual loss probability",
)


@numba.njit(cache=True)
def fixed_kernel(years, seed, nsites, fds, tolerance, width, witness, failure, reprotect, restore, device_local,
                 site_failure, site_return, lost_return, lost_resync, witness_failure, witness_return):
    """One trajectory of ``years`` cluster-years with fixed repair durations (1 / the given rates).

    Returns (inaccessible years, data-loss events, years with a loss, events).
    """
    status = np.zeros((nsites, fds), dtype=np.int8)
    due = np.full((nsites, fds), np.inf)                  # when each failed fault domain is repaired
    nfailed = np.zeros(nsites, dtype=np.int64)
    mode = np.zeros(nsites, dtype=np.int64)               # 0 normal, 1 copy lost (X), 2 site event (S)
    mode_due = np.full(nsites, np.inf)
    lam_sum = failure[0] + failure[1] + failure[2]
    witness_up = True
    witness_due = np.inf
    state = np.uint64(seed)
    t = 0.0
    downtime = 0.0
    losses = 0
    loss_years = 0
    events = 0
    year_end = 1.0
    loss_this_year = False
    while True:
        fail_rate = 0.0
        for s in range(nsites):
            if mode[s] == 0:
                fail_rate += (fds - nfailed[s]) * lam_sum + site_failure
        w_fail = witness_failure if (witness and witness_up) else 0.0
        fail_rate += w_fail
        next_fail = np.inf
        if fail_rate > 0.0:
            state += GOLDEN_GAMMA
            next_fail = t - math.log(uniform(state)) / fail_rate
        # the earliest fixed repair: a fault domain, a site's mode, or the witness
        next_rep = witness_due
        rs, rk = -1, -1
        for s in range(nsites):
            if mode[s] != 0:
                if mode_due[s] < next_rep:
                    next_rep, rs, rk = mode_due[s], s, -1
            elif nfailed[s] > 0:
                for k in range(fds):
                    if due[s, k] < next_rep:
                        next_rep, rs, rk = due[s, k], s, k
        t_next = min(next_fail, next_rep)
        if t_next == np.inf:
            break
        if not _accessible(nsites, mode, nfailed, tolerance, witness, witness_up):
            downtime += min(t_next, years) - t
        t = t_next
        if t >= years:
            break
        while t >= year_end:
            year_end += 1.0
            loss_this_year = False
        events += 1
        if next_rep <= next_fail:                         # a repair completes
            if rs < 0:
                witness_up = True
                witness_due = np.inf
            elif rk < 0:
                mode[rs] = 0
                mode_due[rs] = np.inf
            else:
                status[rs, rk] = 0
                due[rs, rk] = np.inf
                nfailed[rs] -= 1
            continue
        state += GOLDEN_GAMMA
        pick = uniform(state) * fail_rate
        if pick >= fail_rate - w_fail:
            witness_up = False
            witness_due = t + 1.0 / witness_return
            continue
        s = 0
        while True:
            r = (fds - nfailed[s]) * lam_sum + site_failure if mode[s] == 0 else 0.0
            if pick < r or s == nsites - 1:
                break
            pick -= r
            s += 1
        healthy_rate = (fds - nfailed[s]) * lam_sum
        if pick >= healthy_rate:                          # site event
            mode[s] = 2
            mode_due[s] = t + 1.0 / site_return
            status[s, :] = 0
            due[s, :] = np.inf
            nfailed[s] = 0
            continue
        c = failure_class(pick / (fds - nfailed[s]), failure)
        if nfailed[s] == tolerance:                       # one too many: the site's copy is lost
            mode[s] = 1
            other_ok = nsites == 2 and mode[1 - s] == 0
            mode_due[s] = t + 1.0 / (lost_resync if other_ok else lost_return)
            status[s, :] = 0
            due[s, :] = np.inf
            nfailed[s] = 0
            if all_copies_lost(mode):
                losses += 1
                if not loss_this_year:
                    loss_years += 1
                    loss_this_year = True
            continue
        k, state = random_fault_domain(state, status, s, fds, 0)
        status[s, k] = c + 1
        nfailed[s] += 1
        due[s, k] = t + 1.0 / _repair(c, nfailed[s], fds, width, device_local, reprotect, restore)
    return downtime, losses, loss_years, events


def simulate_fixed(spec: AvailabilitySpec, years: float = 1e6, seed: int = 0) -> AvailabilityResult:
    """Availability and durability of ``spec`` with fixed repair durations, ``years`` cluster-years."""
    start = time.perf_counter()
    check_years(years)
    batches = int(min(BATCHES, max(2, years)))
    per_batch_years = math.floor(years / batches)
    args = kernel_args(rates_of(spec))
    out = np.empty((batches, 4))
    for b in range(batches):
        out[b] = fixed_kernel(float(per_batch_years), batch_seed(seed, b), *args)
    return summarize(out, per_batch_years, "montecarlo-fixed", ASSUMPTIONS, time.perf_counter() - start)
