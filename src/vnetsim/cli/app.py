"""`vnetsim`: run scenarios, search zero-loss throughput, print the scenario schema.

Every user mistake ends with one line on stderr and exit status 2; output files are written
whole or not at all.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vnetsim.cli import startup
from vnetsim.cli.failures import one_line_errors
from vnetsim.io.outputs import check_output, write_atomic

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Simulate how a virtual data center's network behaves before you deploy it.")


@functools.cache
def console() -> Console:
    """Where tables go: made on first use, so a run that prints none (``-q``, ``--json -``) never
    imports rich. A terminal gets its own width; piped or redirected output a width tables fit in."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def _render(result) -> None:
    from vnetsim.api import render

    render(result, console())


def _notice(message: str) -> None:
    """Status lines (a first run compiling) go to a terminal's stderr, never into piped output."""
    if sys.stderr.isatty() or os.environ.get("VNETSIM_NOTICES") == "1":
        print(f"vnetsim: {message}", file=sys.stderr, flush=True)


def _write(json_out: str | None, result) -> None:
    if json_out:
        write_atomic(json_out, result.to_json())


def _check_outputs(*outputs: tuple[str, Any]) -> None:
    """Refuse an output path that cannot be written before the work starts, not after it."""
    for option, path in outputs:
        check_output(path, option)


def _version(value: bool) -> None:
    if value:
        from vnetsim import __version__

        print(f"vnetsim {__version__}")
        raise typer.Exit()


# Commands whose start-up ends where their first variant starts (``started=startup.settled``): they
# keep the collector paused while the scenario loads; every other command ends the pause here.
_SETTLE_AT_FIRST_VARIANT = {"run", "throughput", "flows"}


@app.callback()
def _main(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """Simulate how a virtual data center's network behaves before you deploy it."""
    if ctx.invoked_subcommand not in _SETTLE_AT_FIRST_VARIANT:
        startup.end()


SetOpt = typer.Option(None, "--set", help="override any field: --set host.pnic.ring_size=1024 "
                      "(list items by index or name: host.vms.pgw.guest.vcpus=2)")


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    seed: int | None = typer.Option(None, help="random seed (overrides the file's)"),
    duration: str | None = typer.Option(None, help="simulated time, e.g. 200ms (overrides the file's)"),
    set_: list[str] | None = SetOpt,
    variant: str | None = typer.Option(None, help="run only this variant"),
    json_out: str | None = typer.Option(None, "--json", help="also write the result as JSON here ('-' for stdout)"),
    pcap: Path | None = typer.Option(None, "--pcap", help="also write the first variant's offered traffic, "
                                        "as on the wire, to this pcap file"),
    pcap_limit: int = typer.Option(1_000_000, "--pcap-limit", min=1, help="at most this many packets in the pcap"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no table"),
    plot: Path | None = typer.Option(None, "--plot", help="also draw the result's figures to this PNG file"),
    csv_out: str | None = typer.Option(None, "--csv", help="also write the rows, flat columns (docs/results.md), "
                                       "as CSV here ('-' for stdout)"),
    parquet_out: str | None = typer.Option(None, "--parquet", help="also write the rows, flat columns, as Parquet"),
    replications: int | None = typer.Option(None, "--replications", "-r", min=1, max=1000,
                                            help="host scenarios: run each variant N times with independent seeds "
                                            "and report 95% confidence intervals (sets the field 'replications')"),
) -> None:
    """Run every variant of a scenario and print them side by side."""
    from vnetsim.api import run as api_run
    from vnetsim.cli.progress import Bar

    if replications is not None:   # a scenario field of the kinds that replicate (host): one line elsewhere
        set_ = [*(set_ or []), f"replications={replications}"]
    _check_outputs(("--json", json_out), ("--pcap", pcap), ("--plot", plot), ("--csv", csv_out),
                   ("--parquet", parquet_out))
    with Bar("running") as bar:
        result = api_run(scenario, seed=seed, duration=duration, overrides=set_ or [], variant=variant,
                         pcap=str(pcap) if pcap is not None else None, pcap_limit=pcap_limit, notify=_notice,
                         progress=bar, started=startup.settled)
    if not quiet and json_out != "-" and csv_out != "-":
        _render(result)
    _write(json_out, result)
    if csv_out or parquet_out:
        from vnetsim.results.flat import write_result

        for out, fmt in ((csv_out, "csv"), (parquet_out, "parquet")):
            if out:
                write_result(result.to_dict(), out, fmt, f"--{fmt}")
    if plot is not None:
        from vnetsim.report import write_plot

        write_plot(result, plot)


@app.command()
def report(
    source: Path = typer.Argument(..., help="a result (`vnetsim run --json`) or a results store"),
    out: Path = typer.Option(..., "-o", "--out", help="the HTML file to write (self-contained)"),
) -> None:
    """Write one self-contained HTML report (plots beside their tables) of a result or a store."""
    from vnetsim.report import write_report

    _check_outputs(("-o", out))
    n = write_report(source, out)
    print(f"vnetsim: wrote {out} ({n} figures)", file=sys.stderr)


@app.command()
def throughput(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    seed: int | None = typer.Option(None, help="random seed"),
    duration: str | None = typer.Option(None, help="duration of each trial, e.g. 50ms"),
    set_: list[str] | None = SetOpt,
    variant: str | None = typer.Option(None, help="search only this variant"),
    resolution: float | None = typer.Option(None, min=1e-4, max=0.5,
                                               help="stop when the bracket is this fraction of line rate "
                                            "(default 0.005)"),
    json_out: str | None = typer.Option(None, "--json", help="also write the result as JSON here"),
) -> None:
    """RFC 2544-style search for the highest zero-loss rate of each variant."""
    from vnetsim.api import throughput as api_throughput

    _check_outputs(("--json", json_out))
    result = api_throughput(scenario, seed=seed, duration=duration, overrides=set_ or [], variant=variant,
                            resolution=resolution, notify=_notice, started=startup.settled)
    if json_out != "-":
        _render(result)
    _write(json_out, result)


@app.command()
def flows(
    scenario: Path = typer.Argument(..., help="host scenario file (YAML)"),
    variant: str | None = typer.Option(None, help="the variant (default: the first)"),
    set_: list[str] | None = SetOpt,
    limit: int = typer.Option(50, min=1, help="flows to list"),
    json_out: str | None = typer.Option(None, "--json", help="write the listing as JSON here ('-' for stdout)"),
) -> None:
    """List each flow's headers and the RX queue, core and VM it lands on (no simulation)."""
    from vnetsim.api import flows as api_flows

    result = api_flows(scenario, overrides=set_ or [], variant=variant, limit=limit, started=startup.settled)
    if json_out != "-":
        _render(result)
    _write(json_out, result)


@app.command()
def schema(
    kind: str = typer.Argument("host", help="which scenario kind's schema (see `vnetsim kinds`)"),
    json_out: str | None = typer.Option(None, "--json", help="write it to this file instead of stdout"),
) -> None:
    """Print the JSON Schema of scenario files."""
    from vnetsim.api import schema_for

    text = json.dumps(schema_for(kind), indent=2) + "\n"
    write_atomic(json_out or "-", text)


@app.command("sweep")
def sweep_cmd(
    scenario: Path = typer.Argument(..., help="scenario file (YAML), with or without a 'sweep:' block"),
    grid: list[str] | None = typer.Option(None, "--grid", help="sweep a field: --grid host.pnic.rx_queues=1,2,4,8 "
                                          "or --grid 'loads=[1Mpps,2Mpps]' (repeat for a full factorial)"),
    replications: int | None = typer.Option(None, "--replications", "-r", min=1,
                                            help="runs per point, each with its own seed (default: the file's, or 1)"),
    workers: int | None = typer.Option(None, "--workers", "-j", min=1, help="local worker processes "
                                       "(default: every CPU)"),
    dask: str | None = typer.Option(None, "--dask", help="run on this Dask scheduler, e.g. tcp://scheduler:8786"),
    store: Path | None = typer.Option(None, "--store", help="results store (DuckDB file): finished points are "
                                      "kept and a rerun skips them"),
    seed: int | None = typer.Option(None, help="base seed of the replications (overrides the file's)"),
    duration: str | None = typer.Option(None, help="simulated time of every run, e.g. 20ms"),
    set_: list[str] | None = SetOpt,
    variant: str | None = typer.Option(None, help="sweep only this variant"),
    metric: list[str] | None = typer.Option(None, "--metric", "-m", help="a metric column to show (repeat; "
                                            "default: headline figures that differ between points)"),
    json_out: str | None = typer.Option(None, "--json", help="also write the summary (intervals) as JSON here"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no table"),
) -> None:
    """Run a parameter sweep (grid, zip, random; replications with confidence intervals), resumable."""
    from vnetsim.cli.progress import Bar
    from vnetsim.sweep import sweep
    from vnetsim.sweep.render import render_summary

    _check_outputs(("--json", json_out))
    with Bar("sweep", delay_s=0.0) as bar:
        result = sweep(scenario, grid=grid or [], replications=replications, workers=workers, dask=dask,
                       store=store, overrides=set_ or [], variant=variant, seed=seed, duration=duration,
                       progress=bar, notify=_notice)
    if not quiet and json_out != "-":
        render_summary(result, console(), metric or None)
    if json_out:
        from vnetsim.io.outputs import dumps

        write_atomic(json_out, dumps({"sweep": result.name, "kind": result.kind, "store": result.store,
                                      "ran": result.ran, "skipped": result.skipped, "summary": result.summary()}))


@app.command("results")
def results_cmd(
    store: Path = typer.Argument(..., help="results store (DuckDB file written by `vnetsim sweep --store`)"),
    where: str | None = typer.Option(None, "--where", help='a filter on the runs, e.g. \'"param.loads" = '
                                     '\'1Mpps\' AND replication < 3\''),
    csv_out: str | None = typer.Option(None, "--csv", help="write the matching runs as CSV here ('-' for stdout)"),
    parquet_out: str | None = typer.Option(None, "--parquet", help="write the matching runs as Parquet here"),
    summary: bool = typer.Option(False, "--summary", help="print confidence intervals across replications"),
    percentiles: str | None = typer.Option(None, "--percentiles", help="print this histogram's percentiles with "
                                           "each point's replications merged, e.g. latency_histogram"),
    metric: list[str] | None = typer.Option(None, "--metric", "-m", help="a metric column to show (repeat)"),
) -> None:
    """Show or export the runs of a results store."""
    from vnetsim.results.store import export, read_rows
    from vnetsim.sweep.render import render_runs, render_store_summary

    for out, fmt in ((csv_out, "csv"), (parquet_out, "parquet")):
        if out:
            n = export(store, out, fmt, where, f"--{fmt}")
            if out != "-":
                print(f"vnetsim: wrote {out} ({n} runs)", file=sys.stderr)
    if csv_out or parquet_out:
        return
    if percentiles:
        from vnetsim.results.store import merged_by_design
        from vnetsim.sweep.render import render_merged

        render_merged(merged_by_design(store, percentiles, where), console(), percentiles)
    elif summary:
        from vnetsim.sweep import store_summary

        render_store_summary(store_summary(store, where), console(), metric or None)
    else:
        render_runs(read_rows(store, where), console(), metric or None)


@app.command("kinds")
def list_kinds() -> None:
    """List the installed scenario kinds (built-in and plug-ins) and what each models."""
    from rich.table import Table

    from vnetsim.api import kinds

    table = Table(title="scenario kinds", title_justify="left")
    table.add_column("kind")
    table.add_column("models")
    for name, summary in kinds().items():
        table.add_row(name, summary)
    console().print(table)


@app.command("inspect")
def inspect_cmd(
    interfaces: list[str] | None = typer.Argument(None, help="interfaces to inspect (default: all but lo)"),
    esxcli: Path | None = typer.Option(None, "--esxcli", help="read saved ESXi esxcli output from this folder "
                                       "instead of this host (docs/inspect.md lists the commands)"),
    json_out: str | None = typer.Option(None, "--json", help="also write the report as JSON here ('-' for stdout)"),
    emit: str | None = typer.Option(None, "--emit-scenario", help="write a host scenario with these settings "
                                    "(YAML) that `vnetsim run` accepts"),
    details: bool = typer.Option(False, "--details", help="print every step's evidence"),
) -> None:
    """Read a host's NICs (queues, rings, coalescing, RSS, offloads, IRQs) and check VXLAN/Geneve offload."""
    from vnetsim.inspect import inspect_esxcli, inspect_host, render_report, scenario_text
    from vnetsim.io.outputs import dumps

    report = inspect_esxcli(esxcli) if esxcli is not None else inspect_host(interfaces or None)
    if json_out != "-":
        render_report(report, console(), details=details)
    if json_out:
        write_atomic(json_out, dumps(report))
    if emit:
        write_atomic(emit, scenario_text(report, interfaces[0] if interfaces else None), "--emit-scenario")


@app.command("calibrate")
def calibrate_cmd(
    quick: bool = typer.Option(False, "--quick", help="fewer points and repeats: under 2 minutes"),
    out: str = typer.Option("profile.yaml", "--out", help="the calibration profile to write (YAML)"),
    json_out: str | None = typer.Option(None, "--json", help="also write measurements, fit and predictions as JSON"),
    seconds: float | None = typer.Option(None, "--seconds", min=0.2, max=10.0, help="seconds per measurement"),
) -> None:
    """Measure this host's kernel path (veth, VXLAN) in network namespaces, fit the host model, predict."""
    from vnetsim.calibrate import calibrate, render_calibration
    from vnetsim.io.outputs import dumps

    result = calibrate(quick=quick, seconds=seconds, notify=_notice)
    write_atomic(out, result["profile_text"], "--out")
    if json_out:
        write_atomic(json_out, dumps({k: v for k, v in result.items() if k != "profile_text"}))
    render_calibration(result, console())


def _click_exceptions(name: str) -> tuple[type[BaseException], ...]:
    """The click exception class ``name`` wherever it lives (typer >= 0.29 vendors click)."""
    import importlib

    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(found)


_mounted: dict[str, Any] = {}  # kind name -> the typer app mounted for it (its own, or a placeholder)


def _builtin_commands() -> set[str]:
    return {info.name or (info.callback.__name__ if info.callback else "").replace("_", "-")
            for info in app.registered_commands}


def _mount_kinds(argv: list[str]) -> None:
    """Kinds bring their own sub-commands (``vnetsim fabric plan``). Only the kind a command line
    names has its CLI imported; the others are mounted as empty placeholders with their summary,
    so the help lists them. A built-in command (``vnetsim run``) mounts nothing and so loads no kind."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in _builtin_commands():
        return
    from vnetsim.kinds import all_kinds

    for kind in all_kinds().values():
        if kind.cli is None:
            continue
        mounted = _mounted.get(kind.name)
        if kind.name == command and (mounted is None or getattr(mounted, "_vnetsim_placeholder", False)):
            sub = kind.cli()
        elif mounted is None:
            sub = typer.Typer()
            sub._vnetsim_placeholder = True  # type: ignore[attr-defined]
        else:
            continue
        app.add_typer(sub, name=kind.name, help=kind.summary)
        _mounted[kind.name] = sub
        groups = app.registered_groups
        at = next((i for i, g in enumerate(groups) if g.typer_instance is mounted), None)
        if at is not None:  # the real CLI takes its placeholder's place (the help keeps its order)
            groups[at] = groups.pop()


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit status 2. Without ``argv`` (the
    process's own command line) the process is about to exit when it returns: see ``startup``."""
    startup.begin(own_process=argv is None)
    try:
        _main_body(sys.argv[1:] if argv is None else argv)
    finally:
        startup.end()
        if argv is None:
            startup.exiting()


def _main_body(argv: list[str]) -> None:
    try:
        with one_line_errors():
            _mount_kinds(argv)
            status = app(args=argv, standalone_mode=False)
        if status == 130:  # typer turns Ctrl-C into a silent exit status: report it as one
            raise KeyboardInterrupt
        if isinstance(status, int) and status:  # a command that exited with a status (typer.Exit)
            sys.exit(status)
    except _click_exceptions("Abort"):
        print("vnetsim: aborted", file=sys.stderr)
        sys.exit(130)
    except _click_exceptions("ClickException") as exc:
        ctx = getattr(exc, "ctx", None)
        cmd = ctx.command_path if ctx is not None else "vnetsim"
        message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
        if message:  # an empty message: the help was already printed (no arguments given)
            print(f"{cmd}: {message} (see `{cmd} --help`)", file=sys.stderr)
        sys.exit(2)
    except _click_exceptions("Exit") as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # typer turns Ctrl-C into a silent Exit(130)
            raise exc.__cause__ from None
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]


if __name__ == "__main__":  # pragma: no cover
    from vnetsim.cli import main as entry

    entry()
