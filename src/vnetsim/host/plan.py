"""Compile a host scenario into arrays and engine specs: which ring each flow lands on, which core
serves each ring, and what each packet costs at each stage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.engine.ring_server import CoreSpec, RingSpec
from vnetsim.host.config import CSTATE_TABLES, DEFAULT_BATCH, Coalescing, Host, Service, resolve_costs
from vnetsim.traffic.config import FlowGroup
from vnetsim.units import Cost


@dataclass
class StagePlan:
    """One ring-server stage: its cores and rings, with display names."""

    cores: list[CoreSpec]
    rings: list[RingSpec]
    core_names: list[str]
    ring_names: list[str]


@dataclass
class HostPlan:
    """Everything the host path needs at run time, as numbers."""

    line_rate_bps: float
    host: StagePlan                 # pNIC rings -> host RX threads (driver + vSwitch)
    guest: StagePlan                # vNIC rings -> guest vCPUs (driver + app)
    flow_pnic_ring: np.ndarray      # per flow: pNIC queue
    flow_vnic_ring: np.ndarray      # per flow: global vNIC ring index
    flow_vm: np.ndarray             # per flow: VM index
    host_work_ns: tuple[float, float]                 # (per packet, per byte) for host threads
    guest_work_ns: tuple[np.ndarray, np.ndarray]      # per VM: (per packet, per byte)
    vm_names: list[str]


def _ns(cost: Cost, cpu_hz: float) -> float:
    return cost.to_ns(cpu_hz)


def core_spec(service: Service, role: str, cpu_hz: float, cstates_override: str | None = None,
              wakeup_override_ns: float | None = None) -> tuple[CoreSpec, float, float]:
    """The engine's CoreSpec for a Service, plus the driver's (per packet, per byte) work in ns."""
    costs = resolve_costs(service, role)
    table = cstates_override if cstates_override is not None else service.cstates
    if isinstance(table, str):
        cstates = tuple((ex, res) for _, ex, res in CSTATE_TABLES[table])
    else:
        cstates = tuple((c.exit_latency, c.target_residency) for c in table)
    sleep_after, sleep_ns, block_polls, block_idle = (0, 0.0, 0, 0.0)
    if service.mode == "hybrid":
        sleep_after, sleep_ns, block_polls, block_idle = service.hybrid.resolved()
    empty = _ns(costs["empty_poll_cost"], cpu_hz)
    if service.mode in ("poll", "hybrid") and empty <= 0:
        raise ValueError("empty_poll_cost must be > 0 in poll and hybrid modes")
    spec = CoreSpec(
        mode=service.mode,
        batch=service.batch or DEFAULT_BATCH[service.mode],
        poll_cost_ns=_ns(costs["poll_cost"], cpu_hz),
        empty_poll_cost_ns=empty,
        irq_cost_ns=_ns(costs["irq_cost"], cpu_hz),
        wakeup_ns=wakeup_override_ns if wakeup_override_ns is not None else _ns(costs["wakeup"], cpu_hz),
        cstates=cstates,
        sleep_after_empty_polls=sleep_after,
        sleep_ns=sleep_ns,
        block_after_empty_polls=block_polls,
        block_after_idle_ns=block_idle,
    )
    return spec, _ns(costs["per_packet"], cpu_hz), _ns(costs["per_byte"], cpu_hz)


def ring_spec(capacity: int, core: int, moderation: Coalescing) -> RingSpec:
    delay, frames, min_interval = moderation.moderation()
    return RingSpec(capacity=capacity, core=core, coalesce_delay_ns=delay, coalesce_frames=frames,
                    coalesce_min_interval_ns=min_interval)


def steer_flows(groups: list[FlowGroup], host: Host) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per flow: pNIC queue, VM index, and vNIC queue within the VM.

    Without pinning, flow ``f`` of the scenario lands on pNIC queue ``f mod queues`` (an ideal
    hash spread) and on vNIC queue ``f mod vnic queues``.
    """
    vm_index = {v.name: i for i, v in enumerate(host.vms)}
    pnic_q, vm, vnic_q = [], [], []
    first = 0
    for g in groups:
        ids = np.arange(first, first + g.count, dtype=np.int64)
        first += g.count
        pnic_q.append(np.full(g.count, g.queue) if g.queue is not None else ids % host.pnic.rx_queues)
        v = vm_index[g.vm] if g.vm is not None else 0
        vm.append(np.full(g.count, v))
        vnic_q.append(ids % host.vms[v].vnic.queues)
    return (np.concatenate(pnic_q).astype(np.int64), np.concatenate(vm).astype(np.int64),
            np.concatenate(vnic_q).astype(np.int64))


def compile_host(host: Host, groups: list[FlowGroup]) -> HostPlan:
    """Turn the host model into ring-server stages and per-flow lookup tables."""
    cpu_hz = host.cpu_clock
    high = host.latency_sensitivity == "high"
    n_queues = host.pnic.rx_queues
    n_cores = n_queues if high else (host.cores or n_queues)

    hspec, h_pp, h_pb = core_spec(host.service, "host", cpu_hz)
    host_stage = StagePlan(
        cores=[hspec] * n_cores,
        rings=[ring_spec(host.pnic.ring_size, q % n_cores, host.pnic.coalescing) for q in range(n_queues)],
        core_names=[f"host/core{c}" for c in range(n_cores)],
        ring_names=[f"pnic/q{q}" for q in range(n_queues)],
    )
    vs = host.vswitch
    host_work = (h_pp + _ns(vs.per_packet, cpu_hz), h_pb + _ns(vs.per_byte, cpu_hz))

    cores, rings, core_names, ring_names = [], [], [], []
    vm_pp, vm_pb, ring_offset = [], [], []
    for vm in host.vms:
        gspec, g_pp, g_pb = core_spec(vm.guest.service, "guest", cpu_hz,
                                      cstates_override="none" if high else None,
                                      wakeup_override_ns=1.5e3 if high and vm.guest.service.wakeup is None else None)
        first_core = len(cores)
        cores += [gspec] * vm.guest.vcpus
        core_names += [f"{vm.name}/vcpu{c}" for c in range(vm.guest.vcpus)]
        moderation = Coalescing() if high else vm.vnic.resolved_coalescing()
        ring_offset.append(len(rings))
        for q in range(vm.vnic.queues):
            rings.append(ring_spec(vm.vnic.resolved_ring_size(), first_core + q % vm.guest.vcpus, moderation))
            ring_names.append(f"{vm.name}/vnic/q{q}")
        vm_pp.append(g_pp + _ns(vm.guest.app.per_packet, cpu_hz))
        vm_pb.append(g_pb + _ns(vm.guest.app.per_byte, cpu_hz))
    guest_stage = StagePlan(cores, rings, core_names, ring_names)

    pnic_q, vm_of_flow, vnic_q = steer_flows(groups, host)
    return HostPlan(
        line_rate_bps=host.pnic.line_rate,
        host=host_stage,
        guest=guest_stage,
        flow_pnic_ring=pnic_q,
        flow_vnic_ring=np.asarray(ring_offset, np.int64)[vm_of_flow] + vnic_q,
        flow_vm=vm_of_flow,
        host_work_ns=host_work,
        guest_work_ns=(np.asarray(vm_pp), np.asarray(vm_pb)),
        vm_names=[v.name for v in host.vms],
    )
