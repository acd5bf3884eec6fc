"""One storage variant run: the sizing, then the availability, I/O-path and rebuild models that have
their inputs, each mapped from the scenario by ``storage.mapping`` and reported in its own section."""

from __future__ import annotations

from collections.abc import Callable

from vnetsim.storage.config import StorageScenario
from vnetsim.storage.report import sizing_row
from vnetsim.storage.sizing import size_cluster


def run_scenario(sc: StorageScenario, progress: Callable[[float], None] | None = None) -> dict:
    """The row of one validated scenario (without name and description). ``progress(fraction)``:
    called as the I/O-path run (the long part) advances in simulated time, and with 1.0 at the end."""
    sz = size_cluster(sc)
    row = sizing_row(sc, sz)
    if sc.availability.enabled:
        from vnetsim.storage.reliability import availability_section

        row["availability"] = availability_section(sc, sz)
    if sc.options.io:
        from vnetsim.storage.iomap import io_section

        io = io_section(sc, sz, progress)
        if io is not None:
            row["io"] = io
    if sc.failures:
        from vnetsim.storage.rebuildmap import rebuild_section

        row["rebuild"] = rebuild_section(sc, sz)
    resyncs = ((row.get("rebuild") or {}).get("fabric") or {}).get("resyncs") or []
    if sc.availability.enabled and resyncs:
        from vnetsim.storage.reliability import fabric_bound_availability, kind_stretches

        stretches = kind_stretches(sc, resyncs)
        if any(v["stretch"] > 1 for v in stretches.values()):
            row["availability"]["fabric_bound"] = fabric_bound_availability(sc, sz, stretches)
    row["notes"] = list(sz.notes)
    fabric_notes = list(((row.get("io") or {}).get("fabric") or {}).get("notes") or [])
    during = ((row.get("rebuild") or {}).get("fabric") or {}).get("during_resync") or {}
    fabric_notes += [f"during the resync: {n}" for n in during.get("notes") or []]
    row["notes"] += [f"storage.fabric: {n}" for n in dict.fromkeys(fabric_notes)]
    if sc.storage.fabric is not None and "fabric" not in (row.get("io") or {}):
        row["notes"].append("storage.fabric did not run: it carries the I/O path's traffic, and "
                            + ("options.io is off" if not sc.options.io else "no VM group issues I/O"))
    if progress is not None:
        progress(1.0)
    return row
