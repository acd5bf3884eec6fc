"""The ``fabric`` command group (mounted by the main CLI as ``vnetsim fabric ...``).

User mistakes print one line on stderr and exit with status 2; nothing is half-written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from vnetsim.errors import UserError
from vnetsim.fabric.planner import plan_fabric

app = typer.Typer(name="fabric", help="Data-center fabrics: plan leaves and spines.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def fabric() -> None:
    """Data-center fabrics: plan leaves and spines (scenarios run with `vnetsim run`)."""


def write_json_atomic(path: Path, data: dict, option: str = "--json") -> None:
    """Write JSON to a temporary file next to ``path`` and rename it into place."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise UserError(option, f"cannot write {str(path)!r}: {exc.strerror}",
                        "give a path in a writable folder") from None
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, sort_keys=True, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@app.command()
def plan(
    hosts: int = typer.Option(..., "--hosts", help="Hosts to connect."),
    leaf: str = typer.Option("48x25G+8x100G", "--leaf", help="Leaf port model COUNTxSPEED[+...]; the fastest group "
                             "is the uplinks."),
    spine: str = typer.Option("32x100G", "--spine", help="Spine port model."),
    super_spine: Optional[str] = typer.Option(None, "--super-spine",
                                              help="Super-spine port model (default: the spine's)."),
    nics: int = typer.Option(1, "--nics", help="NICs per host."),
    spines: Optional[int] = typer.Option(None, "--spines", help="Spines (default: one per leaf uplink)."),
    links_per_spine: int = typer.Option(1, "--links-per-spine", help="Parallel links from each leaf to each spine."),
    leaf_uplinks: Optional[int] = typer.Option(None, "--leaf-uplinks", help="Override which leaf ports are uplinks."),
    max_tiers: int = typer.Option(3, "--max-tiers", help="2: spine-leaf only; 3: allow a super-spine tier."),
    host_optics: bool = typer.Option(False, "--host-optics", help="Count optics on host cables too (default DAC)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the plan as JSON to this file."),
) -> None:
    """How many leaves and spines, the oversubscription, cables and optics, and the largest fabric."""
    try:
        p = plan_fabric(hosts, leaf, spine, super_spine, nics, spines, links_per_spine, leaf_uplinks, max_tiers,
                        host_optics)
        if json_out is not None:
            write_json_atomic(json_out, p.to_dict())
    except UserError as exc:
        typer.echo(exc.line(), err=True)
        raise typer.Exit(exc.exit_status) from None
    p.render(Console())
