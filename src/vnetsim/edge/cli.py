"""The ``edge`` command group (mounted by the main CLI as ``vnetsim edge ...``).

User mistakes raise UserError (one line on stderr, exit status 2, from the main CLI); output files
are written whole or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from vnetsim.io.outputs import to_plain, write_atomic

app = typer.Typer(name="edge", help="Edge and IoT deployments: where edge processing pays off.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def edge() -> None:
    """Edge and IoT deployments (scenarios run with `vnetsim run`)."""


@app.command()
def breakeven(
    file: Path = typer.Argument(..., help="An edge scenario file."),
    variant: str | None = typer.Option(None, "--variant", help="Only this variant."),
    overrides: list[str] = typer.Option([], "--set", help="PATH=VALUE override (repeatable)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the rows as JSON to this file."),
) -> None:
    """The reduction ratio at which each variant's edge processing costs what central ingest does."""
    from vnetsim.edge.breakeven import breakeven_rows  # the model loads when the command runs

    rows = breakeven_rows(file, overrides, variant)
    if json_out is not None:
        write_atomic(json_out, json.dumps(to_plain(rows), sort_keys=True, indent=2, allow_nan=False) + "\n")
    from vnetsim.edge.render import render_breakeven

    render_breakeven(rows, Console())
