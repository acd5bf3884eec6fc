"""The host scenario: run settings, traffic, the host, and variants to compare."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vnetsim.host.config import Host
from vnetsim.scenario.base import Variant, VariantsField
from vnetsim.traffic.config import TrafficConfig
from vnetsim.units import DurationNs, RateSpec


class ThroughputSearch(BaseModel):
    """Also search each variant's zero-loss throughput during ``vnetsim run`` (RFC 2544 style)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    trial: DurationNs | None = Field(None, description="simulated time per trial (default: duration)")
    resolution: float = Field(0.005, gt=0, le=0.5, description="stop when the bracket is this fraction of line rate")


class Report(BaseModel):
    """What the result lists besides the figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flow_listing: int = Field(64, ge=0, le=1_000_000, description="flows listed with their queue and core")


class HostScenario(BaseModel):
    """Traffic into one host: the pNIC, the host's RX threads, the vSwitch and the VMs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "scenario"
    description: str = ""
    seed: int = Field(1, ge=0, description="one seed makes the run reproducible bit for bit")
    duration: DurationNs = Field(100e6, description="simulated time (default 100ms)")
    warmup: DurationNs = Field(0.0, description="start of the statistics window (default 0)")
    chunk_packets: int = Field(65_536, ge=1000, le=50_000_000,
                               description="packets per streaming chunk: bounds memory, not results")
    traffic: TrafficConfig
    host: Host = Field(default_factory=Host)
    loads: list[RateSpec] = Field(default_factory=list, description="run every variant at each of these "
                                  "total offered rates (all flows scaled together), e.g. [50kpps, 2Mpps]")
    throughput: ThroughputSearch = Field(default_factory=ThroughputSearch)
    report: Report = Field(default_factory=Report)
    variants: list[Variant] = VariantsField

    @model_validator(mode="after")
    def _check(self) -> HostScenario:
        if self.duration <= 0:
            raise ValueError("duration must be > 0, e.g. '100ms'")
        if self.warmup >= self.duration:
            raise ValueError("warmup must be shorter than duration")
        if self.throughput.trial is not None and self.throughput.trial <= self.warmup:
            raise ValueError("throughput.trial must be longer than warmup")
        vms = {v.name for v in self.host.vms}
        for g in self.traffic.flows:
            if g.vm is not None and g.vm != "*" and g.vm not in vms:
                raise ValueError(f"flow group {g.name!r} is for VM {g.vm!r}, but the VMs are {sorted(vms)}")
            if g.queue is not None and g.queue >= self.host.pnic.rx_queues:
                raise ValueError(f"flow group {g.name!r} is pinned to queue {g.queue}, but the pNIC has "
                                 f"{self.host.pnic.rx_queues} RX queues (0..{self.host.pnic.rx_queues - 1})")
        return self

