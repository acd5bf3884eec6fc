"""Scenario models of an edge deployment: sensor groups, the edge node's processing stages and
buffer, the uplink, the user-plane function's host, the central site and the monthly prices.

Every default names its source in docs/models/edge.md and docs/references.md ("Edge and IoT").
Sizes are bytes, rates per second, times parsed once by ``vnetsim.units``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vnetsim.host import Host
from vnetsim.scenario.base import VariantsField
from vnetsim.units import parse_cost
from vnetsim.units.fields import BitRateBps, Bytes, CostSpec, DurationNs, FrequencyHz

MAX_SENSORS = 10**9
MAX_SITES = 100_000
DEFAULT_MAX_MESSAGES = 2e9   # messages simulated one by one through the uplink in one run
ZERO_COST = parse_cost("0ns")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --- protocols -------------------------------------------------------------------------------

class Protocol(Strict):
    """How one message is framed on the air or the wire: application protocol over TCP or UDP over
    IPv4 or IPv6, optionally secured. The header bytes are computed from the protocol headers
    (``vnetsim.edge.protocol``)."""

    application: Literal["mqtt", "coap", "raw"] = Field("mqtt", description="MQTT 3.1.1 PUBLISH, CoAP "
                                                         "(RFC 7252) POST/NON, or raw payload")
    transport: Literal["tcp", "udp"] | None = Field(None, description="default: tcp for mqtt, udp otherwise")
    ip_version: Literal[4, 6] = Field(4, description="IPv4 (20-byte header) or IPv6 (40-byte header)")
    topic: str = Field("factory/line1/vibration", max_length=65535,
                       description="MQTT topic name, or CoAP Uri-Path (its bytes are sent in every message)")
    qos: Literal[0, 1] = Field(0, description="MQTT QoS: 1 adds a 2-byte packet identifier")
    token_bytes: int = Field(2, ge=0, le=8, description="CoAP token length (0-8 bytes)")
    tcp_options_bytes: int = Field(12, ge=0, le=40, multiple_of=4, description="TCP options per segment "
                                   "(12: the timestamps option with padding, on by default in Linux)")
    security: Literal["none", "tls13", "dtls12"] = Field("none", description="TLS 1.3 or DTLS 1.2 record "
                                                          "with AES-128-GCM around each message")
    link_bytes: int = Field(0, ge=0, le=256, description="link-layer framing per packet on this hop (0: "
                                                         "count from the IP header on)")

    @model_validator(mode="after")
    def _check(self) -> Protocol:
        t = self.transport_name
        if self.application == "mqtt" and t != "tcp":
            raise ValueError("MQTT runs over TCP: set transport: tcp (or use coap over udp)")
        if self.application == "coap" and t != "udp":
            raise ValueError("CoAP (RFC 7252) runs over UDP: set transport: udp")
        if self.security == "tls13" and t != "tcp":
            raise ValueError("TLS runs over TCP: use security: dtls12 over UDP")
        if self.security == "dtls12" and t != "udp":
            raise ValueError("DTLS runs over UDP: use security: tls13 over TCP")
        return self

    @property
    def transport_name(self) -> str:
        return self.transport or ("tcp" if self.application == "mqtt" else "udp")


# --- sensors ---------------------------------------------------------------------------------

class SensorGroup(Strict):
    """``count`` sensors per site sampling at ``sample_rate``; ``samples_per_message`` samples are
    framed into one message (its payload), sent with ``protocol``'s headers."""

    name: str
    count: int = Field(..., ge=1, le=MAX_SENSORS, description="sensors of this group per site")
    sample_rate: FrequencyHz = Field(..., description="samples per second per sensor, e.g. 1kHz")
    sample_bytes: Bytes = Field(2, description="bytes per sample (2: a 16-bit ADC reading)")
    samples_per_message: int = Field(1, ge=1, le=10**7, description="samples framed into one message")
    emission: Literal["periodic", "poisson", "bursty"] = Field(
        "periodic", description="periodic (each sensor every period, random phase), poisson (event-driven: "
        "exponential gaps) or bursty (ON/OFF with Pareto periods, the mean rate kept)")
    burst_on: DurationNs = Field(1e9, description="bursty: mean ON period")
    burst_off: DurationNs = Field(9e9, description="bursty: mean OFF period")
    burst_shape: float = Field(1.5, gt=1.0, le=10.0, description="bursty: Pareto shape of ON/OFF periods")
    protocol: Protocol = Field(default_factory=Protocol)

    @model_validator(mode="after")
    def _check(self) -> SensorGroup:
        if self.sample_rate <= 0:
            raise ValueError("sample_rate must be > 0, e.g. 1kHz")
        if self.sample_bytes < 1:
            raise ValueError("sample_bytes must be at least 1")
        if self.emission == "bursty" and (self.burst_on <= 0 or self.burst_off <= 0):
            raise ValueError("bursty emission needs burst_on > 0 and burst_off > 0")
        return self


class Events(Strict):
    """Important events that must reach the centre: a Poisson process per site."""

    rate: float = Field(0.01, ge=0.0, le=1e6, description="events per second per site (a number: 0.0003 is "
                        "about one an hour)")
    bytes: Bytes = Field(64, description="payload of the event message an edge node sends")


# --- edge processing -------------------------------------------------------------------------

class _Stage(Strict):
    per_sample: CostSpec = Field(ZERO_COST, description="CPU per input sample (duration or cycles)")
    per_byte: CostSpec = Field(ZERO_COST, description="CPU per input byte (duration or cycles)")


class Filter(_Stage):
    """Keep a fraction of the samples (e.g. only those of sensors in a state of interest)."""

    kind: Literal["filter"] = "filter"
    keep: float = Field(..., gt=0.0, le=1.0, description="fraction of samples kept")


class Deadband(_Stage):
    """Send a sample only when it moved more than the deadband since the last one sent; ``keep`` is
    the fraction of samples outside the band (measure it on your signal)."""

    kind: Literal["deadband"] = "deadband"
    keep: float = Field(..., gt=0.0, le=1.0, description="fraction of samples outside the deadband")


class Downsample(_Stage):
    """Keep one sample in ``factor``."""

    kind: Literal["downsample"] = "downsample"
    factor: int = Field(..., ge=1, le=10**9)


class Aggregate(_Stage):
    """Per ``window`` and per ``group`` sensors, one summary record of ``summary_bytes``
    (e.g. min, max, mean and count as four 8-byte numbers)."""

    kind: Literal["aggregate"] = "aggregate"
    window: DurationNs = Field(..., description="summary window, e.g. 1s")
    group: int = Field(1, ge=1, le=MAX_SENSORS, description="sensors summarised together")
    summary_bytes: Bytes = Field(32, description="bytes of one summary record")

    @model_validator(mode="after")
    def _check(self) -> Aggregate:
        if self.window <= 0:
            raise ValueError("window must be > 0, e.g. 1s")
        return self


class Compress(_Stage):
    """Lossless compression of the payload: ``ratio`` (input / output bytes) at a CPU cost per byte."""

    kind: Literal["compress"] = "compress"
    ratio: float = Field(..., ge=1.0, le=1e6, description="input bytes / output bytes")


class Detect(_Stage):
    """Event detection on every sample: costs CPU, passes the data on, raises the important events
    (``events``) as their own messages at once."""

    kind: Literal["detect"] = "detect"


ProcessingStage = Annotated[Filter | Deadband | Downsample | Aggregate | Compress | Detect,
                            Field(discriminator="kind")]


class Edge(Strict):
    """The edge node of a site: processing stages, its CPU, its local buffer and how it sends."""

    stages: list[ProcessingStage] = Field(default_factory=list, description="processing pipeline; empty: "
                                          "relay every sensor message unchanged (central ingest)")
    cpu_clock: FrequencyHz = Field(2.0e9, description="clock that converts cycles to time")
    cores: int = Field(4, ge=1, le=1024, description="cores of the edge node (CPU utilisation = needed / cores)")
    buffer: Bytes = Field(256 * 2**20, description="local buffer holding messages while the uplink is down "
                          "or saturated (tail drop when full)")
    flush: DurationNs = Field(1e9, description="processed data is sent every flush interval")
    message_bytes: Bytes = Field(1024, description="largest payload of one processed message")
    protocol: Protocol = Field(default_factory=lambda: Protocol(topic="site/summary"),
                               description="framing of processed and event messages")

    @model_validator(mode="after")
    def _check(self) -> Edge:
        if self.flush <= 0:
            raise ValueError("flush must be > 0, e.g. 1s")
        if self.message_bytes < 1:
            raise ValueError("message_bytes must be at least 1")
        if self.cpu_clock <= 0:
            raise ValueError("cpu_clock must be > 0")
        return self

    @property
    def relay(self) -> bool:
        return not self.stages


# --- uplink ----------------------------------------------------------------------------------

# (rate_bps, one-way latency ns, mean jitter ns, loss) per technology: docs/models/edge.md
UPLINK_PRESETS: dict[str, tuple[float, float, float, float]] = {
    "5g-embb": (50e6, 4e6, 1e6, 1e-3),
    "5g-urllc": (50e6, 1e6, 0.1e6, 1e-5),
    "lte": (10e6, 10e6, 5e6, 1e-3),
    "fibre": (1e9, 0.49e6, 0.01e6, 0.0),
    "satellite": (5e6, 240e6, 10e6, 1e-3),
}


class Outages(Strict):
    """When the uplink is down: an alternating renewal process (exponential up and down times,
    or a fixed down time) and/or an explicit schedule of [start, length] pairs."""

    mean_up: DurationNs = Field(0.0, description="mean time between outages (0: no random outages)")
    mean_down: DurationNs = Field(0.0, description="mean outage length")
    down: Literal["exponential", "fixed"] = Field("exponential", description="outage length distribution")
    schedule: list[tuple[DurationNs, DurationNs]] = Field(default_factory=list, max_length=100_000,
                                                          description="explicit outages: [start, length] pairs")

    @model_validator(mode="after")
    def _check(self) -> Outages:
        if (self.mean_up > 0) != (self.mean_down > 0):
            raise ValueError("random outages need both mean_up and mean_down > 0")
        return self


class Uplink(Strict):
    """The site's uplink to the centre: rate, one-way latency (fixed + exponential jitter), loss and
    outages; messages queue FIFO in the edge buffer in front of it."""

    technology: Literal["5g-embb", "5g-urllc", "lte", "fibre", "satellite"] = "5g-embb"
    rate: BitRateBps | None = Field(None, description="uplink rate (default: the technology's)")
    latency: DurationNs | None = Field(None, description="fixed one-way latency (default: the technology's)")
    jitter: DurationNs | None = Field(None, description="mean of the exponential extra latency")
    loss: float | None = Field(None, ge=0.0, lt=1.0, description="message loss probability on the air/wire")
    retransmit_timeout: DurationNs = Field(200e6, description="TCP: a lost message is sent again after this")
    outages: Outages = Field(default_factory=Outages)

    def resolved(self) -> tuple[float, float, float, float]:
        """(rate_bps, latency_ns, jitter_ns, loss) with the technology's defaults filled in."""
        rate, lat, jit, loss = UPLINK_PRESETS[self.technology]
        return (self.rate if self.rate is not None else rate, self.latency if self.latency is not None else lat,
                self.jitter if self.jitter is not None else jit, self.loss if self.loss is not None else loss)


# --- user plane, centre, cost ----------------------------------------------------------------

class Upf(Strict):
    """The mobile core's user-plane function as a VNF on a host: every uplink message arrives
    GTP-U encapsulated (N3) and runs through the host data path (``vnetsim.host``)."""

    enabled: bool = Field(False, description="run the UPF host (5G/LTE uplinks)")
    outer_ip_version: Literal[4, 6] = Field(4, description="outer (transport network) IP version")
    pdu_session_container: bool = Field(True, description="5G N3: the GTP-U PDU session container "
                                        "extension header (8 bytes more); false: plain GTP-U (LTE S1-U)")
    host: Host = Field(default_factory=Host, description="the UPF host model (pNIC rings, threads, vSwitch, VMs)")


class Central(Strict):
    """The central platform: processing per message and the latency of its decision."""

    per_message: CostSpec = Field(parse_cost("20us"), description="CPU per ingested message (parse, store, decide)")
    per_byte: CostSpec = Field(ZERO_COST, description="CPU per ingested byte")
    cpu_clock: FrequencyHz = Field(2.5e9, description="clock that converts cycles to time")


class Tier(Strict):
    up_to_gb: float | None = Field(None, gt=0, description="this price applies up to this many GB a month "
                                   "(None: every GB beyond the earlier tiers)")
    usd_per_gb: float = Field(..., ge=0)


class Prices(Strict):
    """Monthly prices (USD). A month is ``month_hours`` hours."""

    month_hours: float = Field(730.0, gt=0, le=744, description="hours in a billing month (730: AWS)")
    data_tiers: list[Tier] = Field(default_factory=lambda: [Tier(usd_per_gb=0.09)], min_length=1,
                                   description="uplink data price per GB, marginal tiers in order")
    line_usd_month: float = Field(0.0, ge=0, description="fee per SIM or line per month")
    lines_per_site: int = Field(1, ge=0, le=10**6)
    ingress_usd_per_gb: float = Field(0.0, ge=0, description="cloud data transfer in")
    egress_usd_per_gb: float = Field(0.09, ge=0, description="cloud data transfer out")
    egress_share: float = Field(0.0, ge=0, le=100, description="bytes sent out of the cloud per byte ingested")
    storage_usd_per_gb_month: float = Field(0.023, ge=0, description="central storage per GB-month")
    retention_months: float = Field(1.0, ge=0, le=1200, description="how long ingested data is kept")
    central_core_usd_month: float = Field(30.0, ge=0, description="one central core for a month")
    edge_core_usd_month: float = Field(20.0, ge=0, description="one edge core for a month")
    edge_node_usd_month: float = Field(50.0, ge=0, description="an edge node per site (hardware, power, "
                                       "support) for a month, paid when the site processes data")

    @model_validator(mode="after")
    def _check(self) -> Prices:
        bounds = [t.up_to_gb for t in self.data_tiers]
        if any(b is None for b in bounds[:-1]):
            raise ValueError("only the last data tier may leave up_to_gb out")
        finite = [b for b in bounds if b is not None]
        if any(b2 <= b1 for b1, b2 in zip(finite, finite[1:])):
            raise ValueError("data tiers' up_to_gb must increase")
        return self


class Limits(Strict):
    max_messages: float = Field(DEFAULT_MAX_MESSAGES, ge=1, le=1e15, description=(
        "refuse a run that simulates more uplink messages than this (about 40 s at the uplink stage's speed); "
        "shorten duration or raise it, e.g. --set limits.max_messages=1e10"))


class EdgeScenario(Strict):
    """A whole edge scenario after variants were merged (``variants`` is ignored here)."""

    name: str = "edge"
    description: str = ""
    seed: int = Field(1, ge=0)
    duration: DurationNs = Field(60e9, description="simulated time of the message-level run (monthly figures "
                                 "scale the rates; the run measures queueing, outages and latency)")
    warmup: DurationNs = Field(0.0, description="statistics start here")
    chunk_messages: int = Field(262_144, ge=1024, le=1 << 26, description="messages per engine chunk")
    sites: int = Field(1, ge=1, le=MAX_SITES, description="edge sites (each with the sensor groups, its edge "
                       "node and its own uplink)")
    sensors: list[SensorGroup] = Field(..., min_length=1, max_length=1000)
    events: Events = Field(default_factory=Events)
    edge: Edge = Field(default_factory=Edge)
    uplink: Uplink = Field(default_factory=Uplink)
    upf: Upf = Field(default_factory=Upf)
    central: Central = Field(default_factory=Central)
    prices: Prices = Field(default_factory=Prices)
    limits: Limits = Field(default_factory=Limits)
    variants: list = VariantsField

    @model_validator(mode="after")
    def _check(self) -> EdgeScenario:
        names = [g.name for g in self.sensors]
        if len(set(names)) != len(names):
            raise ValueError("sensor group names must be unique")
        if self.duration <= 0:
            raise ValueError("duration must be > 0, e.g. 60s")
        if not 0 <= self.warmup < self.duration:
            raise ValueError("warmup must be >= 0 and below duration")
        return self
