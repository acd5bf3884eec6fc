"""How a core serves its rings, compiled: a scenario's ``Service`` (and its ring moderation) turned
into the engine's ``CoreSpec`` and ``RingSpec``, with each role's and mode's defaults filled in.

Idle behaviour (C-states, governor, halt-polling) comes from ``vnetsim.host.idle``; given the
``host`` (and a guest's ``vm``), its CPU model, limits and power policy apply."""

from __future__ import annotations

from typing import Any

from vnetsim.engine.ring_server import CoreSpec, RingSpec
from vnetsim.host.config import DEFAULT_BATCH, Coalescing, Service, resolve_costs
from vnetsim.host.idle import idle_settings
from vnetsim.units import Cost


def cost_ns(cost: Cost, cpu_hz: float) -> float:
    """A cost in ns (cycles converted at the host's clock)."""
    return cost.to_ns(cpu_hz)


MIN_EMPTY_POLL_NS = 1.0   # a poll reads the ring: at least a few cycles (the default is 32 ns, one cache miss)


def core_spec(service: Service, role: str, cpu_hz: float, cstates_override: str | None = None,
              wakeup_override_ns: float | None = None, field: str = "service", *, host: Any = None,
              vm: Any = None) -> tuple[CoreSpec, float, float]:
    """The engine's CoreSpec for a Service, plus the driver's (per packet, per byte) work in ns;
    ``field`` names the Service in messages. ``host`` (the scenario's Host) and, for a guest, its
    ``vm`` select the C-state table, its limits and halt-polling (``vnetsim.host.idle``)."""
    costs = resolve_costs(service, role)
    idle = idle_settings(service, role, host, vm, cstates_override)
    sleep_after, sleep_ns, block_polls, block_idle = (0, 0.0, 0, 0.0)
    if service.mode == "hybrid":
        sleep_after, sleep_ns, block_polls, block_idle = service.hybrid.resolved()
    empty = cost_ns(costs["empty_poll_cost"], cpu_hz)
    if service.mode in ("poll", "hybrid") and not empty >= MIN_EMPTY_POLL_NS:
        raise ValueError(f"{field}.empty_poll_cost: a poll that finds nothing must cost at least 1ns in poll and "
                         f"hybrid modes (a spinning core repeats it), got {empty:.3g} ns")
    spec = CoreSpec(
        mode=service.mode,
        batch=service.batch or DEFAULT_BATCH[service.mode],
        poll_cost_ns=cost_ns(costs["poll_cost"], cpu_hz),
        empty_poll_cost_ns=empty,
        irq_cost_ns=cost_ns(costs["irq_cost"], cpu_hz),
        wakeup_ns=wakeup_override_ns if wakeup_override_ns is not None else cost_ns(costs["wakeup"], cpu_hz),
        cstates=idle.cstates,
        sleep_after_empty_polls=sleep_after,
        sleep_ns=sleep_ns,
        block_after_empty_polls=block_polls,
        block_after_idle_ns=block_idle,
        governor=idle.governor,
        halt_poll_ns=idle.halt_poll_ns,
        sleep_spins=service.mode == "hybrid" and service.hybrid.sleep_spins(),
        sleep_wakeup=service.mode == "hybrid" and service.hybrid.style == "sleep",
    )
    return spec, cost_ns(costs["per_packet"], cpu_hz), cost_ns(costs["per_byte"], cpu_hz)


def ring_spec(capacity: int, core: int, moderation: Coalescing, line_rate_bps: float = 10e9) -> RingSpec:
    """The engine's RingSpec: capacity, serving core and interrupt moderation (an adaptive scheme's
    levels in ns, thresholds in bytes per microsecond, smoothing; or the packet-count ITR, whose
    size formula scales otherwise on a link of 2.5 Gb/s or below, as ixgbe's does)."""
    delay, frames, min_interval = moderation.moderation()
    levels: tuple[float, ...] = ()
    thresholds: tuple[float, ...] = ()
    smoothing = False
    kind = "levels"
    if moderation.scheme == "adaptive":
        levels, thresholds, smoothing = moderation.adaptive()
        kind = moderation.adaptive_kind()
    return RingSpec(capacity=capacity, core=core, coalesce_delay_ns=delay, coalesce_frames=frames,
                    coalesce_min_interval_ns=min_interval, adaptive_levels_ns=levels,
                    adaptive_thresholds_bpus=thresholds, adaptive_smoothing=smoothing, adaptive_algorithm=kind,
                    adaptive_slow_link=line_rate_bps <= 2.5e9)
