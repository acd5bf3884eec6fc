"""The ``storage`` command group (mounted by the main CLI as ``vnetsim storage ...``).

User mistakes raise one-line errors (exit status 2, from the main CLI); output files are written
whole or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from vnetsim.errors import ModelError, UserError
from vnetsim.io.outputs import to_plain, write_atomic

app = typer.Typer(name="storage", help="Hyper-converged storage clusters: plan hosts.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def storage() -> None:
    """Hyper-converged storage clusters: plan hosts (scenarios run with `vnetsim run`)."""


def render_plan(p, console: Console) -> None:
    from vnetsim.results.cells import share

    req = p.request
    t = Table(title=f"{req.vms} VMs x {req.disks_per_vm} x {req.vm_disk_bytes / 1e9:g} GB, {req.flavor}, "
              f"{req.architecture.upper()}", show_header=False)
    t.add_column("")
    t.add_column("", justify="right")
    if p.hosts_per_site is None:
        t.add_row("hosts", "none fits")
    else:
        per = " per site" if req.sites == 2 else ""
        t.add_row("hosts needed", f"{p.hosts_per_site}{per}" + (f" ({p.hosts_per_site * 2} data hosts + witness)"
                                                               if req.sites == 2 else ""))
        t.add_row("limited by", p.limited_by)
        t.add_row("policy", str(p.layout))
        t.add_row("usable capacity", f"{(p.usable_bytes or 0) / 1e12:.2f} TB")
        t.add_row("capacity used", share(p.utilization))
        t.add_row("components per host", f"{p.components_per_host:.0f}")
    if p.fits_given is not None:
        t.add_row(f"fits on {req.hosts} hosts", "yes" if p.fits_given else "no")
    console.print(t)
    for n in p.notes:
        console.print(f"note: {n}")


@app.command()
def plan(
    vms: int = typer.Option(..., "--vms", min=1, help="Number of VMs."),
    vm_disk: str = typer.Option(..., "--vm-disk", help="Size of each VM disk, e.g. 200GB."),
    policy: str = typer.Option("raid1", "--policy", help="raid1, raid5 or raid6."),
    ftt: int | None = typer.Option(None, "--ftt", help="Failures to tolerate (RAID-5: 1, RAID-6: 2)."),
    host: str = typer.Option("4x3.84TB-nvme", "--host", help="Devices of one host, COUNTxSIZE-KIND[+...] (OSA: "
                             "the first group is the cache tier)."),
    flavor: str = typer.Option("single", "--flavor", help="robo, single or stretched."),
    architecture: str = typer.Option("esa", "--architecture", help="esa or osa."),
    disks: int = typer.Option(1, "--disks", min=1, help="Disks per VM."),
    memory: str = typer.Option("0", "--vm-memory", help="VM memory (its swap object's size), e.g. 16GB."),
    used: float = typer.Option(1.0, "--used", min=0.0, max=1.0, help="Share of each disk written."),
    reserve: str = typer.Option("auto", "--reserve", help="auto, slack, reserved or none."),
    slack: float = typer.Option(0.30, "--slack", min=0.0, max=0.95, help="Slack share (reserve slack)."),
    dedupe: float = typer.Option(1.0, "--dedupe", min=1.0, max=10.0, help="Dedupe and compression ratio."),
    hosts: int | None = typer.Option(None, "--hosts", min=1, help="Also check this many hosts (per site)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the plan as JSON to this file."),
) -> None:
    """Will the VMs fit, and on how many hosts?"""
    from vnetsim.storage.capacity import Rules
    from vnetsim.storage.planner import plan as make_plan
    from vnetsim.storage.planner import request_from_options
    from vnetsim.units import parse_bytes

    try:
        try:
            mem = parse_bytes(memory)
        except ValueError as exc:
            raise ModelError("--vm-memory", str(exc), "e.g. --vm-memory 16GB") from None
        if reserve not in ("auto", "slack", "reserved", "none"):
            raise ModelError("--reserve", f"unknown reserve {reserve!r}", "choose auto, slack, reserved or none")
        if architecture not in ("esa", "osa"):
            raise ModelError("--architecture", f"unknown architecture {architecture!r}", "choose esa or osa")
        req = request_from_options(vms, vm_disk, policy, ftt, host, flavor, architecture, disks_per_vm=disks,
                                   vm_memory_bytes=float(mem), used=used, hosts=hosts,
                                   free_space=Rules(reserve=reserve, slack=slack, dedupe_ratio=dedupe))
        p = make_plan(req)
    except ModelError as exc:
        field = exc.field if exc.field.startswith("--") else ("--policy" if exc.field.startswith("policy")
                                                              else f"--{exc.field}")
        raise UserError(f"storage plan: {field}", exc.what, exc.fix) from None
    if json_out is not None:
        write_atomic(json_out, json.dumps(to_plain(p.to_dict()), sort_keys=True, indent=2, allow_nan=False) + "\n")
    render_plan(p, Console())
