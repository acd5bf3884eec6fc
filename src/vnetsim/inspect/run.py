"""Run a read-only host tool (ethtool, ip) with an argument list, never a shell string.

Interface names are validated before they reach a command line (``check_iface``); the tools run
with ``LC_ALL=C`` (stable, parseable output), a timeout, and no standard input. A missing tool or a
command that fails is an answer (``Ran.ok`` false, its message kept as evidence), not an exception.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from vnetsim.errors import UserError

# Linux: at most IFNAMSIZ - 1 = 15 bytes, no '/', no whitespace, not '.' or '..' (dev_valid_name);
# we also refuse a leading '-' (it would read as an option) and anything outside this set.
_IFACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,14}$")
TIMEOUT_S = 5.0


def valid_iface(name: str) -> bool:
    return bool(_IFACE.match(name)) and name not in (".", "..")


def check_iface(name: str) -> str:
    """The name, or a one-line error (exit status 2) when it cannot be a Linux interface name."""
    if not valid_iface(name):
        raise UserError(f"interface {name!r}", "is not a valid interface name",
                        "use at most 15 letters, digits or _.:@+- (not starting with '-'), e.g. eth0")
    return name


@dataclass(frozen=True)
class Ran:
    """What a command printed and whether it succeeded."""

    argv: tuple[str, ...]
    ok: bool
    out: str
    err: str

    @property
    def command(self) -> str:
        return " ".join(self.argv)


def run(argv: list[str], timeout_s: float = TIMEOUT_S) -> Ran:
    """Run ``argv`` (a list; the first item found on PATH) and capture its output."""
    exe = shutil.which(argv[0])
    if exe is None:
        return Ran(tuple(argv), False, "", f"{argv[0]}: not installed")
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        proc = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL, env=env, check=False)
    except subprocess.TimeoutExpired:
        return Ran(tuple(argv), False, "", f"timed out after {timeout_s:g} s")
    except OSError as exc:
        return Ran(tuple(argv), False, "", str(exc))
    return Ran(tuple(argv), proc.returncode == 0, proc.stdout, proc.stderr.strip())
