"""Compile a host scenario into arrays and engine specs: which ring each flow lands on, which core
serves each ring, and what each packet costs at each stage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.host.config import Host
from vnetsim.host.deploy import receive_chain
from vnetsim.host.flows import FlowCatalog, build_catalog
from vnetsim.host.rates import LINE_RATE_FIX, check_line_rate
from vnetsim.host.stage_plans import DeviceStagePlan, PathStagePlan, RingStagePlan, StagePlan
from vnetsim.host.tx import build_transmit
from vnetsim.net.flows import FlowTable
from vnetsim.net.synth import vm_macs
from vnetsim.nic import NicConfig, QueueFilter, Steering, SteeringConfig, inner_rss_available, steer, tx_work
from vnetsim.traffic.config import FlowGroup
from vnetsim.traffic.source import TrafficSource
from vnetsim.units import format_rate


@dataclass
class HostPlan:
    """Everything the host path needs at run time, as numbers.

    ``receive`` is the chain of ring stages from the NIC to the application, in order (today: the
    pNIC rings served by host threads, then each VM's vNIC rings served by its vCPUs); the first
    stage's rings are the NIC's queues.
    """

    line_rate_bps: float
    receive: list[PathStagePlan]    # ring stages and any other stage, NIC to application
    transmit: list[PathStagePlan]   # after the application, when it answers or forwards (vnetsim.host.tx)
    flow_vm: np.ndarray             # per flow: VM index
    vm_names: list[str]
    catalog: FlowCatalog            # the flows and their headers
    steering: Steering              # why each flow landed on its pNIC queue
    tx: list[dict]                  # per VM that transmits: its TX work (analytic)

    def ring_stages(self) -> list[RingStagePlan]:
        """The ring stages of the receive path, in order."""
        return [s for s in self.receive if isinstance(s, RingStagePlan)]

    @property
    def nic(self) -> RingStagePlan:
        """The ring stage the NIC fills (its rings are the pNIC's RX queues)."""
        return self.ring_stages()[0]

    @property
    def flow_pnic_ring(self) -> np.ndarray:
        """Per flow: the pNIC queue it lands on."""
        return self.nic.ring_of_flow

    def role_stages(self, role: str) -> list[RingStagePlan]:
        """The ring stages served by ``role``'s CPUs ("host" or "guest")."""
        return [s for s in self.ring_stages() if s.role == role]

    def source(self, groups: list[FlowGroup], seed: int, rate_scale: float = 1.0) -> TrafficSource:
        """The traffic source of these flows (overlay bytes added on the wire)."""
        return TrafficSource(groups, seed, rate_scale, self.catalog)


def pinned_queues(groups: list[FlowGroup], catalog: FlowCatalog) -> np.ndarray:
    """Per flow: the pNIC queue its group pins it to, or -1."""
    pins = np.full(len(catalog), -1, np.int64)
    first = 0
    for g, count in zip(groups, catalog.counts):
        if g.queue is not None:
            pins[first:first + count] = g.queue
        first += count
    return pins


def steer_flows(host: Host, catalog: FlowCatalog, pins: np.ndarray) -> tuple[np.ndarray, Steering, np.ndarray]:
    """Per flow: pNIC queue (the NIC's steering on the flow's headers, unless its group pins a
    queue), the Steering (reasons, hashes), and the vNIC queue within its VM (RSS on the inner
    headers, as a multi-queue VMXNET3/virtio vNIC does)."""
    filters = []
    if host.pnic.steering.mode == "netqueue" and host.pnic.overlay is None:
        filters = [QueueFilter(int(mac), None) for mac in vm_macs(len(host.vms))]   # a filter per VM MAC
    nic = NicConfig(steering=host.pnic.steering, overlay=host.pnic.overlay, offloads=host.pnic.offloads,
                    offload_costs=host.pnic.offload_costs)
    if host.pnic.steering.mode == "rss" and host.pnic.steering.rss.layer == "inner" \
            and not inner_rss_available(host.pnic.offloads):
        raise ValueError("host.pnic.steering.rss.layer: inner RSS needs the NIC to parse the tunnel "
                         "(offloads.rx_udp_tunnel_port: true)")
    try:
        steering = steer(catalog.flows, nic, filters=filters)
    except ModelError as exc:  # the NIC names its own fields: place them in the host scenario
        raise exc.within("host.pnic.steering") from None
    pnic_q = np.where(pins >= 0, pins, steering.queue).astype(np.int64)
    vnic_q = np.zeros(len(catalog), np.int64)
    for v, vm in enumerate(host.vms):
        if vm.vnic.queues == 1:
            continue               # one vNIC queue: nothing to steer (and no copy of the headers)
        rows = np.flatnonzero(catalog.vm == v)
        if len(rows):              # the inner view of this VM's flows only (row-wise, so the same)
            s = steer(_inner_view(catalog.flows.take(rows)), SteeringConfig(mode="rss", queues=vm.vnic.queues))
            vnic_q[rows] = s.queue
    return pnic_q, steering, vnic_q


def _inner_view(flows: FlowTable) -> FlowTable:
    """The flows as the VM sees them: inner headers only (the vSwitch removed the tunnel)."""
    out = flows.copy()
    out.tunnel[:] = 0
    return out.canonical()


def tx_plan(host: Host, catalog: FlowCatalog) -> list[dict]:
    """TX work of each VM that sends (analytic: the host's TX thread for the VM, one per VM)."""
    out = []
    for _v, vm in enumerate(host.vms):
        if vm.tx is None:
            continue
        enc = host.pnic.overlay is not None
        send = vm.tx.send_bytes if vm.tx.protocol == "tcp" else min(vm.tx.send_bytes, host.pnic.offloads.mss_bytes)
        sends_per_s = vm.tx.rate / 8.0 / send
        work = tx_work(np.array([send]), np.array([enc]), host.pnic.offloads, host.pnic.offload_costs,
                       cpu_hz=host.cpu_clock)
        out.append({"vm": vm.name, "core": f"host/tx-{vm.name}", "sends_per_s": sends_per_s,
                    "stack_packets_per_s": float(work.stack_packets[0] * sends_per_s),
                    "wire_packets_per_s": float(work.wire_packets[0] * sends_per_s),
                    "cpu_cycles_per_s": float(work.cpu_cycles[0] * sends_per_s),
                    "encapsulated": enc})
    return out


def compile_host(host: Host, groups: list[FlowGroup], seed: int = 1, check_rate: bool = True) -> HostPlan:
    """Turn the host model and its traffic into ring-server stages and per-flow lookup tables.

    A combination the schema admits but the model cannot run (a poll loop whose empty polls cost
    nothing, inner RSS on a NIC that cannot parse the tunnel, more offered than the line carries)
    is a ModelError (the kind's boundary adds the file and variant). ``check_rate=False`` leaves
    the line-rate check to the caller: with ``loads:`` the flows' own total is never offered, only
    its proportions, and each load level is checked instead (``vnetsim.host.rates``).
    """
    try:
        catalog = build_catalog(groups, host, seed)
        plan = compile_host_flows(host, catalog, pinned_queues(groups, catalog))
    except ValueError as exc:
        raise ModelError("", str(exc), "see docs/models/host.md") from None
    if not check_rate:
        return plan
    src = plan.source(groups, seed)
    check_line_rate("traffic.flows", f"the flows' total, {format_rate(src.offered_pps, 'pps')},", src.offered_pps,
                    src.mean_frame_bytes, host.pnic.line_rate, LINE_RATE_FIX)   # one rule: vnetsim.host.rates
    return plan


def compile_host_flows(host: Host, catalog: FlowCatalog, pins: np.ndarray | None = None) -> HostPlan:
    """The same for a given catalog of flows (e.g. the flows a fabric delivers to this host): the
    receive chain of ``host.deployment`` (``vnetsim.host.deploy``)."""
    pins = np.full(len(catalog), -1, np.int64) if pins is None else pins
    pnic_q, steering, vnic_q = steer_flows(host, catalog, pins)
    bare = host.deployment == "bare-metal"
    receive = receive_chain(host, catalog, pnic_q, vnic_q)
    return HostPlan(
        line_rate_bps=host.pnic.line_rate,
        receive=receive,
        transmit=build_transmit(host, catalog, receive),   # adds the application's TX work to receive
        flow_vm=catalog.vm,
        vm_names=["host"] if bare else [v.name for v in host.vms],
        catalog=catalog,
        steering=steering,
        tx=tx_plan(host, catalog),
    )


__all__ = ["DeviceStagePlan", "HostPlan", "PathStagePlan", "RingStagePlan", "StagePlan", "compile_host",
           "compile_host_flows", "pinned_queues", "steer_flows", "tx_plan"]
