"""The transmit side of the host path: the stages a packet crosses after the application, when the
application answers (request/response) or forwards what it received (a VNF).

``build_transmit`` takes the receive chain and returns it with the application's TX work added to
the cores that run the application (the guest's vCPUs: the response is sent by the vCPU that
received the request, so RX, application and TX contend for the same CPU), and the stage plans
that follow it (``vnetsim.host.plan.PathStagePlan``)::

    application [-> answer (response size)] [-> TX buffer (l3fwd)] -> vNIC TX rings (host TX thread
    per VM: driver + vSwitch) -> pNIC TX DMA -> pNIC TX ring and wire (line rate) -> peer -> sink

A host whose applications neither answer nor forward transmits nothing here (its bulk sends are
the analytic ``TxTraffic`` work). Defaults and their sources: docs/models/host.md, "Transmit path
and round trips" and "Forwarding VNF".
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vnetsim.engine.ring_server import CoreSpec
from vnetsim.host.config import App, Coalescing, Host, Service, VhostThread
from vnetsim.host.flows import FlowCatalog
from vnetsim.host.service import core_spec, cost_ns, ring_spec
from vnetsim.host.stage_plans import DeviceStagePlan, RingStagePlan
from vnetsim.host.tx_stages import AnswerPlan, PeerPlan, TxBufferPlan, TxWirePlan
from vnetsim.host.tx_thread import TxThreadPlan
from vnetsim.units import parse_cost

# The application's TX work per packet: a kernel send path (the kernel's RX figure, 500 cycles,
# Emmerich 34C3, as a proxy: an assumption, low confidence) or a PMD's TX (DPDK l2fwd's 20.1 + 0.3
# cycles of TX per packet, Emmerich et al., ixy-perf-measurements).
TX_PER_PACKET = {"interrupt": "500cycles", "poll": "20cycles", "hybrid": "20cycles"}
# The TX doorbell of a guest whose host thread sleeps: a write that exits to the hypervisor, KVM's
# VMCALL exit-and-entry round trip on Skylake-SP, 1559 cycles (kvm-unit-tests vmexit.flat, 2020).
KICK_COST = "1559cycles"
# vNIC TX ring: VMXNET3 VMXNET3_DEF_TX_RING_SIZE 512 (Linux vmxnet3_int.h); virtio-net 256 (QEMU
# tx_queue_size). pNIC TX ring: ixgbe IXGBE_DEFAULT_TXD 512.
VNIC_TX_RING = {"vmxnet3": 512, "virtio": 256}
PNIC_TX_RING = 512
# On transmit the NIC first reads the descriptor the doorbell announced (one more DMA read round
# trip: pcie-bench's 4 B median, 533 ns), then the frame (the receive direction's device time).
TX_DESCRIPTOR_READ_NS = 533.0
# Deployments whose host thread carries the VM's packets to the pNIC (the others send from the
# application's own cores: bare metal, or the VM's virtual function).
HOST_TX_THREAD = ("vswitch", "poll-vswitch", "vhost")


def apps(host: Host) -> list[tuple[App, str]]:
    """Per VM index of the flows (bare metal: the host, one): its application and the mode its cores
    serve rings in."""
    if host.deployment == "bare-metal":
        return [(host.app or App(), host.service.mode)]
    return [(vm.guest.app, vm.guest.service.mode) for vm in host.vms]


def build_transmit(host: Host, catalog: FlowCatalog, receive: list | None = None) -> list:
    """The stage plans after the application, in order (none when nothing answers or forwards).

    The application's TX work is added to the receive chain's last ring stage (the cores that run
    the application): ``receive``'s element is replaced, in this freshly built list."""
    kinds = ["respond" if a.respond is not None else "forward" if a.forward is not None else "" for a, _ in apps(host)]
    if not any(kinds):
        return []
    if not all(kinds):
        raise ValueError(f"host.vms[{kinds.index('')}].guest.app: every VM's application answers (respond) or "
                         "forwards (forward), or none does; give it one or remove the others'")
    if receive is None:
        raise ValueError("app.respond / app.forward: this host path builds no transmit side")
    for v, vm in enumerate(host.vms if host.deployment != "bare-metal" else []):
        if vm.tx is not None:
            raise ValueError(f"host.vms[{v}].tx: a VM whose application answers or forwards sends through the "
                             "queued TX path; remove its analytic tx traffic")
    cpu_hz = host.cpu_clock
    flow_vm = np.asarray(catalog.vm, np.int64)
    app_k = max(k for k, s in enumerate(receive) if isinstance(s, RingStagePlan))
    app = receive[app_k]
    core_of_flow = np.array([r.core for r in app.rings], np.int64)[app.ring_of_flow]
    core_vm = np.zeros(len(app.cores), np.int64)
    core_vm[core_of_flow] = flow_vm
    kicks = host.deployment in HOST_TX_THREAD and _tx_service(host).mode != "poll"

    tx_pp, size_vm, peer_vm, batching = [], [], [], []
    for a, mode in apps(host):
        spec = a.respond if a.respond is not None else a.forward
        assert spec is not None
        batch = a.forward.resolved_batching(mode) if a.forward is not None else "none"
        pp = cost_ns(spec.per_packet or parse_cost(TX_PER_PACKET[mode]), cpu_hz)
        if kicks:                                 # the doorbell wakes the host's TX thread: one exit
            kick = cost_ns(spec.kick or parse_cost(KICK_COST), cpu_hz)
            pp += kick / (a.forward.tx_burst if a.forward is not None and batch != "none" else 1)
        tx_pp.append(pp)
        size_vm.append(a.respond.size_bytes if a.respond is not None and a.respond.size_bytes else -1)
        peer_vm.append(spec.peer.turnaround)
        batching.append(batch)

    # RX, application and TX work on the same cores (each poll's packets as one burst if asked)
    cores = list(app.cores)
    for c in range(len(cores)):
        if batching[core_vm[c]] == "burst":
            if "burst_departures" not in CoreSpec.__dataclass_fields__:
                raise ValueError("app.forward.batching: 'burst' needs the ring server's burst departures, not in "
                                 "this version; use 'buffer' or 'none'")
            cores[c] = dataclasses.replace(cores[c], burst_departures=True)
    work_pp = app.work_ns[0] + np.asarray(tx_pp, np.float64)[flow_vm]
    receive[app_k] = dataclasses.replace(app, cores=cores, work_ns=(work_pp, app.work_ns[1]))

    # the answer's size; an echo (every response its request's size) changes nothing: no stage
    size_of_flow = np.asarray(size_vm, np.int32)[flow_vm]
    transmit: list = [AnswerPlan(size_of_flow)] if (size_of_flow >= 0).any() else []
    if "buffer" in batching:
        transmit.append(_tx_buffer(apps(host), core_vm, core_of_flow, flow_vm, batching))
    tx_queues = len(app.cores)
    if host.deployment in HOST_TX_THREAD:
        transmit.append(_host_tx(host, receive, app, core_vm, core_of_flow))
        tx_queues = len(host.vms)
    d = host.device
    if d.enabled:
        transmit.append(DeviceStagePlan(rate_bps=d.resolved_rate(host.pnic.line_rate),
                                        latency_ns=d.latency + TX_DESCRIPTOR_READ_NS,
                                        per_byte_ns=d.per_byte_ns, name="pnic_tx"))
    transmit.append(TxWirePlan(host.pnic.line_rate, PNIC_TX_RING * tx_queues))
    transmit.append(PeerPlan(np.asarray(peer_vm, np.float64)[flow_vm]))
    return transmit


def _tx_buffer(app_modes: list[tuple[App, str]], core_vm: np.ndarray, core_of_flow: np.ndarray,
               flow_vm: np.ndarray, batching: list[str]) -> TxBufferPlan:
    """One l3fwd TX buffer per application core (an lcore with one TX port); none for flows of an
    application that does not buffer."""
    burst = np.ones(len(core_vm), np.int64)
    drain = np.ones(len(core_vm), np.float64)
    for c, v in enumerate(core_vm):
        fwd = app_modes[v][0].forward
        if fwd is not None:
            burst[c], drain[c] = fwd.tx_burst, fwd.drain
    uses = np.array([b == "buffer" for b in batching], bool)[flow_vm]
    return TxBufferPlan(np.where(uses, core_of_flow, -1), burst, drain)


def _tx_service(host: Host) -> Service:
    """How the host's TX thread serves the vNIC TX rings: as the host's threads do (woken by the
    doorbell when they are interrupt-driven), polling under a poll-mode vSwitch, and as the vhost
    worker (woken by the guest's kick) under vhost."""
    if host.deployment == "poll-vswitch":
        return host.service if host.service.mode == "poll" else host.service.model_copy(update={"mode": "poll"})
    if host.deployment == "vhost":
        vh = host.vhost or VhostThread()
        return Service(mode="interrupt", batch=vh.batch, per_packet=vh.per_packet, per_byte=vh.per_byte,
                       irq_cost=parse_cost("0ns"))
    return host.service


def _host_tx(host: Host, receive: list, app: RingStagePlan, core_vm: np.ndarray,
             core_of_flow: np.ndarray) -> TxThreadPlan:
    """The vNIC TX rings (one per vCPU: the guest picks the TX queue of the sending CPU, as XPS
    does) served by its VM's host TX thread (ESXi: one per VM; the vhost worker under vhost), its
    rings without coalescing (the doorbell wakes it at once). Its work: the host driver's per-packet
    cost and the vSwitch's (the bridge's under vhost)."""
    from vnetsim.host.deploy import vswitch_costs_ns

    cpu_hz = host.cpu_clock
    own, h_pp, h_pb = core_spec(_tx_service(host), "host", cpu_hz, field="host.service")
    # idle behaviour (C-states, governor) as the host's receive threads of the same kind have it
    feeder = [s for s in receive if isinstance(s, RingStagePlan) and s.role == "host"
              and (s.work_name == "vhost") == (host.deployment == "vhost")]
    spec = dataclasses.replace(feeder[0].cores[0], poll_cost_ns=own.poll_cost_ns) if feeder else own
    vs_pp, vs_pb = vswitch_costs_ns(host)
    rings = [ring_spec(VNIC_TX_RING["virtio" if host.deployment == "vhost" else host.vms[v].vnic.type], int(v),
                       Coalescing()) for v in core_vm]
    ring_names = [name.replace("/vcpu", "/vnic_tx/q") if "/vcpu" in name else f"{name}/tx" for name in app.core_names]
    n_flows = len(core_of_flow)
    return TxThreadPlan(
        cores=[spec] * len(host.vms), rings=rings, core_names=[f"host/tx-{vm.name}" for vm in host.vms],
        ring_names=ring_names, ring_of_flow=core_of_flow,
        work_ns=(np.full(n_flows, max(h_pp + vs_pp, 0.0)), np.full(n_flows, h_pb + vs_pb)),
        wait_name="vnic_tx_ring", work_name="host_tx", role="host",
        reserved=[host.deployment == "poll-vswitch"] * len(host.vms))
