"""What each packet costs the host beyond its driver: the work offloads move to or from the CPU
(segment merging, checksums, tunnel decapsulation), per flow."""

from __future__ import annotations

import numpy as np

from vnetsim.host.config import Host
from vnetsim.host.flows import FlowCatalog
from vnetsim.nic import rx_work


def host_offload_work_ns(host: Host, catalog: FlowCatalog) -> np.ndarray:
    """Per flow: work the host adds (or saves) per wire packet because of offloads, in ns.

    RX per burst of ``segments_per_burst`` wire packets (docs/references.md, Offloads): LRO/GRO merge TCP
    segments, so the stack and the vSwitch see fewer packets; without checksum offload the CPU sums
    every byte; a tunnel costs its decapsulation in software. The driver's per-packet cost already
    counts one stack packet per wire packet (``rx_packet``); this is the difference.
    """
    pnic = host.pnic
    n = len(catalog)
    if not n:
        return np.zeros(0)
    burst = catalog.burst
    enc = np.asarray(catalog.flows.encapsulated, bool)
    # checksums are charged per byte on the real sizes (host_checksum_ns_per_byte), so no payload here
    work = rx_work(burst, np.zeros(n), enc, catalog.is_tcp, pnic.offloads, pnic.offload_costs, burst,
                   cpu_hz=host.cpu_clock)
    per_wire_ns = work.cpu_cycles / burst / host.cpu_clock * 1e9
    return per_wire_ns - pnic.offload_costs.rx_packet.to_ns(host.cpu_clock)


def host_checksum_ns_per_byte(host: Host, catalog: FlowCatalog) -> np.ndarray:
    """Per flow: ns per byte of software checksumming on receive (0 where the NIC does it)."""
    pnic = host.pnic
    enc = np.asarray(catalog.flows.encapsulated, bool)
    offloaded = pnic.offloads.rx_checksum & (~enc | pnic.offloads.rx_udp_tunnel_port)
    per_byte = pnic.offload_costs.checksum_per_byte.to_ns(host.cpu_clock)
    return np.where(offloaded, 0.0, per_byte)
