"""`vnetsim`: run scenarios, search zero-loss throughput, print the scenario schema.

Every user mistake ends with one line on stderr and exit status 2; output files are written
whole or not at all.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from vnetsim.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Simulate how a virtual data center's network behaves before you deploy it.")
# A terminal gets its own width; piped or redirected output gets a width the tables fit in.
console = Console(width=None if sys.stdout.isatty() else 160)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename: whole or not at all."""
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    if target.is_dir():
        raise UserError(f"--json {path}", "is a directory", "name a file, e.g. out/result.json")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise UserError(f"--json {path}", f"folder {parent} does not exist", "create it first")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(result) -> None:
    from vnetsim.api import render

    render(result, console)


SetOpt = typer.Option(None, "--set", help="override any field: --set host.pnic.ring_size=1024 "
                      "(list items by index or name: host.vms.pgw.guest.vcpus=2)")


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    seed: Optional[int] = typer.Option(None, help="random seed (overrides the file's)"),
    duration: Optional[str] = typer.Option(None, help="simulated time, e.g. 200ms (overrides the file's)"),
    set_: Optional[list[str]] = SetOpt,
    variant: Optional[str] = typer.Option(None, help="run only this variant"),
    json_out: Optional[str] = typer.Option(None, "--json", help="also write the result as JSON here ('-' for stdout)"),
    pcap: Optional[Path] = typer.Option(None, "--pcap", help="also write the first variant's offered traffic, "
                                        "as on the wire, to this pcap file"),
    pcap_limit: int = typer.Option(1_000_000, "--pcap-limit", min=1, help="at most this many packets in the pcap"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no table"),
) -> None:
    """Run every variant of a scenario and print them side by side."""
    from vnetsim.api import run as api_run

    if pcap is not None and not (pcap.parent if str(pcap.parent) else Path(".")).is_dir():
        raise UserError(f"--pcap {pcap}", f"folder {pcap.parent} does not exist", "create it first")
    result = api_run(scenario, seed=seed, duration=duration, overrides=set_ or [], variant=variant,
                     pcap=str(pcap) if pcap is not None else None, pcap_limit=pcap_limit)
    if not quiet and json_out != "-":
        _render(result)
    if json_out:
        write_atomic(json_out, result.to_json())


@app.command()
def throughput(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)"),
    seed: Optional[int] = typer.Option(None, help="random seed"),
    duration: Optional[str] = typer.Option(None, help="duration of each trial, e.g. 50ms"),
    set_: Optional[list[str]] = SetOpt,
    variant: Optional[str] = typer.Option(None, help="search only this variant"),
    resolution: Optional[float] = typer.Option(None, min=1e-4, max=0.5,
                                               help="stop when the bracket is this fraction of line rate (default 0.005)"),
    json_out: Optional[str] = typer.Option(None, "--json", help="also write the result as JSON here"),
) -> None:
    """RFC 2544-style search for the highest zero-loss rate of each variant."""
    from vnetsim.throughput import throughput as api_throughput

    result = api_throughput(scenario, seed=seed, duration=duration, overrides=set_ or [], variant=variant,
                            resolution=resolution)
    if json_out != "-":
        _render(result)
    if json_out:
        write_atomic(json_out, result.to_json())


@app.command()
def flows(
    scenario: Path = typer.Argument(..., help="host scenario file (YAML)"),
    variant: Optional[str] = typer.Option(None, help="the variant (default: the first)"),
    set_: Optional[list[str]] = SetOpt,
    limit: int = typer.Option(50, min=1, help="flows to list"),
    json_out: Optional[str] = typer.Option(None, "--json", help="write the listing as JSON here ('-' for stdout)"),
) -> None:
    """List each flow's headers and the RX queue, core and VM it lands on (no simulation)."""
    from rich.table import Table

    from vnetsim.api import load
    from vnetsim.host.plan import compile_host
    from vnetsim.results.host import steering_summary

    kind, source, variants = load(scenario, overrides=set_ or [], variant=variant)
    if kind != "host":
        raise UserError(str(scenario), f"flow listings apply to host scenarios, not {kind}")
    v = variants[0]
    plan = compile_host(v.model.host, v.model.traffic.flows, v.model.seed, where=f"{source}: variant {v.name!r}")
    summary = steering_summary(plan, limit)
    if json_out:
        write_atomic(json_out, json.dumps({"variant": v.name, **summary}, indent=2) + "\n")
        if json_out == "-":
            return
    rows = summary["flow_queues"]
    table = Table(title=f"{v.name}: {summary['flows']} flows on {len(summary['flows_per_queue'])} queues "
                  f"({summary['queues_used']} used); first {len(rows)}", title_justify="left")
    cols = ["flow", "queue", "core", "vm", "reason", "ip_src", "ip_dst", "src_port", "dst_port", "tunnel",
            "outer_ip_src", "outer_src_port", "hash"]
    cols = [c for c in cols if any(c in r for r in rows)]
    for c in cols:
        table.add_column(c, justify="right" if c in ("flow", "queue", "src_port", "dst_port", "outer_src_port") else "left")
    for r in rows:
        table.add_row(*[str(r.get(c, "")) for c in cols])
    console.print(table)


@app.command()
def schema(
    kind: str = typer.Argument("host", help="which scenario schema: host or fabric"),
    json_out: Optional[str] = typer.Option(None, "--json", help="write it to this file instead of stdout"),
) -> None:
    """Print the JSON Schema of scenario files."""
    from vnetsim.api import schema_for

    text = json.dumps(schema_for(kind), indent=2) + "\n"
    if json_out:
        write_atomic(json_out, text)
    else:
        sys.stdout.write(text)


def _click_exceptions(name: str) -> tuple[type, ...]:
    """The click exception class ``name`` wherever it lives (typer >= 0.29 vendors click)."""
    import importlib

    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(found)


def _mount_domains() -> None:
    """Domain packages bring their own sub-commands (``vnetsim fabric plan``)."""
    from vnetsim.fabric.cli import app as fabric_app

    app.add_typer(fabric_app, name="fabric", help="Data-center fabrics: plan leaves, spines and oversubscription.")


_mount_domains()


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit status 2."""
    try:
        status = app(args=argv, standalone_mode=False)
        if isinstance(status, int) and status:  # a command that exited with a status (typer.Exit)
            sys.exit(status)
    except UserError as exc:
        print(f"vnetsim: {exc.line()}", file=sys.stderr)
        sys.exit(2)
    except _click_exceptions("Abort"):
        print("vnetsim: aborted", file=sys.stderr)
        sys.exit(130)
    except _click_exceptions("ClickException") as exc:
        ctx = getattr(exc, "ctx", None)
        cmd = ctx.command_path if ctx is not None else "vnetsim"
        message = " ".join(exc.format_message().split())
        if message:  # an empty message: the help was already printed (no arguments given)
            print(f"{cmd}: {message} (see `{cmd} --help`)", file=sys.stderr)
        sys.exit(2)
    except _click_exceptions("Exit") as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
