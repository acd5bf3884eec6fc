"""The host data path, run chunk by chunk: source -> wire -> pNIC rings and host threads (driver,
vSwitch) -> vNIC rings and guest vCPUs (driver, application) -> sink.

Stages and what their latency means (each measured on the packets that left that stage):
- ``wire``: queueing behind earlier frames and serialization at line rate, (frame + 20 B) * 8 / rate;
- ``pnic_ring``: waiting in the pNIC RX ring until a host thread's poll takes it (interrupt
  moderation, wake-up, C-state exit, other packets of the batch and other queues of the core);
- ``vswitch``: the host thread's work until the packet is in the vNIC ring (driver + vSwitch);
- ``vnic_ring``: waiting in the vNIC ring until the guest polls it (virtual interrupt coalescing,
  vCPU wake-up, or the guest PMD's poll loop);
- ``guest``: the guest driver's and the application's work on the packet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.fifo import lindley_single
from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import N_ACC, RingServer
from vnetsim.host.kernels import record_window, ring_and_work
from vnetsim.host.plan import HostPlan, compile_host
from vnetsim.scenario.schema import HostScenario
from vnetsim.traffic.config import WIRE_OVERHEAD_BYTES

STAGES = ("wire", "pnic_ring", "vswitch", "vnic_ring", "guest")
DROP_STAGES = ("pnic_ring", "vnic_ring")


@dataclass
class PacketTrace:
    """Per-packet outcomes, kept only when asked for (small runs, differential tests)."""

    delivered_pid: list = field(default_factory=list)
    delivered_t_ns: list = field(default_factory=list)
    dropped_pid: list = field(default_factory=list)
    dropped_stage: list = field(default_factory=list)

    def arrays(self):
        cat = lambda xs, d: np.concatenate(xs) if xs else np.empty(0, d)  # noqa: E731
        return (cat(self.delivered_pid, np.int64), cat(self.delivered_t_ns, np.float64),
                cat(self.dropped_pid, np.int64), cat(self.dropped_stage, np.int64))


@dataclass
class HostRun:
    """The raw outcome of one run; ``vnetsim.results.host`` turns it into the published result."""

    plan: HostPlan
    window_ns: tuple[float, float]
    offered: int
    offered_bits: float
    delivered: int
    drops: dict[str, int]
    latency: LogHistogram
    stages: dict[str, LogHistogram]
    queue_packets: np.ndarray       # pNIC queue arrivals (window)
    queue_drops: np.ndarray
    vnic_packets: np.ndarray
    vnic_drops: np.ndarray
    host_acc: np.ndarray            # per host core: CPU buckets (window) and counters (window)
    guest_acc: np.ndarray
    host_core_packets: np.ndarray
    guest_core_packets: np.ndarray
    in_flight_state: int            # packets inside the model at the end (all, not only the window)
    offered_total: int
    delivered_total: int
    dropped_total: int
    trace: PacketTrace | None


def chunk_bounds(duration_ns: float, warmup_ns: float, offered_pps: float, chunk_packets: int) -> list[float]:
    """Chunk horizons covering ``(0, duration]``, one of them exactly at the end of warm-up."""
    step = chunk_packets / offered_pps * 1e9 if offered_pps > 0 else duration_ns
    step = max(step, 1.0)
    bounds = list(np.arange(step, duration_ns, step)) + [duration_ns]
    if 0 < warmup_ns < duration_ns and warmup_ns not in bounds:
        bounds.append(warmup_ns)
    return sorted(set(float(b) for b in bounds))


class HostPath:
    """One variant's host path, ready to run."""

    def __init__(self, scenario: HostScenario, *, rate_scale: float = 1.0, seed: int | None = None,
                 duration_ns: float | None = None, trace: bool = False, plan: HostPlan | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.plan = plan if plan is not None else compile_host(scenario.host, scenario.traffic.flows, self.seed)
        self.t_end = float(duration_ns if duration_ns is not None else scenario.duration)
        self.t_lo = float(min(scenario.warmup, self.t_end))
        self.source = self.plan.source(scenario.traffic.flows, self.seed, rate_scale)
        self.pcap = None  # a PcapWriter: offered packets (as on the wire) are written to it
        self.pcap_room = 0
        self.trace = PacketTrace() if trace else None

    def write_pcap(self, writer, limit: int) -> None:
        """Also write the first ``limit`` offered packets, as on the wire, to ``writer``."""
        self.pcap, self.pcap_room = writer, int(limit)

    def run(self) -> HostRun:
        plan, t_lo, t_end = self.plan, self.t_lo, self.t_end
        host = RingServer(plan.host.cores, plan.host.rings, t_lo, t_end, detail=False)
        guest = RingServer(plan.guest.cores, plan.guest.rings, t_lo, t_end, detail=False)
        wire_last = -np.inf
        ns_per_bit = 1e9 / plan.line_rate_bps
        h_pp, h_pb = plan.host_work_ns
        g_pp, g_pb = plan.guest_work_ns
        latency = LogHistogram()
        wire_hist = LogHistogram()
        n_q, n_v = len(plan.host.rings), len(plan.guest.rings)
        queue_packets = np.zeros(n_q, np.int64)
        vnic_packets = np.zeros(n_v, np.int64)
        offered = delivered = 0
        offered_bits = 0.0
        offered_total = delivered_total = dropped_total = 0
        snap_host = np.zeros((len(plan.host.cores), N_ACC))
        snap_guest = np.zeros((len(plan.guest.cores), N_ACC))
        chunk = self.scenario.chunk_packets
        guest_late = 0

        g_pp_flow = g_pp[plan.flow_vm]
        g_pb_flow = g_pb[plan.flow_vm]
        for horizon in chunk_bounds(t_end, t_lo, self.source.offered_pps, chunk):
            pk = self.source.until(horizon)
            offered_total += len(pk)
            first = int(np.searchsorted(pk.t0_ns, t_lo, side="left"))   # offers are time-ordered
            offered += len(pk) - first
            offered_bits += 8.0 * (float(pk.size_bytes[first:].sum()) + WIRE_OVERHEAD_BYTES * (len(pk) - first))

            if self.pcap is not None and self.pcap_room > 0:
                k = min(len(pk), self.pcap_room)
                self.pcap.write(pk.t_ns[:k], pk.flow[:k], pk.size_bytes[:k])
                self.pcap_room -= k

            # wire: FIFO at line rate, unbounded (the sender's queue)
            service = (pk.size_bytes + WIRE_OVERHEAD_BYTES) * 8.0 * ns_per_bit
            t_nic, wire_last = lindley_single(pk.t_ns, service, wire_last)
            record_window(wire_hist.counts, wire_hist.stats, pk.t0_ns, t_nic, pk.t0_ns, t_lo, t_end)

            # pNIC rings, host threads (driver + vSwitch)
            ring, work = ring_and_work(pk.flow, pk.size_bytes, plan.flow_pnic_ring, h_pp, h_pb, pk.t0_ns, t_lo,
                                       queue_packets)
            out = host.advance(pk.with_times(t_nic), ring, work, horizon)
            dropped_total += len(out.drop_pid)
            if self.trace is not None and len(out.drop_pid):
                self.trace.dropped_pid.append(out.drop_pid)
                self.trace.dropped_stage.append(np.zeros(len(out.drop_pid), np.int64))

            # vNIC rings, guest vCPUs (driver + application)
            dep = out.departures
            vring, gwork = ring_and_work(dep.flow, dep.size_bytes, plan.flow_vnic_ring, g_pp_flow, g_pb_flow,
                                         dep.t0_ns, t_lo, vnic_packets)
            out2 = guest.advance(dep, vring, gwork, horizon)
            dropped_total += len(out2.drop_pid)
            if self.trace is not None and len(out2.drop_pid):
                self.trace.dropped_pid.append(out2.drop_pid)
                self.trace.dropped_stage.append(np.ones(len(out2.drop_pid), np.int64))

            # sink
            fin = out2.departures
            n_done = int(np.searchsorted(fin.t_ns, t_end, side="right"))   # departures are time-ordered
            guest_late += len(fin) - n_done
            delivered_total += n_done
            delivered += record_window(latency.counts, latency.stats, fin.t0_ns, fin.t_ns, fin.t0_ns, t_lo, t_end)
            if self.trace is not None:
                done = fin.t_ns <= t_end
                self.trace.delivered_pid.append(fin.pkt_id[done])
                self.trace.delivered_t_ns.append(fin.t_ns[done])
            if horizon == t_lo:
                snap_host = host.acc.copy()
                snap_guest = guest.acc.copy()

        in_flight_state = (int(host.occupancy().sum()) + host.pending_count() + int(guest.occupancy().sum())
                           + guest.pending_count() + guest_late)
        drops = {"pnic_ring": int(host.drop_acc[:, 1].sum()), "vnic_ring": int(guest.drop_acc[:, 1].sum())}
        stages = {"wire": wire_hist, "pnic_ring": host.wait, "vswitch": host.work, "vnic_ring": guest.wait,
                  "guest": guest.work}
        host_core_packets = _per_core(host.ring_packets, plan.host)
        guest_core_packets = _per_core(guest.ring_packets, plan.guest)
        host_acc = host.acc.copy()
        guest_acc = guest.acc.copy()
        host_acc[:, 4:] -= snap_host[:, 4:]
        guest_acc[:, 4:] -= snap_guest[:, 4:]
        return HostRun(
            plan=plan, window_ns=(t_lo, t_end), offered=offered, offered_bits=offered_bits,
            delivered=delivered, drops=drops, latency=latency, stages=stages,
            queue_packets=queue_packets, queue_drops=host.drop_acc[:, 1].copy(), vnic_packets=vnic_packets,
            vnic_drops=guest.drop_acc[:, 1].copy(), host_acc=host_acc, guest_acc=guest_acc,
            host_core_packets=host_core_packets, guest_core_packets=guest_core_packets,
            in_flight_state=in_flight_state, offered_total=offered_total, delivered_total=delivered_total,
            dropped_total=dropped_total, trace=self.trace)


def _per_core(ring_packets: np.ndarray, stage) -> np.ndarray:
    cores = np.array([r.core for r in stage.rings], np.int64)
    return np.bincount(cores, weights=ring_packets, minlength=len(stage.cores)).astype(np.int64)


def run_host(scenario: HostScenario, **kw) -> HostRun:
    return HostPath(scenario, **kw).run()
