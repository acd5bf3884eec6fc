"""Hyper-converged storage clusters: policies, capacity, components, limits, planner, network sizing,
cost, and the ``storage`` scenario kind.

Public entry points (exports load on first use, so registering the kind imports no model code):
- ``layout_for(raid, ftt, architecture, hosts_per_site, site_mirroring)`` -> ``Layout``;
  ``check_fault_domains(layout, data_fault_domains, witness_fault_domain)``
- ``vnetsim.storage.kind.KIND``: the ``storage`` scenario kind (with ``vnetsim storage plan``)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"Layout": "policy", "layout_for": "policy", "check_fault_domains": "policy", "ftt_for": "policy",
            "RAIDS": "policy", "ARCHITECTURES": "policy", "MAX_FTT": "policy"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.storage.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.storage' has no attribute {name!r}")
