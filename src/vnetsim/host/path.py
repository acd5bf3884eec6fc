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
from vnetsim.engine.ring_server import RingServer
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
    host_counters: np.ndarray       # per host core: CORE_COUNTERS of the statistics window
    guest_counters: np.ndarray
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


class HostReceive:
    """The receiving host, from its NIC on: pNIC rings and host threads (driver, vSwitch), then vNIC
    rings and guest vCPUs (driver, application). Fed chunk by chunk with packets as they finish
    arriving at the NIC (``t_ns``), time-ordered; a fabric edge uses it directly."""

    def __init__(self, plan: HostPlan, t_lo: float, t_end: float, trace: PacketTrace | None = None) -> None:
        self.plan, self.t_lo, self.t_end, self.trace = plan, t_lo, t_end, trace
        self.host = RingServer(plan.host.cores, plan.host.rings, t_lo, t_end, detail=False)
        self.guest = RingServer(plan.guest.cores, plan.guest.rings, t_lo, t_end, detail=False)
        self.g_pp_flow = plan.guest_work_ns[0][plan.flow_vm]
        self.g_pb_flow = plan.guest_work_ns[1][plan.flow_vm]
        self.latency = LogHistogram()               # end to end: source to the application
        self.queue_packets = np.zeros(len(plan.host.rings), np.int64)
        self.vnic_packets = np.zeros(len(plan.guest.rings), np.int64)
        self.delivered = self.delivered_total = self.dropped_total = self.late = 0

    def advance(self, arrivals: Packets, horizon: float) -> None:
        """Take packets arriving at the NIC and run every decision before ``horizon``."""
        plan, t_lo, t_end = self.plan, self.t_lo, self.t_end
        h_pp, h_pb = plan.host_work_ns
        ring, work = ring_and_work(arrivals.flow, arrivals.size_bytes, plan.flow_pnic_ring, h_pp, h_pb,
                                   arrivals.t0_ns, t_lo, self.queue_packets)
        out = self.host.advance(arrivals, ring, work, horizon)
        self._dropped(out, 0)
        dep = out.departures
        vring, gwork = ring_and_work(dep.flow, dep.size_bytes, plan.flow_vnic_ring, self.g_pp_flow, self.g_pb_flow,
                                     dep.t0_ns, t_lo, self.vnic_packets)
        out2 = self.guest.advance(dep, vring, gwork, horizon)
        self._dropped(out2, 1)
        fin = out2.departures
        n_done = int(np.searchsorted(fin.t_ns, t_end, side="right"))   # departures are time-ordered
        self.late += len(fin) - n_done
        self.delivered_total += n_done
        self.delivered += record_window(self.latency.counts, self.latency.stats, fin.t0_ns, fin.t_ns, fin.t0_ns,
                                        t_lo, t_end)
        if self.trace is not None:
            self.trace.delivered_pid.append(fin.pkt_id[:n_done])
            self.trace.delivered_t_ns.append(fin.t_ns[:n_done])

    def _dropped(self, out, stage: int) -> None:
        self.dropped_total += len(out.drop_pid)
        if self.trace is not None and len(out.drop_pid):
            self.trace.dropped_pid.append(out.drop_pid)
            self.trace.dropped_stage.append(np.full(len(out.drop_pid), stage, np.int64))

    def end_of_warmup(self) -> None:
        """Counters count from here (CPU time is clipped to the window by the kernels)."""
        self.host.start_window()
        self.guest.start_window()

    def in_flight(self) -> int:
        """Packets still inside at the end: in rings, held for a later decision, or done too late."""
        h, g = self.host, self.guest
        return int(h.occupancy().sum()) + h.pending_count() + int(g.occupancy().sum()) + g.pending_count() + self.late

    def parts(self) -> dict:
        """The receive side's share of a HostRun."""
        plan, h, g = self.plan, self.host, self.guest
        return dict(
            delivered=self.delivered, latency=self.latency,
            drops={"pnic_ring": int(h.drop_acc[:, 1].sum()), "vnic_ring": int(g.drop_acc[:, 1].sum())},
            receive_stages={"pnic_ring": h.wait, "vswitch": h.work, "vnic_ring": g.wait, "guest": g.work},
            queue_packets=self.queue_packets, queue_drops=h.drop_acc[:, 1].copy(), vnic_packets=self.vnic_packets,
            vnic_drops=g.drop_acc[:, 1].copy(), host_counters=h.counters(), guest_counters=g.counters(),
            host_core_packets=_per_core(h.ring_packets, plan.host),
            guest_core_packets=_per_core(g.ring_packets, plan.guest))


class HostPath:
    """One variant's host path, ready to run: source, wire, then the receiving host."""

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
        receive = HostReceive(plan, t_lo, t_end, self.trace)
        wire_last = -np.inf
        ns_per_bit = 1e9 / plan.line_rate_bps
        wire_hist = LogHistogram()
        offered = offered_total = 0
        offered_bits = 0.0
        for horizon in chunk_bounds(t_end, t_lo, self.source.offered_pps, self.scenario.chunk_packets):
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
            receive.advance(pk.with_times(t_nic), horizon)
            if horizon == t_lo:
                receive.end_of_warmup()
        parts = receive.parts()
        stages = {"wire": wire_hist, **parts.pop("receive_stages")}
        return HostRun(plan=plan, window_ns=(t_lo, t_end), offered=offered, offered_bits=offered_bits,
                       stages=stages, in_flight_state=receive.in_flight(), offered_total=offered_total,
                       delivered_total=receive.delivered_total, dropped_total=receive.dropped_total,
                       trace=self.trace, **parts)


def _per_core(ring_packets: np.ndarray, stage) -> np.ndarray:
    cores = np.array([r.core for r in stage.rings], np.int64)
    return np.bincount(cores, weights=ring_packets, minlength=len(stage.cores)).astype(np.int64)


def run_host(scenario: HostScenario, **kw) -> HostRun:
    return HostPath(scenario, **kw).run()
