"""Network namespaces for the inspect tests: made and removed by the test, skipped with a reason
when not root or when ``ip netns`` is not available."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]


def sample(name: str) -> str:
    """A saved tool output without its citation comment lines."""
    return "".join(line for line in (DATA / name).read_text().splitlines(keepends=True) if not line.startswith("#"))


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=30)


def netns_available() -> str | None:
    """None when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root (ip netns add)"
    for tool in ("ip", "ethtool"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    name = f"vnp{uuid.uuid4().hex[:8]}"
    if sh("ip", "netns", "add", name, check=False).returncode != 0:
        return "ip netns add failed (no network namespaces here)"
    sh("ip", "netns", "del", name, check=False)
    return None


class Netns:
    def __init__(self) -> None:
        self.name = f"vni{uuid.uuid4().hex[:8]}"
        sh("ip", "netns", "add", self.name)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return sh("ip", "-n", self.name, *args, check=check)

    def ethtool(self, *args: str) -> subprocess.CompletedProcess:
        return sh("ip", "netns", "exec", self.name, "ethtool", *args)

    def vnetsim(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        code = "import sys; from vnetsim.cli import main; main(sys.argv[1:])"
        return subprocess.run(["ip", "netns", "exec", self.name, sys.executable, "-c", code, *args],
                              capture_output=True, text=True, check=check, timeout=120, cwd=ROOT)

    def inspect(self, *ifaces: str) -> dict:
        """The report from inside the namespace (the library call: quicker to start than the CLI,
        which the emit and error tests run)."""
        code = ("import sys; from vnetsim.inspect import inspect_host; from vnetsim.io.outputs import dumps; "
                "sys.stdout.write(dumps(inspect_host(sys.argv[1:] or None)))")
        out = subprocess.run(["ip", "netns", "exec", self.name, sys.executable, "-c", code, *ifaces],
                             capture_output=True, text=True, check=True, timeout=120, cwd=ROOT).stdout
        return json.loads(out)

    def close(self) -> None:
        sh("ip", "netns", "del", self.name, check=False)


@pytest.fixture
def netns():
    why = netns_available()
    if why:
        pytest.skip(why)
    ns = Netns()
    yield ns
    ns.close()
