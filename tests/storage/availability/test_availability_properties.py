"""Properties of the Markov solution over many generated clusters (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.storage.availability import AvailabilitySpec, evaluate
from vnetsim.storage.availability.chain import build_chain
from vnetsim.storage.availability.markov import stationary

LAYOUTS = [(1, 1), (1, 2), (3, 1), (4, 2), (2, 1), (4, 1)]


@st.composite
def specs(draw, **fixed):
    k, m = draw(st.sampled_from(LAYOUTS))
    sites = draw(st.sampled_from([1, 2]))
    width = 2 * m + 1 if k == 1 else k + m
    per_fd = draw(st.sampled_from([1, 2]))
    fds = draw(st.integers(width, width + 3))
    kw = dict(hosts=sites * fds * per_fd, hosts_per_fault_domain=per_fd, sites=sites, data_fragments=k,
              parity_fragments=m, site_mirroring=sites == 2, witness=sites == 2,
              device_afr=draw(st.floats(0.0, 0.2)), host_afr=draw(st.floats(0.001, 0.5)),
              fault_domain_rate_per_year=draw(st.floats(0.0, 0.5)), site_rate_per_year=draw(st.floats(0.0, 0.5)),
              data_per_host_bytes=draw(st.floats(1e11, 1e14)))
    kw.update(fixed)
    return AvailabilitySpec(**kw)


@settings(max_examples=12, deadline=None)
@given(specs())
def test_stationary_distribution_balances_the_generator(spec):
    chain = build_chain(spec)
    q = chain.generator()
    pi = stationary(q)
    assert np.all(pi >= 0) and abs(pi.sum() - 1) < 1e-12
    assert np.abs(pi @ q).max() <= 1e-9 * np.abs(q).max()
    r = evaluate(spec)
    assert 0 < r.availability.value <= 1 and r.mttdl_years.value > 0
    assert 0 <= r.annual_loss_probability.value <= min(1.0, r.loss_rate_per_year.value * (1 + 1e-9))


@settings(max_examples=12, deadline=None)
@given(specs(), st.floats(1.5, 10.0))
def test_more_host_failures_never_help(spec, factor):
    worse = AvailabilitySpec(**{**spec.__dict__, "host_afr": spec.host_afr * factor})
    a, b = evaluate(spec), evaluate(worse)
    assert b.availability.value <= a.availability.value * (1 + 1e-12)
    assert b.mttdl_years.value <= a.mttdl_years.value * (1 + 1e-9)
    assert b.loss_rate_per_year.value >= a.loss_rate_per_year.value * (1 - 1e-9)
