"""Data-center fabrics: topologies, spanning tree, ECMP, traffic, flow and packet levels, planner.

Public entry points:
- ``run_fabric_scenario(scenario, seed, duration_ns)`` -> ``FabricResult`` (``to_dict()``, ``render(console)``)
- ``plan_fabric(hosts, leaf, spine, ...)`` -> ``FabricPlan``
- ``vnetsim.fabric.kind.KIND``: the ``fabric`` scenario kind (with the ``vnetsim fabric plan`` command)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"FabricConfig": "config", "FabricScenario": "config", "TrafficConfig": "config",
            "FabricPlan": "planner", "plan_fabric": "planner", "FabricResult": "simulate",
            "run_fabric_scenario": "simulate", "ProgressSource": "progress"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use: registering the kind must not import the whole fabric model."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.fabric.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.fabric' has no attribute {name!r}")
