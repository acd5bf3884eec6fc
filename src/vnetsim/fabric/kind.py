"""Registers fabric scenario files with ``vnetsim run`` (``vnetsim.api`` imports this module).

A scenario file is a fabric scenario when it has a top-level ``fabric`` key. Each variant (already
merged and validated by the loader with ``FabricScenario``) runs through ``run_fabric_scenario``
and becomes one result row: the fabric result dictionary, named after the variant.
"""

from __future__ import annotations

from vnetsim.api import Kind, register_kind
from vnetsim.fabric.config import FabricScenario
from vnetsim.fabric.render import render_comparison, render_result
from vnetsim.fabric.simulate import run_fabric_scenario


def is_fabric_scenario(doc: dict) -> bool:
    return isinstance(doc, dict) and "fabric" in doc


def run_variant(v) -> list[dict]:
    """One row for a loaded variant (``vnetsim.scenario.loader.LoadedVariant``)."""
    row = run_fabric_scenario(v.doc).to_dict()
    row["scenario"] = row.pop("name")
    row["name"] = v.name
    row["description"] = v.description
    return [row]


def render_rows(result, console) -> None:
    """The variants side by side, then each variant's tables."""
    rows = {row["name"]: row for row in result.variants}
    if len(rows) > 1:
        render_comparison(rows, console)
    for row in rows.values():
        render_result(row, console)


register_kind("fabric", Kind(is_fabric_scenario, FabricScenario, run_variant, render_rows))
