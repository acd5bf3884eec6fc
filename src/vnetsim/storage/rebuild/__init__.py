"""Failures and rebuilds of a storage cluster: absent vs degraded, quorum, I/O stall, resync volume and
time over the spare bandwidth, fabric load, foreground latency during the resync
(docs/models/storage-io.md, "Failures and rebuilds").

Public exports (load on first use):
- the spec (``vnetsim.storage.rebuild.spec``): ``RebuildSpec``, ``RebuildCluster``, ``ObjectSet``,
  ``FailureEvent``, ``FAILURE_KINDS``, ``WITNESS_HOST``; results ``RebuildResult``,
  ``FailureOutcome``, ``TimelineEntry``, ``ResyncPlan``;
- ``resync_rates(capacity_bps, foreground_bps, throttle_bps, adaptive)``: the per-host resync
  rate, one formula for the rebuild timeline and the storage kind's availability mapping;
- ``simulate(spec, *, seed=1, io_duration_s=1.0, prepare=None, every_resync=False) -> RebuildResult``
  (with every outcome's first resync plan and, with a foreground, the I/O path while it runs:
  ``resync_plans``, ``resync_io``; with ``every_resync``, each one's foreground run,
  ``foreground_during_resyncs``);
- ``accessible(objects, alive) -> bool array`` (the quorum rule), ``object_set(...)`` (objects of one
  layout placed round-robin on hosts).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {name: "spec" for name in (
    "RebuildSpec", "RebuildCluster", "ObjectSet", "FailureEvent", "FAILURE_KINDS", "WITNESS_HOST",
    "RebuildResult", "FailureOutcome", "TimelineEntry", "ResyncPlan")}
_EXPORTS.update({"simulate": "timeline", "accessible": "quorum", "object_set": "placement",
                 "resync_rates": "resync"})
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.storage.rebuild.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.storage.rebuild' has no attribute {name!r}")
