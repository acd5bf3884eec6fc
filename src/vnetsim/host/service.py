"""How a core serves its rings, compiled: a scenario's ``Service`` (and its ring moderation) turned
into the engine's ``CoreSpec`` and ``RingSpec``, with each role's and mode's defaults filled in."""

from __future__ import annotations

from vnetsim.engine.ring_server import CoreSpec, RingSpec
from vnetsim.host.config import CSTATE_TABLES, DEFAULT_BATCH, Coalescing, Service, resolve_costs
from vnetsim.units import Cost


def cost_ns(cost: Cost, cpu_hz: float) -> float:
    """A cost in ns (cycles converted at the host's clock)."""
    return cost.to_ns(cpu_hz)


MIN_EMPTY_POLL_NS = 1.0   # a poll reads the ring: at least a few cycles (the default is 32 ns, one cache miss)


def core_spec(service: Service, role: str, cpu_hz: float, cstates_override: str | None = None,
              wakeup_override_ns: float | None = None, field: str = "service") -> tuple[CoreSpec, float, float]:
    """The engine's CoreSpec for a Service, plus the driver's (per packet, per byte) work in ns;
    ``field`` names the Service in messages."""
    costs = resolve_costs(service, role)
    table = cstates_override if cstates_override is not None else service.cstates
    if isinstance(table, str):
        cstates = tuple((ex, res) for _, ex, res in CSTATE_TABLES[table])
    else:
        cstates = tuple((c.exit_latency, c.target_residency) for c in table)
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
        cstates=cstates,
        sleep_after_empty_polls=sleep_after,
        sleep_ns=sleep_ns,
        block_after_empty_polls=block_polls,
        block_after_idle_ns=block_idle,
    )
    return spec, cost_ns(costs["per_packet"], cpu_hz), cost_ns(costs["per_byte"], cpu_hz)


def ring_spec(capacity: int, core: int, moderation: Coalescing) -> RingSpec:
    delay, frames, min_interval = moderation.moderation()
    return RingSpec(capacity=capacity, core=core, coalesce_delay_ns=delay, coalesce_frames=frames,
                    coalesce_min_interval_ns=min_interval)
