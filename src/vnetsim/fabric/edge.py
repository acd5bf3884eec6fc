"""Hosts at the fabric's edge as the full host model.

With ``edge`` in a fabric scenario, every packet the fabric delivers to a modelled host goes on
through that host's pNIC rings, RX threads and vSwitch, vNIC rings and guest vCPUs
(``vnetsim.host``), so one scenario runs from the sending host, across the fabric, to the
application in a VM of the receiving host. The fabric's last link (leaf to host) is the host's
wire. The flows' headers are those the fabric hashes for ECMP: 10.0.0.1 + host index, the flow's
ports and protocol; flow i of a host goes to its VM i mod VMs.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets
from vnetsim.errors import ScenarioError
from vnetsim.host.config import Host
from vnetsim.host.flows import FlowCatalog
from vnetsim.host.path import HostReceive
from vnetsim.host.plan import compile_host_flows
from vnetsim.net.flows import FlowTable
from vnetsim.net.ipaddr import ipv4_from_u32
from vnetsim.net.synth import vm_macs

HOST_IP_BASE = 0x0A000001  # the address plan of vnetsim.fabric.traffic.Flows.key0


class EdgeConfig(BaseModel):
    """Which receiving hosts run the full host model, and the host they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hosts: Literal["all"] | list[str] = Field("all", description="host names (e.g. [h0, h17]) or 'all'")
    host: Host = Field(default_factory=Host, description="the host model (pNIC rings, threads, vSwitch, VMs); "
                       "its line rate is the fabric's host link")
    host_table_limit: int = Field(32, ge=0, description="hosts listed one by one in the result")


def _catalog(flows, rows: np.ndarray, n_vms: int) -> FlowCatalog:
    k = len(rows)
    table = FlowTable.empty(k)
    vm = np.arange(k, dtype=np.int64) % n_vms
    table.eth_dst[:] = vm_macs(n_vms)[vm]
    table.ip_src[:] = ipv4_from_u32((HOST_IP_BASE + flows.src[rows]).astype(np.uint32))
    table.ip_dst[:] = ipv4_from_u32((HOST_IP_BASE + flows.dst[rows]).astype(np.uint32))
    table.ip_proto[:] = flows.proto[rows]
    table.src_port[:] = flows.sport[rows]
    table.dst_port[:] = flows.dport[rows]
    return FlowCatalog(table, vm, np.zeros(k, np.int64), np.zeros(k, np.int64), flows.proto[rows] == 6,
                       np.ones(k, np.int64), {}, [k])


class EdgeHosts:
    """The modelled receiving hosts, fed by the fabric's deliveries chunk by chunk."""

    def __init__(self, cfg: EdgeConfig, fabric, flows, duration_ns: float) -> None:
        self.cfg = cfg
        names = [fabric.names[n] for n in fabric.hosts]
        index = {n: i for i, n in enumerate(names)}
        if cfg.hosts == "all":
            chosen = list(range(len(names)))
        else:
            unknown = [h for h in cfg.hosts if h not in index]
            if unknown:
                raise ScenarioError("edge.hosts", f"no host named {unknown[0]!r}",
                                    f"hosts are named {names[0]} .. {names[-1]}")
            chosen = [index[h] for h in cfg.hosts]
        self.names = [names[h] for h in chosen]
        self.t_end = float(duration_ns)
        self.local = np.full(len(flows), -1, np.int64)       # fabric flow -> row in its host's catalog
        self.slot = np.full(len(names), -1, np.int64)         # host index -> modelled host slot
        self.receivers: list[HostReceive] = []
        host_cfg = cfg.host
        for k, h in enumerate(chosen):
            rows = np.flatnonzero(flows.dst == h)
            self.local[rows] = np.arange(len(rows))
            self.slot[h] = k
            try:
                plan = compile_host_flows(host_cfg, _catalog(flows, rows, len(host_cfg.vms)))
            except ValueError as exc:
                raise ScenarioError("edge.host", str(exc), "change the host model") from None
            self.receivers.append(HostReceive(plan, 0.0, self.t_end))

    def deliver(self, dst_host: np.ndarray, packets: Packets, horizon: float) -> None:
        """Packets that reached their destination host's NIC (time-ordered), up to ``horizon``."""
        h = min(horizon, self.t_end)
        slot = self.slot[dst_host]
        keep = slot >= 0
        order = np.argsort(slot[keep], kind="stable")
        sel = np.flatnonzero(keep)[order]
        cuts = np.searchsorted(slot[sel], np.arange(len(self.receivers) + 1))
        for k, r in enumerate(self.receivers):
            idx = sel[cuts[k]:cuts[k + 1]]
            pk = packets.take(idx)
            r.advance(Packets(pk.t_ns, pk.t0_ns, pk.size_bytes, self.local[pk.flow].astype(np.int32), pk.pkt_id), h)

    def summary(self) -> dict:
        """Across the modelled hosts: end-to-end latency (offer to application), where it goes inside
        the hosts, drops at their rings, and their busiest cores; then host by host."""
        latency = LogHistogram()
        stages = {s: LogHistogram() for s in ("pnic_ring", "vswitch", "vnic_ring", "guest")}
        drops = {"pnic_ring": 0, "vnic_ring": 0}
        per_host = []
        busy_host, busy_guest = [], []
        for name, r in zip(self.names, self.receivers):
            parts = r.parts()
            latency.merge(parts["latency"])
            for s, hist in parts["receive_stages"].items():
                stages[s].merge(hist)
            for s in drops:
                drops[s] += parts["drops"][s]
            cpu_h = _busy(r.host.cpu_buckets(self.t_end), self.t_end)
            cpu_g = _busy(r.guest.cpu_buckets(self.t_end), self.t_end)
            busy_host += cpu_h
            busy_guest += cpu_g
            per_host.append({"host": name, "delivered": parts["delivered"],
                             "p99_ns": parts["latency"].quantile(0.99), "drops": sum(parts["drops"].values()),
                             "busiest_host_core": max(cpu_h, default=0.0), "busiest_vcpu": max(cpu_g, default=0.0)})
        return {
            "hosts": len(self.names),
            "delivered": int(sum(p["delivered"] for p in per_host)),
            "latency_ns": latency.summary(),
            "stage_latency_ns": {s: h.mean for s, h in stages.items()},
            "drops_by_stage": drops,
            "host_core_busy": {"max": max(busy_host, default=0.0),
                               "mean": float(np.mean(busy_host)) if busy_host else 0.0},
            "vcpu_busy": {"max": max(busy_guest, default=0.0),
                          "mean": float(np.mean(busy_guest)) if busy_guest else 0.0},
            "per_host": per_host[: self.cfg.host_table_limit],
        }


def _busy(buckets: np.ndarray, window_ns: float) -> list[float]:
    """Busy share (useful + overhead + spin) of each core over the run."""
    return [float(b[:3].sum() / window_ns) if window_ns > 0 else 0.0 for b in buckets]
