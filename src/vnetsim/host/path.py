"""The host data path as a pipeline of engine stages (``vnetsim.engine.pipeline``):

    source -> wire (FifoStage: line rate, unbounded) -> pNIC rings (RingStage: host threads, driver
    + vSwitch) -> vNIC rings (RingStage: guest vCPUs, driver + application) -> application (sink)

Stages and what their latency means (each measured on the packets that left that stage):
- ``wire``: queueing behind earlier frames and serialization at line rate, (frame + 20 B) * 8 / rate;
- ``pnic_ring``: waiting in the pNIC RX ring until a host thread's poll takes it (interrupt
  moderation, wake-up, C-state exit, other packets of the batch and other queues of the core);
- ``vswitch``: the host thread's work until the packet is in the vNIC ring (driver + vSwitch);
- ``vnic_ring``: waiting in the vNIC ring until the guest polls it (virtual interrupt coalescing,
  vCPU wake-up, or the guest PMD's poll loop);
- ``guest``: the guest driver's and the application's work on the packet.

``HostReceive`` is the receiving host from its NIC on (the two ring stages and the application):
``HostPath`` attaches it behind its wire; a fabric edge host runs it as a sub-pipeline of its own,
fed chunk by chunk with what the fabric delivers (``advance``).

When the application answers or forwards (``plan.transmit``, ``vnetsim.host.tx``) and the caller
asks for it (``transmit=True``, as ``HostPath`` does), the application is a pass-through stage that
records the receive latency, and the transmit stages follow it into a sink that records the round
trip, ``t(sink) - t0``: the client's (or tester's) view from sending to having the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import Node, Pipeline, default_workers
from vnetsim.engine.stage import NO_DROPS, FifoStage, RingStage, RingStats, SeriesStage, StageOutput
from vnetsim.errors import ModelError
from vnetsim.host.kernels import record_window
from vnetsim.host.plan import DeviceStagePlan, HostPlan, RingStagePlan, compile_host
from vnetsim.host.scenario import HostScenario, long_run_message
from vnetsim.host.tx_stages import PassThrough
from vnetsim.host.tx_tail import fuse_tail
from vnetsim.net.ethernet import WIRE_GAP_BYTES
from vnetsim.units import format_rate


@dataclass
class PacketTrace:
    """Per-packet outcomes, kept only when asked for (small runs, differential tests)."""

    delivered_pid: list = field(default_factory=list)
    delivered_t_ns: list = field(default_factory=list)
    dropped_pid: list = field(default_factory=list)
    dropped_stage: list = field(default_factory=list)   # index into plan.receive + plan.transmit
    returned_pid: list = field(default_factory=list)    # round trips: back at the client (the sink)
    returned_t_ns: list = field(default_factory=list)

    def arrays(self):
        cat = lambda xs, d: np.concatenate(xs) if xs else np.empty(0, d)  # noqa: E731
        return (cat(self.delivered_pid, np.int64), cat(self.delivered_t_ns, np.float64),
                cat(self.dropped_pid, np.int64), cat(self.dropped_stage, np.int64))

    def returned(self) -> tuple[np.ndarray, np.ndarray]:
        """(packet ids, times) of the round trips completed by the end."""
        cat = lambda xs, d: np.concatenate(xs) if xs else np.empty(0, d)  # noqa: E731
        return cat(self.returned_pid, np.int64), cat(self.returned_t_ns, np.float64)


@dataclass
class HostRun:
    """The raw outcome of one run; ``vnetsim.host.report`` turns it into the published result."""

    plan: HostPlan
    window_ns: tuple[float, float]
    offered: int
    offered_bits: float
    delivered: int
    drops: dict[str, int]           # window drops by ring stage (its wait name), in path order
    latency: LogHistogram
    stages: dict[str, LogHistogram]  # latency of each stage, in path order (wire first)
    ring_stats: list[RingStats]     # per receive stage (plan.receive order): rings and cores
    host_counters: np.ndarray       # per host core: CORE_COUNTERS of the statistics window
    guest_counters: np.ndarray
    host_core_packets: np.ndarray
    guest_core_packets: np.ndarray
    in_flight_state: int            # packets inside the model at the end (all, not only the window)
    offered_total: int
    delivered_total: int
    dropped_total: int
    trace: PacketTrace | None
    round_trip: LogHistogram | None = None   # answered or forwarded: t0 -> back at the peer (window)
    tx_drops: dict[str, int] = field(default_factory=dict)   # window drops by transmit stage, in path order
    tx_delivered: int = 0           # round trips completed in the window
    tx_ring_stats: list[RingStats] = field(default_factory=list)   # per transmit ring stage


class HostReceive:
    """The receiving host, from its NIC on: the plan's chain of ring stages (``plan.receive``; by
    default pNIC rings and host threads (driver, vSwitch), then vNIC rings and guest vCPUs (driver,
    application)), and the application as the sink.

    Given a ``pipeline`` and an ``upstream`` node, its stages are added behind that node; without
    them it owns a pipeline whose input is pushed with ``advance(arrivals, horizon)``: packets as
    they finish arriving at the NIC (``t_ns``), time-ordered (a fabric edge host). Latency is
    recorded for packets offered at or after ``t_lo`` that reach the application by ``t_end``.
    """

    def __init__(self, plan: HostPlan, t_lo: float, t_end: float, trace: PacketTrace | None = None,
                 pipeline: Pipeline | None = None, upstream: Node | None = None, transmit: bool = False,
                 wire: FifoStage | None = None) -> None:
        """``wire``: the sender's wire, run in series with the NIC's device stage as one pipeline node
        when the receive path starts with one (both fix departures at arrival); otherwise its own node."""
        self.plan, self.t_lo, self.t_end, self.trace = plan, t_lo, t_end, trace
        self.pipeline = pipeline if pipeline is not None else Pipeline()
        self.entry = upstream if upstream is not None else self.pipeline.source(name="nic")
        self.stages = [sp.build(t_lo, t_end) for sp in plan.receive]
        self.transmit = [sp.build(t_lo, t_end) for sp in plan.transmit] if transmit else []
        self.latency = LogHistogram()               # end to end: source to the application
        self.round_trip = LogHistogram()            # source to back at the peer (answered or forwarded)
        self.delivered = self.delivered_total = self.dropped_total = self.late = 0
        self.returned = 0
        p = self.pipeline
        last = self.entry
        self._receive_nodes = []
        fuse = wire is not None and bool(plan.receive) and isinstance(plan.receive[0], DeviceStagePlan)
        if wire is not None and not fuse:
            last = p.add(wire)
            p.connect(self.entry, last)
        for k, stage in enumerate(self.stages):
            node = p.add(SeriesStage(wire, stage) if fuse and k == 0 and wire is not None else stage,
                         on_drop=self._drop_counter(k))
            p.connect(last, node)
            last = node
            self._receive_nodes.append(node)
        if not self.transmit:
            p.connect(last, p.sink(self._deliver, "application"))
            return
        self._app_node = p.add(_Application(self), name="application")
        p.connect(last, self._app_node)
        last = self._app_node
        first, at_wire, tail = fuse_tail(self.transmit)    # the TX DMA, wire and peer in one pass
        for j, stage in enumerate(self.transmit[:first]):
            node = p.add(stage, on_drop=self._drop_counter(len(self.stages) + j))
            p.connect(last, node)
            last = node
        if tail is not None:
            node = p.add(tail, on_drop=self._drop_counter(len(self.stages) + at_wire))
            p.connect(last, node)
            last = node
        p.connect(last, p.sink(self._return, "peer", in_parts=True))

    @property
    def rings(self) -> list[RingStage]:
        """The ring stages, in path order (the first is the one the NIC fills)."""
        return [st for sp, st in zip(self.plan.receive, self.stages) if isinstance(sp, RingStagePlan)]

    def advance(self, arrivals: Packets, horizon: float) -> None:
        """Take packets arriving at the NIC and run every decision before ``horizon`` (own pipeline)."""
        self.pipeline.step(horizon, {self.entry: arrivals})

    def finish(self) -> None:
        """After the last chunk: the application takes what reached it (counted if by ``t_end``)."""
        self.pipeline.flush()

    def _deliver(self, fin: Packets, horizon: float) -> None:
        n_done = int(np.searchsorted(fin.t_ns, self.t_end, side="right"))   # time-ordered
        self.late += len(fin) - n_done
        self.delivered_total += n_done
        self.delivered += record_window(self.latency.counts, self.latency.stats, fin.t0_ns, fin.t_ns, fin.t0_ns,
                                        self.t_lo, self.t_end)
        if self.trace is not None and n_done:
            self.trace.delivered_pid.append(fin.pkt_id[:n_done])
            self.trace.delivered_t_ns.append(fin.t_ns[:n_done])

    def _return(self, fin: Packets, horizon: float) -> None:
        """Round trips: the answers (or forwarded packets) back at the peer."""
        self.returned += record_window(self.round_trip.counts, self.round_trip.stats, fin.t0_ns, fin.t_ns, fin.t0_ns,
                                       self.t_lo, self.t_end)
        if self.trace is not None and len(fin):
            n_done = int(np.searchsorted(fin.t_ns, self.t_end, side="right"))
            self.trace.returned_pid.append(fin.pkt_id[:n_done])
            self.trace.returned_t_ns.append(fin.t_ns[:n_done])

    def _drop_counter(self, stage: int):
        """The drop callback of receive stage ``stage``."""
        return lambda pid: self._dropped(pid, stage)

    def _dropped(self, pid: np.ndarray, stage: int) -> None:
        """Packets dropped at stage ``stage`` (an index into ``plan.receive``)."""
        self.dropped_total += len(pid)
        if self.trace is not None:
            self.trace.dropped_pid.append(pid)
            self.trace.dropped_stage.append(np.full(len(pid), stage, np.int64))

    def start_window(self) -> None:
        """Counters count from here (own pipeline; CPU time is clipped to the window by the kernels)."""
        for stage in self.stages + self.transmit:
            stage.start_window()

    def in_flight(self) -> int:
        """Packets still inside at the end: held, in rings, or reaching the application too late
        (on the way to the application only, when a transmit side follows it)."""
        if not self.transmit:
            return self.pipeline.held() + self.late
        return sum(n.held() + n.obj.held() for n in self._receive_nodes) + self._app_node.held() + self.late

    def parts(self) -> dict:
        """The receive side's share of a HostRun: each stage's latencies and drops by name (path
        order), the ring stages' statistics (``ring_stats``, in ``plan.ring_stages()`` order), and
        per-core counters by role."""
        receive_stages, drops, ring_stats = _reports(self.plan.receive, self.stages)
        roles = [sp.role for sp in self.plan.ring_stages()]

        def by_role(role: str, field: str) -> np.ndarray:
            rows = [getattr(s, field) for r, s in zip(roles, ring_stats) if r == role]
            return np.concatenate(rows) if rows else getattr(ring_stats[0], field)[:0]

        out = dict(
            delivered=self.delivered, latency=self.latency, drops=drops, receive_stages=receive_stages,
            ring_stats=ring_stats, host_counters=by_role("host", "cores"), guest_counters=by_role("guest", "cores"),
            host_core_packets=by_role("host", "core_packets"), guest_core_packets=by_role("guest", "core_packets"))
        if self.transmit:
            tx_stages, tx_drops, tx_rings = _reports(self.plan.transmit, self.transmit)
            receive_stages.update(tx_stages)
            out.update(round_trip=self.round_trip, tx_drops=tx_drops, tx_delivered=self.returned,
                       tx_ring_stats=tx_rings)
        return out


def _reports(plans: list, stages: list) -> tuple[dict[str, LogHistogram], dict[str, int], list[RingStats]]:
    """What the built ``stages`` of ``plans`` report: latencies and drops by name, in path order, and
    the ring stages' statistics."""
    latencies: dict[str, LogHistogram] = {}
    drops: dict[str, int] = {}
    ring_stats: list[RingStats] = []
    for sp, stage in zip(plans, stages):
        stats = stage.stats()
        lat, dropped = sp.report(stats)
        latencies.update(lat)
        drops.update(dropped)
        if isinstance(sp, RingStagePlan):
            ring_stats.append(stats)
    return latencies, drops, ring_stats


class _Application(PassThrough):
    """The application as a pass-through stage (when a transmit side follows it): it records the
    receive latency of window packets as the sink would, and hands every packet on at once (late
    arrivals too: nothing it does depends on the order)."""

    name = "application"

    def __init__(self, receive: HostReceive) -> None:
        self.receive = receive

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        self.receive._deliver(arrivals, horizon_ns)
        return StageOutput(arrivals, NO_DROPS)


class _Offered:
    """The traffic source as the pipeline sees it, counting what was offered (and writing a pcap)."""

    def __init__(self, source, t_lo: float, pcap, pcap_room: int) -> None:
        self.source, self.t_lo, self.pcap, self.pcap_room = source, t_lo, pcap, pcap_room
        self.offered = self.offered_total = 0
        self.offered_bits = 0.0

    def until(self, horizon: float) -> Packets:
        pk = self.source.until(horizon)
        n = len(pk)
        self.offered_total += n
        first = int(np.searchsorted(pk.t0_ns, self.t_lo, side="left"))   # offers are time-ordered
        self.offered += n - first
        self.offered_bits += 8.0 * (float(pk.size_bytes[first:].sum()) + WIRE_GAP_BYTES * (n - first))
        if self.pcap is not None and self.pcap_room > 0:
            k = min(n, self.pcap_room)
            self.pcap.write(pk.t_ns[:k], pk.flow[:k], pk.size_bytes[:k])
            self.pcap_room -= k
        return pk


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

    def check_length(self) -> None:
        """Refuse (ModelError on ``duration``) a run whose offered packets exceed
        ``limits.max_packets``: the scenario's own check covers ``vnetsim run``; this one also covers
        every trial of a throughput search and every caller of the API."""
        pps = self.source.offered_pps
        packets = pps * self.t_end / 1e9
        limit = self.scenario.limits.max_packets
        if packets > limit:
            text = long_run_message(packets, format_rate(pps, "pps"), self.t_end, limit)
            field, _, what = text.partition(": ")
            raise ModelError(field, what)

    def run(self) -> HostRun:
        self.check_length()
        plan, t_lo, t_end = self.plan, self.t_lo, self.t_end
        offered = _Offered(self.source, t_lo, self.pcap, self.pcap_room)
        pipe = Pipeline()
        src = pipe.source(offered)
        wire = FifoStage(plan.line_rate_bps, stat_lo_ns=t_lo, stat_hi_ns=t_end, sojourn_histogram=True, name="wire")
        receive = HostReceive(plan, t_lo, t_end, self.trace, pipe, src, transmit=True, wire=wire)
        pipe.run(t_end, self.source.offered_pps, self.scenario.chunk_packets, warmup_ns=t_lo, workers=default_workers())
        receive.finish()
        self.pcap_room = offered.pcap_room
        parts = receive.parts()
        stages = {"wire": wire.stats().sojourn, **parts.pop("receive_stages")}
        return HostRun(plan=plan, window_ns=(t_lo, t_end), offered=offered.offered, offered_bits=offered.offered_bits,
                       stages=stages, in_flight_state=receive.in_flight(), offered_total=offered.offered_total,
                       delivered_total=receive.delivered_total, dropped_total=receive.dropped_total,
                       trace=self.trace, **parts)
