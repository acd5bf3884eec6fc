"""The flows arriving at a host, with real headers: synthesized per flow group or read from a
capture, then encapsulated by the host's overlay. Steering reads these headers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.host.config import Host
from vnetsim.io.pcap import PcapTrace, read_pcap
from vnetsim.net.flows import FlowTable
from vnetsim.net.synth import vm_flows, vm_ips, vm_macs
from vnetsim.nic import host_overlay_flows
from vnetsim.traffic.config import MAX_FRAME_BYTES, MIN_FRAME_BYTES, FlowGroup

GTPU_PORT = 2152  # 3GPP TS 29.281


@dataclass
class FlowCatalog:
    """Every flow of the scenario: headers (``flows``), its VM, its group, and the bytes the host's
    overlay adds on the wire (0 for plain flows and for captures that were already encapsulated)."""

    flows: FlowTable
    vm: np.ndarray                  # per flow: VM index
    group: np.ndarray               # per flow: flow-group index
    added_overhead_bytes: np.ndarray
    is_tcp: np.ndarray
    burst: np.ndarray               # per flow: segments arriving back to back (LRO/GRO)
    traces: dict[str, PcapTrace]    # group name -> its capture, as traffic (PcapTrace.as_traffic; its repairs)
    counts: list[int]               # flows per group

    def __len__(self) -> int:
        return len(self.flows)


def _synth(group: FlowGroup, vm_index: np.ndarray, n_vms: int, seed: int) -> FlowTable:
    """``group.count`` flows from random remote clients, flow i to VM ``vm_index[i]`` (its MAC and address)."""
    rng = stream(seed, f"traffic/{group.name}/headers")
    proto = 6 if group.protocol == "tcp" else 17
    ports: tuple[int, ...]
    if group.dst_port is not None:
        ports = (group.dst_port,)
    else:
        ports = (80, 443) if proto == 6 else (GTPU_PORT,)
    flows, _ = vm_flows(group.count, 1, rng, proto=proto, ip_version=group.ip_version, dst_ports=ports)
    flows.eth_dst[:] = vm_macs(n_vms)[vm_index]
    flows.ip_dst[:] = vm_ips(n_vms, group.ip_version)[vm_index]
    return flows


def build_catalog(groups: list[FlowGroup], host: Host, seed: int) -> FlowCatalog:
    """Headers for every flow of every group, in group order (flow index = catalog row)."""
    vm_index = {v.name: i for i, v in enumerate(host.vms)}
    n_vms = len(host.vms)
    overlay = host.pnic.overlay
    tables, vms, group_of, added, tcp, burst, counts = [], [], [], [], [], [], []
    traces: dict[str, PcapTrace] = {}
    for k, g in enumerate(groups):
        if g.trace is not None:
            trace = read_pcap(g.trace.pcap, vxlan_ports=tuple(g.trace.vxlan_ports),
                              geneve_ports=tuple(g.trace.geneve_ports))
            inner = trace.flows
        n = len(inner) if g.trace is not None else g.count
        if g.vm == "*":
            v = np.arange(n, dtype=np.int64) % n_vms
        else:
            v = np.full(n, vm_index[g.vm] if g.vm is not None else 0, np.int64)
        if g.trace is None:
            inner = _synth(g, v, n_vms, seed)
        encapsulate = (g.encapsulated if g.encapsulated is not None else overlay is not None)
        if encapsulate and overlay is None:
            raise ValueError(f"flow group {g.name!r} is encapsulated, but host.pnic has no overlay")
        already = np.asarray(inner.encapsulated, bool) if n else np.zeros(0, bool)
        if encapsulate and n and overlay is not None:
            plain = ~already
            table = inner.copy()
            if plain.any():
                idx = np.flatnonzero(plain)
                wrapped = host_overlay_flows(inner.take(idx), v[idx].astype(np.int32), n_vms, overlay,
                                             n_remote=overlay.remote_vteps)
                table = FlowTable.concat([inner.take(np.flatnonzero(already)), wrapped]) if already.any() else wrapped
                order = np.concatenate([np.flatnonzero(already), idx])
                table = table.take(np.argsort(order, kind="stable"))
            over = np.where(plain, table.encap_overhead_bytes(), 0)
        else:
            table = inner
            over = np.zeros(n, np.int64)
        if g.trace is not None:
            # checked and repaired for replay (no packets, frames over the model's largest,
            # times going backwards, runts, no timing): docs/models/nic.md, Captures
            traces[g.name] = trace.as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES, over)
        tables.append(table)
        vms.append(v)
        group_of.append(np.full(n, k, np.int64))
        added.append(np.asarray(over, np.int64))
        tcp.append(inner.ip_proto == 6)
        burst.append(np.full(n, g.segments_per_burst, np.int64))
        counts.append(n)
    return FlowCatalog(FlowTable.concat(tables), np.concatenate(vms), np.concatenate(group_of),
                       np.concatenate(added), np.concatenate(tcp), np.concatenate(burst), traces, counts)
