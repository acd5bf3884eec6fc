"""Availability and durability of a storage cluster: Markov, Monte Carlo and rare-event methods.

Public API (docs/models/storage-availability.md):
- ``AvailabilitySpec``: the cluster, layout, failure rates and repair times, in plain numbers.
- ``evaluate(spec, *, method="markov" | "montecarlo" | "importance", years=..., seed=...)``
  -> ``AvailabilityResult`` (availability, nines, downtime per year, loss rate, annual loss
  probability, MTTDL, each an ``Estimate`` with its 95 % interval; assumptions and notes).
- ``what_if(spec, failed_hosts=N)`` -> ``list[WhatIfRow]`` (accessible, re-protectable, data at risk).
- ``SECONDS_PER_YEAR``, ``REPAIR_DELAY_S``: the constants the spec's defaults use.
"""

from __future__ import annotations

from vnetsim.storage.availability.evaluate import evaluate
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
           "SECONDS_PER_YEAR", "REPAIR_DELAY_S"]
