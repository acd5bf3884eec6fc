"""Hosts at the fabric's edge as the full host model.

With ``edge`` in a fabric scenario, every packet the fabric delivers to a modelled host goes on
through that host's pNIC rings, RX threads and vSwitch, vNIC rings and guest vCPUs
(``vnetsim.host``), so one scenario runs from the sending host, across the fabric, to the
application in a VM of the receiving host. The fabric's last link (leaf to host) is the host's
wire. The flows' headers are those the fabric hashes for ECMP: 10.0.0.1 + host index, the flow's
ports and protocol; flow i of a host goes to its VM i mod VMs.
"""

from __future__ import annotations

import numpy as np

from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.merge import split_runs
from vnetsim.engine.packets import Packets
from vnetsim.errors import ModelError
from vnetsim.fabric.config import EdgeConfig
from vnetsim.host import FlowCatalog, HostReceive, compile_host_flows
from vnetsim.net.flows import FlowTable
from vnetsim.net.ipaddr import ipv4_from_u32
from vnetsim.net.synth import vm_macs
from vnetsim.results.histograms import histogram_to_json

HOST_IP_BASE = 0x0A000001  # the address plan of vnetsim.fabric.traffic.Flows.key0


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
                raise ModelError("edge.hosts", f"no host named {unknown[0]!r}",
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
                raise ModelError("edge.host", str(exc), "change the host model") from None
            self.receivers.append(HostReceive(plan, 0.0, self.t_end))

    def deliver(self, dst_host: np.ndarray, packets: Packets, horizon: float) -> None:
        """Packets that reached their destination host's NIC (time-ordered), up to ``horizon``: each
        modelled host gets its own, in time order, with its own flow numbers, and runs to the horizon."""
        h = min(horizon, self.t_end)
        local = Packets(packets.t_ns, packets.t0_ns, packets.size_bytes, self.local[packets.flow].astype(np.int32),
                        packets.pkt_id)
        for r, pk in zip(self.receivers, split_runs(local, self.slot[dst_host], len(self.receivers))):
            r.advance(pk, h)

    def finish(self) -> None:
        """Run every modelled host to the end of the run."""
        for r in self.receivers:
            r.advance(Packets.empty(), self.t_end)
            r.finish()

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
                stages.setdefault(s, LogHistogram()).merge(hist)   # other deployments name other stages
            for s in drops:
                drops[s] += parts["drops"].get(s, 0)
            cpu_h = _busy(parts["host_counters"], self.t_end)
            cpu_g = _busy(parts["guest_counters"], self.t_end)
            busy_host += cpu_h
            busy_guest += cpu_g
            per_host.append({"host": name, "delivered": parts["delivered"],
                             "p99_ns": parts["latency"].quantile(0.99), "drops": sum(parts["drops"].values()),
                             "busiest_host_core": max(cpu_h, default=0.0), "busiest_vcpu": max(cpu_g, default=0.0)})
        return {
            "hosts": len(self.names),
            "delivered": int(sum(p["delivered"] for p in per_host)),
            "latency_ns": latency.summary(),
            "latency_histogram": histogram_to_json(latency),
            "stage_latency_ns": {s: h.mean for s, h in stages.items()},
            "drops_by_stage": drops,
            "host_core_busy": {"max": max(busy_host, default=0.0),
                               "mean": float(np.mean(busy_host)) if busy_host else 0.0},
            "vcpu_busy": {"max": max(busy_guest, default=0.0),
                          "mean": float(np.mean(busy_guest)) if busy_guest else 0.0},
            "per_host": per_host[: self.cfg.host_table_limit],
        }


def _busy(counters: np.ndarray, window_ns: float) -> list[float]:
    """Busy share (useful + overhead + spin) of each core over the run (``CORE_COUNTERS`` records)."""
    return [float((c["useful_ns"] + c["overhead_ns"] + c["spin_ns"]) / window_ns) if window_ns > 0 else 0.0
            for c in counters]
