"""Rebuilds slower than the bandwidth says (the fabric's stretch, per rebuild class): each class's
copy time times its stretch, the repair delay untouched, in every method.

Closed form (docs/models/storage-availability.md): F units each failing at lambda, any two failed
losing data, one repair at rate mu: MTTDL = ((2F - 1) lambda + mu) / (F (F - 1) lambda^2), with
mu = 1 / (the class's re-protection time): the copy time times the stretch (plus the repair delay
for a host or a fault domain). Monte Carlo within 3.3 standard errors of the chain.
"""

from __future__ import annotations

import dataclasses

import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.availability import SECONDS_PER_YEAR, AvailabilitySpec, evaluate

LAM = 0.5
COPY = dict(data_per_host_bytes=1e12, rebuild_bandwidth_bps=1e9, rebuild_bytes_per_byte=2.0)


def _mttdl(f: int, reprotect_s: float) -> float:
    mu = SECONDS_PER_YEAR / reprotect_s
    return ((2 * f - 1) * LAM + mu) / (f * (f - 1) * LAM**2)


@pytest.mark.parametrize("s", [1.0, 2.5, 7.0])
def test_device_stretch_is_the_closed_form_with_the_copy_time_times_s(s):
    spec = AvailabilitySpec(hosts=2, witness=True, witness_afr=0.0, devices_per_host=1, host_afr=0.0, device_afr=LAM,
                            device_rebuild_stretch=s, host_rebuild_stretch=5.0, **COPY)
    copy_s = 1e12 * 2.0 * 8 / 1e9
    assert spec.device_rebuild_s == pytest.approx(copy_s * s)
    assert evaluate(spec).mttdl_years.value == pytest.approx(_mttdl(2, copy_s * s), rel=1e-9)


@pytest.mark.parametrize("s", [1.0, 3.0])
def test_host_stretch_slows_the_copy_not_the_repair_delay(s):
    """Four hosts, RAID-1 FTT 1 (width 3): a failed host is re-protected after the delay plus its
    copy time times s."""
    spec = AvailabilitySpec(hosts=4, devices_per_host=1, device_afr=0.0, host_afr=LAM, host_rebuild_stretch=s,
                            device_rebuild_stretch=9.0, **COPY)
    reprotect = 3600.0 + 1e12 * 2.0 * 8 / 1e9 * s
    assert spec.host_rebuild_s == pytest.approx(reprotect)
    assert evaluate(spec).mttdl_years.value == pytest.approx(_mttdl(4, reprotect), rel=1e-9)


def test_fault_domain_stretch():
    """Four racks of two hosts, only rack events: the rack's two hosts' data, copy times s."""
    s = 4.0
    spec = AvailabilitySpec(hosts=8, hosts_per_fault_domain=2, devices_per_host=1, device_afr=0.0, host_afr=0.0,
                            fault_domain_rate_per_year=LAM, fault_domain_rebuild_stretch=s, host_rebuild_stretch=2.0,
                            **COPY)
    reprotect = 3600.0 + 2 * 1e12 * 2.0 * 8 / 1e9 * s
    assert spec.fault_domain_rebuild_s == pytest.approx(reprotect)
    assert evaluate(spec).mttdl_years.value == pytest.approx(_mttdl(4, reprotect), rel=1e-9)


def test_a_stretch_costs_durability_in_markov_montecarlo_and_importance():
    """The same stretched spec by all three methods: Monte Carlo and importance sampling within
    3.3 standard errors of the chain's loss rate, and the stretched chain loses more than the
    host-bound one."""
    base = AvailabilitySpec(hosts=6, data_fragments=4, parity_fragments=1, device_afr=0.1, host_afr=0.3,
                            data_per_host_bytes=5e13)
    bound = dataclasses.replace(base, device_rebuild_stretch=2.0, host_rebuild_stretch=3.0,
                                fault_domain_rebuild_stretch=3.0)
    exact = evaluate(bound)
    assert exact.loss_rate_per_year.value > 1.5 * evaluate(base).loss_rate_per_year.value
    for method, kw in (("montecarlo", dict(years=4e5)), ("importance", dict(precision=0.05))):
        est = evaluate(bound, method=method, seed=3, **kw).loss_rate_per_year
        se = (est.high - est.low) / (2 * 1.96)
        assert abs(est.value - exact.loss_rate_per_year.value) <= 3.3 * se, (method, est, exact.loss_rate_per_year)


@pytest.mark.parametrize("field, value", [("host_rebuild_stretch", 0.5), ("device_rebuild_stretch", float("inf")),
                                          ("fault_domain_rebuild_stretch", float("nan")),
                                          ("rebuild_bytes_per_byte", 0.0)])
def test_bad_stretches_are_model_errors(field, value):
    with pytest.raises(ModelError) as exc:
        AvailabilitySpec(**{field: value})
    assert exc.value.field == field
