"""Switch port models such as ``"48x25G+8x100G"``: how many ports, at what speed, which go up.

A model is one or more groups ``COUNTxSPEED`` joined by ``+``. Speeds take the units of
``vnetsim.units.parse_bit_rate_bps`` and a bare ``G``/``M`` suffix means bits per second
(``25G`` = 25 Gb/s). Which ports face up (towards spines) is a convention, stated here once:

- two or more groups: the fastest group is the uplink group (the last one on a tie), the rest
  face down (servers);
- one group: half the ports (rounded down) face up, the rest down: the non-blocking split of a
  k-port switch in a fat-tree;
- an explicit ``uplinks`` count overrides both and takes uplinks from the fastest ports.

Bounds (realistic maxima, so a typo cannot plan 5e19 spines): at most ``MAX_SWITCH_PORTS`` ports
per switch (the largest modular chassis have 576 x 400G, or 2,304 ports with 4-way breakouts), at
most ``MAX_PORT_GROUPS`` groups, speeds from ``MIN_PORT_SPEED_BPS`` (1 Mb/s) to
``MAX_PORT_SPEED_BPS`` (1.6 Tb/s, the fastest Ethernet port, IEEE 802.3dj). A spec outside them is
a ``ValueError`` naming the group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vnetsim.units import parse_bit_rate_bps

_GROUP = re.compile(r"^\s*([0-9]+)\s*[xX]\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([kKMGT]?)(?:bps|b/s)?\s*$",
                    re.ASCII)
MAX_SWITCH_PORTS = 4096
MAX_PORT_GROUPS = 16
MIN_PORT_SPEED_BPS = 1e6
MAX_PORT_SPEED_BPS = 1.6e12
_MAX_SPEC_CHARS = 200


@dataclass(frozen=True)
class PortGroup:
    """``count`` ports of ``speed_bps`` each."""

    count: int
    speed_bps: float


@dataclass(frozen=True)
class SwitchModel:
    """A switch as a list of port groups, split into server-facing and fabric-facing ports."""

    text: str
    groups: tuple[PortGroup, ...]
    down_ports: int
    down_speed_bps: float
    up_ports: int
    up_speed_bps: float

    @property
    def ports(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def speed_bps(self) -> float:
        """The fastest port speed (a spine's port speed)."""
        return max(g.speed_bps for g in self.groups)

    @property
    def down_bps(self) -> float:
        return self.down_ports * self.down_speed_bps

    @property
    def up_bps(self) -> float:
        return self.up_ports * self.up_speed_bps

    @property
    def oversubscription(self) -> float:
        """Server-facing over fabric-facing bandwidth of a fully populated switch."""
        return self.down_bps / self.up_bps if self.up_bps else float("inf")


def parse_groups(text: str) -> tuple[PortGroup, ...]:
    """``"48x25G+8x100G"`` -> two PortGroups; ValueError with an example on bad text."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected a port model like '48x25G+8x100G', got {_show(text)}")
    if len(text) > _MAX_SPEC_CHARS:
        raise ValueError(f"a port model of {len(text)} characters is too long (at most {MAX_PORT_GROUPS} groups "
                         f"COUNTxSPEED joined by '+'), got {_show(text)}")
    parts = text.split("+")
    if len(parts) > MAX_PORT_GROUPS:
        raise ValueError(f"{len(parts)} port groups in {_show(text)}; a switch model has at most {MAX_PORT_GROUPS}")
    groups = []
    for part in parts:
        m = _GROUP.match(part)
        if not m:
            raise ValueError(f"bad port group {_show(part.strip())} in {_show(text)}; write COUNTxSPEED, "
                             "e.g. '48x25G+8x100G'")
        count = int(m.group(1))
        where = f"port group {_show(part.strip())} in {_show(text)}"
        if count <= 0:
            raise ValueError(f"{where} needs a port count above 0")
        if count > MAX_SWITCH_PORTS:
            raise ValueError(f"{where}: {count} ports; a switch has at most {MAX_SWITCH_PORTS}")
        speed = parse_bit_rate_bps(f"{m.group(2)}{m.group(3)}bps")
        if not MIN_PORT_SPEED_BPS <= speed <= MAX_PORT_SPEED_BPS:
            raise ValueError(f"{where}: a port speed must be between 1M and 1.6T (bits per second)")
        groups.append(PortGroup(count, speed))
    total = sum(g.count for g in groups)
    if total > MAX_SWITCH_PORTS:
        raise ValueError(f"{total} ports in {_show(text)}; a switch has at most {MAX_SWITCH_PORTS}")
    return tuple(groups)


def _show(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def parse_switch_model(text: str, uplinks: int | None = None) -> SwitchModel:
    """Parse a port model and split it into down (servers) and up (fabric) ports."""
    groups = parse_groups(text)
    if uplinks is not None:
        total = sum(g.count for g in groups)
        if not 0 <= uplinks < total:
            raise ValueError(f"uplinks={uplinks} does not fit the {total} ports of {text!r}; use 0..{total - 1}")
        fastest = max(g.speed_bps for g in groups)
        slowest = min(g.speed_bps for g in groups)
        return SwitchModel(text.strip(), groups, total - uplinks, slowest if len(groups) > 1 else fastest,
                           uplinks, fastest)
    if len(groups) == 1:
        g = groups[0]
        up = g.count // 2
        return SwitchModel(text.strip(), groups, g.count - up, g.speed_bps, up, g.speed_bps)
    up_index = max(range(len(groups)), key=lambda i: (groups[i].speed_bps, i))
    uplink = groups[up_index]
    down = [g for i, g in enumerate(groups) if i != up_index]
    down_ports = sum(g.count for g in down)
    down_speed = max(g.speed_bps for g in down)
    return SwitchModel(text.strip(), groups, down_ports, down_speed, uplink.count, uplink.speed_bps)


def format_speed(bps: float) -> str:
    """25e9 -> '25G'."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if bps >= scale:
            return f"{bps / scale:g}{unit}"
    return f"{bps:g}"
