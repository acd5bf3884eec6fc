"""Edge and IoT: sensors, edge processing, the uplink, the user-plane VNF and the central site.

Public exports: the scenario model ``EdgeScenario``, ``framing`` (header bytes of one message),
the uplink stage ``UplinkStage``, ``run_edge_scenario`` (one variant to its result row) and the
cost helpers ``monthly_cost`` / ``breakeven_ratio``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"EdgeScenario": "config", "framing": "protocol", "UplinkStage": "uplink",
            "run_edge_scenario": "simulate", "monthly_cost": "cost", "breakeven_ratio": "cost"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use: the schema does not need the compiled uplink kernel."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.edge.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.edge' has no attribute {name!r}")
