"""The ``edge`` scenario kind: sensors, edge nodes, uplinks, the UPF host and the central site.

Registered under the ``vnetsim.kinds`` entry-point group (pyproject.toml). A scenario file is an
edge scenario when it says ``kind: edge`` or has a top-level ``sensors`` key. Each variant becomes
one result row named after it; the kind brings ``vnetsim edge breakeven``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetsim.kinds import Kind, RunOptions, lazy

if TYPE_CHECKING:
    from vnetsim.scenario.loader import LoadedVariant


def run_variant(v: LoadedVariant, options: RunOptions) -> list[dict]:
    """One row for a loaded variant, named after it."""
    from vnetsim.edge.simulate import run_edge_scenario

    row = run_edge_scenario(v.model, options.progress)
    if options.progress is not None:
        options.progress(1.0)
    return [{"name": v.name, "description": v.description, "variant": v.name, "scenario": v.model.name, **row}]





KIND = Kind(
    name="edge",
    summary="IoT sensors, edge processing, 5G/WAN uplinks, the UPF as a VNF and the central site",
    model="vnetsim.edge.config:EdgeScenario",
    run=run_variant,
    render=lazy("vnetsim.edge.render:render_edge"),
    detect=lambda doc: "sensors" in doc,
    cli=lazy("vnetsim.edge.cli:app", call=False),
    report=lazy("vnetsim.edge.figures:edge_figures"),
    kernels=lambda: ["vnetsim.edge.uplink", "vnetsim.engine.fifo", "vnetsim.engine.ring_server"],
)
