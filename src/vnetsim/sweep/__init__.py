"""Parameter sweeps: designs (grid, zip, random), replications with independent seeds, points
keyed by what they run, resumable execution on a local process pool or a Dask cluster, results in
the DuckDB store and confidence intervals across replications. See docs/sweeps.md."""

from __future__ import annotations

from typing import Any

__all__ = ["SweepResult", "plan", "store_summary", "summarize", "sweep"]


def __getattr__(name: str) -> Any:
    if name in ("SweepResult", "plan", "store_summary", "sweep"):
        from vnetsim.sweep import run

        return getattr(run, name)
    if name == "summarize":
        from vnetsim.sweep.ci import summarize

        return summarize
    raise AttributeError(f"module 'vnetsim.sweep' has no attribute {name!r}")
