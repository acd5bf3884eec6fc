"""The stage plans a host path is built from (``HostPlan.receive`` and ``transmit``): ring stages
(cores serving descriptor rings), the NIC's device time, and the protocol any other stage plan
meets (``PathStagePlan``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from vnetsim.engine.device import DeviceStage, DeviceStats
from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.ring_server import CoreSpec, RingServer, RingSpec
from vnetsim.engine.stage import RingStage, RingStats


@dataclass
class StagePlan:
    """One ring-server stage: its cores and rings, with display names."""

    cores: list[CoreSpec]
    rings: list[RingSpec]
    core_names: list[str]
    ring_names: list[str]


@dataclass
class RingStagePlan(StagePlan):
    """A ring-server stage of the receive path, ready to build: its cores and rings, which ring each
    flow lands on, what each packet costs there, and the names its two latencies are reported under.

    ``role`` says whose CPUs serve it: ``"host"`` (the hypervisor's or a bare-metal host's cores)
    or ``"guest"`` (a VM's vCPUs); the CPU table and the warnings group cores by it. ``reserved``
    marks cores dedicated to the stage (a poll-mode vSwitch's, a latency-sensitive VM's): the CPU
    table books their time without work as ``reserved``, not ``idle``.
    """

    ring_of_flow: np.ndarray                  # per flow: global ring index
    work_ns: tuple[np.ndarray, np.ndarray]    # per flow: (per packet, per byte) work of the serving core
    wait_name: str                            # latency of waiting in the ring, e.g. "pnic_ring"
    work_name: str                            # latency of the core's work, e.g. "vswitch"
    role: str = "host"
    reserved: list[bool] | None = None        # per core: reserved for this stage (its idle time is not free)

    def build(self, t_lo: float, t_end: float) -> RingStage:
        """The engine stage (statistics window ``[t_lo, t_end]``)."""
        return RingStage(RingServer(self.cores, self.rings, t_lo, t_end, detail=False), self.ring_of_flow,
                         self.work_ns[0], self.work_ns[1], self.wait_name)

    def report(self, stats: RingStats) -> tuple[dict[str, LogHistogram], dict[str, int]]:
        """(latency histograms by name, window drops by name) of the built stage's ``stats()``."""
        return {self.wait_name: stats.wait, self.work_name: stats.work}, \
            {self.wait_name: int(stats.rings["window_drops"].sum())}


class PathStagePlan(Protocol):
    """What the host path needs of any stage plan in ``HostPlan.receive``: ring stages
    (``RingStagePlan``) and any other engine stage (a device's DMA time, a TX wire...).

    ``build`` makes the engine stage for the statistics window; ``report`` names what its
    ``stats()`` says: latency histograms (reported under ``stage_latency_ns``, in path order) and
    window drops (``drops_by_stage``). Only ring stages have cores and rings (CPU and queue tables).
    """

    def build(self, t_lo: float, t_end: float) -> Any: ...

    def report(self, stats: Any) -> tuple[dict[str, LogHistogram], dict[str, int]]: ...



@dataclass
class DeviceStagePlan:
    """The NIC's device time for one direction (``vnetsim.engine.device``): a DMA FIFO at
    ``rate_bps`` plus ``latency_ns`` and ``per_byte_ns`` per byte, in order. Its latency is reported
    under ``name`` (``nic_dma`` on receive); it never drops. Usable on transmit as well."""

    rate_bps: float
    latency_ns: float
    per_byte_ns: float
    name: str = "nic_dma"

    def build(self, t_lo: float, t_end: float) -> DeviceStage:
        return DeviceStage(self.rate_bps, self.latency_ns, self.per_byte_ns, stat_lo_ns=t_lo, stat_hi_ns=t_end,
                           name=self.name)

    def report(self, stats: DeviceStats) -> tuple[dict[str, LogHistogram], dict[str, int]]:
        return {self.name: stats.latency}, {}
