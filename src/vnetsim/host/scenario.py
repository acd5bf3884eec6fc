"""The host scenario: run settings, traffic, the host, and variants to compare.

Long runs are refused before they start: a variant whose packets (offered rate x duration, at
every load level, plus the zero-loss search's trials when it runs with ``vnetsim run``) exceed
``limits.max_packets`` is a one-line error naming ``duration`` with the packet count and the time it
would take at ``HOST_PACKETS_PER_S`` (docs/models/host.md, Run limits).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from vnetsim.host.config import Host
from vnetsim.net.ethernet import WIRE_GAP_BYTES
from vnetsim.scenario.base import Variant, VariantsField
from vnetsim.traffic.config import TrafficConfig, mean_size_bytes
from vnetsim.units import Rate, format_duration_ns, format_rate, format_seconds
from vnetsim.units.fields import DurationNs, RateSpec

# The host path's documented throughput, one core (README, Performance: 9.4-11.5 M packets/s).
HOST_PACKETS_PER_S = 10e6
# The default bound: about one hour of the host path at that throughput.
DEFAULT_MAX_PACKETS = 3.6e10
MAX_LOADS = 64
MAX_REPLICATIONS = 1000
# A warm-up as long as the run (say, --duration below the file's warm-up) is scaled to this share of
# the duration: long enough to drop the empty-system start, short enough to leave a window.
WARMUP_SHARE = 0.1


class ThroughputSearch(BaseModel):
    """Also search each variant's zero-loss throughput during ``vnetsim run`` (RFC 2544 style)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    enabled: bool = False
    trial: DurationNs | None = Field(None, description="simulated time per trial (default: duration)")
    resolution: float = Field(0.005, gt=0, le=0.5, description="stop when the bracket is this fraction of line rate")


class Report(BaseModel):
    """What the result lists besides the figures."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    flow_listing: int = Field(64, ge=0, le=1_000_000, description="flows listed with their queue and core")


class Limits(BaseModel):
    """Bounds on what one run may cost, checked before it starts."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_packets: float = Field(DEFAULT_MAX_PACKETS, ge=0, le=1e18, description=(
        "refuse a variant whose offered packets (rate x duration at every load level, plus the zero-loss "
        "search's trials) exceed this; the default, 3.6e10, is about one hour at the host path's 10 M "
        "packets/s on one core (README, Performance). Raise it to allow a longer run, e.g. "
        "--set limits.max_packets=1e12"))


def offered_pps_estimate(traffic: TrafficConfig) -> tuple[float, float]:
    """(packets per second, mean frame bytes) the flow groups offer, from the scenario alone: bit
    rates at each group's mean frame size (an overlay's bytes and captures replayed at their own
    rate are not counted: an estimate, a little high for overlays)."""
    pps, frame_pps = 0.0, 0.0
    for g in traffic.flows:
        if g.rate is None:
            continue
        mean = mean_size_bytes(g.size)
        p = g.rate.to_pps(mean, WIRE_GAP_BYTES)
        pps += p
        frame_pps += p * mean
    return pps, (frame_pps / pps if pps > 0 else float(mean_size_bytes(traffic.flows[0].size)))


class HostScenario(BaseModel):
    """Traffic into one host: the pNIC, the host's RX threads, the vSwitch and the VMs."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = "scenario"
    description: str = ""
    seed: int = Field(1, ge=0, description="one seed makes the run reproducible bit for bit")
    duration: DurationNs = Field(100e6, description="simulated time (default 100ms)")
    warmup: DurationNs = Field(0.0, description="start of the statistics window (default 0)")
    chunk_packets: int = Field(65_536, ge=1000, le=50_000_000,
                               description="packets per streaming chunk: bounds memory, not results")
    traffic: TrafficConfig
    host: Host = Field(default_factory=Host)
    loads: list[RateSpec] = Field(default_factory=list, max_length=MAX_LOADS, description="run every variant at "
                                  "each of these total offered rates (all flows scaled together), e.g. [50kpps, "
                                  "2Mpps]; at most 64")
    throughput: ThroughputSearch = Field(default_factory=ThroughputSearch)
    report: Report = Field(default_factory=Report)
    limits: Limits = Field(default_factory=Limits, description="bounds on a run's cost, checked before it "
                           "starts (limits.max_packets: offered packets of a variant, all load levels)")
    replications: int = Field(1, ge=1, le=MAX_REPLICATIONS, description=(
        "independent runs of every variant and load level (vnetsim run --replications N): with N >= 2, "
        "replication r runs with seed splitmix64(seed, r) and each row gains 'replications', the mean and "
        "a 95 % Student-t interval of its headline figures (docs/results.md)"))
    variants: list[Variant] = VariantsField
    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What validation changed and the result must say (a warm-up scaled to fit the duration)."""
        return list(self._notes)

    @model_validator(mode="after")
    def _check(self) -> HostScenario:
        if self.duration <= 0:
            raise ValueError("duration must be > 0, e.g. '100ms'")
        if self.warmup >= self.duration:
            self._scale_warmup()
        if self.throughput.trial is not None and self.throughput.trial <= self.warmup:
            raise ValueError("throughput.trial must be longer than warmup")
        vms = {v.name for v in self.host.vms}
        for g in self.traffic.flows:
            if g.vm is not None and g.vm != "*" and g.vm not in vms:
                raise ValueError(f"flow group {g.name!r} is for VM {g.vm!r}, but the VMs are {sorted(vms)}")
            if g.queue is not None and g.queue >= self.host.pnic.rx_queues:
                raise ValueError(f"flow group {g.name!r} is pinned to queue {g.queue}, but the pNIC has "
                                 f"{self.host.pnic.rx_queues} RX queues (0..{self.host.pnic.rx_queues - 1})")
        self._check_run_length()
        return self

    def _scale_warmup(self) -> None:
        """A warm-up not shorter than the run (typically ``--duration`` below the file's warm-up) is
        scaled to ``WARMUP_SHARE`` of the duration, and a note says so (docs/models/host.md)."""
        scaled = WARMUP_SHARE * self.duration
        self._notes.append(f"warmup: {format_duration_ns(self.warmup)} is not shorter than duration "
                           f"({format_duration_ns(self.duration)}), so the warm-up was scaled to "
                           f"{WARMUP_SHARE:.0%} of the duration, {format_duration_ns(scaled)}; a shorter warm-up "
                           "may not reach steady state: lengthen duration beyond the warm-up, or set warmup "
                           "(e.g. --set warmup=...) to choose it")
        object.__setattr__(self, "warmup", scaled)   # frozen model: set once, here, during validation

    def packets_estimate(self) -> tuple[float, str]:
        """(packets, how they add up) a ``vnetsim run`` of this variant offers: every load level (or
        the flows' own rates) for ``duration``, plus the zero-loss search's trials when enabled
        (each at most line rate, one per halving of the bracket down to the resolution)."""
        pps, frame = offered_pps_estimate(self.traffic)
        seconds = self.duration / 1e9
        levels = [load.to_pps(frame, WIRE_GAP_BYTES) for load in self.loads] if self.loads else [pps]
        packets = sum(levels) * seconds
        what = (f"{len(levels)} load levels up to {format_rate(max(levels), 'pps')}" if len(levels) > 1
                else f"{format_rate(levels[0], 'pps')}")
        if self.throughput.enabled:
            trial = (self.throughput.trial or self.duration) / 1e9
            trials = min(20, 1 + math.ceil(math.log2(1.0 / self.throughput.resolution)))
            line_pps = Rate(self.host.pnic.line_rate, "bps").to_pps(frame, WIRE_GAP_BYTES)
            packets += trials * trial * line_pps
            what += f" plus {trials} zero-loss trials at up to {format_rate(line_pps, 'pps')}"
        return packets, what

    def _check_run_length(self) -> None:
        packets, what = self.packets_estimate()
        if packets > self.limits.max_packets:
            raise ValueError(long_run_message(packets, what, self.duration, self.limits.max_packets))


def long_run_message(packets: float, what: str, duration_ns: float, limit: float,
                     packets_per_s: float = HOST_PACKETS_PER_S, engine: str = "the host path") -> str:
    """The one line that refuses a run longer than ``limits.max_packets``."""
    return (f"duration: {duration_ns / 1e9:g} s at {what} is about {packets:.3g} packets, about "
            f"{format_seconds(packets / packets_per_s)} at {engine}'s {packets_per_s / 1e6:g} M packets/s "
            f"per core, over limits.max_packets ({limit:.3g}); shorten duration, lower the rates, or raise "
            f"limits.max_packets, e.g. --set limits.max_packets={max(packets * 1.01, 1):.2g}")

