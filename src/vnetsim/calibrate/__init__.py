"""Calibration: measure this host's kernel path in network namespaces (veth, VXLAN) with sockperf,
fit the host model's per-packet costs, predict held-out points, write a profile.

Public exports: ``calibrate``, ``render_calibration``, ``fit`` and ``Costs`` (the model).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"calibrate": "run", "render_calibration": "render", "fit": "model", "Costs": "model",
            "profile_text": "profile"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.calibrate.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.calibrate' has no attribute {name!r}")
