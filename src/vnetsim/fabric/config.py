"""Scenario models of the fabric capability: the ``fabric`` and ``traffic`` parts of a scenario.

Every field names its default's source in its description (see docs/models/fabric.md). Values
may carry units (``"25Gbps"``, ``"500ns"``, ``"32MB"``); they are parsed once, here.
Unknown fields are rejected (``extra="forbid"``), so a typo cannot silently fall back to a default.
NaN and infinities are refused in every float field, and every count has a documented maximum
(below), so a typo cannot build a fabric of 1e19 switches: at most ``MAX_FABRIC_HOSTS`` hosts (the flow
level took 66 s and 2.1 GB for a 93,312-host fat-tree), port models as ``vnetsim.fabric.ports``
bounds them (4096 ports of 1M-1.6T per switch).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from vnetsim.fabric.ports import MAX_PORT_SPEED_BPS, MIN_PORT_SPEED_BPS, parse_groups
from vnetsim.host import Host
from vnetsim.traffic.config import MAX_FRAME_BYTES, MIN_FRAME_BYTES
from vnetsim.units.fields import BitRateBps, Bytes, DurationNs

TOPOLOGIES = ("single_switch", "l2_stp", "three_tier", "spine_leaf", "super_spine", "fat_tree")

ISSUE_EXAMPLE = "issue 4 example design (vnetsim fabric plan ...)"

MAX_FABRIC_HOSTS = 100_000      # hosts of one fabric scenario (flow level: 93,312 hosts in 66 s, 2.1 GB)
MAX_RACKS = 10_000
MAX_HOSTS_PER_RACK = 4096
MAX_COUNT = 4096                # spines, pods, super-spines per plane, core and aggregation switches
MAX_FLOWS_PER_HOST = 1024
MAX_FABRIC_FLOWS = 1_000_000    # flows of a traffic matrix
# The fabric packet level's documented throughput (README, Performance: 16.4 M link hops/s).
FABRIC_LINK_HOPS_PER_S = 16e6
DEFAULT_MAX_PACKETS = 1.4e10    # about one hour of 4-link paths at that throughput


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _check_port_model(text: str) -> str:
    parse_groups(text)
    return text.strip()


PortModel = Annotated[str, AfterValidator(_check_port_model)]


def _check_port_speed(bps: float | None) -> float | None:
    if bps is not None and not MIN_PORT_SPEED_BPS <= bps <= MAX_PORT_SPEED_BPS:
        raise ValueError(f"a port speed must be between 1Mbps and 1.6Tbps, got {bps:g} b/s; write e.g. 25Gbps")
    return bps


# A link or NIC speed: a bit rate within what an Ethernet port runs (vnetsim.fabric.ports bounds)
PortSpeed = Annotated[BitRateBps, AfterValidator(_check_port_speed)]


class HostConfig(_Strict):
    """Hosts as traffic endpoints with NICs (the host data-path model plugs in later)."""

    nics: int = Field(1, ge=1, le=8, description="NICs per host; NIC i goes to leaf i mod leaves_per_rack. "
                      "Assumption: one NIC per host unless stated.")
    nic_speed: PortSpeed = Field(25e9, description="Host NIC speed: 25 GbE, the vSAN ESA host NIC "
                                  "(docs/references.md, vSAN host NIC).")


class LeafConfig(_Strict):
    """The top-of-rack switch model (leaf, ToR or access switch)."""

    ports: PortModel = Field("48x25G+8x100G", description=f"Port model COUNTxSPEED[+...]; source: {ISSUE_EXAMPLE}.")
    uplinks: int | None = Field(None, ge=0, le=4096, description="Fabric-facing ports; default: the fastest port group "
                                "(vnetsim.fabric.ports convention).")


class SpineConfig(_Strict):
    """Spine switches of a spine-leaf fabric (also aggregation/core ports of three-tier)."""

    ports: PortModel = Field("32x100G", description=f"Port model; source: {ISSUE_EXAMPLE}.")
    count: int | None = Field(None, ge=1, le=MAX_COUNT, description="Spines; default: leaf uplinks / links_per_spine "
                              "(docs/references.md, Spine-leaf design rules).")
    links_per_spine: int = Field(1, ge=1, le=64, description="Parallel links from each leaf to each spine. "
                                 "Assumption: 1.")


class SuperSpineConfig(_Strict):
    """The third tier of a super-spine fabric: spine j of every pod joins plane j."""

    pods: int | None = Field(None, ge=1, le=MAX_COUNT,
                             description="Pods (spine-leaf blocks); default: racks / racks_per_pod.")
    racks_per_pod: int | None = Field(None, ge=1, le=MAX_RACKS, description="Leaves per pod; default: spine down ports "
                                      "(half the spine ports, non-blocking spine).")
    ports: PortModel = Field("32x100G", description=f"Super-spine port model; source: {ISSUE_EXAMPLE}.")
    per_plane: int | None = Field(None, ge=1, le=MAX_COUNT,
                                  description="Super-spines per plane; default: as many as the "
                                  "spine's down links (non-blocking spine), at most its free ports.")


class FatTreeConfig(_Strict):
    """A k-ary fat-tree (Al-Fares et al. 2008): k pods, k/2 edge + k/2 aggregation switches per pod,
    (k/2)^2 core switches, k/2 hosts per edge switch: k^3/4 hosts, 5k^2/4 switches (docs/references.md, Fat-tree)."""

    k: int = Field(4, ge=2, le=72, description="Ports per switch (even, at most 72: 93,312 hosts). Assumption: 4, "
                   "the smallest useful tree.")
    link_speed: PortSpeed = Field(25e9, description="Every link's speed; default: the host NIC default "
                                   "(docs/references.md, vSAN host NIC).")

    @field_validator("k")
    @classmethod
    def _even(cls, k: int) -> int:
        if k % 2:
            raise ValueError(f"k must be even (k/2 ports face down, k/2 up), got {k}")
        return k


class ThreeTierConfig(_Strict):
    """Classic core / aggregation / access: access switches dual-homed to an aggregation pair per
    pod, an L2 domain with spanning tree inside each pod, routed (ECMP) aggregation-to-core."""

    racks_per_pod: int = Field(4, ge=1, le=MAX_RACKS, description="Access switches per aggregation pair. "
                               "Assumption.")
    aggregation_per_pod: int = Field(2, ge=1, le=MAX_COUNT,
                                     description="Aggregation switches per pod: a redundant pair "
                                     "(classic design). Assumption.")
    core: int = Field(2, ge=1, le=MAX_COUNT,
                      description="Core switches; every aggregation switch links to each. Assumption.")
    stp_in_pod: bool = Field(True, description="Access-aggregation is layer 2 with spanning tree (blocked "
                             "links computed); false = routed access (ECMP up to every aggregation switch).")
    peer_link: bool = Field(True, description="A link between the aggregation switches of a pod (classic design).")


class L2Config(_Strict):
    """A flat layer-2 network of ToR switches under one spanning tree."""

    interconnect: Literal["ring", "chain", "mesh", "dual_core"] = Field(
        "ring", description="How ToRs connect: a ring (STP blocks one link), a chain, a full mesh, or "
        "every ToR to two core switches (STP blocks one uplink per ToR). Assumption: ring.")
    link_speed: PortSpeed | None = Field(None, description="Inter-switch link speed; default: the leaf "
                                          "uplink speed.")
    protocol: Literal["stp", "rstp"] = Field("stp", description="Only sets the reported reconvergence time "
                                             "(docs/references.md, STP reconvergence).")
    bridge_priority: dict[str, int] = Field(default_factory=dict, description="Bridge priority per switch name "
                                            "(default 32768, IEEE 802.1D; dual_core cores 24576/28672).")


class SingleSwitchConfig(_Strict):
    ports: PortModel | None = Field(None, description="Port model; default: exactly enough ports at the host NIC "
                              "speed (an ideal non-blocking switch). Assumption.")


class BufferConfig(_Strict):
    """Egress buffer per switch port. ``shared``: a shared pool under a dynamic threshold, modelled as
    a static per-port limit ``size * alpha / (1 + alpha)`` (what one congested port can take).

    A buffer holds at least one frame: a switch cannot forward a frame it cannot store (even
    cut-through ports store a frame when the egress is busy), so a size of 0, or a per-port limit
    smaller than the largest frame of the traffic, is refused as invalid rather than dropping every
    packet (and 0 is not "unbounded" either)."""

    kind: Literal["shared", "per_port"] = Field("shared", description="Shared pool (default) or fixed per port.")
    size: Bytes = Field(32_000_000, description="Shared pool per switch: 32 MB ToR shared buffer "
                        "(docs/references.md, Switch buffers); each port's share must hold the largest frame "
                        "on the wire.")
    per_port: Bytes | None = Field(None, description="Bytes per egress port when kind=per_port; default: "
                                   "size / ports of the switch; at least the largest frame on the wire (frame + 20 B).")
    alpha: float = Field(1.0, gt=0, le=1024, description="Dynamic-threshold alpha for kind=shared. "
                         "Assumption: 1.")


class SwitchConfig(_Strict):
    mode: Literal["cut_through", "store_and_forward"] = Field(
        "cut_through", description="Cut-through forwards after the header when the egress is not faster than "
        "the ingress; otherwise store-and-forward (docs/references.md, Store-and-forward and cut-through).")
    latency: DurationNs = Field(500.0, description="Port-to-port latency: 0.5 us cut-through "
                                "(docs/references.md, Switch latency).")
    buffer: BufferConfig = Field(default_factory=BufferConfig)


class EcmpConfig(_Strict):
    seeds: Literal["per_switch", "same"] = Field(
        "per_switch", description="Hash seed per switch (default) or one seed everywhere (hash polarization); "
        "docs/references.md, ECMP hashing.")


class FailureConfig(_Strict):
    """One failed link (all parallel cables between two switches, or a host's NIC cable) or one switch."""

    link: tuple[str, str] | None = Field(None, description="The two node names, e.g. [leaf0, spine1].")
    switch: str | None = Field(None, description="A switch name, e.g. spine0.")

    @model_validator(mode="after")
    def _one(self) -> FailureConfig:
        if (self.link is None) == (self.switch is None):
            raise ValueError("give exactly one of link: [a, b] or switch: name")
        return self


class EngineConfig(_Strict):
    level: Literal["auto", "packet", "flow"] = Field(
        "auto", description="packet: every packet through the link queues; flow: link loads from ECMP; "
        "auto: packet up to packet_max_hosts hosts.")
    packet_max_hosts: int = Field(2000, ge=1, le=MAX_FABRIC_HOSTS,
                                  description="auto picks packet level up to this many hosts "
                                  "(issue 4: packet level for up to ~1,000 hosts).")
    flow_model: Literal["hashed", "expected"] = Field(
        "hashed", description="hashed: each flow takes its hashed path (what packets do); expected: every "
        "switch splits a destination's load equally over its next hops (independent hashing assumed).")
    chunk_packets: int = Field(200_000, ge=1000, le=50_000_000, description="Source packets per chunk: bounds "
                               "memory.")
    pair_stats_limit: int = Field(20_000, ge=0, le=1_000_000,
                                  description="Above this many host pairs, per-pair summaries keep "
                                  "count/mean/max only (no per-pair p99).")
    pair_table_limit: int = Field(2000, ge=0, le=1_000_000,
                                  description="Host pairs listed in the result's per_pair table; "
                                  "above it the pairs with the highest mean (or unloaded) latency are kept.")
    link_table_limit: int = Field(2000, ge=0, le=1_000_000,
                                  description="Links listed in the result's link table; above it "
                                  "the most utilized are kept (summaries cover all links).")
    pair_sub_bits: int = Field(3, ge=1, le=8, description="Per-pair histogram resolution: 2**sub_bits buckets per "
                                "octave, relative error 2**(1/2**(sub_bits+1))-1 (4.4 % at 3).")


class FabricConfig(_Strict):
    """The fabric: which topology, how many racks and hosts, the switch and link parameters."""

    topology: Literal["single_switch", "l2_stp", "three_tier", "spine_leaf", "super_spine", "fat_tree"] = Field(
        "spine_leaf", description="Topology builder. Assumption: spine-leaf.")
    racks: int = Field(4, ge=1, le=MAX_RACKS, description="Racks (one ToR/leaf each, or leaves_per_rack). Assumption.")
    hosts_per_rack: int = Field(16, ge=1, le=MAX_HOSTS_PER_RACK, description="Hosts per rack. Assumption.")
    leaves_per_rack: int = Field(1, ge=1, le=2, description="ToR/leaf switches per rack (2 = dual-homed hosts "
                                 "when host.nics >= 2). Assumption: 1.")
    host: HostConfig = Field(default_factory=HostConfig)
    leaf: LeafConfig = Field(default_factory=LeafConfig)
    spine: SpineConfig = Field(default_factory=SpineConfig)
    super_spine: SuperSpineConfig = Field(default_factory=SuperSpineConfig)
    fat_tree: FatTreeConfig = Field(default_factory=FatTreeConfig)
    three_tier: ThreeTierConfig = Field(default_factory=ThreeTierConfig)
    l2: L2Config = Field(default_factory=L2Config)
    single_switch: SingleSwitchConfig = Field(default_factory=SingleSwitchConfig)
    switch: SwitchConfig = Field(default_factory=SwitchConfig)
    cable_length_m: float = Field(10.0, ge=0, le=100_000, description="Cable length of every link. Assumption: 10 m, "
                                  "in-row cabling (low confidence; override).")
    propagation_ns_per_m: float = Field(4.9, ge=0, le=1000, description="Fiber propagation, 4.9 us/km one-way "
                                        "(docs/references.md, Fiber propagation).")
    ecmp: EcmpConfig = Field(default_factory=EcmpConfig)
    failures: list[FailureConfig] = Field(default_factory=list, max_length=MAX_COUNT,
                                          description="Failed links or switches; routes "
                                          "and spanning trees are recomputed without them.")
    engine: EngineConfig = Field(default_factory=EngineConfig)

    @model_validator(mode="after")
    def _size(self) -> FabricConfig:
        hosts = (self.fat_tree.k ** 3 // 4 if self.topology == "fat_tree"
                 else self.racks * self.hosts_per_rack)
        if hosts > MAX_FABRIC_HOSTS:
            raise ValueError(f"{hosts:,} hosts exceed the {MAX_FABRIC_HOSTS:,} a fabric scenario may have (the flow "
                             "level takes about a minute and 2 GB at 93,312 hosts); use fewer racks or hosts per rack, "
                             "or plan the larger design with `vnetsim fabric plan`")
        return self


class FlowSpec(_Strict):
    src: int | str = Field(description="Host index or name (host12).")
    dst: int | str = Field(description="Host index or name.")
    rate: BitRateBps = Field(description="Offered rate on the wire (frame + 20 B preamble/IFG).")
    frame_size: Bytes | None = Field(None, ge=MIN_FRAME_BYTES, le=MAX_FRAME_BYTES,
                                     description="Frame size; default: traffic.frame_size.")


class ReplicationConfig(_Strict):
    replicas: int = Field(2, ge=1, le=4, description="Hosts in other racks each write goes to: 2 (RAID-1 "
                          "FTT=1 keeps 2 copies, docs/references.md, Storage replication) or 3 (FTT=2).")
    objects_per_host: int = Field(4, ge=1, le=MAX_FLOWS_PER_HOST,
                                  description="Objects each host writes, each with its own replica "
                                  "hosts. Assumption: 4.")


class IncastConfig(_Strict):
    receivers: int = Field(1, ge=1, le=MAX_FABRIC_HOSTS, description="Hosts that receive an incast. Assumption: 1.")
    fan_in: int = Field(8, ge=1, le=MAX_FABRIC_HOSTS, description="Senders per receiver. Assumption: 8.")


class TrafficConfig(_Strict):
    """Who sends to whom, how much, in what frames, with what arrivals."""

    pattern: Literal["uniform", "incast", "permutation", "replication", "flows"] = Field(
        "replication", description="Traffic matrix. Assumption: storage replication.")
    load: float = Field(0.3, ge=1e-6, le=100, description="Offered load per sending host as a fraction of its NIC "
                        "bandwidth (all NICs). Assumption: 0.3.")
    rate: BitRateBps | None = Field(None, gt=0, description="Offered rate per sending host; overrides load.")
    frame_size: Bytes = Field(1518, ge=MIN_FRAME_BYTES, le=MAX_FRAME_BYTES,
                              description="Ethernet frame incl. header and FCS: 1518 B = 1500 MTU "
                              "(docs/references.md, MTU and frame size).")
    arrivals: Literal["poisson", "constant"] = Field("poisson", description="Packet arrivals per flow: Poisson "
                                                     "or evenly spaced with a random phase. Assumption: Poisson.")
    phase: Literal["random", "aligned"] = Field("random", description="constant arrivals: each flow starts at a "
                                                "uniform random phase, or all at time 0 (synchronized senders).")
    flows_per_host: int = Field(4, ge=1, le=MAX_FLOWS_PER_HOST,
                                description="uniform: flows each host opens. Assumption: 4.")
    rack_local_fraction: float | None = Field(None, ge=0, le=1, description="uniform: share of flows that stay "
                                              "in the rack; default: destinations uniform over all hosts.")
    cross_rack_only: bool = Field(True, description="permutation: every host sends to a host in another rack.")
    replication: ReplicationConfig = Field(default_factory=ReplicationConfig)
    incast: IncastConfig = Field(default_factory=IncastConfig)
    flows: list[FlowSpec] = Field(default_factory=list, max_length=MAX_FABRIC_FLOWS,
                                  description="pattern=flows: the explicit flow list.")


class EdgeConfig(BaseModel):
    """Which receiving hosts run the full host model, and the host they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hosts: Literal["all"] | list[str] = Field("all", description="host names (e.g. [h0, h17]) or 'all'")
    host: Host = Field(default_factory=Host, description="the host model (pNIC rings, threads, vSwitch, VMs); "
                       "its line rate is the fabric's host link")
    host_table_limit: int = Field(32, ge=0, description="hosts listed one by one in the result")



class Limits(_Strict):
    """Bounds on what one run may cost, checked before the packet level starts."""

    max_packets: float = Field(DEFAULT_MAX_PACKETS, ge=0, le=1e18, description=(
        "refuse a packet-level run whose offered packets (reachable flows' rate x duration) exceed this; the "
        "default, 1.4e10, is about one hour of 4-link paths at the packet level's 16 M link hops/s on one core "
        "(README, Performance). Raise it to allow a longer run, e.g. --set limits.max_packets=1e12"))


class FabricScenario(_Strict):
    """A whole fabric scenario document after variants were merged (``variants`` is ignored here)."""

    name: str = "fabric"
    description: str = ""
    seed: int = Field(1, ge=0)
    duration: DurationNs = Field(1e6, description="Simulated time. Assumption: 1 ms.")
    fabric: FabricConfig = Field(default_factory=FabricConfig)
    traffic: TrafficConfig = Field(default_factory=TrafficConfig)
    edge: EdgeConfig | None = Field(None, description="receiving hosts that run the full host model "
                                    "(pNIC rings, RX threads, vSwitch, vNIC, guest): packet level only")
    limits: Limits = Field(default_factory=Limits, description="bounds on a run's cost, checked before the "
                           "packet level starts (limits.max_packets)")
    variants: list[dict] = Field(default_factory=list)

    @model_validator(mode="after")
    def _flows(self) -> FabricScenario:
        if self.duration <= 0:
            raise ValueError("duration must be > 0, e.g. '1ms'")
        fc, tc = self.fabric, self.traffic
        hosts = fc.fat_tree.k ** 3 // 4 if fc.topology == "fat_tree" else fc.racks * fc.hosts_per_rack
        per_host = {"uniform": tc.flows_per_host, "permutation": 1,
                    "replication": tc.replication.objects_per_host * tc.replication.replicas}
        flows = hosts * per_host[tc.pattern] if tc.pattern in per_host else 0
        if tc.pattern == "incast":
            flows = tc.incast.receivers * tc.incast.fan_in
        if flows > MAX_FABRIC_FLOWS:
            raise ValueError(f"traffic: pattern {tc.pattern} makes {flows:,} flows on {hosts:,} hosts, more than the "
                             f"{MAX_FABRIC_FLOWS:,} a fabric scenario may have; use fewer flows or objects per host")
        return self
