"""The ``fabric`` command group (mounted by the main CLI as ``vnetsim fabric ...``).

User mistakes raise UserError (one line on stderr, exit status 2, from the main CLI); output files are
written whole or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from vnetsim.fabric.planner import plan_fabric
from vnetsim.io.outputs import to_plain, write_atomic

app = typer.Typer(name="fabric", help="Data-center fabrics: plan leaves and spines.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def fabric() -> None:
    """Data-center fabrics: plan leaves and spines (scenarios run with `vnetsim run`)."""


@app.command()
def plan(
    hosts: int = typer.Option(..., "--hosts", help="Hosts to connect."),
    leaf: str = typer.Option("48x25G+8x100G", "--leaf", help="Leaf port model COUNTxSPEED[+...]; the fastest group "
                             "is the uplinks."),
    spine: str = typer.Option("32x100G", "--spine", help="Spine port model."),
    super_spine: str | None = typer.Option(None, "--super-spine",
                                              help="Super-spine port model (default: the spine's)."),
    nics: int = typer.Option(1, "--nics", help="NICs per host."),
    spines: int | None = typer.Option(None, "--spines", help="Spines (default: one per leaf uplink)."),
    links_per_spine: int = typer.Option(1, "--links-per-spine", help="Parallel links from each leaf to each spine."),
    leaf_uplinks: int | None = typer.Option(None, "--leaf-uplinks", help="Override which leaf ports are uplinks."),
    max_tiers: int = typer.Option(3, "--max-tiers", help="2: spine-leaf only; 3: allow a super-spine tier."),
    host_optics: bool = typer.Option(False, "--host-optics", help="Count optics on host cables too (default DAC)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the plan as JSON to this file."),
) -> None:
    """How many leaves and spines, the oversubscription, cables and optics, and the largest fabric."""
    p = plan_fabric(hosts, leaf, spine, super_spine, nics, spines, links_per_spine, leaf_uplinks, max_tiers,
                    host_optics)
    if json_out is not None:
        write_atomic(json_out, json.dumps(to_plain(p.to_dict()), sort_keys=True, indent=2, allow_nan=False) + "\n")
    p.render(Console())
