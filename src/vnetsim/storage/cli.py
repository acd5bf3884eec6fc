"""The ``storage`` command group (mounted by the main CLI as ``vnetsim storage ...``).

``plan`` is the kind's quick command (``vnetsim.storage.plan_command``): the console entry runs it
before typer is imported; this group forwards it there too, so ``vnetsim storage --help`` lists it
and ``vnetsim.cli.app.main`` runs the same code. User mistakes are one-line errors (exit status 2).
"""

from __future__ import annotations

import typer

from vnetsim.storage.plan_command import SUMMARY

app = typer.Typer(name="storage", help="Hyper-converged storage clusters: plan hosts.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def storage() -> None:
    """Hyper-converged storage clusters: plan hosts (scenarios run with `vnetsim run`)."""


@app.command(help=f"{SUMMARY} (`vnetsim storage plan --help` lists the options.)", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def plan(ctx: typer.Context) -> None:
    from vnetsim.storage.plan_command import main

    main(list(ctx.args))
