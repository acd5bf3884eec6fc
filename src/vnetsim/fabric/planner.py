"""Spine-leaf planner: leaves, spines, oversubscription, cabling and optics, and the largest fabric.

Formulas (docs/references.md, Spine-leaf design rules and Fat-tree), for a leaf with D server
ports at speed d and U uplinks at speed u, a spine with P ports, L links from each leaf to each
spine and N NICs per host:
- leaves = ceil(hosts * N / D); spines = U / L (every uplink used; fewer with --spines);
  spines * L <= U (spines <= leaf uplinks) and leaves * L <= P (leaves <= spine ports);
- oversubscription = D * d / (spines * L * u) (server-facing / uplink bandwidth);
- two tiers reach floor(P / L) leaves: floor(P / L) * D / N hosts;
- a super-spine tier splits every spine into P/2 ports down and P/2 up (non-blocking spine):
  pods of floor(P/2 / L) leaves, one plane per spine position (U / L planes), and as many pods as
  a super-spine has ports (S): S * floor(P/2 / L) * D / N hosts at most (P/2 super-spines per
  plane). A plan for fewer hosts gets ceil(leaves / pod size) pods with the leaves spread evenly,
  and per plane the fewest super-spines d (a divisor of P/2, so every spine has P/2 / d links to
  each) with pods * P/2 / d <= S: the smallest tier that takes every spine uplink.
  With k-port switches everywhere (D = U = k/2, P = S = k, L = N = 1) these are the fat-tree
  limits k^2/2 (two tiers) and k^3/4 hosts with 5k^2/4 switches (three tiers).
- cabling: one cable per host NIC, per leaf-spine link and per spine-super-spine link; optics: two
  per switch-to-switch cable, host cables are DAC (assumption; --host-optics counts them too).

Bounds (one-line errors naming the option): ``--hosts`` 1 to ``MAX_PLAN_HOSTS`` (10 million, beyond
the largest data centers), ``--nics`` 1 to 8, ``--links-per-spine`` 1 to 64, ``--spines`` at most
the leaf's uplinks, port models as ``vnetsim.fabric.ports`` bounds them (at most 4096 ports of
1M to 1.6T per switch).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from vnetsim.errors import UserError
from vnetsim.fabric.ports import SwitchModel, format_speed, parse_switch_model

MAX_PLAN_HOSTS = 10_000_000
MAX_NICS = 8
MAX_LINKS_PER_SPINE = 64


@dataclass
class FabricPlan:
    """A planned fabric and its growth limits; ``to_dict()`` is JSON-ready."""

    hosts: int
    nics_per_host: int
    leaf: str
    spine: str
    super_spine: str
    links_per_spine: int
    tiers: int
    leaves: int
    spines: int
    super_spines: int
    pods: int
    leaves_per_pod: int
    oversubscription: float
    oversubscription_as_built: float
    hosts_per_leaf: int
    leaf_ports_used: int
    spine_ports_used: int
    cables: dict = field(default_factory=dict)
    optics: dict = field(default_factory=dict)
    port_use: dict = field(default_factory=dict)
    largest_two_tier: dict = field(default_factory=dict)
    largest_three_tier: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"kind": "fabric_plan", **asdict(self)}

    def render(self, console) -> None:
        from rich.table import Table

        t = Table(title=f"Fabric plan for {self.hosts} hosts ({self.nics_per_host} NIC each)")
        t.add_column("item")
        t.add_column("value")
        t.add_row("leaf / spine model", f"{self.leaf} / {self.spine}")
        t.add_row("tiers", str(self.tiers))
        t.add_row("leaves", f"{self.leaves} ({self.hosts_per_leaf} hosts on the fullest)")
        t.add_row("spines", f"{self.spines}" + (f" ({self.pods} pods of {self.leaves_per_pod} leaves)"
                                                 if self.tiers == 3 else ""))
        if self.tiers == 3:
            t.add_row("super-spines", f"{self.super_spines} ({self.super_spine})")
        t.add_row("oversubscription", f"{self.oversubscription:.2f}:1 full leaf, "
                  f"{self.oversubscription_as_built:.2f}:1 as built")
        t.add_row("ports used", ", ".join(f"{tier.replace('_', '-')} {u['used']} of {u['total']}"
                                          for tier, u in self.port_use.items()))
        t.add_row("cables", ", ".join(f"{k} {v}" for k, v in self.cables.items()))
        t.add_row("optics", ", ".join(f"{k} {v}" for k, v in self.optics.items()) or "0")
        two, three = self.largest_two_tier, self.largest_three_tier
        t.add_row("largest two-tier", f"{two['hosts']} hosts ({two['leaves']} leaves, {two['spines']} spines)")
        t.add_row("largest with super-spine", f"{three['hosts']} hosts ({three['pods']} pods, {three['leaves']} "
                  f"leaves, {three['spines']} spines, {three['super_spines']} super-spines)")
        for n in self.notes:
            t.add_row("note", n)
        console.print(t)


def super_spines_per_plane(pods: int, spine_up_ports: int, super_spine_ports: int) -> tuple[int, int]:
    """(super-spines per plane, parallel links from each spine to each of them): the fewest
    super-spines that take every spine uplink of ``pods`` pods, with the same number of links from
    every spine to every super-spine of its plane (so ECMP sees equal paths): the smallest divisor
    ``d`` of the spine's uplinks with ``pods * uplinks / d <= super-spine ports``. ``d = uplinks``
    (one link each) always fits, since pods <= super-spine ports."""
    for d in range(1, spine_up_ports + 1):
        if spine_up_ports % d == 0 and pods * (spine_up_ports // d) <= super_spine_ports:
            return d, spine_up_ports // d
    raise UserError("--super-spine", f"{pods} pods exceed the super-spine's {super_spine_ports} ports",
                    "use a super-spine with more ports")


def _count(n: int) -> str:
    """A count as written, cut to a readable length (one short line even for 10**40)."""
    text = str(n)
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"


def _model(text: str, option: str, uplinks: int | None = None) -> SwitchModel:
    try:
        return parse_switch_model(text, uplinks)
    except ValueError as exc:
        raise UserError(option, str(exc)) from None


def plan_fabric(hosts: int, leaf: str = "48x25G+8x100G", spine: str = "32x100G", super_spine: str | None = None,
                nics_per_host: int = 1, spines: int | None = None, links_per_spine: int = 1,
                leaf_uplinks: int | None = None, max_tiers: int = 3, host_optics: bool = False) -> FabricPlan:
    """Plan a spine-leaf (or super-spine) fabric for ``hosts`` hosts; UserError on a bad design."""
    if not 1 <= hosts <= MAX_PLAN_HOSTS:
        raise UserError("--hosts", f"{_count(hosts)} hosts", f"give 1 to {MAX_PLAN_HOSTS:,} hosts")
    if not 1 <= nics_per_host <= MAX_NICS:
        raise UserError("--nics", f"{_count(nics_per_host)} NICs per host", f"give 1 to {MAX_NICS}")
    if not 1 <= links_per_spine <= MAX_LINKS_PER_SPINE:
        raise UserError("--links-per-spine", f"{_count(links_per_spine)} links", f"give 1 to {MAX_LINKS_PER_SPINE}")
    if spines is not None and spines < 1:
        raise UserError("--spines", f"{_count(spines)} spines",
                        "give at least 1, or leave it out for one per leaf uplink")
    if max_tiers not in (2, 3):
        raise UserError("--max-tiers", f"{max_tiers} tiers", "use 2 or 3")
    lf = _model(leaf, "--leaf")
    if leaf_uplinks is not None:
        lf = _model(leaf, "--leaf-uplinks", leaf_uplinks)
    sp = _model(spine, "--spine")
    ss = _model(super_spine or spine, "--super-spine")
    if lf.up_ports < links_per_spine or lf.down_ports < nics_per_host:
        raise UserError("--leaf", f"leaf '{lf.text}' has {lf.down_ports} server ports and {lf.up_ports} uplinks",
                        "use a leaf with server ports and at least links-per-spine uplinks")
    max_spines = lf.up_ports // links_per_spine
    n_spines = max_spines if spines is None else spines
    if n_spines < 1 or n_spines * links_per_spine > lf.up_ports:
        need = _count(n_spines * links_per_spine)
        raise UserError("--spines", f"{_count(n_spines)} spines x {links_per_spine} link(s) need {need} "
                        f"uplinks per leaf, but leaf '{lf.text}' has {lf.up_ports}",
                        f"use 1 to {max_spines} spines, or a leaf with more uplinks")
    up_speed = min(lf.up_speed_bps, sp.speed_bps)
    host_ports = hosts * nics_per_host
    n_leaves = math.ceil(host_ports / lf.down_ports)
    hosts_per_leaf_max = lf.down_ports // nics_per_host

    # growth limits: two tiers (leaves <= spine ports / L), three tiers (pods of a half-down spine)
    two_leaves = sp.ports // links_per_spine
    two = {"hosts": two_leaves * hosts_per_leaf_max, "leaves": two_leaves, "spines": n_spines,
           "switches": two_leaves + n_spines}
    half = sp.ports // 2
    lpp = half // links_per_spine
    per_plane = sp.ports - half
    max_pods = ss.ports
    three = {"hosts": max_pods * lpp * hosts_per_leaf_max, "pods": max_pods, "leaves": max_pods * lpp,
             "spines": max_pods * n_spines, "super_spines": n_spines * per_plane,
             "switches": max_pods * lpp + max_pods * n_spines + n_spines * per_plane}

    notes = []
    if n_leaves <= two_leaves:
        tiers, pods, leaves_per_pod, n_super = 2, 1, n_leaves, 0
        total_spines = n_spines
        spine_ports_used = n_leaves * links_per_spine
        ss_cables = ss_ports_used = 0
    else:
        if max_tiers == 2:
            raise UserError("--hosts", f"{hosts} hosts need {n_leaves} leaves, two tiers of '{sp.text}' spines "
                            f"reach {two_leaves} leaves ({two['hosts']} hosts)",
                            "allow a super-spine tier (--max-tiers 3), or use spines with more ports")
        if lpp < 1:
            raise UserError("--spine", f"spine '{sp.text}' has too few ports to split into pods",
                            "use a spine with more ports")
        if hosts > three["hosts"]:
            raise UserError("--hosts", f"{hosts} hosts exceed the largest fabric this design reaches: "
                            f"{three['hosts']} hosts with a super-spine tier ({two['hosts']} with two tiers)",
                            "use switches with more ports, fewer NICs per host, or several fabrics")
        tiers = 3
        pods = math.ceil(n_leaves / lpp)
        leaves_per_pod = math.ceil(n_leaves / pods)          # leaves spread evenly over the pods
        total_spines = pods * n_spines
        per_plane_ss, links_per_ss = super_spines_per_plane(pods, per_plane, ss.ports)
        n_super = n_spines * per_plane_ss
        spine_ports_used = leaves_per_pod * links_per_spine + per_plane
        ss_ports_used = pods * links_per_ss
        ss_cables = pods * n_spines * per_plane
        notes.append(f"{n_leaves} leaves exceed the {two_leaves} a two-tier '{sp.text}' spine layer can hold")
        if per_plane_ss < per_plane:
            notes.append(f"{per_plane_ss} super-spines per plane with {links_per_ss} parallel links from each spine "
                         f"(the largest fabric needs {per_plane}: add super-spines as pods are added)")
    over = lf.down_bps / (n_spines * links_per_spine * up_speed)
    hosts_on_fullest = min(hosts, hosts_per_leaf_max)
    as_built = hosts_on_fullest * nics_per_host * lf.down_speed_bps / (n_spines * links_per_spine * up_speed)
    leaf_spine = n_leaves * n_spines * links_per_spine
    cables = {"host": host_ports, "leaf_spine": leaf_spine}
    optics = {format_speed(up_speed): 2 * leaf_spine}
    if tiers == 3:
        cables["spine_super_spine"] = ss_cables
        top = format_speed(min(sp.speed_bps, ss.speed_bps))
        optics[top] = optics.get(top, 0) + 2 * ss_cables
    if host_optics:
        key = format_speed(lf.down_speed_bps)
        optics[key] = optics.get(key, 0) + 2 * host_ports
    if n_spines < max_spines:
        notes.append(f"{max_spines - n_spines} leaf uplinks per leaf stay unused")
    leaf_ports_used = hosts_on_fullest * nics_per_host + n_spines * links_per_spine
    port_use = {"leaf": {"used": leaf_ports_used, "total": lf.ports},
                "spine": {"used": spine_ports_used, "total": sp.ports}}
    if tiers == 3:
        port_use["super_spine"] = {"used": ss_ports_used, "total": ss.ports}
    return FabricPlan(
        hosts=hosts, nics_per_host=nics_per_host, leaf=lf.text, spine=sp.text, super_spine=ss.text,
        links_per_spine=links_per_spine, tiers=tiers, leaves=n_leaves, spines=total_spines, super_spines=n_super,
        pods=pods, leaves_per_pod=leaves_per_pod, oversubscription=over, oversubscription_as_built=as_built,
        hosts_per_leaf=hosts_on_fullest, leaf_ports_used=leaf_ports_used, spine_ports_used=spine_ports_used,
        port_use=port_use, cables=cables, optics=optics, largest_two_tier=two,
        largest_three_tier=three, notes=notes)
