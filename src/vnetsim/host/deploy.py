"""Deployment shapes: the receive path of each way traffic reaches the application, as a chain of
stage plans (``HostPlan.receive``), NIC first (docs/models/host.md, "Deployment shapes").

- ``vswitch``: device -> pNIC rings, host RX threads (driver + vSwitch + copy) -> vNIC rings,
  guest vCPUs (driver + application);
- ``bare-metal``: device -> pNIC rings, host cores (driver + stack or DPDK app, ``host.app``);
- ``poll-vswitch``: device -> pNIC rings, dedicated host cores polling (PMD + poll-mode vSwitch +
  copy) -> vNIC rings, guest vCPUs;
- ``sriov``: device -> the VF's rings, guest vCPUs (VF driver + application);
- ``vhost``: device -> pNIC rings, host softirq (driver + bridge) -> tap queue, vhost worker
  (copy into the virtio ring) -> vNIC rings, guest vCPUs.

Every chain starts with the NIC's device time (``DeviceStagePlan``) unless ``host.device.enabled``
is false. Virtual interrupts cost the guest its exits where they are not posted, and the host
thread that feeds an interrupt-driven vNIC a notification per poll (``Virtualization``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vnetsim.engine.ring_server import CoreSpec, RingSpec
from vnetsim.host.config import (
    VSWITCH_DEFAULTS,
    App,
    Coalescing,
    Host,
    Service,
    VhostThread,
    Vm,
    Vnic,
    kernel_stack,
    resolve_costs,
)
from vnetsim.host.costs import guest_packet_share, host_checksum_ns_per_byte, host_offload_work_ns
from vnetsim.host.flows import FlowCatalog
from vnetsim.host.service import core_spec, cost_ns, ring_spec
from vnetsim.host.sockets import NO_CHARGE, SocketCharge, socket_charge
from vnetsim.host.stage_plans import DeviceStagePlan, RingStagePlan
from vnetsim.units import parse_cost

HIGH_WAKEUP_NS = 1.5e3   # a pinned vCPU's wake-up under latency sensitivity high (docs/models/host.md)


@dataclass
class Steered:
    """Per flow: its pNIC queue and its queue within its VM's vNIC (or VF)."""

    pnic_q: np.ndarray
    vnic_q: np.ndarray


def device_stage(host: Host) -> list:
    """The NIC's device time on receive, unless disabled."""
    d = host.device
    if not d.enabled:
        return []
    return [DeviceStagePlan(rate_bps=d.resolved_rate(host.pnic.line_rate), latency_ns=d.latency,
                            per_byte_ns=d.per_byte_ns, name="nic_dma")]


def vswitch_costs_ns(host: Host) -> tuple[float, float]:
    """(per packet, per byte) of the vSwitch of this deployment, in ns: as written, else its defaults."""
    pp, pb = VSWITCH_DEFAULTS[host.deployment]
    vs = host.vswitch
    per_packet = vs.per_packet if vs.per_packet is not None else parse_cost(pp)
    per_byte = vs.per_byte if vs.per_byte is not None else parse_cost(pb)
    return cost_ns(per_packet, host.cpu_clock), cost_ns(per_byte, host.cpu_clock)


def _interrupt_driven(host: Host) -> bool:
    """Whether some VM serves its vNIC by interrupts (then its feeder notifies it)."""
    return any(vm.guest.service.mode != "poll" for vm in host.vms)


def notify_ns(host: Host) -> float:
    """The host thread's notification of a vCPU, charged per poll that found packets (0 when every
    guest polls: a polling guest masks its notifications)."""
    return cost_ns(host.virtualization.notify, host.cpu_clock) if _interrupt_driven(host) else 0.0


def exit_ns(host: Host) -> float:
    """VM exits per virtual interrupt (delivery, EOI) where interrupts are not posted."""
    v = host.virtualization
    return 0.0 if v.posted_interrupts else v.exits_per_interrupt * cost_ns(v.vm_exit, host.cpu_clock)


def app_socket_charge(app: App | None, service: Service, cpu_hz: float) -> SocketCharge:
    """What ``app``'s socket adds on the cores serving it with ``service`` (none for a PMD, a
    forwarding or receive-only application, or an answer the kernel gives)."""
    costs = app.socket_costs(kernel_stack(service)) if app is not None else None
    if costs is None:
        return NO_CHARGE
    assert app is not None and app.respond is not None
    return socket_charge(costs, cpu_hz, app.respond.size_bytes)


def _host_stage(host: Host, catalog: FlowCatalog, steered: Steered, service: Service, extra_pp: float,
                extra_pb: float, work_name: str, extra_poll_ns: float = 0.0, reserved: bool = False,
                extra_wakeup_ns: float = 0.0) -> RingStagePlan:
    """pNIC rings served by host cores: the driver's work plus ``extra`` per packet (what runs above
    the driver: the vSwitch, the bridge or the bare-metal application, once per merged packet) and
    per byte."""
    cpu_hz = host.cpu_clock
    high = host.latency_sensitivity == "high"
    n_queues = host.pnic.rx_queues
    n_cores = n_queues if high else (host.cores or n_queues)
    hspec, h_pp, h_pb = core_spec(service, "host", cpu_hz, field="host.service", host=host)
    if extra_poll_ns:
        hspec = replace(hspec, poll_cost_ns=hspec.poll_cost_ns + extra_poll_ns)
    if extra_wakeup_ns:
        hspec = replace(hspec, wakeup_ns=hspec.wakeup_ns + extra_wakeup_ns)
    per_flow = h_pp + extra_pp + host_offload_work_ns(host, catalog, above_ns=extra_pp)   # + what offloads change
    per_byte = h_pb + extra_pb + host_checksum_ns_per_byte(host, catalog)
    per_flow = np.broadcast_to(np.asarray(per_flow, np.float64), (len(catalog),))
    per_byte = np.broadcast_to(np.asarray(per_byte, np.float64), (len(catalog),))
    return RingStagePlan(
        cores=[hspec] * n_cores,
        rings=[ring_spec(host.pnic.ring_size, q % n_cores, host.pnic.coalescing, host.pnic.line_rate)
               for q in range(n_queues)],
        core_names=[f"host/core{c}" for c in range(n_cores)],
        ring_names=[f"pnic/q{q}" for q in range(n_queues)],
        ring_of_flow=steered.pnic_q, work_ns=(np.maximum(per_flow, 0.0), np.ascontiguousarray(per_byte)),
        wait_name="pnic_ring", work_name=work_name, role="host", reserved=[reserved] * n_cores)


def _guest_spec(host: Host, v: int, vm: Vm) -> tuple[CoreSpec, float, float]:
    """A VM's vCPU spec (latency sensitivity's pinning; exits added to the interrupt cost; a halted
    vCPU's wake-up ends with its VM entry) and its per-packet and per-byte work (guest driver +
    application)."""
    high = host.latency_sensitivity == "high"
    spec, g_pp, g_pb = core_spec(vm.guest.service, "guest", host.cpu_clock, field=f"host.vms[{v}].guest.service",
                                 wakeup_override_ns=HIGH_WAKEUP_NS if high and vm.guest.service.wakeup is None
                                 else None, host=host, vm=vm)
    exits = exit_ns(host)
    if exits:
        spec = replace(spec, irq_cost_ns=spec.irq_cost_ns + exits)
    if vm.guest.service.wakeup is None:      # the halt exited the guest: waking it is one more VM entry
        spec = replace(spec, wakeup_ns=spec.wakeup_ns + cost_ns(host.virtualization.vm_exit, host.cpu_clock))
    sock = app_socket_charge(vm.guest.app, vm.guest.service, host.cpu_clock)
    if sock.wakeup_ns:                       # the guest kernel then wakes the blocked application thread
        spec = replace(spec, wakeup_ns=spec.wakeup_ns + sock.wakeup_ns)
    return (spec, g_pp + cost_ns(vm.guest.app.per_packet, host.cpu_clock) + sock.per_packet_ns,
            g_pb + cost_ns(vm.guest.app.per_byte, host.cpu_clock) + sock.per_byte_ns)


def _guest_stage(host: Host, catalog: FlowCatalog, steered: Steered, rings_of, wait_name: str,
                 extra_pp_ns: np.ndarray | None = None, extra_pb_ns: np.ndarray | None = None,
                 share: np.ndarray | None = None) -> RingStagePlan:
    """Each VM's rings served by its vCPUs; ``rings_of(vm) -> (ring size, moderation)``; ``share``:
    per flow, the packets the guest sees per wire packet (a vNIC receives what LRO/GRO merged)."""
    high = host.latency_sensitivity == "high"
    cores: list[CoreSpec] = []
    rings: list[RingSpec] = []
    core_names: list[str] = []
    ring_names: list[str] = []
    vm_pp: list[float] = []
    vm_pb: list[float] = []
    ring_offset: list[int] = []
    label = "vf" if host.deployment == "sriov" else "vnic"
    for v, vm in enumerate(host.vms):
        gspec, pp, pb = _guest_spec(host, v, vm)
        first_core = len(cores)
        cores += [gspec] * vm.guest.vcpus
        core_names += [f"{vm.name}/vcpu{c}" for c in range(vm.guest.vcpus)]
        size, moderation = rings_of(vm)
        ring_offset.append(len(rings))
        for q in range(vm.vnic.queues):
            rings.append(ring_spec(size, first_core + q % vm.guest.vcpus, moderation, host.pnic.line_rate))
            ring_names.append(f"{vm.name}/{label}/q{q}")
        vm_pp.append(pp)
        vm_pb.append(pb)
    flow_vm = catalog.vm
    pp_flow = np.asarray(vm_pp, np.float64)[flow_vm]
    pb_flow = np.asarray(vm_pb, np.float64)[flow_vm]
    if share is not None:
        pp_flow = pp_flow * share
    if extra_pp_ns is not None:
        pp_flow = np.maximum(pp_flow + extra_pp_ns, 0.0)
    if extra_pb_ns is not None:
        pb_flow = pb_flow + extra_pb_ns
    return RingStagePlan(cores, rings, core_names, ring_names,
                         ring_of_flow=np.asarray(ring_offset, np.int64)[flow_vm] + steered.vnic_q,
                         work_ns=(pp_flow, pb_flow), wait_name=wait_name, work_name="guest", role="guest",
                         reserved=[high] * len(cores))


def _vnic_rings(host: Host, vnic_type: str | None = None):
    """Ring size and moderation of a vNIC (latency sensitivity high: no virtual coalescing)."""
    high = host.latency_sensitivity == "high"

    def rings_of(vm: Vm) -> tuple[int, Coalescing]:
        vnic: Vnic = vm.vnic if vnic_type is None else vm.vnic.model_copy(update={"type": vnic_type})
        return vnic.resolved_ring_size(), (Coalescing() if high else vnic.resolved_coalescing())
    return rings_of


def _vf_rings(host: Host):
    """A virtual function's rings: the pNIC's ring size and interrupt moderation."""
    return lambda vm: (host.pnic.ring_size, host.pnic.coalescing)


def vswitch_chain(host: Host, catalog: FlowCatalog, steered: Steered) -> list:
    """VMs on the standard vSwitch: host RX threads run driver + vSwitch (+ its copy into the guest)."""
    vs_pp, vs_pb = vswitch_costs_ns(host)
    pnic = _host_stage(host, catalog, steered, host.service, vs_pp, vs_pb, "vswitch", notify_ns(host))
    return [*device_stage(host), pnic, _guest_stage(host, catalog, steered, _vnic_rings(host), "vnic_ring",
                                                    share=guest_packet_share(host, catalog))]


def poll_vswitch_chain(host: Host, catalog: FlowCatalog, steered: Steered) -> list:
    """A poll-mode vSwitch (ESXi ENS, OVS-DPDK): dedicated host cores poll the pNIC (PMD costs)."""
    service = host.service if host.service.mode == "poll" else host.service.model_copy(update={"mode": "poll"})
    vs_pp, vs_pb = vswitch_costs_ns(host)
    pnic = _host_stage(host, catalog, steered, service, vs_pp, vs_pb, "vswitch", notify_ns(host), reserved=True)
    return [*device_stage(host), pnic, _guest_stage(host, catalog, steered, _vnic_rings(host), "vnic_ring",
                                                    share=guest_packet_share(host, catalog))]


def bare_metal_chain(host: Host, catalog: FlowCatalog, steered: Steered) -> list:
    """No VM: the host's cores run the driver and the stack or DPDK application (``host.app``)."""
    app = host.app
    sock = app_socket_charge(app, host.service, host.cpu_clock)
    pp = (cost_ns(app.per_packet, host.cpu_clock) if app is not None else 0.0) + sock.per_packet_ns
    pb = (cost_ns(app.per_byte, host.cpu_clock) if app is not None else 0.0) + sock.per_byte_ns
    return [*device_stage(host), _host_stage(host, catalog, steered, host.service, pp, pb, "stack",
                                             extra_wakeup_ns=sock.wakeup_ns)]


def sriov_chain(host: Host, catalog: FlowCatalog, steered: Steered) -> list:
    """A virtual function in each VM: the guest's vCPUs serve the VF's rings; the offloads' work
    (merging, software checksums, decapsulation) falls on the guest, whose VF driver and
    application take the place of the host's driver and switch."""
    extra_pp = np.zeros(len(catalog))
    for v, vm in enumerate(host.vms):
        rows = np.flatnonzero(catalog.vm == v)
        if len(rows):
            driver = resolve_costs(vm.guest.service, "guest")["per_packet"]
            app_ns = (cost_ns(vm.guest.app.per_packet, host.cpu_clock)
                      + app_socket_charge(vm.guest.app, vm.guest.service, host.cpu_clock).per_packet_ns)
            extra_pp[rows] = host_offload_work_ns(host, catalog, driver=driver, above_ns=app_ns)[rows]
    extra_pb = host_checksum_ns_per_byte(host, catalog)
    vf = _guest_stage(host, catalog, steered, _vf_rings(host), "vf_ring", extra_pp, extra_pb)
    return [*device_stage(host), vf]


def vhost_chain(host: Host, catalog: FlowCatalog, steered: Steered) -> list:
    """virtio-net with vhost: host softirq (driver + bridge) -> tap queue -> vhost worker (copy into
    the virtio ring, then notify) -> the guest's virtio rings."""
    vs_pp, vs_pb = vswitch_costs_ns(host)
    bridge = _host_stage(host, catalog, steered, host.service, vs_pp, vs_pb, "bridge")
    share = guest_packet_share(host, catalog)
    return [*device_stage(host), bridge, _vhost_stage(host, catalog, steered, share),
            _guest_stage(host, catalog, steered, _vnic_rings(host, "virtio"), "vnic_ring", share=share)]


def _vhost_stage(host: Host, catalog: FlowCatalog, steered: Steered, share: np.ndarray) -> RingStagePlan:
    """One vhost worker per vNIC queue, on its own host core, woken by the tap queue (no moderation);
    it handles the merged packets the bridge passed on (``share`` per wire packet)."""
    vh = host.vhost or VhostThread()
    service = Service(mode="interrupt", batch=vh.batch, per_packet=vh.per_packet, per_byte=vh.per_byte,
                      irq_cost=parse_cost("0ns"))
    spec, pp, pb = core_spec(service, "host", host.cpu_clock, field="host.vhost", host=host)
    notify = notify_ns(host)
    if notify:
        spec = replace(spec, poll_cost_ns=spec.poll_cost_ns + notify)
    cores: list[CoreSpec] = []
    rings: list[RingSpec] = []
    names: list[str] = []
    ring_names: list[str] = []
    offset: list[int] = []
    for vm in host.vms:
        offset.append(len(rings))
        for q in range(vm.vnic.queues):
            rings.append(ring_spec(vh.queue_size, len(cores), Coalescing()))
            cores.append(spec)
            names.append(f"host/vhost-{vm.name}-q{q}")
            ring_names.append(f"{vm.name}/tap/q{q}")
    n = len(catalog)
    return RingStagePlan(cores, rings, names, ring_names,
                         ring_of_flow=np.asarray(offset, np.int64)[catalog.vm] + steered.vnic_q,
                         work_ns=(np.full(n, pp) * share, np.full(n, pb)), wait_name="tap_queue", work_name="vhost",
                         role="host", reserved=[False] * len(cores))


CHAINS = {
    "vswitch": vswitch_chain,
    "bare-metal": bare_metal_chain,
    "poll-vswitch": poll_vswitch_chain,
    "sriov": sriov_chain,
    "vhost": vhost_chain,
}


def receive_chain(host: Host, catalog: FlowCatalog, pnic_q: np.ndarray, vnic_q: np.ndarray) -> list:
    """The receive path of ``host.deployment``, NIC first."""
    return CHAINS[host.deployment](host, catalog, Steered(pnic_q, vnic_q))
