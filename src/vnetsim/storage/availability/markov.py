"""Exact solution of a spec's Markov chain: availability, loss rate, MTTDL, annual loss probability.

- Steady state by the Grassmann-Taksar-Heyman elimination (no subtractions, so the tiny
  probabilities of unavailable states keep their relative accuracy), availability = the
  stationary mass of accessible states.
- Loss rate = the stationary flow into loss states; MTTDL = the mean time to absorption from
  the healthy cluster, by renewal: redirect every entry into a loss state to the healthy state,
  and MTTDL = 1 / the stationary rate of those entries (GTH again, where solving Q_TT m = -1
  loses all accuracy once MTTDL is 1e12 times the repair times); annual loss probability =
  the probability of at least one loss event within a year in steady state: the chain started
  from its stationary distribution, every entry into a loss state redirected to an absorbing
  state, its mass after one year from the matrix exponential.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.linalg import expm
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from vnetsim.storage.availability.chain import Chain, build_chain
from vnetsim.storage.availability.spec import SECONDS_PER_YEAR, AvailabilityResult, AvailabilitySpec, Estimate

ASSUMPTIONS = (
    "exponential failure and repair times (a continuous-time Markov chain)",
    "worst-case placement: any tolerance+1 failed fault domains of a site lose some object",
    "failed fault domains are repaired in parallel, each at its own rate",
    "a failure in a fault domain already down is not modelled",
    "a lost or inaccessible site copy returns whole (hardware back, or resync from the other site)",
)


def stationary(q: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible generator by GTH elimination."""
    p = np.array(q, dtype=np.float64)
    np.fill_diagonal(p, 0.0)
    n = p.shape[0]
    for k in range(n - 1, 0, -1):
        s = p[k, :k].sum()
        p[:k, k] /= s
        p[:k, :k] += np.outer(p[:k, k], p[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for j in range(1, n):
        pi[j] = pi[:j] @ p[:j, j]
    return pi / pi.sum()


def mttdl_years(chain: Chain) -> float:
    """Mean time to data loss from the healthy cluster, by renewal and GTH (no ill-conditioned solve).

    Redirect every transition into a loss state to the healthy state and drop the loss states:
    the resulting chain renews at each loss, each renewal cycle is one first passage from healthy
    to loss, so MTTDL = 1 / (its stationary rate of redirected transitions).
    """
    into = (~chain.loss[chain.source]) & chain.loss[chain.target]
    if not into.any():
        return math.inf
    keep = ~chain.loss
    index = np.cumsum(keep) - 1                       # state number among the kept states
    live = keep[chain.source]
    src = index[chain.source[live]]
    dst = np.where(into[live], 0, index[chain.target[live]])
    n = int(keep.sum())
    rates = chain.rate[live]
    reach = breadth_first_order(coo_matrix((rates, (src, dst)), shape=(n, n)).tocsr(), 0,
                                return_predecessors=False)
    renumber = np.full(n, -1)
    renumber[reach] = np.arange(len(reach))              # states reached only through a loss are dropped
    ok = (renumber[src] >= 0) & (renumber[dst] >= 0)
    src, dst, rates, entry = renumber[src[ok]], renumber[dst[ok]], rates[ok], into[live][ok]
    q = np.zeros((len(reach), len(reach)))
    np.add.at(q, (src, dst), rates)
    q[np.diag_indices(len(reach))] -= q.sum(axis=1)
    pi = stationary(q)
    return 1.0 / float((pi[src[entry]] * rates[entry]).sum())


def loss_probability(chain: Chain, pi: np.ndarray, years: float = 1.0) -> float:
    """Probability of at least one data-loss event within ``years`` in steady state.

    Every transition into a loss state is redirected to one extra absorbing state; the chain
    starts from the stationary distribution ``pi``; the answer is the absorbed mass at ``years``.
    """
    n = chain.size
    into = (~chain.loss[chain.source]) & chain.loss[chain.target]
    target = np.where(into, n, chain.target)
    q = np.zeros((n + 1, n + 1))
    np.add.at(q, (chain.source, target), chain.rate)
    q[np.diag_indices(n + 1)] -= q.sum(axis=1)
    start = np.append(pi, 0.0)
    p_loss = float(start @ expm(q * years)[:, n])
    return min(max(p_loss, 0.0), 1.0)


def nines_of(unavailability: float) -> float:
    return math.inf if unavailability <= 0 else -math.log10(unavailability)


def solve(spec: AvailabilitySpec, horizon_years: float = 1.0) -> AvailabilityResult:
    """The exact Markov figures of ``spec`` (``horizon_years``: the horizon of the loss probability)."""
    start = time.perf_counter()
    chain = build_chain(spec)
    q = chain.generator()
    pi = stationary(q)
    unavailable = float(pi[~chain.accessible].sum())
    into_loss = (~chain.loss[chain.source]) & chain.loss[chain.target]
    loss_rate = float((pi[chain.source[into_loss]] * chain.rate[into_loss]).sum())
    mttdl = mttdl_years(chain)
    p_loss = loss_probability(chain, pi, horizon_years)
    e = Estimate.exact
    return AvailabilityResult(
        "markov", e(1.0 - unavailable), e(nines_of(unavailable)), e(unavailable * SECONDS_PER_YEAR), e(loss_rate),
        e(p_loss), e(mttdl), ASSUMPTIONS, wall_s=time.perf_counter() - start, states=chain.size,
        notes=(f"loss probability: at least one data loss within {horizon_years:g} year(s), in steady state",
               "MTTDL: mean time to the first data loss from a healthy cluster"))
