"""What each packet costs the host beyond its driver: the work offloads move to or from the CPU
(segment merging, checksums, tunnel decapsulation), per flow, as the kernel does it.

Receive aggregation (docs/models/host.md, "Costs by size and offload"):
- LRO: the NIC merges a flow's segments, so the driver, the vSwitch and everything above see one
  packet per merged super-packet: every per-packet cost is paid once per merged packet.
- GRO: software merging in the driver's NAPI poll. The driver still handles every wire segment
  (descriptor, buffer, ``napi_gro_receive``) and pays ``gro_merge`` for each; the stack and the
  vSwitch above it see one packet per merged super-packet.
- A tunnel's software decapsulation is paid once per packet that reaches the tunnel endpoint,
  after aggregation (Linux's VXLAN GRO merges the inner segments before the tunnel device).
  Without ``rx_udp_tunnel_port`` the NIC cannot parse the inner headers: no LRO for tunnels and no
  inner checksum offload (every byte summed), GRO still merges.
"""

from __future__ import annotations

import numpy as np

from vnetsim.host import config as host_config
from vnetsim.host.config import Host, resolve_costs
from vnetsim.host.flows import FlowCatalog
from vnetsim.nic import rx_work
from vnetsim.units import Cost, parse_cost


def vswitch_per_packet_ns(host: Host) -> float:
    """The vSwitch's work per packet in ns: as written, else the deployment's default."""
    vs = host.vswitch.per_packet
    if vs is None:
        defaults = getattr(host_config, "VSWITCH_DEFAULTS", {})
        text = defaults.get(getattr(host, "deployment", "vswitch"), ("400cycles", "0ns"))[0]
        vs = parse_cost(text)
    return vs.to_ns(host.cpu_clock)


def merged_share(host: Host, catalog: FlowCatalog) -> np.ndarray:
    """Per flow: packets above the driver (the stack, the vSwitch, the vNIC) per wire packet after
    LRO/GRO merged a burst (1: no merging)."""
    pnic = host.pnic
    enc = np.asarray(catalog.flows.encapsulated, bool)
    burst = catalog.burst
    work = rx_work(burst, np.zeros(len(catalog)), enc, catalog.is_tcp, pnic.offloads, pnic.offload_costs, burst,
                   cpu_hz=host.cpu_clock)
    return work.stack_packets / burst


SWITCHED = ("vswitch", "poll-vswitch", "vhost")   # deployments whose host thread runs a switch or bridge


def host_offload_work_ns(host: Host, catalog: FlowCatalog, driver: Cost | None = None,
                         above_ns: float | None = None) -> np.ndarray:
    """Per flow: work a receiving core adds (or saves) per wire packet because of offloads, in ns,
    next to the per-packet costs charged per wire packet: the driver's (``driver``; default the
    host threads' Service, with SR-IOV each VM's guest Service for its flows) and that of what runs
    above it per packet (``above_ns``; default the vSwitch's or bridge's where the deployment has
    one, else 0).

    With LRO the driver and what is above run once per merged packet; with GRO the driver runs
    per segment, plus ``gro_merge`` per segment, and what is above once per merged packet; a
    tunnel adds its decapsulation per merged packet.
    """
    pnic = host.pnic
    n = len(catalog)
    if not n:
        return np.zeros(0)
    cpu_hz = host.cpu_clock
    if driver is None and getattr(host, "deployment", "vswitch") == "sriov":
        # a virtual function's rings are served by each VM's own driver: price each VM's flows with it
        out = np.zeros(n)
        for v, vm in enumerate(host.vms):
            rows = np.flatnonzero(catalog.vm == v)
            if len(rows):
                guest = resolve_costs(vm.guest.service, "guest")["per_packet"]
                out[rows] = host_offload_work_ns(host, catalog, guest, above_ns)[rows]
        return out
    if driver is None:
        driver = resolve_costs(host.service, "host")["per_packet"]
    if above_ns is None:
        above_ns = vswitch_per_packet_ns(host) if getattr(host, "deployment", "vswitch") in SWITCHED else 0.0
    enc = np.asarray(catalog.flows.encapsulated, bool)
    burst = catalog.burst
    # rx_work prices a burst: merged packets through the stack, GRO merges, decapsulation, and the
    # driver on what the NIC hands it; here the stack's part is ``above_ns``
    work = rx_work(burst, np.zeros(n), enc, catalog.is_tcp, pnic.offloads, pnic.offload_costs, burst,
                   cpu_hz=cpu_hz, driver_packet=driver)
    stack_ns = pnic.offload_costs.rx_packet.to_ns(cpu_hz)
    merged = work.stack_packets / burst                                 # packets above the driver per wire
    per_wire_ns = work.cpu_cycles / burst / cpu_hz * 1e9 - stack_ns * merged   # driver, GRO, decap
    return per_wire_ns + (merged - 1.0) * above_ns - driver.to_ns(cpu_hz)


def guest_packet_share(host: Host, catalog: FlowCatalog) -> np.ndarray:
    """Per flow: packets the guest's driver sees per wire packet (1 / aggregation: the vSwitch
    hands a merged packet to the vNIC, VMXNET3 and virtio-net take large receives)."""
    if not len(catalog):
        return np.zeros(0)
    return merged_share(host, catalog)


def host_checksum_ns_per_byte(host: Host, catalog: FlowCatalog) -> np.ndarray:
    """Per flow: ns per byte of software checksumming on receive (0 where the NIC does it)."""
    pnic = host.pnic
    enc = np.asarray(catalog.flows.encapsulated, bool)
    offloaded = pnic.offloads.rx_checksum & (~enc | pnic.offloads.rx_udp_tunnel_port)
    per_byte = pnic.offload_costs.checksum_per_byte.to_ns(host.cpu_clock)
    return np.where(offloaded, 0.0, per_byte)
