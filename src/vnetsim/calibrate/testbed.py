"""Two network namespaces joined by a veth pair, optionally with a VXLAN device on top: the kernel
path ``vnetsim calibrate`` measures. Made with ``ip`` (argument lists), torn down on exit.

Traffic only flows inside these namespaces (addresses 10.231.0.0/24 on the veth, 10.232.0.0/24 on
the VXLAN overlay); nothing on the host's own interfaces changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field

from vnetsim.errors import UserError

UNDERLAY = ("10.231.0.1", "10.231.0.2")
OVERLAY = ("10.232.0.1", "10.232.0.2")
VNI = 4242
VXLAN_PORT = 4789


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=False)
    if proc.returncode != 0:
        raise UserError("calibrate", f"`ip {' '.join(args)}` failed: {proc.stderr.strip()}",
                        "run as root on Linux with network namespaces (ip netns)")


def why_not() -> str | None:
    """None when a testbed can be made here, else why not (for a one-line error or a test skip)."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    for tool in ("ip", "sockperf"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install iproute2 sockperf)"
    return None


@dataclass
class Testbed:
    """Namespaces ``client`` and ``server``; ``address(vxlan)`` is the server's address on the path."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    made: list[str] = field(default_factory=list)

    @property
    def client(self) -> str:
        return f"vncal-c-{self.tag}"

    @property
    def server(self) -> str:
        return f"vncal-s-{self.tag}"

    def __enter__(self) -> Testbed:
        why = why_not()
        if why:
            raise UserError("calibrate", why, "run `vnetsim calibrate` as root on a Linux host")
        try:
            for ns in (self.client, self.server):
                _ip("netns", "add", ns)
                self.made.append(ns)
                _ip("-n", ns, "link", "set", "lo", "up")
            _ip("link", "add", "vc0", "netns", self.client, "type", "veth", "peer", "name", "vs0", "netns", self.server)
            for ns, dev, addr, peer in ((self.client, "vc0", UNDERLAY[0], UNDERLAY[1]),
                                        (self.server, "vs0", UNDERLAY[1], UNDERLAY[0])):
                _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
                _ip("-n", ns, "link", "set", dev, "up")
                _ip("-n", ns, "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "dstport", str(VXLAN_PORT),
                    "local", addr, "remote", peer, "dev", dev)
                over = OVERLAY[0] if ns == self.client else OVERLAY[1]
                _ip("-n", ns, "addr", "add", f"{over}/24", "dev", "vx0")
                _ip("-n", ns, "link", "set", "vx0", "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20, check=False)
        self.made.clear()

    @staticmethod
    def address(vxlan: bool) -> str:
        return OVERLAY[1] if vxlan else UNDERLAY[1]
