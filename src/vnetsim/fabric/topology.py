"""Fabric topologies as arrays of nodes and cables (with a networkx view): the builders.

A fabric is nodes (hosts and switches) joined by cables. Each cable is two directed links, one
per direction: link ``2*c`` goes ``u -> v`` and ``2*c + 1`` goes ``v -> u``; every directed link
is one FIFO egress queue (the sender's port). Builders check the design against the switch port
models and raise a one-line ``ModelError`` (where, what, how to fix) when it cannot be built.

Tiers: ``host`` (0); ``leaf``/``tor``/``access``/``edge``/``switch`` (1); ``spine``/``aggregation``
(2); ``super_spine``/``core`` (3). Links between tiers are "down" from the higher one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

from vnetsim.errors import ModelError
from vnetsim.fabric.config import FabricConfig
from vnetsim.fabric.ports import SwitchModel, format_speed, parse_switch_model
from vnetsim.fabric.stp import spanning_tree

TIER_RANK = {"host": 0, "leaf": 1, "tor": 1, "access": 1, "edge": 1, "switch": 1,
             "spine": 2, "aggregation": 2, "super_spine": 3, "core": 3}
ROOT_PRIMARY = 24576   # the usual "root primary" bridge priority (assumption, common vendor macro)
ROOT_SECONDARY = 28672
RECONVERGENCE_S = {"stp": 30.0, "rstp": 2.0}  # docs/references.md, STP reconvergence (RSTP: upper end)
# What one built fabric may have: the builders stop with a one-line error past these, before the
# arrays, routes and per-link tables grow without bound (a 93,312-host fat-tree has 280k cables).
MAX_NODES = 1_000_000
MAX_CABLES = 1_000_000


@dataclass
class StpDomain:
    """One spanning-tree domain: its bridges, root and blocked cables."""

    name: str
    bridges: list[int]
    roots: list[int]
    cables: list[int]
    blocked: list[int]


@dataclass
class Fabric:
    """Nodes, cables and per-port parameters of one built fabric (after failures and STP)."""

    kind: str
    names: list[str]
    tier: list[str]
    rack: np.ndarray
    hosts: np.ndarray
    host_rack: np.ndarray
    cable_u: np.ndarray
    cable_v: np.ndarray
    cable_speed_bps: np.ndarray
    cable_kind: list[str]
    cable_prop_ns: np.ndarray
    latency_ns: np.ndarray
    cut_through: np.ndarray
    egress_buffer_bytes: np.ndarray
    blocked: np.ndarray
    failed_cable: np.ndarray
    failed_node: np.ndarray
    node_ports: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    stp_domains: list[StpDomain] = field(default_factory=list)
    stp_protocol: str | None = None
    design: dict = field(default_factory=dict)

    # -- sizes and derived arrays ---------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.names)

    @property
    def n_cables(self) -> int:
        return len(self.cable_u)

    @property
    def n_links(self) -> int:
        return 2 * self.n_cables

    @property
    def n_hosts(self) -> int:
        return len(self.hosts)

    @cached_property
    def is_host(self) -> np.ndarray:
        return np.array([t == "host" for t in self.tier])

    @cached_property
    def link_src(self) -> np.ndarray:
        out = np.empty(self.n_links, np.int64)
        out[0::2] = self.cable_u
        out[1::2] = self.cable_v
        return out

    @cached_property
    def link_dst(self) -> np.ndarray:
        out = np.empty(self.n_links, np.int64)
        out[0::2] = self.cable_v
        out[1::2] = self.cable_u
        return out

    @cached_property
    def link_speed_bps(self) -> np.ndarray:
        return np.repeat(self.cable_speed_bps, 2)

    @cached_property
    def link_prop_ns(self) -> np.ndarray:
        return np.repeat(self.cable_prop_ns, 2)

    @property
    def active_cable(self) -> np.ndarray:
        """Cables that carry traffic: neither failed, nor blocked, nor on a failed node."""
        dead = self.failed_node[self.cable_u] | self.failed_node[self.cable_v]
        return ~(self.blocked | self.failed_cable | dead)

    def link_names(self) -> list[str]:
        """``a->b`` per directed link; parallel cables get ``#2``, ``#3``..."""
        seen: dict[tuple[int, int], int] = {}
        out = []
        for s, d in zip(self.link_src.tolist(), self.link_dst.tolist()):
            n = seen.get((s, d), 0) + 1
            seen[(s, d)] = n
            out.append(f"{self.names[s]}->{self.names[d]}" + (f"#{n}" if n > 1 else ""))
        return out

    def link_class(self) -> list[str]:
        """``leaf->spine`` style class of each directed link (tier to tier)."""
        s, d = self.link_src, self.link_dst
        return [f"{self.tier[a]}->{self.tier[b]}" for a, b in zip(s.tolist(), d.tolist())]

    def graph(self, active_only: bool = False) -> nx.MultiGraph:
        """networkx view: nodes carry tier/rack, edges carry cable id, speed and kind."""
        g = nx.MultiGraph()
        for i, name in enumerate(self.names):
            if not self.failed_node[i] or not active_only:
                g.add_node(i, name=name, tier=self.tier[i], rack=int(self.rack[i]))
        act = self.active_cable
        for c in range(self.n_cables):
            if active_only and not act[c]:
                continue
            g.add_edge(int(self.cable_u[c]), int(self.cable_v[c]), key=c, speed_bps=float(self.cable_speed_bps[c]),
                       kind=self.cable_kind[c])
        return g

    @cached_property
    def index(self) -> dict[str, int]:
        """Node id by name."""
        return {n: i for i, n in enumerate(self.names)}


# ---------------------------------------------------------------------------------------------
class _Builder:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.tier: list[str] = []
        self.rack: list[int] = []
        self.ports: list[int] = []
        self.cables: list[tuple[int, int, float, str]] = []
        self.hosts: list[int] = []
        self.host_rack: list[int] = []

    def node(self, name: str, tier: str, rack: int = -1, ports: int = 0) -> int:
        if len(self.names) >= MAX_NODES:
            raise _err("fabric", f"the design needs more than {MAX_NODES:,} hosts and switches",
                       "use fewer racks, spines, pods or super-spines")
        self.names.append(name)
        self.tier.append(tier)
        self.rack.append(rack)
        self.ports.append(ports)
        return len(self.names) - 1

    def cable(self, u: int, v: int, speed_bps: float, kind: str) -> None:
        if len(self.cables) >= MAX_CABLES:
            raise _err("fabric", f"the design needs more than {MAX_CABLES:,} cables",
                       "use fewer racks, spines, links per spine or super-spines")
        self.cables.append((u, v, float(speed_bps), kind))

    def add_hosts(self, cfg: FabricConfig, tors: list[list[int]], tor_down_speed: float) -> None:
        """Hosts rack by rack; NIC i of a host cables to ToR ``i mod len(tors[rack])``."""
        speed = min(cfg.host.nic_speed, tor_down_speed)
        for r, rack_tors in enumerate(tors):
            for _ in range(cfg.hosts_per_rack):
                h = self.node(f"host{len(self.hosts)}", "host", r)
                self.hosts.append(h)
                self.host_rack.append(r)
                for nic in range(cfg.host.nics):
                    self.cable(h, rack_tors[nic % len(rack_tors)], speed, "host")


def _err(where: str, what: str, fix: str = "") -> ModelError:
    return ModelError(where, what, fix)


def _model(text: str, where: str, uplinks: int | None = None) -> SwitchModel:
    try:
        return parse_switch_model(text, uplinks)
    except ValueError as exc:
        raise _err(where, str(exc)) from None


def _check_host_ports(cfg: FabricConfig, tor: SwitchModel, where: str) -> None:
    if cfg.host.nic_speed > tor.down_speed_bps:
        raise _err("fabric.host.nic_speed", f"{format_speed(cfg.host.nic_speed)} NICs do not fit the "
                   f"{format_speed(tor.down_speed_bps)} server ports of {where} '{tor.text}'",
                   "use slower NICs or a switch with faster server ports")
    per_tor = math.ceil(cfg.hosts_per_rack * cfg.host.nics / cfg.leaves_per_rack)
    if per_tor > tor.down_ports:
        raise _err("fabric.hosts_per_rack", f"{cfg.hosts_per_rack} hosts x {cfg.host.nics} NIC(s) need {per_tor} "
                   f"server ports per {where}, '{tor.text}' has {tor.down_ports}",
                   f"use at most {tor.down_ports * cfg.leaves_per_rack // cfg.host.nics} hosts per rack, "
                   "more leaves per rack, or a bigger switch")


def _tors(b: _Builder, cfg: FabricConfig, prefix: str, tier: str, model: SwitchModel) -> list[list[int]]:
    out = []
    for r in range(cfg.racks):
        if cfg.leaves_per_rack == 1:
            out.append([b.node(f"{prefix}{r}", tier, r, model.ports)])
        else:
            out.append([b.node(f"{prefix}{r}{chr(97 + i)}", tier, r, model.ports) for i in range(cfg.leaves_per_rack)])
    return out


def _build_single_switch(cfg: FabricConfig, b: _Builder) -> dict:
    need = cfg.racks * cfg.hosts_per_rack * cfg.host.nics
    text = cfg.single_switch.ports or f"{need}x{format_speed(cfg.host.nic_speed)}"
    model = _model(text, "fabric.single_switch.ports", uplinks=0)
    if model.ports < need:
        raise _err("fabric.single_switch.ports", f"{need} host ports needed, '{model.text}' has {model.ports}",
                   "use a bigger switch or fewer hosts")
    if cfg.host.nic_speed > model.speed_bps:
        raise _err("fabric.host.nic_speed", f"{format_speed(cfg.host.nic_speed)} NICs do not fit '{model.text}'",
                   "use slower NICs or faster ports")
    sw = b.node("sw0", "switch", -1, model.ports)
    b.add_hosts(cfg, [[sw]] * cfg.racks, model.speed_bps)
    return {"switch": model.text}


def _build_spine_leaf(cfg: FabricConfig, b: _Builder) -> dict:
    leaf = _model(cfg.leaf.ports, "fabric.leaf.ports", cfg.leaf.uplinks)
    spine = _model(cfg.spine.ports, "fabric.spine.ports")
    _check_host_ports(cfg, leaf, "leaf")
    lps = cfg.spine.links_per_spine
    max_spines = leaf.up_ports // lps
    if max_spines < 1:
        raise _err("fabric.spine.links_per_spine", f"{lps} links per spine need {lps} leaf uplinks, "
                   f"'{leaf.text}' has {leaf.up_ports}", "use fewer links per spine")
    n_spines = cfg.spine.count or max_spines
    if n_spines * lps > leaf.up_ports:
        raise _err("fabric.spine.count", f"{n_spines} spines x {lps} link(s) need {n_spines * lps} uplinks per "
                   f"leaf, leaf '{leaf.text}' has {leaf.up_ports}",
                   f"use at most {max_spines} spines, or a leaf with more uplinks")
    n_leaves = cfg.racks * cfg.leaves_per_rack
    if n_leaves * lps > spine.ports:
        raise _err("fabric.racks", f"{n_leaves} leaves x {lps} link(s) need {n_leaves * lps} ports per spine, "
                   f"spine '{spine.text}' has {spine.ports}",
                   f"use at most {spine.ports // lps // cfg.leaves_per_rack} racks, or topology super_spine")
    tors = _tors(b, cfg, "leaf", "leaf", leaf)
    spines = [b.node(f"spine{j}", "spine", -1, spine.ports) for j in range(n_spines)]
    speed = min(leaf.up_speed_bps, spine.speed_bps)
    for rack_tors in tors:
        for t in rack_tors:
            for s in spines:
                for _ in range(lps):
                    b.cable(t, s, speed, "leaf-spine")
    b.add_hosts(cfg, tors, leaf.down_speed_bps)
    return {"leaf": leaf.text, "spine": spine.text, "spines": n_spines, "leaves": n_leaves,
            "leaf_oversubscription_design": leaf.oversubscription}


def _clos3(cfg: FabricConfig, b: _Builder, leaf: SwitchModel, spine: SwitchModel, sspine: SwitchModel,
           racks_per_pod: int, spines_per_pod: int, per_plane: int, lps: int,
           names: tuple[str, str, str], tiers: tuple[str, str, str]) -> dict:
    pods = math.ceil(cfg.racks / racks_per_pod)
    if pods > sspine.ports:
        raise _err("fabric.racks", f"{pods} pods need {pods} ports per {tiers[2]} switch, '{sspine.text}' has "
                   f"{sspine.ports}", f"use at most {sspine.ports * racks_per_pod} racks")
    tors = _tors(b, cfg, names[0], tiers[0], leaf)
    pod_spines = [[b.node(f"{names[1]}{p}.{j}", tiers[1], -1, spine.ports) for j in range(spines_per_pod)]
                  for p in range(pods)]
    planes = [[b.node(f"{names[2]}{j}.{m}", tiers[2], -1, sspine.ports) for m in range(per_plane)]
              for j in range(spines_per_pod)]
    up_speed = min(leaf.up_speed_bps, spine.speed_bps)
    for r, rack_tors in enumerate(tors):
        for t in rack_tors:
            for s in pod_spines[r // racks_per_pod]:
                for _ in range(lps):
                    b.cable(t, s, up_speed, f"{tiers[0]}-{tiers[1]}")
    top_speed = min(spine.speed_bps, sspine.speed_bps)
    for p in range(pods):
        for j, s in enumerate(pod_spines[p]):
            for ss in planes[j]:
                b.cable(s, ss, top_speed, f"{tiers[1]}-{tiers[2]}")
    b.add_hosts(cfg, tors, leaf.down_speed_bps)
    return {"pods": pods, "racks_per_pod": racks_per_pod, f"{tiers[1]}_per_pod": spines_per_pod,
            "planes": spines_per_pod, f"{tiers[2]}_per_plane": per_plane}


def _build_super_spine(cfg: FabricConfig, b: _Builder) -> dict:
    leaf = _model(cfg.leaf.ports, "fabric.leaf.ports", cfg.leaf.uplinks)
    spine = _model(cfg.spine.ports, "fabric.spine.ports")
    sspine = _model(cfg.super_spine.ports, "fabric.super_spine.ports")
    _check_host_ports(cfg, leaf, "leaf")
    lps = cfg.spine.links_per_spine
    spines_per_pod = cfg.spine.count or leaf.up_ports // lps
    if spines_per_pod < 1 or spines_per_pod * lps > leaf.up_ports:
        raise _err("fabric.spine.count", f"{spines_per_pod} spines x {lps} link(s) need {spines_per_pod * lps} "
                   f"uplinks per leaf, leaf '{leaf.text}' has {leaf.up_ports}",
                   f"use at most {leaf.up_ports // lps} spines per pod")
    per_rack_ports = cfg.leaves_per_rack * lps
    rpp = cfg.super_spine.racks_per_pod or max(1, (spine.ports // 2) // per_rack_ports)
    down = rpp * per_rack_ports
    per_plane = cfg.super_spine.per_plane or min(down, spine.ports - down)
    if down + per_plane > spine.ports or per_plane < 1:
        raise _err("fabric.super_spine", f"{rpp} racks per pod ({down} down ports) + {per_plane} super-spines "
                   f"per plane need {down + per_plane} ports per spine, '{spine.text}' has {spine.ports}",
                   "use fewer racks_per_pod or per_plane")
    if cfg.super_spine.pods is not None and cfg.super_spine.pods * rpp < cfg.racks:
        raise _err("fabric.super_spine.pods", f"{cfg.super_spine.pods} pods x {rpp} racks hold fewer than "
                   f"{cfg.racks} racks", "raise pods or racks_per_pod")
    info = _clos3(cfg, b, leaf, spine, sspine, rpp, spines_per_pod, per_plane, lps,
                  ("leaf", "spine", "ss"), ("leaf", "spine", "super_spine"))
    info.update({"leaf": leaf.text, "spine": spine.text, "super_spine": sspine.text})
    return info


def _build_fat_tree(cfg: FabricConfig, b: _Builder) -> dict:
    k = cfg.fat_tree.k
    want = {"racks": k * k // 2, "hosts_per_rack": k // 2, "leaves_per_rack": 1}
    for key, value in want.items():
        if key in cfg.model_fields_set and getattr(cfg, key) != value:
            raise _err(f"fabric.{key}", f"a k={k} fat-tree has {key}={value}, got {getattr(cfg, key)}",
                       f"remove fabric.{key} or set it to {value}")
    cfg = cfg.model_copy(update=want)
    text = f"{k}x{format_speed(cfg.fat_tree.link_speed)}"
    model = _model(text, "fabric.fat_tree")
    cfg = cfg.model_copy(update={"host": cfg.host.model_copy(update={"nics": 1})})
    if cfg.host.nic_speed > model.down_speed_bps:
        cfg = cfg.model_copy(update={"host": cfg.host.model_copy(update={"nic_speed": model.down_speed_bps})})
    info = _clos3(cfg, b, model, model, model, k // 2, k // 2, k // 2, 1,
                  ("edge", "agg", "core"), ("edge", "aggregation", "core"))
    info.update({"k": k, "switch": text})
    return info


def _build_three_tier(cfg: FabricConfig, b: _Builder) -> tuple[dict, list]:
    t3 = cfg.three_tier
    acc = _model(cfg.leaf.ports, "fabric.leaf.ports", cfg.leaf.uplinks)
    big = _model(cfg.spine.ports, "fabric.spine.ports")
    _check_host_ports(cfg, acc, "access switch")
    if cfg.leaves_per_rack != 1:
        raise _err("fabric.leaves_per_rack", "three_tier builds one access switch per rack", "set leaves_per_rack: 1")
    if t3.aggregation_per_pod > acc.up_ports:
        raise _err("fabric.three_tier.aggregation_per_pod", f"{t3.aggregation_per_pod} aggregation switches need "
                   f"{t3.aggregation_per_pod} access uplinks, '{acc.text}' has {acc.up_ports}",
                   "use fewer aggregation switches per pod")
    peers = (t3.aggregation_per_pod - 1) if t3.peer_link else 0
    agg_ports = t3.racks_per_pod + t3.core + min(2, peers)
    if agg_ports > big.ports:
        raise _err("fabric.three_tier.racks_per_pod", f"an aggregation switch needs {agg_ports} ports "
                   f"({t3.racks_per_pod} access + {t3.core} core + peer), '{big.text}' has {big.ports}",
                   "use fewer racks per pod or core switches")
    pods = math.ceil(cfg.racks / t3.racks_per_pod)
    if pods * t3.aggregation_per_pod > big.ports:
        raise _err("fabric.racks", f"{pods} pods x {t3.aggregation_per_pod} aggregation switches need "
                   f"{pods * t3.aggregation_per_pod} ports per core switch, '{big.text}' has {big.ports}",
                   "use fewer racks or more racks per pod")
    tors = _tors(b, cfg, "acc", "access", acc)
    aggs = [[b.node(f"agg{p}.{j}", "aggregation", -1, big.ports) for j in range(t3.aggregation_per_pod)]
            for p in range(pods)]
    cores = [b.node(f"core{c}", "core", -1, big.ports) for c in range(t3.core)]
    up = min(acc.up_speed_bps, big.speed_bps)
    domains = []
    for p in range(pods):
        first = len(b.cables)
        members = []
        for r in range(p * t3.racks_per_pod, min(cfg.racks, (p + 1) * t3.racks_per_pod)):
            members.append(tors[r][0])
            for a in aggs[p]:
                b.cable(tors[r][0], a, up, "access-aggregation")
        if t3.peer_link:
            for j in range(len(aggs[p]) - 1):
                b.cable(aggs[p][j], aggs[p][j + 1], big.speed_bps, "aggregation-peer")
        if t3.stp_in_pod:
            prio = {aggs[p][0]: ROOT_PRIMARY}
            if len(aggs[p]) > 1:
                prio[aggs[p][1]] = ROOT_SECONDARY
            domains.append((f"pod{p}", members + aggs[p], prio, list(range(first, len(b.cables)))))
    for p in range(pods):
        for a in aggs[p]:
            for c in cores:
                b.cable(a, c, big.speed_bps, "aggregation-core")
    b.add_hosts(cfg, tors, acc.down_speed_bps)
    return ({"access": acc.text, "aggregation_core": big.text, "pods": pods,
             "aggregation_per_pod": t3.aggregation_per_pod, "core": t3.core}, domains)


def _build_l2(cfg: FabricConfig, b: _Builder) -> tuple[dict, list]:
    l2 = cfg.l2
    tor = _model(cfg.leaf.ports, "fabric.leaf.ports", cfg.leaf.uplinks)
    _check_host_ports(cfg, tor, "ToR")
    if cfg.leaves_per_rack != 1:
        raise _err("fabric.leaves_per_rack", "l2_stp builds one ToR per rack", "set leaves_per_rack: 1")
    speed = l2.link_speed or tor.up_speed_bps
    r = cfg.racks
    need = {"ring": 2 if r > 2 else 1, "chain": 2 if r > 2 else 1, "mesh": r - 1, "dual_core": 2}[l2.interconnect]
    if need > tor.up_ports:
        raise _err("fabric.l2.interconnect", f"{l2.interconnect} of {r} ToRs needs {need} uplinks per ToR, "
                   f"'{tor.text}' has {tor.up_ports}", "use ring or dual_core, or a ToR with more uplinks")
    tors = _tors(b, cfg, "tor", "tor", tor)
    t = [x[0] for x in tors]
    prio: dict[int, int] = {}
    bridges = list(t)
    if l2.interconnect in ("ring", "chain"):
        for i in range(r - 1):
            b.cable(t[i], t[i + 1], speed, "tor-tor")
        if l2.interconnect == "ring" and r > 2:
            b.cable(t[-1], t[0], speed, "tor-tor")
    elif l2.interconnect == "mesh":
        for i in range(r):
            for j in range(i + 1, r):
                b.cable(t[i], t[j], speed, "tor-tor")
    else:
        core_model = _model(cfg.spine.ports, "fabric.spine.ports")
        if r + 1 > core_model.ports:
            raise _err("fabric.racks", f"{r} ToRs + a peer link need {r + 1} ports per core switch, "
                       f"'{core_model.text}' has {core_model.ports}", "use fewer racks or a bigger core switch")
        cores = [b.node(f"core{j}", "core", -1, core_model.ports) for j in range(2)]
        bridges += cores
        prio = {cores[0]: ROOT_PRIMARY, cores[1]: ROOT_SECONDARY}
        for x in t:
            for c in cores:
                b.cable(x, c, speed, "tor-core")
        b.cable(cores[0], cores[1], max(speed, core_model.speed_bps), "core-peer")
    name_to = {n: i for i, n in enumerate(b.names)}
    for name, value in l2.bridge_priority.items():
        if name not in name_to or name_to[name] not in bridges:
            raise _err(f"fabric.l2.bridge_priority.{name}", f"no switch named {name!r}",
                       f"use one of {', '.join(b.names[i] for i in bridges[:4])}...")
        if not 0 <= value <= 61440 or value % 4096:
            raise _err(f"fabric.l2.bridge_priority.{name}", f"priority {value} is not a multiple of 4096 in 0..61440",
                       "use 0, 4096, ..., 61440 (IEEE 802.1D)")
        prio[name_to[name]] = value
    b.add_hosts(cfg, tors, tor.down_speed_bps)
    cables = [c for c, (u, v, _s, _k) in enumerate(b.cables) if b.tier[u] != "host" and b.tier[v] != "host"]
    return ({"tor": tor.text, "interconnect": l2.interconnect}, [("l2", bridges, prio, cables)])


def _apply_failures(cfg: FabricConfig, names: list[str], tier: list[str], cu: np.ndarray, cv: np.ndarray):
    failed_cable = np.zeros(len(cu), bool)
    failed_node = np.zeros(len(names), bool)
    index = {n: i for i, n in enumerate(names)}
    for i, f in enumerate(cfg.failures):
        where = f"fabric.failures[{i}]"
        if f.switch is not None:
            n = index.get(f.switch, -1)
            if n < 0 or tier[n] == "host":
                raise _err(f"{where}.switch", f"no switch named {f.switch!r}",
                           "use a name such as leaf0, spine1, tor2, agg0.1 or core0")
            failed_node[n] = True
        elif f.link is not None:
            a, z = (index.get(x, -1) for x in f.link)
            hit = ((cu == a) & (cv == z)) | ((cu == z) & (cv == a))
            if a < 0 or z < 0 or not hit.any():
                raise _err(f"{where}.link", f"no link between {f.link[0]!r} and {f.link[1]!r}",
                           "name two directly cabled nodes, e.g. [leaf0, spine1]")
            failed_cable |= hit
    return failed_cable, failed_node


def _buffers(cfg: FabricConfig, tier: list[str], ports: list[int], link_src: np.ndarray) -> np.ndarray:
    buf = cfg.switch.buffer
    out = np.zeros(len(link_src), np.float64)
    for l, s in enumerate(link_src.tolist()):
        if tier[s] == "host":
            continue  # host NIC queues: unbounded here; the host model owns them
        if buf.kind == "shared":
            out[l] = buf.size * buf.alpha / (1.0 + buf.alpha)
        else:
            out[l] = buf.per_port if buf.per_port is not None else buf.size / max(1, ports[s])
    return out


def build_fabric(cfg: FabricConfig) -> Fabric:
    """Build the configured topology, apply failures, compute spanning trees."""
    b = _Builder()
    domains: list = []
    if cfg.topology == "single_switch":
        design = _build_single_switch(cfg, b)
    elif cfg.topology == "spine_leaf":
        design = _build_spine_leaf(cfg, b)
    elif cfg.topology == "super_spine":
        design = _build_super_spine(cfg, b)
    elif cfg.topology == "fat_tree":
        design = _build_fat_tree(cfg, b)
    elif cfg.topology == "three_tier":
        design, domains = _build_three_tier(cfg, b)
    else:
        design, domains = _build_l2(cfg, b)
    design["topology"] = cfg.topology

    cu = np.array([c[0] for c in b.cables], np.int64)
    cv = np.array([c[1] for c in b.cables], np.int64)
    speed = np.array([c[2] for c in b.cables], np.float64)
    kinds = [c[3] for c in b.cables]
    failed_cable, failed_node = _apply_failures(cfg, b.names, b.tier, cu, cv)
    dead = failed_cable | failed_node[cu] | failed_node[cv]
    blocked = np.zeros(len(cu), bool)
    stp_domains = []
    for name, bridges, prio, cables in domains:
        alive = [x for x in bridges if not failed_node[x]]
        live = [(c, int(cu[c]), int(cv[c]), float(speed[c])) for c in cables if not dead[c]]
        res = spanning_tree(alive, live, prio)
        for c in res.blocked:
            blocked[c] = True
        stp_domains.append(StpDomain(name, alive, res.roots, [c for c, *_ in live], sorted(res.blocked)))

    is_switch = np.array([t != "host" for t in b.tier])
    latency = np.where(is_switch, cfg.switch.latency, 0.0)
    cut = is_switch & (cfg.switch.mode == "cut_through")
    link_src = np.empty(2 * len(cu), np.int64)
    link_src[0::2] = cu
    link_src[1::2] = cv
    fabric = Fabric(
        kind=cfg.topology, names=b.names, tier=b.tier, rack=np.array(b.rack, np.int64),
        hosts=np.array(b.hosts, np.int64), host_rack=np.array(b.host_rack, np.int64),
        cable_u=cu, cable_v=cv, cable_speed_bps=speed, cable_kind=kinds,
        cable_prop_ns=np.full(len(cu), cfg.cable_length_m * cfg.propagation_ns_per_m),
        latency_ns=latency.astype(np.float64), cut_through=cut,
        egress_buffer_bytes=_buffers(cfg, b.tier, b.ports, link_src),
        blocked=blocked, failed_cable=failed_cable, failed_node=failed_node, stp_domains=stp_domains,
        stp_protocol=cfg.l2.protocol if domains else None, design=design)
    fabric.node_ports = np.array(b.ports, np.int64)
    return fabric
