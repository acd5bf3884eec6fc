"""The Markov model against the textbook closed forms, and its figures against each other.

Closed forms (docs/models/storage-availability.md): a two-way mirror with per-unit failure rate
lambda and repair rate mu has MTTDL = (3 lambda + mu) / (2 lambda^2); a single-parity array of
k + 1 units has MTTDL = ((2k + 1) lambda + mu) / (k (k + 1) lambda^2) (Patterson, Gibson and Katz
1988; Gibson 1991). The steady-state figures of the two-unit mirror are checked against its
balance equations and a hand-written generator.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from vnetsim.errors import ModelError
from vnetsim.storage.availability import SECONDS_PER_YEAR, AvailabilitySpec, evaluate
from vnetsim.storage.availability.chain import build_chain
from vnetsim.storage.availability.markov import stationary

LAM = 0.5   # failures per unit per year: large, so the figures are far from any rounding


def _device_only(**kw) -> AvailabilitySpec:
    """Units that are single devices: only device failures, one device per fault domain."""
    base = dict(devices_per_host=1, host_afr=0.0, device_afr=LAM, data_per_host_bytes=1e12, rebuild_bandwidth_bps=1e9)
    base.update(kw)
    return AvailabilitySpec(**base)


def test_mirror_mttdl_matches_closed_form():
    spec = _device_only(hosts=2, witness=True, witness_afr=0.0)
    mu = SECONDS_PER_YEAR / spec.device_rebuild_s
    got = evaluate(spec).mttdl_years.value
    assert got == pytest.approx((3 * LAM + mu) / (2 * LAM**2), rel=1e-9)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_single_parity_mttdl_matches_closed_form(k):
    spec = _device_only(hosts=k + 1, data_fragments=k, parity_fragments=1)
    mu = SECONDS_PER_YEAR / spec.device_rebuild_s
    got = evaluate(spec).mttdl_years.value
    assert got == pytest.approx(((2 * k + 1) * LAM + mu) / (k * (k + 1) * LAM**2), rel=1e-9)


def test_mirror_availability_and_annual_loss_closed_forms():
    """Two-unit mirror whose lost state returns whole to healthy (a three-state cycle)."""
    spec = _device_only(hosts=2, witness=True, witness_afr=0.0, host_repair_s=86400.0)
    mu = SECONDS_PER_YEAR / spec.device_rebuild_s
    nu = SECONDS_PER_YEAR / spec.host_repair_s            # back from the lost state
    r = evaluate(spec)
    # balance: pi0 2L = pi1 (mu + L), pi1 L = pi2 nu; the lost state is the unavailable one
    w = np.array([1.0, 2 * LAM / (mu + LAM), 2 * LAM / (mu + LAM) * LAM / nu])
    w /= w.sum()
    assert 1 - r.availability.value == pytest.approx(w[2], rel=1e-9)
    assert r.loss_rate_per_year.value == pytest.approx(w[1] * LAM, rel=1e-9)
    # at least one loss within a year in steady state: the hand-written chain 0, 1, X with the
    # entry into X redirected to an absorbing state A, started from the stationary weights
    q = np.array([[-2 * LAM, 2 * LAM, 0, 0], [mu, -(mu + LAM), 0, LAM], [nu, 0, -nu, 0], [0, 0, 0, 0]])
    p_hit = np.append(w, 0.0) @ expm(q)[:, 3]
    assert r.annual_loss_probability.value == pytest.approx(p_hit, rel=1e-9)
    # and the MTTDL from healthy is the first passage 0 -> X: the mirror closed form
    assert r.mttdl_years.value == pytest.approx((3 * LAM + mu) / (2 * LAM**2), rel=1e-9)


def test_gth_stationary_solves_a_random_generator():
    rng = np.random.default_rng(1)
    q = rng.exponential(size=(7, 7)) * (rng.random((7, 7)) < 0.6)
    q[np.arange(6), np.arange(1, 7)] += 0.3        # irreducible: a cycle through every state
    q[6, 0] += 0.3
    np.fill_diagonal(q, 0.0)
    q[np.diag_indices(7)] = -q.sum(axis=1)
    pi = stationary(q)
    assert np.allclose(pi @ q, 0.0, atol=1e-12) and pi.sum() == pytest.approx(1.0)


def test_more_tolerance_more_nines_and_rack_events_cost_nines():
    raid5 = AvailabilitySpec(hosts=8, data_fragments=3, parity_fragments=1)
    raid6 = AvailabilitySpec(hosts=8, data_fragments=4, parity_fragments=2)
    a5, a6 = evaluate(raid5), evaluate(raid6)
    assert a6.nines.value > a5.nines.value and a6.mttdl_years.value > 100 * a5.mttdl_years.value
    racks = AvailabilitySpec(hosts=16, hosts_per_fault_domain=4, fault_domain_rate_per_year=0.1)
    no_racks = AvailabilitySpec(hosts=16, hosts_per_fault_domain=4)
    assert evaluate(racks).mttdl_years.value < evaluate(no_racks).mttdl_years.value


def test_absent_semantics_wait_the_repair_delay():
    degraded = AvailabilitySpec(hosts=6, host_semantics="degraded", device_afr=0.0)
    absent = AvailabilitySpec(hosts=6, host_semantics="absent", device_afr=0.0)
    assert absent.host_rebuild_s - degraded.host_rebuild_s == pytest.approx(3600.0)
    assert evaluate(absent).mttdl_years.value < evaluate(degraded).mttdl_years.value


def test_three_host_mirror_cannot_reprotect_and_waits_for_the_host():
    """RAID-1 FTT 1 on 3 hosts has no spare fault domain: a failed host's components wait for it."""
    three = build_chain(AvailabilitySpec(hosts=3, device_afr=0.0))
    four = build_chain(AvailabilitySpec(hosts=4, device_afr=0.0))
    back3 = three.rate[(three.source == 1) & (three.target == 0)][0]
    back4 = four.rate[(four.source == 1) & (four.target == 0)][0]
    assert back3 == pytest.approx(SECONDS_PER_YEAR / (3 * 86400.0))
    spec4 = AvailabilitySpec(hosts=4)
    assert back4 == pytest.approx(SECONDS_PER_YEAR / spec4.host_rebuild_s)


def test_stretched_survives_a_site_and_loses_only_both():
    spec = AvailabilitySpec(hosts=12, sites=2, site_mirroring=True, witness=True, site_rate_per_year=0.5)
    single = AvailabilitySpec(hosts=6, site_rate_per_year=0.5)
    r, s = evaluate(spec), evaluate(single)
    assert r.nines.value > s.nines.value + 1 and r.mttdl_years.value > 1e3 * s.mttdl_years.value


@pytest.mark.parametrize("kw,field", [
    (dict(hosts=3, data_fragments=3, parity_fragments=1), "hosts"),
    (dict(sites=2, hosts=12), "sites"),
    (dict(hosts=7, hosts_per_fault_domain=2), "hosts"),
    (dict(device_afr=-1.0), "device_afr"),
    (dict(rebuild_bandwidth_bps=float("nan")), "rebuild_bandwidth_bps"),
    (dict(hosts=3, witness=True, parity_fragments=2), "witness"),
])
def test_bad_specs_are_one_line_model_errors(kw, field):
    with pytest.raises(ModelError) as err:
        AvailabilitySpec(**kw)
    assert err.value.field == field and "\n" not in str(err.value)


def test_unknown_method_is_a_model_error():
    with pytest.raises(ModelError):
        evaluate(AvailabilitySpec(), method="guess")


def test_mttdl_by_renewal_matches_the_linear_solve_where_it_is_well_conditioned():
    spec = AvailabilitySpec(hosts=6, data_fragments=4, parity_fragments=1, device_afr=0.1, host_afr=0.3,
                            data_per_host_bytes=5e13)
    chain = build_chain(spec)
    q = chain.generator()
    keep = ~chain.loss
    direct = np.linalg.solve(q[np.ix_(keep, keep)], -np.ones(int(keep.sum())))[0]
    assert evaluate(spec).mttdl_years.value == pytest.approx(direct, rel=1e-9)


def test_rare_losses_keep_their_accuracy():
    """Loss once in ~1e14 years in a 128-state stretched chain: MTTDL, the loss rate and the annual
    probability must tell one story (MTTDL x rate = 1 and P = rate x 1 year when losses are rare)."""
    spec = AvailabilitySpec(hosts=20, sites=2, site_mirroring=True, witness=True, parity_fragments=2,
                            site_rate_per_year=0.1, hosts_per_fault_domain=2)
    r = evaluate(spec)
    rate = r.loss_rate_per_year.value
    assert r.states > 100 and 0 < rate < 1e-12
    assert r.mttdl_years.value * rate == pytest.approx(1.0, rel=1e-4)
    assert r.annual_loss_probability.value == pytest.approx(rate, rel=1e-4)
