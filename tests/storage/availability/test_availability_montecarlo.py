"""The compiled Monte Carlo against the exact Markov solution, with tolerances from its own statistics.

The simulation walks fault domain by fault domain (its own code, not the chain's state list), so
agreement with the Markov chain checks both. Tolerance: 3.3 standard errors (two-sided 99.9 %),
the standard error read from the run's own 95 % interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.availability import AvailabilitySpec, evaluate
from vnetsim.storage.availability.chain import rates_of
from vnetsim.storage.availability.montecarlo import kernel_args, simulate_kernel

Z = 3.3
FAST = dict(data_per_host_bytes=5e13)       # slow rebuilds: more overlaps, so fewer years suffice

SPECS = {
    "robo": AvailabilitySpec(hosts=2, witness=True, device_afr=0.2, host_afr=0.3, witness_afr=0.5, **FAST),
    "raid5-4+1": AvailabilitySpec(hosts=6, data_fragments=4, parity_fragments=1, device_afr=0.1, host_afr=0.3, **FAST),
    "racks-and-site": AvailabilitySpec(hosts=16, hosts_per_fault_domain=4, fault_domain_rate_per_year=0.5,
                                       host_afr=0.3, site_rate_per_year=0.2, **FAST),
    "stretched": AvailabilitySpec(hosts=6, sites=2, site_mirroring=True, witness=True, site_rate_per_year=1.0,
                                  host_afr=1.0, witness_afr=2.0, intersite_bandwidth_bps=1e8, **FAST),
    "three-hosts-no-spare": AvailabilitySpec(hosts=3, host_afr=0.5, device_afr=0.05, **FAST),
}


def _close(exact: float, est, z: float = Z) -> bool:
    se = (est.high - est.low) / (2 * 1.96)
    return abs(est.value - exact) <= z * se


@pytest.mark.parametrize("name", sorted(SPECS))
def test_montecarlo_agrees_with_markov(name):
    spec = SPECS[name]
    exact = evaluate(spec)
    mc = evaluate(spec, method="montecarlo", years=4e5, seed=7)
    assert _close(1 - exact.availability.value, _unavail(mc)), (name, exact.availability, mc.availability)
    assert _close(exact.loss_rate_per_year.value, mc.loss_rate_per_year), (name, exact.loss_rate_per_year,
                                                                           mc.loss_rate_per_year)
    assert _close(exact.annual_loss_probability.value, mc.annual_loss_probability)
    assert mc.loss_rate_per_year.low < mc.loss_rate_per_year.value < mc.loss_rate_per_year.high


def _unavail(r):
    from vnetsim.storage.availability import Estimate
    return Estimate(1 - r.availability.value, 1 - r.availability.high, 1 - r.availability.low)


def test_compiled_kernel_equals_the_interpreted_loop():
    """Same code, same seed: the compiled kernel and the plain-Python loop give the same counts."""
    args = kernel_args(rates_of(SPECS["racks-and-site"]))
    fast = simulate_kernel(200.0, np.uint64(12345), *args)
    with np.errstate(over="ignore"):                        # uint64 wrap-around is the generator's step
        slow = simulate_kernel.py_func(200.0, np.uint64(12345), *args)
    assert fast[1:] == slow[1:] and math.isclose(fast[0], slow[0], rel_tol=1e-12)


def test_events_per_cluster_year_is_twice_the_failure_rate():
    """Every failure is repaired: events per year ~ 2 x the failures per year."""
    spec = AvailabilitySpec(hosts=16)
    r = evaluate(spec, method="montecarlo", years=2e5, seed=3)
    failures = 16 * (spec.host_afr + spec.devices_per_host * spec.device_afr)
    sd = math.sqrt(2 * 2 * failures / r.cluster_years)      # Poisson count of failures, each with its repair
    assert abs(r.events_per_cluster_year - 2 * failures) <= Z * sd * 2


def test_seed_reproducible_and_seed_sensitive():
    spec = SPECS["robo"]
    a = evaluate(spec, method="montecarlo", years=1e4, seed=1)
    b = evaluate(spec, method="montecarlo", years=1e4, seed=1)
    c = evaluate(spec, method="montecarlo", years=1e4, seed=2)
    assert a.availability == b.availability and a.loss_rate_per_year == b.loss_rate_per_year
    assert a.availability != c.availability


def test_too_few_years_is_a_model_error():
    with pytest.raises(ModelError):
        evaluate(SPECS["robo"], method="montecarlo", years=0.5)
