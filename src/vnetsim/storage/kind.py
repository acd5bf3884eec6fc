"""The ``storage`` scenario kind: hyper-converged clusters (robo, single site, stretched).

Registered under the ``vnetsim.kinds`` entry-point group (pyproject.toml). A scenario file is a
storage scenario when it says ``kind: storage`` or has a top-level ``storage`` key. Each variant is
sized (policy, capacity, components, limits, network, cost) and becomes one result row named after
the variant. The kind brings ``vnetsim storage plan``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetsim.kinds import Kind, RunOptions, lazy

if TYPE_CHECKING:
    from vnetsim.scenario.loader import LoadedVariant


def run_variant(v: LoadedVariant, options: RunOptions) -> list[dict]:
    """One row for a loaded variant."""
    from vnetsim.storage.run import run_scenario

    row = run_scenario(v.model, options.progress)    # the I/O path's chunks move it, 1.0 when done
    row = {"name": v.name, "description": v.description, "scenario": v.model.name, **row}
    return [row]


KIND = Kind(
    name="storage",
    summary="hyper-converged storage clusters: robo (two-node), single site, stretched",
    model="vnetsim.storage.config:StorageScenario",
    run=run_variant,
    render=lazy("vnetsim.storage.render:render_rows"),
    detect=lambda doc: "storage" in doc,
    cli=lazy("vnetsim.storage.cli:app", call=False),
    quick={"plan": lazy("vnetsim.storage.plan_command:main")},
    report=lazy("vnetsim.storage.figures:storage_figures"),
)
