"""The ``fabric`` scenario kind: hosts, switches and links of a data-center fabric.

Registered under the ``vnetsim.kinds`` entry-point group (pyproject.toml). A scenario file is a
fabric scenario when it says ``kind: fabric`` or has a top-level ``fabric`` key. Each variant runs
through ``run_fabric_scenario`` and becomes one result row named after the variant. The kind also
brings the ``vnetsim fabric plan`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetsim.kinds import Kind, RunOptions, lazy

if TYPE_CHECKING:
    from vnetsim.scenario.loader import LoadedVariant


def run_variant(v: LoadedVariant, options: RunOptions) -> list[dict]:
    """One row for a loaded variant: the fabric result, named after the variant."""
    from vnetsim.fabric.simulate import run_fabric_scenario
    from vnetsim.fabric.steady import still_growing

    row = run_fabric_scenario(v.model, progress=options.progress).to_dict()
    row["scenario"] = row.pop("name")
    row["name"] = v.name
    row["description"] = v.description
    row["warnings"] = still_growing(row)
    if options.progress is not None:   # a flow-level run has no chunks to report: done is all it says
        options.progress(1.0)
    return [row]


def render_rows(result, console) -> None:
    """The variants side by side, then each variant's tables."""
    from vnetsim.fabric.render import render_comparison, render_result

    rows = {row["name"]: row for row in result.variants}
    if len(rows) > 1:
        render_comparison(rows, console)
    for row in rows.values():
        render_result(row, console)




KIND = Kind(
    name="fabric",
    summary="data-center fabrics: single switch, L2 with STP, three-tier, spine-leaf, super-spine",
    model="vnetsim.fabric.config:FabricScenario",
    run=run_variant,
    render=render_rows,
    detect=lambda doc: "fabric" in doc,
    cli=lazy("vnetsim.fabric.cli:app", call=False),
    report=lazy("vnetsim.fabric.figures:fabric_figures"),
    kernels=lambda: ["vnetsim.engine.fifo", "vnetsim.fabric.packetlevel"],
)
