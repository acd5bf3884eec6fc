"""Hyper-converged storage clusters: policies, capacity, components, limits, planner, network sizing,
cost, availability, the I/O path, and the ``storage`` scenario kind (docs/models/storage.md).

Public entry points (exports load on first use, so registering the kind imports no model code):
- ``layout_for(raid, ftt, architecture, hosts_per_site, site_mirroring)`` -> ``Layout``;
  ``check_fault_domains(layout, data_fault_domains, witness_fault_domain)``
- ``StorageScenario`` (the schema), ``size_cluster(scenario)`` -> ``Sizing`` (capacity, components,
  network, footprint, checks), ``run_scenario(scenario)`` -> the kind's JSON-ready row
- ``PlanRequest``, ``plan(request)`` -> ``Plan`` (``vnetsim storage plan``)
- availability (``vnetsim.storage.availability``): ``AvailabilitySpec``, ``evaluate``, ``what_if``;
  ``availability_spec(scenario, sizing)`` maps a scenario onto it
- I/O path (``vnetsim.storage.iopath``): ``IOPathSpec``, ``simulate_io`` (its ``simulate``);
  ``iopath_spec(scenario, sizing)`` maps a scenario onto it
- failures and rebuilds (``vnetsim.storage.rebuild``): ``RebuildSpec``, ``simulate_rebuild`` (its
  ``simulate``); ``rebuild_spec(scenario, sizing)`` maps a scenario's failures onto it
- ``vnetsim.storage.kind.KIND``: the ``storage`` scenario kind (with ``vnetsim storage plan``)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# public name -> (module under vnetsim.storage, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    **{name: ("policy", name) for name in ("Layout", "layout_for", "check_fault_domains", "ftt_for", "RAIDS",
                                          "ARCHITECTURES", "MAX_FTT")},
    "StorageScenario": ("config", "StorageScenario"),
    "Sizing": ("sizing", "Sizing"), "size_cluster": ("sizing", "size_cluster"),
    "run_scenario": ("run", "run_scenario"),
    "PlanRequest": ("planner", "PlanRequest"), "Plan": ("planner", "Plan"), "plan": ("planner", "plan"),
    "AvailabilitySpec": ("availability", "AvailabilitySpec"), "AvailabilityResult": ("availability",
                                                                                     "AvailabilityResult"),
    "evaluate": ("availability", "evaluate"), "what_if": ("availability", "what_if"),
    "availability_spec": ("reliability", "availability_spec"),
    "IOPathSpec": ("iopath", "IOPathSpec"), "IOPathResult": ("iopath", "IOPathResult"),
    "simulate_io": ("iopath", "simulate"), "iopath_spec": ("iomap", "iopath_spec"),
    "RebuildSpec": ("rebuild", "RebuildSpec"), "RebuildResult": ("rebuild", "RebuildResult"),
    "simulate_rebuild": ("rebuild", "simulate"), "rebuild_spec": ("rebuildmap", "rebuild_spec"),
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use."""
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(import_module(f"vnetsim.storage.{module}"), attr)
    raise AttributeError(f"module 'vnetsim.storage' has no attribute {name!r}")
