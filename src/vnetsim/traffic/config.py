"""Scenario models for traffic: flow groups, arrival processes, packet sizes.

Sizes are Ethernet frame sizes in bytes including the 4-byte FCS (64..9018); on the wire each
frame also costs 20 bytes of preamble, start delimiter and inter-frame gap (IEEE Std 802.3;
docs/references.md, Ethernet wire overhead). A rate in bits per second is converted to packets per
second with that overhead.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vnetsim.units.fields import DurationNs, RateSpec

MIN_FRAME_BYTES = 64
MAX_FRAME_BYTES = 9018 + 70  # jumbo frame plus an IPv6 VXLAN outer header

# Simple IMIX (7:4:1 of IP packets 40, 576 and 1500 bytes), as Ethernet frames with the
# 18-byte header and FCS (40-byte packets padded to the 64-byte minimum).
IMIX_SIMPLE = ((64, 7), (594, 4), (1518, 1))
# Flows of a scenario, all groups together. Each flow costs about 310 bytes at the peak of setup
# (its headers, 124 B, built once and concatenated once, plus per-flow tables) and hashing it into
# queues: 10 M flows took 3.1 GB and 11 s before the first packet (5.9 GB with a VXLAN overlay),
# 1 M flows 0.46 GB and 2.4 s (0.75 GB and 3 s with the overlay); docs/models/host.md, Run limits.
MAX_FLOWS = 1_000_000
MAX_EMPIRICAL_SIZES = 10_000   # entries of an empirical size list (distinct legal sizes: 9025)
MIN_ON_SHARE = 1e-3            # ON/OFF sources: the peak rate is at most 1000 times the mean


class Strict(BaseModel):
    # NaN and infinities are no value for any float field (weights, shapes): refused at validation
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Poisson(Strict):
    """Independent exponential gaps: the memoryless arrivals of many uncoordinated senders."""

    kind: Literal["poisson"] = "poisson"


class Constant(Strict):
    """Evenly spaced packets (a traffic generator, RFC 2544 style)."""

    kind: Literal["constant"] = "constant"


class OnOff(Strict):
    """Each flow alternates ON and OFF periods with Pareto (heavy-tailed) lengths; during ON it
    sends evenly spaced packets at the peak rate that gives the flow's mean rate."""

    kind: Literal["onoff"] = "onoff"
    on: DurationNs = Field(1e6, description="mean ON period (default 1ms)")
    off: DurationNs = Field(9e6, description="mean OFF period (default 9ms)")
    shape: float = Field(1.5, gt=1.0, le=100.0, description="Pareto shape alpha of both periods (1 < alpha "
                         "<= 100; alpha < 2 gives infinite variance, the self-similar case)")

    @model_validator(mode="after")
    def _positive(self) -> OnOff:
        if self.on <= 0:
            raise ValueError("on: the mean ON period must be > 0, e.g. '1ms'")
        if self.on / (self.on + self.off) < MIN_ON_SHARE:
            raise ValueError(f"off: ON periods of {self.on:g} ns in cycles of {self.on + self.off:g} ns send at "
                             f"{(self.on + self.off) / self.on:.3g} times the mean rate; the ON share, "
                             f"on / (on + off), must be at least {MIN_ON_SHARE:g} (a peak of at most "
                             f"{1 / MIN_ON_SHARE:g} times the mean: a chunk's packets stay bounded)")
        return self


Arrival = Annotated[Poisson | Constant | OnOff, Field(discriminator="kind")]


class FixedSize(Strict):
    kind: Literal["fixed"] = "fixed"
    bytes: int = Field(64, ge=MIN_FRAME_BYTES, le=MAX_FRAME_BYTES)


class Imix(Strict):
    """The simple IMIX: 64, 594 and 1518-byte frames in the ratio 7:4:1 (mean 353.8 bytes)."""

    kind: Literal["imix"] = "imix"


class Empirical(Strict):
    """Frame sizes drawn from a list with weights (e.g. a measured size histogram)."""

    kind: Literal["empirical"] = "empirical"
    sizes: list[int] = Field(min_length=1, max_length=MAX_EMPIRICAL_SIZES)
    weights: list[float] = Field(min_length=1, max_length=MAX_EMPIRICAL_SIZES,
                                 description="relative frequency of each size: finite numbers >= 0, not all 0")

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if len(self.sizes) != len(self.weights):
            raise ValueError("sizes and weights must have the same length")
        if any(s < MIN_FRAME_BYTES or s > MAX_FRAME_BYTES for s in self.sizes):
            raise ValueError(f"every size must be between {MIN_FRAME_BYTES} and {MAX_FRAME_BYTES} bytes")
        if not all(math.isfinite(w) for w in self.weights):
            raise ValueError("weights must be finite numbers (no NaN or infinity)")
        total = sum(self.weights)          # inf when it overflows
        if any(w < 0 for w in self.weights) or total <= 0:
            raise ValueError("weights must be >= 0 and not all 0")
        if not math.isfinite(total):
            raise ValueError("weights are too large: their sum overflows (scale them down)")
        return self


SizeSpec = Annotated[FixedSize | Imix | Empirical, Field(discriminator="kind")]


def mean_size_bytes(spec: FixedSize | Imix | Empirical) -> float:
    """Mean frame size of a size distribution (bytes, FCS included)."""
    if isinstance(spec, FixedSize):
        return float(spec.bytes)
    pairs = IMIX_SIMPLE if isinstance(spec, Imix) else tuple(zip(spec.sizes, spec.weights))
    total = math.fsum(w for _, w in pairs)
    return math.fsum(s * (w / total) for s, w in pairs)


def _size_shorthand(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"kind": "fixed", "bytes": value}
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "imix":
            return {"kind": "imix"}
        if text.upper().endswith("B") and text[:-1].strip().isdigit():
            return {"kind": "fixed", "bytes": int(text[:-1])}
        if text.isdigit():
            return {"kind": "fixed", "bytes": int(text)}
        raise ValueError(f"expected a frame size like 64, '128B', 'imix' or a mapping, got {value!r}")
    return value


def _arrival_shorthand(value):
    if isinstance(value, str):
        if value not in ("poisson", "constant", "onoff"):
            raise ValueError(f"expected one of 'poisson', 'constant', 'onoff', got {value!r}")
        return {"kind": value}
    return value


class Trace(Strict):
    """A capture replayed as traffic: its timestamps, sizes and headers (pcap or pcapng)."""

    pcap: str = Field(description="path of the capture (relative paths: from the scenario file's folder)")
    loop: bool = Field(False, description="replay the capture again and again until the run ends")
    vxlan_ports: list[Annotated[int, Field(ge=0, le=65535)]] = Field(
        default_factory=lambda: [4789], max_length=64,
        description="outer UDP ports read as VXLAN (4789 IANA; add 8472 for Linux's legacy port)")
    geneve_ports: list[Annotated[int, Field(ge=0, le=65535)]] = Field(
        default_factory=lambda: [6081], max_length=64, description="outer UDP ports read as Geneve")
    flow_key: Literal["inner", "outer"] = Field(
        "inner", description="what makes a flow of an encapsulated capture: 'inner' (default) its tunnel, VNI "
        "and inner headers, so a VXLAN capture whose outer source port varies per packet keeps one flow per "
        "inner 5-tuple (outer headers: its first packet's); 'outer' every distinct set of outer and inner "
        "headers (docs/models/host.md)")


class FlowGroup(Strict):
    """``count`` flows sharing one description; ``rate`` is their total.

    Flows get real headers: UDP or TCP from a remote client (random address and ephemeral port)
    to their VM's MAC and IP, encapsulated by the host's VTEPs when the pNIC has an overlay.
    A ``trace`` replaces count, arrivals, sizes and headers with those of a capture.
    """

    name: str = "flows"
    count: int = Field(1, ge=1, le=MAX_FLOWS, description="number of distinct flows (5-tuples); at most "
                       "1,000,000 in a scenario, all groups together (about 310 bytes of memory each)")
    rate: RateSpec | None = Field(None, description="total offered rate: packets ('2Mpps') or bits on the "
                                  "wire ('5Gbps'); with a trace, the rate it is replayed at (default: its own)")
    arrival: Arrival = Field(default_factory=Poisson)
    size: SizeSpec = Field(default_factory=FixedSize, description="frame size as the sender sent it "
                           "(an overlay adds its 50/70 bytes on the wire)")
    protocol: Literal["udp", "tcp"] = "udp"
    dst_port: int | None = Field(None, ge=1, le=65535, description="destination port (default: 80/443 for "
                                 "tcp, 2152 (GTP-U) for udp)")
    ip_version: Literal[4, 6] = 4
    segments_per_burst: int = Field(1, ge=1, le=1024, description="TCP segments of one flow arriving back "
                                    "to back: what LRO/GRO can merge into one packet (1 = none)")
    encapsulated: bool | None = Field(None, description="tunnel these flows through the host's overlay "
                                      "(default: yes when the pNIC has an overlay)")
    trace: Trace | None = None
    vm: str | None = Field(None, description="the VM the flows are for (default: the first VM); "
                           "'*' spreads them over all VMs (flow i to VM i mod VMs)")
    queue: int | None = Field(None, ge=0, description="pin the flows to this pNIC RX queue "
                              "(default: the NIC's steering decides)")

    @model_validator(mode="after")
    def _rate(self) -> FlowGroup:
        if self.rate is None and self.trace is None:
            raise ValueError("rate: a flow group needs a rate, e.g. rate: 2Mpps (or a trace)")
        return self

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data):
        if isinstance(data, dict):
            data = dict(data)
            if "size" in data:
                data["size"] = _size_shorthand(data["size"])
            if "arrival" in data:
                data["arrival"] = _arrival_shorthand(data["arrival"])
        return data


MAX_FLOW_GROUPS = 4096


class TrafficConfig(Strict):
    flows: list[FlowGroup] = Field(min_length=1, max_length=MAX_FLOW_GROUPS,
                                   description="flow groups (at most 4096; their flows at most 1,000,000 together)")

    @model_validator(mode="after")
    def _unique(self) -> TrafficConfig:
        names = [g.name for g in self.flows]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"flow group names must be unique; repeated: {sorted(dup)}")
        total = sum(g.count for g in self.flows if g.trace is None)
        if total > MAX_FLOWS:
            raise ValueError(f"the flow groups have {total:,} flows together, more than the {MAX_FLOWS:,} a scenario "
                             "may have (each costs about 310 bytes and its hashing); use fewer flows per group")
        return self
