"""The flows arriving at a host, with real headers: synthesized per flow group or read from a
capture, then encapsulated by the host's overlay. Steering reads these headers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.host.config import Host
from vnetsim.io.pcap import PcapTrace, read_pcap
from vnetsim.net.flows import COLUMNS, FlowTable
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
    trace_flows: dict[str, dict] = field(default_factory=dict)   # group name -> how its capture's flows were keyed

    def __len__(self) -> int:
        return len(self.flows)


# the columns that tell one inner flow from another: everything but the outer headers and the Geneve
# options (per-packet tunnel metadata, like the outer UDP source port a VTEP may vary per packet)
_OUTER_ONLY = tuple(c for c in COLUMNS if c.startswith("outer_")) + ("geneve_opt_bytes",)


def key_by_inner(trace: PcapTrace) -> PcapTrace:
    """The capture with its packets regrouped into inner flows: packets of one tunnel, VNI and inner
    header set are one flow whatever their outer headers (each flow keeps the outer headers of its
    first packet). Plain packets keep their flows. Vectorized: one ``FlowTable.unique`` over the
    capture's distinct header sets with the outer columns blanked."""
    flows = trace.flows
    if not len(flows) or not bool(flows.encapsulated.any()):
        return trace
    key = flows.copy()
    defaults = FlowTable.empty(1)
    enc = np.asarray(flows.encapsulated, bool)
    for name in _OUTER_ONLY:
        getattr(key, name)[enc] = getattr(defaults, name)[0]
    _, inverse = key.unique()
    _, first = np.unique(inverse, return_index=True)    # inner flow j's first header set (flows are in order)
    return replace(trace, flows=flows.take(first), flow=inverse[trace.flow].astype(np.int32))


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
    trace_flows: dict[str, dict] = {}
    for k, g in enumerate(groups):
        if g.trace is not None:
            trace = read_pcap(g.trace.pcap, vxlan_ports=tuple(g.trace.vxlan_ports),
                              geneve_ports=tuple(g.trace.geneve_ports))
            header_sets = len(trace.flows)
            if g.trace.flow_key == "inner":
                trace = key_by_inner(trace)
            trace_flows[g.name] = {"flow_key": g.trace.flow_key, "flows": len(trace.flows),
                                   "header_sets": header_sets}
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
                       np.concatenate(added), np.concatenate(tcp), np.concatenate(burst), traces, counts, trace_flows)
