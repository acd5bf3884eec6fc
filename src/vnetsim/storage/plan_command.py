"""``vnetsim storage plan``: the options, the answer as plain text, and ``--json``.

A quick command of the storage kind (``Kind.quick``): the command line parses it before it would
import typer, and the answer is printed without rich, so the whole command is the interpreter's
start, this module, the planner and a few microseconds of arithmetic. Mistakes are one line
(``UserError``) and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import NoReturn

from vnetsim.errors import ModelError, UserError

PROG = "vnetsim storage plan"
SUMMARY = "Will the VMs fit, and on how many hosts?"
RESERVES = ("auto", "slack", "reserved", "none")
ARCHITECTURES = ("esa", "osa")


class _Parser(argparse.ArgumentParser):
    """argparse whose mistakes are one line (its own would print the usage first)."""

    def error(self, message: str) -> NoReturn:
        where = "storage plan"
        if message.startswith("argument ") and ": " in message:  # "argument --vms: expected ..."
            option, message = message[len("argument "):].split(": ", 1)
            where += f": {option.split('/')[0]}"
        raise UserError(where, message, f"see `{PROG} --help`")


def _number(cast: Callable[[str], float], lo: float, hi: float | None = None) -> Callable[[str], float]:
    """An option's type: ``cast`` of the text, within [lo, hi]."""
    span = f"at least {lo:g}" if hi is None else f"between {lo:g} and {hi:g}"
    noun = "a whole number" if cast is int else "a number"

    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun} {span}, not {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {noun} {span}, not {text!r}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=SUMMARY, allow_abbrev=False)
    p.add_argument("--vms", type=_number(int, 1), required=True, help="Number of VMs.")
    p.add_argument("--vm-disk", required=True, help="Size of each VM disk, e.g. 200GB.")
    p.add_argument("--policy", default="raid1", help="raid1, raid5 or raid6 (default raid1).")
    p.add_argument("--ftt", type=_number(int, 0), default=None, help="Failures to tolerate (RAID-5: 1, RAID-6: 2).")
    p.add_argument("--host", default="4x3.84TB-nvme", help="Devices of one host, COUNTxSIZE-KIND[+...] (OSA: the "
                   "first group is the cache tier; default 4x3.84TB-nvme).")
    p.add_argument("--flavor", default="single", help="robo, single or stretched (default single).")
    p.add_argument("--architecture", default="esa", help="esa or osa (default esa).")
    p.add_argument("--disks", type=_number(int, 1), default=1, help="Disks per VM (default 1).")
    p.add_argument("--vm-memory", default="0", help="VM memory (its swap object's size), e.g. 16GB.")
    p.add_argument("--used", type=_number(float, 0.0, 1.0), default=1.0, help="Share of each disk written (default 1).")
    p.add_argument("--reserve", default="auto", help="auto, slack, reserved or none (default auto).")
    p.add_argument("--slack", type=_number(float, 0.0, 0.95), default=0.30,
                   help="Slack share (reserve slack; default 0.30).")
    p.add_argument("--dedupe", type=_number(float, 1.0, 10.0), default=1.0,
                   help="Dedupe and compression ratio (default 1).")
    p.add_argument("--hosts", type=_number(int, 1), default=None, help="Also check this many hosts (per site).")
    p.add_argument("--json", dest="json_out", default=None, metavar="PATH",
                   help="Also write the plan as JSON to this file.")
    return p


def main(args: list[str]) -> None:
    """Parse ``args`` (what follows ``vnetsim storage plan``), plan, print; ``--json`` also writes it."""
    o = parser().parse_args(args)
    from vnetsim.storage.capacity import Rules
    from vnetsim.storage.planner import plan, request_from_options
    from vnetsim.units import parse_bytes

    try:
        try:
            mem = parse_bytes(o.vm_memory)
        except ValueError as exc:
            raise ModelError("--vm-memory", str(exc), "e.g. --vm-memory 16GB") from None
        if o.reserve not in RESERVES:
            raise ModelError("--reserve", f"unknown reserve {o.reserve!r}", f"choose {', '.join(RESERVES)}")
        if o.architecture not in ARCHITECTURES:
            raise ModelError("--architecture", f"unknown architecture {o.architecture!r}", "choose esa or osa")
        req = request_from_options(o.vms, o.vm_disk, o.policy, o.ftt, o.host, o.flavor, o.architecture,
                                   disks_per_vm=o.disks, vm_memory_bytes=float(mem), used=o.used, hosts=o.hosts,
                                   free_space=Rules(reserve=o.reserve, slack=o.slack, dedupe_ratio=o.dedupe))
        answer = plan(req)
    except ModelError as exc:
        field = exc.field if exc.field.startswith("--") else ("--policy" if exc.field.startswith("policy")
                                                              else f"--{exc.field}")
        raise UserError(f"storage plan: {field}", exc.what, exc.fix) from None
    if o.json_out is not None:
        from vnetsim.io.outputs import to_plain, write_atomic

        write_atomic(o.json_out, json.dumps(to_plain(answer.to_dict()), sort_keys=True, indent=2,
                                            allow_nan=False) + "\n")
    sys.stdout.write(render(answer))


def render(p) -> str:  # noqa: ANN001 - a planner.Plan
    """The plan as a titled two-column table of plain text, then its notes."""
    from vnetsim.results.cells import share

    req = p.request
    title = (f"{req.vms} VMs x {req.disks_per_vm} x {req.vm_disk_bytes / 1e9:g} GB, {req.flavor}, "
             f"{req.architecture.upper()}")
    rows: list[tuple[str, str]] = []
    if p.hosts_per_site is None:
        rows.append(("hosts", "none fits"))
    else:
        per = " per site" if req.sites == 2 else ""
        both = f" ({p.hosts_per_site * 2} data hosts + witness)" if req.sites == 2 else ""
        rows += [("hosts needed", f"{p.hosts_per_site}{per}{both}"), ("limited by", p.limited_by),
                 ("policy", str(p.layout)), ("usable capacity", f"{(p.usable_bytes or 0) / 1e12:.2f} TB"),
                 ("capacity used", share(p.utilization)), ("components per host", f"{p.components_per_host:.0f}")]
    if p.fits_given is not None:
        rows.append((f"fits on {req.hosts} hosts", "yes" if p.fits_given else "no"))
    left = max(len(k) for k, _ in rows)
    lines = [title, "-" * max(len(title), left + 4 + max(len(v) for _, v in rows))]
    lines += [f"  {k:<{left}}  {v}" for k, v in rows]
    lines += [f"note: {n}" for n in p.notes]
    return "\n".join(lines) + "\n"
