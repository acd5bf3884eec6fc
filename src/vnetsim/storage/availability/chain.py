"""The continuous-time Markov chain of a spec: its states, transitions, accessible and loss states.

A site's state is the number of its fault domains failed by each class, (devices, hosts, racks),
while at most ``tolerance`` are failed; ``X`` once more have failed (the site's copy is lost or
inaccessible); ``S`` during a site event. The cluster's state is the tuple of its sites' states
and the witness (up or down). Transitions are labelled failure or repair, as failure biasing needs.

Rates (per year) of a site in state (a, b, c) with n = a + b + c failed of F fault domains:

- failure of class i: (F - n) * lambda_i, to X when n = tolerance;
- repair of class i: count_i / R_i when the failed fault domain can be re-protected (class device
  with more than one device per host, or F - n >= width healthy fault domains left), else
  count_i / H_i (the hardware must return);
- site event: site rate, to S; S back to all healthy after ``site_repair_s``; X back to all healthy
  after ``host_repair_s`` (one site: the hardware returns with its data) or, stretched, after
  ``site_copy_resync_s`` while the other site is healthy (rebuilt from it).

Failures of a fault domain already failed are not modelled (it is down already); states a healthy
cluster cannot reach are dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from vnetsim.storage.availability.spec import SECONDS_PER_YEAR, AvailabilitySpec

X = (-1, -1, -1)   # a site whose copy is lost or inaccessible
S = (-2, -2, -2)   # a site down by a site event

DEVICE, HOST, RACK = 0, 1, 2


@dataclass(frozen=True)
class Rates:
    """The per-fault-domain rates of a spec, per year, shared by every method."""

    fault_domains: int
    tolerance: int
    width: int
    sites: int
    witness: bool
    failure: np.ndarray        # lambda per healthy fault domain, by class
    reprotect: np.ndarray      # 1/R by class (rebuilt elsewhere)
    restore: np.ndarray        # 1/H by class (the hardware returns)
    device_local: bool         # a device can be rebuilt on its own host's other devices
    site_failure: float
    site_return: float
    lost_return: float         # X back when the hardware returns
    lost_resync: float         # X back when rebuilt from the other site (stretched)
    witness_failure: float
    witness_return: float


def rates_of(spec: AvailabilitySpec) -> Rates:
    """Per-year rates of ``spec`` (times in seconds become rates per year)."""
    def per_year(seconds: float) -> float:
        return SECONDS_PER_YEAR / seconds

    h = spec.hosts_per_fault_domain
    failure = np.array([h * spec.devices_per_host * spec.device_afr, h * spec.host_afr,
                        spec.fault_domain_rate_per_year])
    reprotect = np.array([per_year(spec.device_rebuild_s), per_year(spec.host_rebuild_s),
                          per_year(spec.fault_domain_rebuild_s)])
    restore = np.array([per_year(spec.device_rebuild_s), per_year(spec.host_repair_s),
                        per_year(spec.fault_domain_repair_s)])
    return Rates(spec.fault_domains_per_site, spec.tolerance, spec.width, spec.sites, spec.witness, failure,
                 reprotect, restore, spec.devices_per_host > 1, spec.site_rate_per_year, per_year(spec.site_repair_s),
                 per_year(spec.host_repair_s), per_year(spec.site_copy_resync_s), spec.witness_afr,
                 per_year(spec.witness_repair_s))


def repair_rate(r: Rates, cls: int, failed: int) -> float:
    """Repair rate of one fault domain failed by ``cls`` while ``failed`` fault domains of its site are down."""
    if (cls == DEVICE and r.device_local) or r.fault_domains - failed >= r.width:
        return float(r.reprotect[cls])
    return float(r.restore[cls])


def site_normal(site: tuple[int, int, int]) -> bool:
    return site[0] >= 0


def accessible(r: Rates, sites: tuple, witness_up: bool) -> bool:
    """Every object readable: quorum and a full copy (the rule of docs/models/storage-availability.md)."""
    if r.sites == 2:
        bad = sum(not site_normal(s) for s in sites) + (0 if witness_up else 1)
        return bad <= 1
    site = sites[0]
    if not site_normal(site):
        return False
    down = sum(site) + (0 if (witness_up or not r.witness) else 1)
    return down <= r.tolerance


def lost(r: Rates, sites: tuple) -> bool:
    """Data lost: every site's copy lost."""
    return all(s == X for s in sites)


def _site_moves(r: Rates, site: tuple[int, int, int], other_normal: bool):
    """(next site state, rate, is_failure) of one site."""
    if site == X:
        yield (0, 0, 0), (r.lost_resync if (r.sites == 2 and other_normal) else r.lost_return), False
        return
    if site == S:
        yield (0, 0, 0), r.site_return, False
        return
    n = sum(site)
    healthy = r.fault_domains - n
    for cls in range(3):
        rate = healthy * float(r.failure[cls])
        if rate > 0:
            nxt = X if n == r.tolerance else tuple(v + (k == cls) for k, v in enumerate(site))
            yield nxt, rate, True
        if site[cls] > 0:
            yield tuple(v - (k == cls) for k, v in enumerate(site)), site[cls] * repair_rate(r, cls, n), False
    if r.site_failure > 0:
        yield S, r.site_failure, True


@dataclass(frozen=True)
class Chain:
    """A spec's Markov chain: state 0 is the healthy cluster; transitions as COO arrays (per year)."""

    states: tuple
    source: np.ndarray
    target: np.ndarray
    rate: np.ndarray
    failure: np.ndarray        # bool per transition
    accessible: np.ndarray     # bool per state
    loss: np.ndarray           # bool per state

    @property
    def size(self) -> int:
        return len(self.states)

    def generator(self) -> np.ndarray:
        """The dense generator Q (rows sum to zero)."""
        q = np.zeros((self.size, self.size))
        np.add.at(q, (self.source, self.target), self.rate)
        q[np.diag_indices(self.size)] -= q.sum(axis=1)
        return q


def build_chain(spec: AvailabilitySpec) -> Chain:
    """Enumerate the states a healthy cluster reaches, breadth first, with their transitions."""
    r = rates_of(spec)
    start = (tuple((0, 0, 0) for _ in range(r.sites)), True)
    index = {start: 0}
    order = [start]
    src: list[int] = []
    dst: list[int] = []
    rates: list[float] = []
    fail: list[bool] = []
    queue = deque([start])
    while queue:
        state = queue.popleft()
        sites, witness_up = state
        moves = []
        for k, site in enumerate(sites):
            other_normal = r.sites == 2 and site_normal(sites[1 - k])
            for nxt, rate, is_failure in _site_moves(r, site, other_normal):
                moves.append(((sites[:k] + (nxt,) + sites[k + 1:], witness_up), rate, is_failure))
        if r.witness:
            if witness_up and r.witness_failure > 0:
                moves.append(((sites, False), r.witness_failure, True))
            elif not witness_up:
                moves.append(((sites, True), r.witness_return, False))
        for nxt_state, rate, is_failure in moves:
            if nxt_state not in index:
                index[nxt_state] = len(order)
                order.append(nxt_state)
                queue.append(nxt_state)
            src.append(index[state])
            dst.append(index[nxt_state])
            rates.append(rate)
            fail.append(is_failure)
    acc = np.array([accessible(r, s, w) for s, w in order])
    loss = np.array([lost(r, s) for s, _ in order])
    return Chain(tuple(order), np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                 np.array(rates, dtype=np.float64), np.array(fail, dtype=bool), acc, loss)
