"""Rare events: regenerative simulation of the Markov chain with balanced failure biasing.

A data loss that happens once in ten million cluster-years is out of reach of plain Monte Carlo.
Balanced failure biasing (Shahabuddin 1994; Goyal, Shahabuddin, Heidelberger, Nicola and Glynn
1992) simulates the chain's jumps under a changed measure: in a state with both failures and
repairs, some failure is taken with probability ``bias`` (each failure equally likely), a repair
otherwise (in proportion to the repair rates); in a state with failures only, each failure is
equally likely. Every path carries the likelihood ratio of the true to the biased jump
probabilities, so the weighted sums stay unbiased.

Cycles start and end in the healthy state (regeneration points). Per cycle, with L the running
likelihood ratio and 1/q the expected holding time of a state: Y_loss = sum of L over entries into
a loss state, Y_down = sum of L/q over inaccessible states, Y_len = sum of L/q over all states.
Loss rate = E[Y_loss] / E[Y_len] and unavailability = E[Y_down] / E[Y_len] (the regenerative
ratio), with 95 % intervals by the delta method. Cycles run in chunks until the loss rate's
interval is within the requested precision, so memory stays bounded.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
from scipy import stats

from vnetsim.engine.rng import GOLDEN_GAMMA
from vnetsim.errors import ModelError
from vnetsim.storage.availability.chain import Chain, build_chain
from vnetsim.storage.availability.markov import nines_of
from vnetsim.storage.availability.montecarlo import batch_seed, uniform
from vnetsim.storage.availability.spec import SECONDS_PER_YEAR, AvailabilityResult, AvailabilitySpec, Estimate

BIASES = (0.5, 0.7, 0.9)   # candidate probabilities of a failure in a state that can also repair
PROBE_CYCLES = 4_000       # cycles per candidate when the bias is chosen by a probe
FIRST_CHUNK_CYCLES = 1_000      # chunks double from here (to the largest), so an easy case stops early
MAX_CHUNK_CYCLES = 200_000
ASSUMPTIONS = (
    "the Markov chain's assumptions (exponential times, worst-case placement)",
    "balanced failure biasing with likelihood ratios: unbiased; 95 % intervals by the delta method",
    "annual loss probability = 1 - exp(-loss rate): losses as a Poisson process (rare, not clustered)",
    "MTTDL = 1 / loss rate (steady state)",
)


def csr(chain: Chain) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, targets, rates, is_failure, is_loss_entry) of the chain's transitions by source state."""
    order = np.argsort(chain.source, kind="stable")
    offsets = np.zeros(chain.size + 1, dtype=np.int64)
    np.add.at(offsets, chain.source + 1, 1)
    offsets = np.cumsum(offsets)
    src, dst = chain.source[order], chain.target[order]
    entry = (~chain.loss[src]) & chain.loss[dst]
    return offsets, dst, chain.rate[order], chain.failure[order], entry


@numba.njit(cache=True)
def bfb_cycles(cycles, seed, bias, offsets, targets, rates, failure, entry, inaccessible):
    """Sums over ``cycles`` regenerative cycles of (Y_loss, Y_down, Y_len), their squares and the
    cross products (Y_loss Y_len, Y_down Y_len), and the number of jumps."""
    out = np.zeros(8)
    state = np.uint64(seed)
    jumps = 0
    for _ in range(cycles):
        s = 0
        lr = 1.0
        y_loss = 0.0
        y_down = 0.0
        y_len = 0.0
        while True:
            lo, hi = offsets[s], offsets[s + 1]
            q = 0.0
            qf = 0.0
            nf = 0
            for j in range(lo, hi):
                q += rates[j]
                if failure[j]:
                    qf += rates[j]
                    nf += 1
            qr = q - qf
            hold = 1.0 / q
            y_len += lr * hold
            if inaccessible[s]:
                y_down += lr * hold
            state += GOLDEN_GAMMA
            u = uniform(state)
            p_fail = bias if (nf > 0 and qr > 0.0) else (1.0 if nf > 0 else 0.0)
            chosen = hi - 1
            if u < p_fail:                                 # a failure, each one equally likely
                k = min(int(u / p_fail * nf), nf - 1)
                for j in range(lo, hi):
                    if failure[j]:
                        if k == 0:
                            chosen = j
                            break
                        k -= 1
                lr *= (rates[chosen] / q) / (p_fail / nf)
            else:                                          # a repair, in proportion to its rate
                pick = (u - p_fail) / (1.0 - p_fail) * qr
                for j in range(lo, hi):
                    if not failure[j]:
                        chosen = j
                        if pick < rates[j]:
                            break
                        pick -= rates[j]
                lr *= (rates[chosen] / q) / ((1.0 - p_fail) * rates[chosen] / qr)
            jumps += 1
            if entry[chosen]:
                y_loss += lr
            s = targets[chosen]
            if s == 0:
                break
        out[0] += y_loss
        out[1] += y_down
        out[2] += y_len
        out[3] += y_loss * y_loss
        out[4] += y_down * y_down
        out[5] += y_len * y_len
        out[6] += y_loss * y_len
        out[7] += y_down * y_len
    return out, jumps


def _ratio(sum_a: float, sum_aa: float, sum_ab: float, sum_b: float, sum_bb: float, n: int) -> tuple[float, float]:
    """A ratio of means and its delta-method standard error."""
    a, b = sum_a / n, sum_b / n
    r = a / b
    var_a = max(sum_aa / n - a * a, 0.0)
    var_b = max(sum_bb / n - b * b, 0.0)
    cov = sum_ab / n - a * b
    var = max(var_a - 2 * r * cov + r * r * var_b, 0.0)
    return r, math.sqrt(var / n) / b


def _run(cycles: int, first_chunk: int, seed: int, args: tuple, z: float, precision: float,
         deadline: float, stop_early: bool) -> tuple[np.ndarray, int, int]:
    """(sums, cycles, jumps) of up to ``cycles`` cycles in doubling chunks; with ``stop_early``, stop
    once the loss rate's interval is within +-``precision`` (or at ``deadline``)."""
    sums = np.zeros(8)
    n = jumps = chunk = 0
    while n < cycles:
        todo = int(min(FIRST_CHUNK_CYCLES << min(chunk, 8), MAX_CHUNK_CYCLES, cycles - n))
        part, j = bfb_cycles(todo, batch_seed(seed, first_chunk + chunk), *args)
        sums += part
        n += todo
        jumps += j
        chunk += 1
        if stop_early:
            rate, se = _ratio(sums[0], sums[3], sums[6], sums[2], sums[5], n)
            if (rate > 0 and z * se <= precision * rate) or time.perf_counter() > deadline:
                break
    return sums, n, jumps


def _probe_bias(model: tuple, seed: int, z: float, deadline: float) -> float:
    """The candidate bias with the least relative variance x wall time over a short probe each."""
    best, best_work = BIASES[1], math.inf
    for k, bias in enumerate(BIASES):
        t0 = time.perf_counter()
        sums, n, _ = _run(PROBE_CYCLES, (2 << 20) + 64 * k, seed, (bias, *model), z, 0.0, deadline, False)
        rate, se = _ratio(sums[0], sums[3], sums[6], sums[2], sums[5], n)
        work = (se / rate) ** 2 * (time.perf_counter() - t0) if rate > 0 else math.inf
        if work < best_work:
            best, best_work = bias, work
    return best


def importance(spec: AvailabilitySpec, precision: float = 0.2, max_cycles: int = 10_000_000, seed: int = 0,
               max_seconds: float = 60.0, bias: float | None = None) -> AvailabilityResult:
    """Loss rate and availability of ``spec`` by balanced failure biasing, to +-``precision`` (95 %).

    Two stages, so that stopping on a narrow interval does not favour large estimates: a pilot
    run grows until its interval is narrow enough and sizes the final run (1.2 x the cycles the
    pilot's variance asks for, at least the pilot's), which is drawn afresh and alone gives the
    figures. ``bias`` None:
    a probe of each candidate in ``BIASES`` picks the one with the least work per precision
    (relative variance x wall time); deep chains (many failures to a loss) want a stronger bias.
    """
    if not (math.isfinite(precision) and 0 <= precision < 1):
        raise ModelError("precision", f"a relative half-width in [0, 1), got {precision}", "use 0.2 for +-20 %")
    if max_cycles < 1:
        raise ModelError("max_cycles", f"run at least one cycle, got {max_cycles}", "set max_cycles >= 1")
    if bias is not None and not 0 < bias < 1:
        raise ModelError("bias", f"a probability strictly between 0 and 1, got {bias}", "use 0.5 to 0.9")
    start = time.perf_counter()
    chain = build_chain(spec)
    if chain.size == 1:
        raise ModelError("failure rates", "nothing in this cluster can fail", "set a positive failure rate")
    offsets, targets, rates, failure, entry = csr(chain)
    z = float(stats.norm.ppf(0.975))
    deadline = start + max_seconds
    model = (offsets, targets, rates, failure, entry, ~chain.accessible)
    if bias is None:
        bias = _probe_bias(model, seed, z, deadline)
    args = (bias, *model)
    sums, n, jumps = _run(max_cycles, 0, seed, args, z, precision, deadline, True)
    rate, se = _ratio(sums[0], sums[3], sums[6], sums[2], sums[5], n)
    notes = [f"pilot: {n} regeneration cycles, {jumps} jumps, failure bias {bias}"]
    if rate > 0 and z * se <= precision * rate and time.perf_counter() < deadline:
        final = int(min(max_cycles, max(n, math.ceil(1.2 * n * (z * se / (precision * rate)) ** 2))))
        sums, n, jumps = _run(final, 1 << 20, seed, args, z, precision, deadline, False)
        rate, se = _ratio(sums[0], sums[3], sums[6], sums[2], sums[5], n)
        notes.append(f"final: {n} regeneration cycles, {jumps} jumps (independent of the pilot)")
    else:
        notes.append("the pilot did not reach the precision within its budget: its own figures")
    half = z * se
    u, se_u = _ratio(sums[1], sums[4], sums[7], sums[2], sums[5], n)
    u_lo, u_hi = max(u - z * se_u, 0.0), min(u + z * se_u, 1.0)
    r_lo, r_hi = max(rate - half, 0.0), rate + half

    def inv(x: float) -> float:
        return math.inf if x <= 0 else 1.0 / x

    def annual(x: float) -> float:
        return -math.expm1(-x)

    return AvailabilityResult(
        "importance", Estimate(1 - u, 1 - u_hi, 1 - u_lo), Estimate(nines_of(u), nines_of(u_hi), nines_of(u_lo)),
        Estimate(u * SECONDS_PER_YEAR, u_lo * SECONDS_PER_YEAR, u_hi * SECONDS_PER_YEAR),
        Estimate(rate, r_lo, r_hi), Estimate(annual(rate), annual(r_lo), annual(r_hi)),
        Estimate(inv(rate), inv(r_hi), inv(r_lo)), ASSUMPTIONS, cluster_years=float(sums[2]),
        events_per_cluster_year=0.0, wall_s=time.perf_counter() - start, states=chain.size,
        notes=(*notes, "cluster_years: the likelihood-weighted simulated time"))
