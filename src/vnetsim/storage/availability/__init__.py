"""Availability and durability of a storage cluster: Markov, Monte Carlo and rare-event methods.

Public API (docs/models/storage-availability.md):
- ``AvailabilitySpec``: the cluster, layout, failure rates and repair times, in plain numbers.
- ``evaluate(spec, *, method="markov" | "montecarlo" | "importance", years=..., seed=...,
  precision=0.2, max_cycles=..., max_seconds=60, repair="exponential" | "fixed")``
  -> ``AvailabilityResult`` (availability, nines, downtime per year, loss rate, annual loss
  probability, MTTDL, each an ``Estimate`` with its 95 % interval; assumptions and notes).
- ``spec_for_layout(layout, hosts, *, hosts_per_fault_domain=1, witness=None, **figures)``: the
  spec of a ``vnetsim.storage.policy.Layout`` (RAID-1 FTT n, RAID-5/6, ESA 2+1/4+1, site mirroring).
- ``what_if(spec, failed_hosts=N)`` -> ``list[WhatIfRow]`` (accessible, re-protectable, data at risk).
- ``SECONDS_PER_YEAR``, ``REPAIR_DELAY_S``: the constants the spec's defaults use.
"""

from __future__ import annotations

from vnetsim.storage.availability.evaluate import METHODS, evaluate
from vnetsim.storage.availability.layouts import spec_for_layout
from vnetsim.storage.availability.spec import (
    REPAIR_DELAY_S,
    SECONDS_PER_YEAR,
    AvailabilityResult,
    AvailabilitySpec,
    Estimate,
    WhatIfRow,
)
from vnetsim.storage.availability.whatif import what_if

__all__ = ["AvailabilitySpec", "AvailabilityResult", "Estimate", "WhatIfRow", "evaluate", "what_if",
           "spec_for_layout", "METHODS", "SECONDS_PER_YEAR", "REPAIR_DELAY_S"]
