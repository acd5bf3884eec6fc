"""Synthetic flow tables for scenarios, tests and benchmarks (reproducible from a generator).

``vm_flows``: ``n_flows`` inner flows towards ``n_vms`` local VMs; VM ``v`` has MAC
``02:00:00:00:vv:vv`` (locally administered) and IP ``10.0.x.y`` (or ``fd00::v``); each flow
comes from a random remote client address and ephemeral port (32768-60999) to a service
port, and is assigned to a VM uniformly at random.
"""

from __future__ import annotations

import numpy as np

from .flows import FlowTable
from .ipaddr import ipv4_from_u32, ipv6_from_ints

VM_MAC_BASE = 0x0200_0000_0000
CLIENT_MAC = 0x0200_00FF_FFFE  # the remote side's router, as seen inside the overlay


def vm_macs(n_vms: int) -> np.ndarray:
    return (VM_MAC_BASE + np.arange(n_vms, dtype=np.uint64)).astype(np.uint64)


def vm_ips(n_vms: int, ip_version: int = 4) -> np.ndarray:
    if ip_version == 4:
        return ipv4_from_u32(0x0A00_0000 + 1 + np.arange(n_vms, dtype=np.uint32))
    return ipv6_from_ints(np.full(n_vms, 0xFD00_0000_0000_0000, np.uint64), 1 + np.arange(n_vms, dtype=np.uint64))


def vm_flows(n_flows: int, n_vms: int, rng: np.random.Generator, *, proto: int = 6, ip_version: int = 4,
             dst_ports=(80, 443)) -> tuple[FlowTable, np.ndarray]:
    """(flow table of n_flows inner flows, destination VM index per flow)."""
    dst_vm = rng.integers(0, n_vms, n_flows).astype(np.int32)
    t = FlowTable.empty(n_flows)
    t.eth_src[:] = CLIENT_MAC
    t.eth_dst[:] = vm_macs(n_vms)[dst_vm]
    t.ethertype[:] = 0x0800 if ip_version == 4 else 0x86DD
    t.ip_version[:] = ip_version
    if ip_version == 4:
        t.ip_src[:] = ipv4_from_u32(0x0A80_0000 | rng.integers(0, 1 << 23, n_flows, dtype=np.uint32))
    else:
        t.ip_src[:] = ipv6_from_ints(np.full(n_flows, 0xFD00_0000_0000_0001, np.uint64),
                                     rng.integers(0, 1 << 62, n_flows, dtype=np.uint64))
    t.ip_dst[:] = vm_ips(n_vms, ip_version)[dst_vm]
    t.ip_proto[:] = proto
    if proto in (6, 17):
        t.src_port[:] = rng.integers(32768, 61000, n_flows)
        t.dst_port[:] = np.asarray(dst_ports, np.uint16)[rng.integers(0, len(dst_ports), n_flows)]
    return t, dst_vm
