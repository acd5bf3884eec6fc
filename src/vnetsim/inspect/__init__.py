"""Real hosts: what a Linux host (or saved ESXi esxcli output) tells about its NICs, and the
three-step VXLAN/Geneve offload verdict.

Public exports: ``inspect_host`` (Linux, this network namespace), ``inspect_esxcli`` (a folder of
saved esxcli text), ``scenario_text`` (a host scenario from a report), ``render_report``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"inspect_host": "linux", "inspect_esxcli": "esxcli", "scenario_text": "emit", "render_report": "render",
            "check_iface": "run", "FAMILIES": "capabilities"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.inspect.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.inspect' has no attribute {name!r}")
