"""Fixed repair durations against the renewal closed form of a two-way mirror.

Two units, failure rate lambda each, a failed unit repaired after exactly tau; the second failure
within tau loses the data, which returns (whole) after exactly H. One renewal cycle: healthy for
Exp(2 lambda), degraded for min(T, tau) with T ~ Exp(lambda), and with probability
q = 1 - exp(-lambda tau) lost for H. Renewal-reward: loss rate = q / E[cycle] and unavailability =
q H / E[cycle], with E[cycle] = 1/(2 lambda) + (1 - exp(-lambda tau)) / lambda + q H. The Markov
chain (exponential repairs, P(loss | degraded) = lambda / (lambda + 1/tau)) gives a different
answer, which the simulation must not reproduce.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.availability import SECONDS_PER_YEAR, AvailabilitySpec, evaluate
from vnetsim.storage.availability.chain import rates_of
from vnetsim.storage.availability.fixed import fixed_kernel
from vnetsim.storage.availability.montecarlo import kernel_args

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))   # the repository root: tests.* importable

from tests.storage.availability.reference_fixed import simulate as reference  # noqa: E402

LAM = 1.0
Z = 3.3


def _mirror(rebuild_bytes: float) -> AvailabilitySpec:
    return AvailabilitySpec(hosts=2, witness=True, witness_afr=0.0, devices_per_host=1, host_afr=0.0, device_afr=LAM,
                            data_per_host_bytes=rebuild_bytes, rebuild_bandwidth_bps=1e9, host_repair_s=30 * 86400.0)


def _closed_form(spec: AvailabilitySpec) -> tuple[float, float]:
    tau = spec.device_rebuild_s / SECONDS_PER_YEAR
    h = spec.host_repair_s / SECONDS_PER_YEAR
    q = 1 - math.exp(-LAM * tau)
    cycle = 1 / (2 * LAM) + q / LAM + q * h
    return q / cycle, q * h / cycle


def _se(est) -> float:
    return (est.high - est.low) / (2 * 1.96)


@pytest.mark.parametrize("rebuild_bytes", [2e14, 2e15])     # tau = 18.5 days and 185 days
def test_fixed_repairs_match_the_renewal_closed_form(rebuild_bytes):
    spec = _mirror(rebuild_bytes)
    rate, unavail = _closed_form(spec)
    r = evaluate(spec, method="montecarlo", repair="fixed", years=2e5, seed=4)
    assert abs(r.loss_rate_per_year.value - rate) <= Z * _se(r.loss_rate_per_year)
    assert abs((1 - r.availability.value) - unavail) <= Z * _se(r.availability)


def test_fixed_repairs_are_not_the_exponential_chain():
    spec = _mirror(2e15)                                      # lambda tau = 0.5: the two models part
    r = evaluate(spec, method="montecarlo", repair="fixed", years=2e5, seed=4)
    chain = evaluate(spec).loss_rate_per_year.value
    assert abs(r.loss_rate_per_year.value - chain) > 5 * _se(r.loss_rate_per_year)


def test_fixed_kernel_compiled_equals_interpreted():
    spec = AvailabilitySpec(hosts=16, hosts_per_fault_domain=4, fault_domain_rate_per_year=0.5, host_afr=0.3,
                            site_rate_per_year=0.2, data_per_host_bytes=5e13)
    args = kernel_args(rates_of(spec))
    fast = fixed_kernel(300.0, np.uint64(99), *args)
    with np.errstate(over="ignore"):
        slow = fixed_kernel.py_func(300.0, np.uint64(99), *args)
    assert fast[1:] == slow[1:] and math.isclose(fast[0], slow[0], rel_tol=1e-12)


def test_fixed_stretched_cluster_runs_and_beats_one_site():
    stretched = AvailabilitySpec(hosts=6, sites=2, site_mirroring=True, witness=True, site_rate_per_year=1.0,
                                 host_afr=1.0, witness_afr=2.0, intersite_bandwidth_bps=1e8, data_per_host_bytes=5e13)
    single = AvailabilitySpec(hosts=3, site_rate_per_year=1.0, host_afr=1.0, data_per_host_bytes=5e13)
    a = evaluate(stretched, method="montecarlo", repair="fixed", years=5e4, seed=1)
    b = evaluate(single, method="montecarlo", repair="fixed", years=5e4, seed=1)
    assert a.availability.value > b.availability.value and a.loss_rate_per_year.value < b.loss_rate_per_year.value


def test_fixed_repairs_only_by_simulation():
    with pytest.raises(ModelError):
        evaluate(_mirror(2e14), method="markov", repair="fixed")
    with pytest.raises(ModelError):
        evaluate(_mirror(2e14), repair="weibull")


@pytest.mark.parametrize("spec", [
    AvailabilitySpec(hosts=8, hosts_per_fault_domain=2, fault_domain_rate_per_year=0.5, host_afr=0.5,
                     device_afr=0.2, site_rate_per_year=0.5, data_per_host_bytes=1e14),
    AvailabilitySpec(hosts=6, sites=2, site_mirroring=True, witness=True, site_rate_per_year=1.0, host_afr=2.0,
                     witness_afr=2.0, intersite_bandwidth_bps=1e9, data_per_host_bytes=1e14),
    AvailabilitySpec(hosts=2, witness=True, host_afr=1.0, witness_afr=1.0, data_per_host_bytes=1e14),
], ids=["racks-and-site", "stretched", "two-node"])
def test_fixed_kernel_agrees_with_the_heap_reference(spec):
    """Two formulations of the same fixed-repair process: within 3.3 combined standard errors."""
    r = rates_of(spec)
    runs, years = 16, 400.0
    ref = np.array([reference(r, years, 1000 + i) for i in range(runs)])
    ref_u = ref[:, 0] / years
    ref_rate = ref[:, 1].sum() / (runs * years)
    fast = evaluate(spec, method="montecarlo", repair="fixed", years=2e5, seed=8)
    se_u = math.hypot(ref_u.std(ddof=1) / math.sqrt(runs), _se(fast.availability))
    assert abs(ref_u.mean() - (1 - fast.availability.value)) <= Z * se_u
    se_rate = math.hypot(math.sqrt(max(ref[:, 1].sum(), 1)) / (runs * years), _se(fast.loss_rate_per_year))
    assert ref[:, 1].sum() >= 10 and abs(ref_rate - fast.loss_rate_per_year.value) <= Z * se_rate
