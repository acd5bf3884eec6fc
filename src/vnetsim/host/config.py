"""Scenario models for the host data path: pNIC, host threads and cores, vSwitch, VMs.

Every default names its source (docs/references.md, or the cited document);
docs/models/host.md lists them with their confidence. Costs may be written in ns or in
cycles of the host clock (``cpu_clock``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vnetsim.engine.ring_server import ITR_START_US
from vnetsim.host.answer import Forward, Respond
from vnetsim.host.drivers import ADAPTIVE_ALGORITHMS, PNIC_PROFILES, VNIC_PROFILES
from vnetsim.host.sockets import SocketCosts
from vnetsim.nic import OffloadConfig, OffloadCostConfig, OverlayConfig, SteeringConfig
from vnetsim.units import Cost, parse_cost
from vnetsim.units.fields import BitRateBps, Bytes, CostSpec, DurationNs, FrequencyHz


class Strict(BaseModel):
    # NaN and infinities are no value for any float field: refused at validation
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MIN_CPU_CLOCK_HZ = 1e6      # 1 MHz: below it no core of a virtualized host exists
MAX_CPU_CLOCK_HZ = 1e11     # 100 GHz: above any CPU clock
MAX_VMS = 1024             # ESXi 8 configuration maximum: virtual machines per host
MAX_VCPUS = 4096           # ESXi 8 configuration maximum: virtual CPUs per host
MIN_LINE_RATE_BPS = 1e6     # 1 Mb/s: the slowest Ethernet port (10BASE-T is 10 Mb/s)


# --- interrupt moderation ----------------------------------------------------------------------

class Coalescing(Strict):
    """When a device raises its interrupt for pending packets (docs/models/engine.md).

    - ``off``: at once, for every packet found pending (VMXNET3 "disabled", ethtool rx-usecs 0).
    - ``rate``: at most ``rate`` interrupts per second, a pending packet waits for the next slot
      (VMXNET3 "rbc", default 4000/s, range 100-100,000; ixgbe/i40e ITR).
    - ``timer``: ``usecs`` after the first pending packet or when ``frames`` are pending, whichever
      comes first (ethtool rx-usecs / rx-frames; mlx5 16 us / 32 packets).
    - ``static``: when ``frames`` packets are pending, but never later than 4 ms after the first
      (VMXNET3 "static", 1-64 packets, default 64).
    - ``adaptive``: a rate limit that follows the traffic (the drivers' dynamic ITR): the minimum
      interval between interrupts moves one level at a time among ``levels`` as the bytes taken
      per microsecond cross ``thresholds_bpus``; ``algorithm`` names a driver's levels
      (``ixgbe-aim``: 10/50/84 us, 10 and 20 B/us, smoothed; vnetsim.host.drivers), or
      ``ixgbe-itr``, ixgbe's packet-count dynamic ITR since Linux 4.17 (no levels: the interval
      follows the packets per interrupt, 10-126 us).
    """

    scheme: Literal["off", "rate", "timer", "static", "adaptive"] = "off"
    rate: FrequencyHz | None = Field(None, description="interrupts per second (scheme rate)")
    usecs: DurationNs | None = Field(None, description="delay after the first pending packet (scheme timer)")
    frames: int | None = Field(None, ge=1, le=65536, description="pending packets that trigger the interrupt")
    algorithm: Literal["ixgbe-aim", "ixgbe-itr"] | None = Field(
        None, description="scheme adaptive: ixgbe-aim (the three levels of ixgbe before Linux 4.17, the "
        "default) or ixgbe-itr (ixgbe's packet-count dynamic ITR since 4.17, no levels)")
    levels: list[DurationNs] | None = Field(None, min_length=1, max_length=16, description="scheme adaptive: "
                                            "minimum interrupt intervals, lowest latency first (e.g. "
                                            "[10us, 50us, 84us])")
    thresholds_bpus: list[float] | None = Field(None, description="scheme adaptive: bytes per microsecond "
                                                "between the levels, one fewer than levels (e.g. [10, 20])")
    smoothing: bool | None = Field(None, description="scheme adaptive: smooth each change exponentially "
                                   "(ixgbe_set_itr)")

    @model_validator(mode="after")
    def _check(self) -> Coalescing:
        if self.scheme == "rate" and (self.rate is None or self.rate <= 0):
            raise ValueError("scheme 'rate' needs rate > 0, e.g. rate: 4000/s")
        if self.scheme == "rate" and self.rate is not None and not 100 <= self.rate <= 1_000_000:
            raise ValueError("rate must be between 100/s and 1000000/s")
        if self.scheme == "timer" and self.usecs is None and self.frames is None:
            raise ValueError("scheme 'timer' needs usecs and/or frames, e.g. usecs: 16us, frames: 32")
        if self.scheme == "static" and self.frames is not None and self.frames > 64:
            raise ValueError("VMXNET3 static coalescing queues 1 to 64 packets")
        adaptive_fields = (self.algorithm, self.levels, self.thresholds_bpus, self.smoothing)
        if self.scheme != "adaptive" and any(f is not None for f in adaptive_fields):
            raise ValueError("algorithm, levels, thresholds_bpus and smoothing belong to scheme 'adaptive'")
        if self.scheme == "adaptive" and self.algorithm == "ixgbe-itr":
            if any(f is not None for f in adaptive_fields[1:]):
                raise ValueError("algorithm ixgbe-itr has no levels, thresholds_bpus or smoothing; remove them "
                                 "or use algorithm ixgbe-aim")
        elif self.scheme == "adaptive":
            levels, thresholds, _ = self.adaptive()
            if not all(x > 0 for x in levels):
                raise ValueError("every adaptive level must be an interval > 0, e.g. levels: [10us, 50us, 84us]")
            if len(thresholds) != len(levels) - 1:
                raise ValueError(f"{len(levels)} adaptive levels need {len(levels) - 1} thresholds_bpus, "
                                 f"got {len(thresholds)}")
            if any(not t >= 0 for t in thresholds) or any(b < a for a, b in zip(thresholds, thresholds[1:])):
                raise ValueError("thresholds_bpus must be >= 0 and must not decrease")
        return self

    def adaptive(self) -> tuple[tuple[float, ...], tuple[float, ...], bool]:
        """Scheme adaptive: (levels in ns, thresholds in B/us, smoothing), the named algorithm's
        values where the scenario leaves them unset."""
        algo = ADAPTIVE_ALGORITHMS[self.algorithm or "ixgbe-aim"]
        levels = tuple(self.levels) if self.levels is not None else tuple(1e3 * u for u in algo.levels_us)
        if self.thresholds_bpus is not None:
            thresholds = tuple(self.thresholds_bpus)
        elif self.levels is not None and len(self.levels) != len(algo.levels_us):
            thresholds = ()      # own levels of another count: their thresholds must be given
        else:
            thresholds = algo.thresholds_bpus
        return levels, thresholds, algo.smoothing if self.smoothing is None else self.smoothing

    def adaptive_kind(self) -> str:
        """The ring server's adaptive algorithm for this scheme: "levels" or "ixgbe-itr"."""
        return ADAPTIVE_ALGORITHMS[self.algorithm or "ixgbe-aim"].kind

    def moderation(self) -> tuple[float, int, float]:
        """(delay_ns, frames, min_interval_ns) of the ring-server interrupt rule."""
        if self.scheme == "rate" and self.rate is not None:
            return 0.0, 1, 1e9 / self.rate
        if self.scheme == "timer":
            delay = self.usecs if self.usecs is not None else float("inf")
            return delay, self.frames or 0, 0.0
        if self.scheme == "static":
            return 4e6, self.frames or 64, 0.0
        if self.scheme == "adaptive":    # the start level's interval (the ring server moves it)
            levels = self.adaptive()[0]
            if not levels:               # ixgbe-itr: from 50 us (IXGBE_20K_ITR)
                return 0.0, 1, 1e3 * ITR_START_US
            return 0.0, 1, levels[(len(levels) - 1) // 2]
        return 0.0, 1, 0.0


def coalescing(scheme: str, **kw) -> Coalescing:
    return Coalescing(scheme=scheme, **kw)


# --- how a core serves its rings ---------------------------------------------------------------

class CState(Strict):
    name: str = "C"
    exit_latency: DurationNs
    target_residency: DurationNs


# intel_idle (drivers/idle/intel_idle.c): (name, exit latency ns, target residency ns) of
# skx_cstates (Skylake/Cascade Lake server), icx_cstates (Ice Lake server), spr_cstates (Sapphire
# and Emerald Rapids); "c1" and "c1e" are the first states of skx_cstates.
CSTATE_TABLES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "none": (),
    "c1": (("C1", 2e3, 2e3),),
    "c1e": (("C1", 2e3, 2e3), ("C1E", 10e3, 20e3)),
    "skx": (("C1", 2e3, 2e3), ("C1E", 10e3, 20e3), ("C6", 133e3, 600e3)),
    "icx": (("C1", 1e3, 1e3), ("C1E", 4e3, 4e3), ("C6", 170e3, 600e3)),
    "spr": (("C1", 1e3, 1e3), ("C1E", 2e3, 4e3), ("C6", 290e3, 800e3)),
}
CPU_MODELS = ("skx", "icx", "spr")
CStateTable = Literal["none", "c1", "c1e", "skx", "icx", "spr"]


class Hybrid(Strict):
    """Poll, then back off to interrupts when idle.

    ``l3fwd-power`` (DPDK examples/l3fwd-power): after 10 empty polls pause 1 us between polls,
    after 300 arm the interrupt and block; the pause is ``rte_delay_us``, by default
    ``rte_delay_us_block``, a busy-wait: the core stays in C0 and its time is spin, not idle.
    ``sleep``: the same loop with a real sleep (nanosleep, epoll_wait with a timeout): the
    requested 1 us becomes 50 us (Linux's default timer slack), the core may enter a C-state and
    pays a wake-up after each sleep. ``busy-poll`` (Linux net.core.busy_poll): the socket keeps
    polling the NAPI context for 50 us after the last packet, then arms the interrupt and blocks;
    the kernel stack still runs, so the driver's per-packet cost is interrupt mode's.
    """

    style: Literal["l3fwd-power", "sleep", "busy-poll"] = "l3fwd-power"
    sleep_after_empty_polls: int | None = Field(None, ge=0)
    sleep: DurationNs | None = None
    block_after_empty_polls: int | None = Field(None, ge=0)
    block_after_idle: DurationNs | None = None

    def resolved(self) -> tuple[int, float, int, float]:
        if self.style == "l3fwd-power":
            base = (10, 1e3, 300, 0.0)
        elif self.style == "sleep":
            base = (10, TIMER_SLACK_NS, 300, 0.0)
        else:
            base = (0, 0.0, 0, 50e3)
        given = (self.sleep_after_empty_polls, self.sleep, self.block_after_empty_polls, self.block_after_idle)
        out = tuple(b if g is None else g for b, g in zip(base, given))
        if out[2] == 0 and out[3] == 0:
            raise ValueError("a hybrid core must block at some point: set block_after_empty_polls or block_after_idle")
        return out  # type: ignore[return-value]

    def sleep_spins(self) -> bool:
        """Whether the short sleep busy-waits (DPDK's rte_delay_us_block) rather than sleeping."""
        return self.style == "l3fwd-power"


TIMER_SLACK_NS = 50e3   # Linux's default timer slack (prctl PR_SET_TIMERSLACK): a short sleep lasts >= 50 us


class Service(Strict):
    """How a core serves descriptor rings: interrupt-driven NAPI, a poll-mode driver, or hybrid.

    Unset costs take the defaults of the mode and of the role (host thread or guest vCPU);
    see ``ROLE_DEFAULTS`` and docs/models/host.md.
    """

    mode: Literal["interrupt", "poll", "hybrid"] = "interrupt"
    batch: int | None = Field(None, ge=1, le=4096, description="packets per poll: NAPI budget "
                              "(dev_weight, 64) in interrupt mode, burst (32) in poll/hybrid mode")
    per_packet: CostSpec | None = Field(None, description="driver work per packet")
    per_byte: CostSpec | None = Field(None, description="driver work per byte (copies)")
    poll_cost: CostSpec | None = Field(None, description="fixed cost of a poll that finds packets")
    empty_poll_cost: CostSpec | None = Field(None, description="cost of a poll that finds nothing")
    irq_cost: CostSpec | None = Field(None, description="interrupt delivery and handler "
                                      "(or virtual interrupt injection)")
    wakeup: CostSpec | None = Field(None, description="waking the blocked thread / halted vCPU")
    cstates: CStateTable | list[CState] | None = Field(
        None, description="idle states of the core (exit latency, target residency); default: the host "
        "cpu_model's intel_idle table after max_cstate, cstate_latency_limit and power_policy")
    governor: Literal["menu", "menu-corrected", "oracle"] = Field(
        "menu-corrected", description="how an idle core picks its C-state: 'menu-corrected' (the default) is "
        "Linux's menu governor as the kernel runs it: the idle length predicted from the last 8 and from the "
        "next timer scaled by the correction factor it learns (how much the timer overestimates); 'menu' "
        "takes the correction factors as 1 (a pessimistic bound where idle periods spread widely); "
        "'oracle' knows the idle length")
    halt_poll: DurationNs | None = Field(None, description="spin this long before halting (KVM "
                                         "halt_poll_ns); default 200us for a guest on KVM (virtio vNIC), "
                                         "0 on ESXi and for host threads")
    hybrid: Hybrid = Field(default_factory=Hybrid)


# Per role and mode: (per_packet, poll_cost, empty_poll_cost, irq_cost, wakeup), as cost strings.
# Sources (docs/references.md): kernel per-packet RX ~500 cycles and DPDK ~50 cycles (Emmerich, 34C3);
# a poll's fixed cost and an empty poll: one cache miss, 32 ns (Brouer); thread wake-up: a pinned
# context switch, 1.1-1.9 us (tsuna) -> 1.5 us; a halted vCPU: unpinned, 3-4.5 us -> 3.75 us.
# The interrupt handler cost has no published figure here: 1 us is an assumption (low confidence).
ROLE_DEFAULTS: dict[tuple[str, str], tuple[str, str, str, str, str]] = {
    ("host", "interrupt"): ("500cycles", "32ns", "32ns", "1us", "1.5us"),
    ("host", "poll"): ("50cycles", "32ns", "32ns", "1us", "1.5us"),
    ("host", "hybrid"): ("50cycles", "32ns", "32ns", "1us", "1.5us"),
    ("guest", "interrupt"): ("500cycles", "32ns", "32ns", "1us", "3.75us"),
    ("guest", "poll"): ("50cycles", "32ns", "32ns", "1us", "3.75us"),
    ("guest", "hybrid"): ("50cycles", "32ns", "32ns", "1us", "3.75us"),
}
DEFAULT_BATCH = {"interrupt": 64, "poll": 32, "hybrid": 32}


def kernel_stack(service: Service) -> bool:
    """Whether packets go through the kernel's stack (interrupt mode, busy polling) rather than a PMD."""
    return service.mode == "interrupt" or (service.mode == "hybrid" and service.hybrid.style == "busy-poll")


def resolve_costs(service: Service, role: str) -> dict[str, Cost]:
    """The Service's costs, its role's and mode's defaults where unset. Busy polling runs the
    kernel stack (interrupt mode's per-packet cost); a guest's kernel stack copies each byte to
    the application (``COPY_PER_BYTE``), a PMD does not."""
    pp, poll, empty, irq, wake = ROLE_DEFAULTS[(role, service.mode)]
    if service.mode == "hybrid" and service.hybrid.style == "busy-poll":
        pp = ROLE_DEFAULTS[(role, "interrupt")][0]
    copy = parse_cost(COPY_PER_BYTE) if role == "guest" and kernel_stack(service) else Cost(0.0, "ns")
    return {
        "per_packet": service.per_packet or parse_cost(pp),
        "per_byte": service.per_byte or copy,
        "poll_cost": service.poll_cost or parse_cost(poll),
        "empty_poll_cost": service.empty_poll_cost or parse_cost(empty),
        "irq_cost": service.irq_cost or parse_cost(irq),
        "wakeup": service.wakeup or parse_cost(wake),
    }


# --- devices and stages ------------------------------------------------------------------------

def _with_udp_hash(rss, udp_hash: str):
    """An RSS setting (dict, model or None) with the driver's UDP hashing where it leaves it unset."""
    if rss is None:
        rss = {}
    if not isinstance(rss, dict):
        return rss                # a model already: its fields were set (or defaulted) by its author
    rss = dict(rss)
    fields = rss.get("fields")
    if fields is None or isinstance(fields, dict):
        fields = dict(fields or {})
        fields.setdefault("udp4", udp_hash)
        fields.setdefault("udp6", udp_hash)
        rss["fields"] = fields
    return rss


class Pnic(Strict):
    """The physical NIC's receive side: port, queues and rings, steering, overlay, offloads.

    ``driver`` fills in its profile's ring size, RX interrupt moderation and UDP RSS hashing where
    the scenario leaves them unset (vnetsim.host.drivers); what is written explicitly wins.
    """

    model: str = Field("generic-10G", description="a label for reports")
    driver: Literal["generic", "ixgbe", "i40e", "ice", "mlx5"] = Field(
        "generic", description="driver profile: its defaults for ring_size, coalescing and UDP RSS hashing "
        "(generic: a 10G NIC with ixgbe's, adaptive moderation included)")
    line_rate: BitRateBps = Field(10e9, description="port speed (default 10 Gb/s; "
                                  "at least 1 Mb/s)")
    rx_queues: int = Field(1, ge=1, le=256)
    ring_size: int = Field(512, ge=1, le=65536, description="RX descriptors per queue (default: the "
                           "driver's; ixgbe and i40e 512, ice 2048, mlx5 1024)")
    coalescing: Coalescing = Field(default_factory=lambda: Coalescing(scheme="adaptive", algorithm="ixgbe-aim"),
                                   description="RX interrupt moderation (default: the driver's; ixgbe's "
                                   "adaptive ITR, 10/50/84 us, starting at 50 us)")
    steering: SteeringConfig = Field(default_factory=lambda: SteeringConfig(mode="rss", queues=1),
                                     description="how a flow's headers pick its RX queue: 'rss' (Toeplitz, "
                                     "default), 'netqueue' (MAC/VLAN filters and a default queue, ESXi) or "
                                     "'single'; its queue count is rx_queues")
    overlay: OverlayConfig | None = Field(None, description="VXLAN/Geneve overlay: this host's VTEPs; flows "
                                          "arrive encapsulated (None: plain traffic)")
    offloads: OffloadConfig = Field(default_factory=OffloadConfig, description="offloads on or off "
                                    "(ethtool -k names)")
    offload_costs: OffloadCostConfig = Field(default_factory=OffloadCostConfig,
                                             description="CPU cost of the work offloads move")

    @field_validator("line_rate")
    @classmethod
    def _line_rate(cls, bps: float) -> float:
        if bps < MIN_LINE_RATE_BPS:
            raise ValueError(f"the port speed must be at least 1Mbps, got {bps:g} b/s; write e.g. 10Gbps")
        return bps

    @model_validator(mode="before")
    @classmethod
    def _queues_from_rx_queues(cls, data):
        """The steering's queue count is the port's rx_queues: one number, set in one place."""
        if isinstance(data, dict):
            data = dict(data)
            driver = data.get("driver", "generic")
            profile = PNIC_PROFILES.get(driver) if isinstance(driver, str) else None
            if profile is not None:   # an unknown driver (or not a name) is refused by the field itself
                data.setdefault("ring_size", profile.ring_size)
                data.setdefault("coalescing", dict(profile.coalescing))
            queues = data.get("rx_queues", 1)
            steering = data.get("steering")
            if steering is None:
                steering = {"mode": "rss"}
            if isinstance(steering, dict):
                steering = dict(steering)
                if profile is not None:
                    steering["rss"] = _with_udp_hash(steering.get("rss"), profile.udp_hash)
                if "queues" in steering and steering["queues"] != queues:
                    raise ValueError(f"steering.queues ({steering['queues']}) must equal rx_queues ({queues}); "
                                     "set rx_queues only")
                steering["queues"] = queues
                data["steering"] = steering
        return data


class VSwitch(Strict):
    """The virtual switch's work per packet, run by the host thread that polled the pNIC queue.

    Unset costs take the deployment's defaults (``VSWITCH_DEFAULTS``, docs/models/host.md,
    "Deployment shapes"): the standard vSwitch 400 cycles and a copy into guest memory, the
    poll-mode vSwitch 100 cycles and the copy, the vhost shape's bridge 400 cycles and no copy
    (the vhost thread copies).
    """

    per_packet: CostSpec | None = Field(None, description="switching work per packet (default per deployment: "
                                        "standard 400 cycles, poll-mode 100 cycles; assumptions, low confidence)")
    per_byte: CostSpec | None = Field(None, description="copy into the guest per byte (default: 0.079 ns/B, one "
                                      "core's copy bandwidth from the last-level cache, where the vSwitch copies)")


# Per deployment: (vSwitch per packet, per byte). 400 cycles: the kernel's skb handling (Emmerich) as a proxy
# for the standard vSwitch (assumption); 100 cycles: a poll-mode vSwitch 4x faster, the middle of VMware's
# "three to five times" for ENS over VDS (assumption); 0.079 ns/B: a copy at 12.7 GB/s, half the 25.3 GB/s of
# stream traffic one Ice Lake-SP core moves from L3 (kerncraft machine file), packets being in the LLC (DDIO).
COPY_PER_BYTE = "0.079ns"
VSWITCH_DEFAULTS: dict[str, tuple[str, str]] = {
    "vswitch": ("400cycles", COPY_PER_BYTE),
    "poll-vswitch": ("100cycles", COPY_PER_BYTE),
    "vhost": ("400cycles", "0ns"),
}


class DeviceTime(Strict):
    """The NIC's own time per packet and direction: its DMA over PCIe and its pipeline
    (``vnetsim.engine.device``): a FIFO at ``dma_rate``, then ``latency`` + ``per_byte_ns`` per byte.

    Defaults fit the median DMA read latencies of pcie-bench (Neugebauer et al., SIGCOMM 2018;
    NFP-6000 on a Xeon E5-2630 v4, PCIe Gen3 x8): 546 ns at 64 B, 1133 ns at 2048 B, i.e.
    527 ns + 0.296 ns/B, of which the link's data rate (63 Gb/s: 8 lanes at 8 GT/s, 128b/130b) is
    0.127 ns/B and the rest, 0.169 ns/B, pipelined. A faster port gets the narrowest wider link
    that carries its line rate (``resolved_rate``).
    """

    enabled: bool = Field(True, description="model the device time (false: the NIC hands packets over at once)")
    latency: DurationNs = Field(527.0, description="fixed latency per packet: NIC pipeline and one DMA round trip "
                                "(pcie-bench medians, intercept at 0 B)")
    per_byte_ns: float = Field(0.169, ge=0.0, le=1000.0, description="pipelined latency per byte beyond the "
                               "link's (pcie-bench slope 0.296 ns/B minus 8 / 63 Gb/s)")
    dma_rate: BitRateBps | None = Field(None, description="the DMA engine's data rate over PCIe, at least the "
                                        "port's line rate (default: the narrowest link that carries it: Gen3 x8 "
                                        "63 Gb/s, Gen3 x16 126 Gb/s, Gen4 x16 252 Gb/s, Gen5 x16 504 Gb/s)")

    def resolved_rate(self, line_rate_bps: float) -> float:
        """``dma_rate`` as written, else the narrowest PCIe link of ``PCIE_LINKS_BPS`` that carries
        the line rate (the line rate itself above them all)."""
        if self.dma_rate is not None:
            return self.dma_rate
        return next((r for r in PCIE_LINKS_BPS if r >= line_rate_bps), line_rate_bps)


# PCIe data rates after encoding (lanes x GT/s x 128/130): Gen3 x8 and x16, Gen4 x16, Gen5 x16
PCIE_LINKS_BPS = (8 * 8e9 * 128 / 130, 16 * 8e9 * 128 / 130, 16 * 16e9 * 128 / 130, 16 * 32e9 * 128 / 130)


class Virtualization(Strict):
    """What virtual interrupts cost besides the guest's handler (docs/models/host.md,
    "Virtualization costs")."""

    posted_interrupts: bool = Field(True, description="APICv / posted interrupts: a virtual interrupt and its "
                                    "EOI cause no VM exit (KVM enables APICv by default where the CPU has it)")
    vm_exit: CostSpec = Field(default_factory=lambda: parse_cost("1559cycles"),
                              description="one VM exit and re-entry (kvm-unit-tests vmcall on Skylake-SP, 1559 cycles)")
    exits_per_interrupt: int = Field(2, ge=0, le=16, description="exits per virtual interrupt without posted "
                                     "interrupts: delivery and EOI (assumption, low confidence)")
    notify: CostSpec = Field(default_factory=lambda: parse_cost("1000cycles"),
                             description="the host thread's cost to notify a vCPU (IPI or eventfd kick), charged "
                             "per host poll that fed an interrupt-driven vNIC (assumption, low confidence)")


class VhostThread(Strict):
    """The vhost-net worker of the ``vhost`` deployment: it takes packets from the tap device's
    queue and copies them into the guest's virtio ring (one thread and core per vNIC queue)."""

    per_packet: CostSpec = Field(default_factory=lambda: parse_cost("400cycles"),
                                 description="work per packet besides the copy (assumption: the kernel's ~400 "
                                 "cycles of skb handling, Emmerich; low confidence)")
    per_byte: CostSpec = Field(default_factory=lambda: parse_cost(COPY_PER_BYTE),
                               description="the copy into guest memory per byte (0.079 ns/B, as the vSwitch's)")
    queue_size: int = Field(500, ge=1, le=65536, description="packets the tap queue holds (TUN_READQ_SIZE 500)")
    batch: int = Field(256, ge=1, le=4096, description="packets per run of the worker (VHOST_NET_PKT_WEIGHT 256)")


class Vnic(Strict):
    """The VM's virtual NIC: its receive rings and how it notifies the guest."""

    type: Literal["vmxnet3", "virtio"] = "vmxnet3"
    queues: int = Field(1, ge=1, le=64)
    ring_size: int | None = Field(None, ge=1, le=8192, description="RX descriptors per queue "
                                  "(VMXNET3 1024, multiple of 32; virtio-net 256)")
    coalescing: Coalescing | None = Field(None, description="virtual interrupt coalescing "
                                          "(VMXNET3 default: rbc, 4000/s; virtio: off)")

    @model_validator(mode="after")
    def _check(self) -> Vnic:
        if self.type == "vmxnet3" and self.ring_size is not None and self.ring_size % 32:
            raise ValueError("a VMXNET3 ring size must be a multiple of 32 (VMXNET3_RING_SIZE_ALIGN)")
        if self.type == "virtio" and self.ring_size is not None and self.ring_size < 256:
            raise ValueError("a virtio-net queue holds at least 256 descriptors (QEMU)")
        return self

    def resolved_ring_size(self) -> int:
        """The ring size as written, else the vNIC type's (vnetsim.host.drivers: VMXNET3 1024, virtio 256)."""
        return self.ring_size or VNIC_PROFILES[self.type].ring_size

    def resolved_coalescing(self) -> Coalescing:
        """The coalescing as written, else the vNIC type's (VMXNET3 rbc 4000/s, virtio off)."""
        if self.coalescing is not None:
            return self.coalescing
        return Coalescing(**VNIC_PROFILES[self.type].coalescing)


class App(Strict):
    """The application in the guest (e.g. GTP-U decapsulation and forwarding in a PGW); with
    ``respond`` it answers each request, with ``forward`` it sends every packet back out
    (``vnetsim.host.answer``; docs/models/host.md, "Transmit path and round trips")."""

    per_packet: CostSpec = Field(default_factory=lambda: Cost(0.0, "ns"))
    per_byte: CostSpec = Field(default_factory=lambda: Cost(0.0, "ns"))
    respond: Respond | None = Field(None, description="answer each request (ping, UDP/TCP request/response): "
                                    "the result gains the round trip")
    forward: Forward | None = Field(None, description="send every packet back out (a VNF: l3fwd, a gateway), "
                                    "with DPDK's TX batching")
    socket: SocketCosts = Field(default_factory=SocketCosts, description="a socket application's own costs per "
                                "request (protocol above the driver, system calls, copies, its thread's wake-up), "
                                "paid by an application that answers (respond, by socket) on a kernel stack "
                                "(interrupt mode or busy polling); never by a poll-mode (DPDK) one "
                                "(vnetsim.host.sockets)")

    @model_validator(mode="after")
    def _one_answer(self) -> App:
        if self.respond is not None and self.forward is not None:
            raise ValueError("an application either answers (respond) or forwards (forward), not both; keep one")
        if "socket" in self.model_fields_set and (self.respond is None or self.respond.by != "socket"):
            raise ValueError("socket: only an application that answers through a socket (respond, by: socket) pays "
                             "socket costs; remove app.socket or add app.respond")
        return self

    def socket_costs(self, kernel: bool) -> SocketCosts | None:
        """The socket costs this application pays on a core that runs the kernel's stack (``kernel``) or
        a PMD: its own where it answers through a socket on a kernel stack, else None."""
        if kernel and self.respond is not None and self.respond.by == "socket":
            return self.socket
        return None


class Guest(Strict):
    vcpus: int = Field(1, ge=1, le=256, description="vCPUs serving the vNIC queues (queue q -> vCPU q mod vcpus)")
    service: Service = Field(default_factory=Service)
    app: App = Field(default_factory=App)


class TxTraffic(Strict):
    """What the VM transmits: application sends that the host's TX thread for this VM segments,
    checksums and encapsulates in software, or hands to the NIC's offloads."""

    rate: BitRateBps = Field(description="payload bits per second the application sends, e.g. 5Gbps")
    send_bytes: Bytes = Field(65536, ge=1, description="bytes per application send (64 KiB: a full TSO "
                              "super-packet, Linux GSO_MAX_SIZE)")
    protocol: Literal["tcp", "udp"] = "tcp"


class Vm(Strict):
    name: str = "vm0"
    vnic: Vnic = Field(default_factory=Vnic)
    guest: Guest = Field(default_factory=Guest)
    tx: TxTraffic | None = Field(None, description="traffic the VM sends (its TX CPU cost, with and without "
                                 "offloads)")


class Host(Strict):
    """An ESXi-like host: pNIC queues served by host threads, a vSwitch, and VMs."""

    profile: str | None = Field(None, description="a calibration profile (vnetsim calibrate --out FILE): its host "
                                "settings are the defaults this host starts from; a path relative to the scenario file")
    cpu_clock: FrequencyHz = Field(2.3e9, description="clock that converts cycles to time (Xeon "
                                   "E5-2658 v4 base clock, the CPU named in the seed post); 1 MHz to 100 GHz")
    pnic: Pnic = Field(default_factory=Pnic)
    cores: int | None = Field(None, ge=1, le=256, description="host cores running the RX threads "
                              "(default: one per pNIC queue; queue q -> core q mod cores)")
    service: Service = Field(default_factory=Service, description="how the host threads serve pNIC queues")
    vswitch: VSwitch = Field(default_factory=VSwitch)
    deployment: Literal["vswitch", "bare-metal", "poll-vswitch", "sriov", "vhost"] = Field(
        "vswitch", description="how the traffic reaches the application (docs/models/host.md, Deployment shapes): "
        "'vswitch' VMs on the standard vSwitch; 'bare-metal' no VM, the host's stack or a DPDK app (host.app); "
        "'poll-vswitch' a poll-mode vSwitch on dedicated cores; 'sriov' a virtual function in each VM; "
        "'vhost' virtio-net with a vhost thread")
    device: DeviceTime = Field(default_factory=DeviceTime, description="the NIC's DMA and pipeline time per packet")
    virtualization: Virtualization = Field(default_factory=Virtualization,
                                           description="virtual interrupt costs: exits, posted interrupts, notify")
    vhost: VhostThread | None = Field(None, description="the vhost worker (deployment 'vhost'; defaults if unset)")
    app: App | None = Field(None, description="the bare-metal application (deployment 'bare-metal')")
    cpu_model: Literal["skx", "icx", "spr"] = Field("skx", description="the CPU's intel_idle C-state table: "
                                                    "Skylake/Cascade Lake-SP, Ice Lake-SP, Sapphire/Emerald Rapids")
    max_cstate: int | None = Field(None, ge=1, le=8, description="use only the first N C-states "
                                   "(intel_idle.max_cstate=N; 1 = C1 only)")
    cstate_latency_limit: DurationNs | None = Field(None, description="no C-state whose exit latency exceeds "
                                                    "this (PM QoS resume latency, ESXi Power.CStateMaxLatency)")
    power_policy: Literal["balanced", "high-performance"] = Field(
        "balanced", description="ESXi CPU power policy: 'balanced' (default) uses the C-state table, "
        "'high-performance' only C1")
    latency_sensitivity: Literal["normal", "high"] = Field(
        "normal", description="'high': virtual interrupt coalescing off, a dedicated core per queue, "
        "vCPUs pinned (no deep C-states, pinned wake-up) - the vCloud NFV guide preset")
    vms: list[Vm] = Field(default_factory=lambda: [Vm()], min_length=1, max_length=MAX_VMS,
                          description="the VMs (at most 1024 VMs and 4096 vCPUs, ESXi 8's per-host maxima)")

    @field_validator("cpu_clock")
    @classmethod
    def _clock(cls, hz: float) -> float:
        if not MIN_CPU_CLOCK_HZ <= hz <= MAX_CPU_CLOCK_HZ:
            raise ValueError(f"the CPU clock must be between 1MHz and 100GHz (it converts cycles to time), "
                             f"got {hz:g} Hz; write e.g. 2.3GHz")
        return hz

    @model_validator(mode="after")
    def _unique_vms(self) -> Host:
        names = [v.name for v in self.vms]
        if len(set(names)) != len(names):
            raise ValueError("VM names must be unique")
        vcpus = sum(v.guest.vcpus for v in self.vms)
        if vcpus > MAX_VCPUS:
            raise ValueError(f"the VMs have {vcpus} vCPUs together, more than the {MAX_VCPUS} a host runs "
                             "(ESXi configuration maximum); use fewer VMs or vCPUs")
        return self

    @model_validator(mode="after")
    def _deployment(self) -> Host:
        """Settings that mean nothing in this deployment are refused, one line each."""
        shape, given = self.deployment, self.model_fields_set
        rate = self.device.dma_rate
        if self.device.enabled and rate is not None and rate < self.pnic.line_rate:
            raise ValueError(f"device.dma_rate ({rate / 1e9:g} Gb/s) is below the port's line rate "
                             f"({self.pnic.line_rate / 1e9:g} Gb/s): the DMA queue would grow without bound; raise it, "
                             "or leave it unset for the narrowest PCIe link that carries the line rate")
        if shape == "bare-metal":
            for name, what in (("vms", "runs no VMs (its application is host.app)"), ("vswitch", "has no vSwitch"),
                               ("latency_sensitivity", "has no VM to make latency-sensitive"),
                               ("virtualization", "has no virtual interrupts")):
                if name in given:
                    raise ValueError(f"{name}: a bare-metal host {what}; remove it or choose another deployment")
        elif "app" in given:
            raise ValueError("app: host.app is the bare-metal application; a VM's is vms[i].guest.app")
        if shape == "sriov" and "vswitch" in given:
            raise ValueError("vswitch: with SR-IOV the VF's packets bypass the vSwitch; remove it")
        if shape == "sriov":
            for i, vm in enumerate(self.vms):
                for name in ("type", "ring_size", "coalescing"):
                    if name in vm.vnic.model_fields_set:
                        raise ValueError(f"vms[{i}].vnic.{name}: a virtual function's rings are the pNIC's (set "
                                         "host.pnic.ring_size and coalescing; vnic.queues is the VF's queue count)")
        if shape == "poll-vswitch" and "mode" in self.service.model_fields_set and self.service.mode != "poll":
            raise ValueError(f"service.mode: a poll-mode vSwitch polls (got {self.service.mode!r}); remove it")
        if shape == "vhost":
            for i, vm in enumerate(self.vms):
                if vm.vnic.type != "virtio" and "type" in vm.vnic.model_fields_set:
                    raise ValueError(f"vms[{i}].vnic.type: a vhost worker serves virtio-net vNICs; remove it or "
                                     "write virtio")
        elif self.vhost is not None:
            raise ValueError("vhost: the vhost worker exists only in deployment 'vhost'")
        return self
