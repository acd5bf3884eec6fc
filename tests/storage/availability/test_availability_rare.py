"""Balanced failure biasing: the exact Markov figure inside its interval for a rare loss, and no bias
against plain Monte Carlo where both can see the loss.

Tolerance: 3.3 standard errors (two-sided 99.9 %), the standard error read from the 95 % interval
the estimator reports (an asymptotic, delta-method interval)."""

from __future__ import annotations

import math

import pytest

from vnetsim.storage.availability import AvailabilitySpec, evaluate

Z = 3.3


def _se(est) -> float:
    return (est.high - est.low) / (2 * 1.96)


def _within(exact: float, est) -> bool:
    """Inside 3.3 standard errors (99.9 %): a deterministic seed must not sit on a 5 % edge."""
    return abs(est.value - exact) <= Z * _se(est)


@pytest.mark.parametrize("spec", [
    AvailabilitySpec(hosts=16, data_fragments=4, parity_fragments=2),                      # ~1e-8 a year
    AvailabilitySpec(hosts=12, sites=2, site_mirroring=True, witness=True, site_rate_per_year=0.1),  # ~4e-13
    AvailabilitySpec(hosts=16, hosts_per_fault_domain=4, fault_domain_rate_per_year=0.05, parity_fragments=1),
], ids=["raid6-16-hosts", "stretched-12-hosts", "racks"])
def test_markov_inside_the_importance_interval_for_rare_losses(spec):
    exact = evaluate(spec)
    rare = evaluate(spec, method="importance", precision=0.1, seed=11, max_cycles=2_000_000)
    assert rare.loss_rate_per_year.relative_half_width <= 0.11
    assert _within(exact.loss_rate_per_year.value, rare.loss_rate_per_year)
    assert _within(exact.annual_loss_probability.value, rare.annual_loss_probability)
    assert _within(exact.availability.value, rare.availability)


def test_importance_sampling_is_unbiased_against_plain_montecarlo():
    """A loss every ~100 years: plain Monte Carlo sees thousands; the two estimates agree."""
    spec = AvailabilitySpec(hosts=6, data_fragments=4, parity_fragments=1, device_afr=0.1, host_afr=0.3,
                            data_per_host_bytes=5e13)
    plain = evaluate(spec, method="montecarlo", years=4e5, seed=5)
    rare = evaluate(spec, method="importance", precision=0.02, seed=6)
    a, b = plain.loss_rate_per_year, rare.loss_rate_per_year
    assert abs(a.value - b.value) <= Z * math.hypot(_se(a), _se(b))
    ua, ub = 1 - plain.availability.value, 1 - rare.availability.value
    assert abs(ua - ub) <= Z * math.hypot(_se(plain.availability), _se(rare.availability))


def test_biasing_changes_the_path_not_the_answer():
    spec = AvailabilitySpec(hosts=8, data_fragments=3, parity_fragments=1)
    from vnetsim.storage.availability.rare import importance
    exact = evaluate(spec).loss_rate_per_year.value
    for bias in (0.3, 0.5, 0.8):
        r = importance(spec, precision=0.05, seed=2, bias=bias)
        assert abs(r.loss_rate_per_year.value - exact) <= Z * _se(r.loss_rate_per_year), bias


def test_nothing_can_fail_is_a_model_error():
    from vnetsim.errors import ModelError
    spec = AvailabilitySpec(hosts=4, device_afr=0.0, host_afr=0.0)
    assert evaluate(spec).mttdl_years.value == math.inf
    with pytest.raises(ModelError):
        evaluate(spec, method="importance")


def test_deep_chain_reaches_its_precision_with_the_probed_bias():
    """Loss needs six failures (FTT 2 lost in both sites): ~1e-18 a year, 128 states."""
    spec = AvailabilitySpec(hosts=40, sites=2, site_mirroring=True, witness=True, parity_fragments=2,
                            hosts_per_fault_domain=2, site_rate_per_year=0.1)
    exact = evaluate(spec)
    rare = evaluate(spec, method="importance", precision=0.3, seed=3, max_seconds=30)
    assert exact.loss_rate_per_year.value < 1e-17
    assert rare.loss_rate_per_year.relative_half_width <= 0.3, rare.notes
    assert _within(exact.loss_rate_per_year.value, rare.loss_rate_per_year)


@pytest.mark.parametrize("kw,field", [(dict(precision=-0.1), "precision"), (dict(precision=float("nan")), "precision"),
                                      (dict(max_cycles=0), "max_cycles")])
def test_bad_importance_options_are_model_errors(kw, field):
    from vnetsim.errors import ModelError
    with pytest.raises(ModelError) as err:
        evaluate(AvailabilitySpec(), method="importance", **kw)
    assert err.value.field == field
