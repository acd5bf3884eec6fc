"""The host data path: pNIC, host RX threads, vSwitch, vNIC, guest.

Public exports, what other domains use (a fabric's edge hosts run the receiving host behind the
fabric's last link): the host model ``Host``, the flow catalog ``FlowCatalog`` (headers per flow),
``compile_host`` / ``compile_host_flows`` (model and flows to a ``HostPlan``), and the runs:
``HostReceive`` (from the NIC on, fed chunk by chunk), ``HostPath`` (source, wire, receive) and
its outcome ``HostRun``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"Host": "config", "FlowCatalog": "flows", "HostPath": "path", "HostReceive": "path", "HostRun": "path",
            "HostPlan": "plan", "compile_host": "plan", "compile_host_flows": "plan"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use: the host model's schema does not need the compiled data path."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.host.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.host' has no attribute {name!r}")
