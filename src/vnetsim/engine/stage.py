"""The stage contract: one protocol for every queueing stage, and the engine's concrete stages.

A **stage** is anything that queues and serves packets: FIFO links and the wire (``FifoStage``),
descriptor rings served by cores (``RingStage``), a fabric's links of one level
(``vnetsim.fabric.packetlevel.LinkLevel``), later storage devices or WAN uplinks. A
``vnetsim.engine.pipeline.Pipeline`` advances a feed-forward graph of stages chunk by chunk; it
relies on exactly this contract:

``advance(arrivals, horizon_ns) -> StageOutput``
    ``arrivals`` are ``Packets`` ordered by ``(t_ns, pkt_id)`` (``t_ns`` = arrival at this stage),
    every one of them before ``horizon_ns`` (the pipeline holds later ones for the next chunk), and
    every arrival before ``horizon_ns`` the stage will ever see (earlier calls gave the rest).
    The stage takes every decision before the horizon (it may take a decision at or after it
    only when nothing later can change it, e.g. a FIFO's departure is fixed at arrival), keeps
    its state for the next call and returns:

    - ``departures``: the packets that left in this call, ordered by ``(t_ns, pkt_id)``, with
      ``t_ns`` = when each reaches the next stage (``t0_ns``, ``size_bytes``, ``flow``, ``pkt_id``
      unchanged). A departure may be at or after the horizon. Every departure of a *later* call
      is at or after this horizon (it comes from a later decision), so downstream input below the
      horizon is complete once this call returns.
    - ``drop_pid``: the ids of packets dropped in this call (int64).
    - ``earlier`` (optional): departures of this call that all come before ``departures`` in
      ``(t_ns, pkt_id)``, as a run of their own, so that a stage need not copy two runs into one
      (``vnetsim.host.tx_tail``); the pipeline hands them on first.

``start_window()``
    The statistics window starts now (called once, at the end of warm-up): counters of events
    count from here. Time-based statistics are clipped to ``[stat_lo_ns, stat_hi_ns]`` by the
    stage itself, as the ring server does.

``held() -> int``
    Packets inside the stage now (queued, in service, or handed in and not yet decided).

``stats()``
    The stage's own statistics, typed: a dataclass whose arrays are structured numpy arrays with
    named fields (``LINK_STATS``, ``RING_STATS``, ``ring_server.CORE_COUNTERS``), never raw
    column indices.

A stage has a ``name`` (used in messages). Nothing else is required: a class that has these four
methods is a stage (``typing.Protocol``, no base class), so a new kind of stage needs no edit of
the engine.

Optional: ``holds_late_arrivals = True`` says the stage keeps arrivals at or after the horizon
itself (and counts them in ``held()``), as the ring server does, merging them with the next chunk's
in its kernel. The pipeline then hands it each chunk's arrivals as soon as they are known, late
ones included (each call ordered by ``(t_ns, pkt_id)``; a later call's arrivals are never before
this call's horizon, but may come before this call's late ones). That saves the copy a held-back
run costs; the stage must still take only decisions before the horizon.

How to add a stage (worked example: a constant delay, e.g. a fixed-latency WAN hop; see
``tests/engine/test_pipeline.py`` for it and for an M/D/1 server checked against
Pollaczek-Khinchine)::

    class Delay:
        name = "delay"

        def __init__(self, delay_ns):
            self.delay_ns, self.count = delay_ns, 0

        def advance(self, arrivals, horizon_ns):
            # decided at arrival; adding a constant keeps the (t_ns, pkt_id) order
            self.count += len(arrivals)
            return StageOutput(arrivals.with_times(arrivals.t_ns + self.delay_ns), NO_DROPS)

        def start_window(self):
            self.count = 0

        def held(self):
            return 0              # nothing waits inside: departures are emitted at once

        def stats(self):
            return self.count

    pipe = Pipeline()
    src = pipe.source(traffic)                      # anything with until(horizon_ns) -> Packets
    d = pipe.add(Delay(500.0))
    out = pipe.sink(lambda packets, horizon_ns: ...)
    pipe.connect(src, d)
    pipe.connect(d, out)
    pipe.run(duration_ns=1e6, offered_pps=traffic.offered_pps, chunk_packets=10_000)

A stage whose departures are not naturally in time order (several servers, a per-packet delay)
sorts them by ``(t_ns, pkt_id)`` before returning (``vnetsim.engine.merge.sort_packets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numba
import numpy as np

from vnetsim.engine.fifo import FifoQueues, fifo_advance
from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.merge import gather_packets, merge_runs, survivors, time_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import RingServer
from vnetsim.net.ethernet import WIRE_GAP_BYTES

NO_DROPS = np.empty(0, np.int64)
_NO_TABLE = np.empty(0, np.int64)          # no per-flow queue table: every packet to queue 0


@dataclass
class StageOutput:
    """What one ``advance`` call of a stage returns."""

    departures: Packets      # ordered by (t_ns, pkt_id); t_ns = arrival at the next stage
    drop_pid: np.ndarray     # ids of the packets dropped in this call (int64)
    earlier: Packets | None = None   # departures before all of ``departures``, a run of their own

    def runs(self) -> list[Packets]:
        """The departures as the runs they are, in order."""
        return [self.departures] if self.earlier is None else [self.earlier, self.departures]


@runtime_checkable
class Stage(Protocol):
    """The contract every queueing stage meets (see the module docstring)."""

    name: str

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput: ...

    def start_window(self) -> None: ...

    def held(self) -> int: ...

    def stats(self) -> Any: ...


# ----------------------------------------------------------------------------------------------
# FIFO links (the wire, fabric links)

# Per queue, since the statistics window started: packets accepted and dropped, their summed
# sojourn (arrival to departure) and service time; and the transmission time inside
# [stat_lo_ns, stat_hi_ns) (utilization = busy_window_ns / window length).
LINK_STATS = np.dtype([("accepted", np.int64), ("dropped", np.int64), ("sojourn_ns", np.float64),
                       ("busy_ns", np.float64), ("busy_window_ns", np.float64)])


@dataclass
class FifoStats:
    """A FIFO stage's statistics: per queue ``LINK_STATS``; the sojourn histogram (arrival to
    departure) of packets offered at or after ``stat_lo_ns`` and departed by ``stat_hi_ns``."""

    queues: np.ndarray
    sojourn: LogHistogram | None


@numba.njit(cache=True, nogil=True)
def _serve_single(t, t0, size, overhead, ns_per_byte, last_dep, acc, busy_win, lo, hi, record, counts, stats):
    """One unbounded FIFO (the wire): departures via the Lindley recursion; counters, transmission
    time inside [lo, hi), and (``record``) the sojourn of packets offered at or after ``lo`` that
    leave by ``hi``. Service = (size + overhead) * ns_per_byte."""
    n = t.shape[0]
    dep = np.empty(n)
    last = last_dep[0]
    accepted, sojourn, busy, window = acc[0, 0], acc[0, 2], acc[0, 3], busy_win[0]
    st = stats_load(stats)
    for i in range(n):                      # the Lindley recursion and the counters in one pass
        service = (size[i] + overhead) * ns_per_byte
        a = t[i]
        s = a if a > last else last
        d = s + service
        last = d
        dep[i] = d
        accepted += 1.0
        sojourn += d - a
        busy += service
        begin = d - service                 # (as the multi-queue kernel books it)
        b0 = begin if begin > lo else lo
        b1 = d if d < hi else hi
        if b1 > b0:
            window += b1 - b0
        if record and t0[i] >= lo and d <= hi:
            st = hist_add(counts, st, d - a, SUB_BITS)
    last_dep[0] = last
    acc[0, 0], acc[0, 2], acc[0, 3], busy_win[0] = accepted, sojourn, busy, window
    stats_store(stats, st)
    return dep


@numba.njit(cache=True, nogil=True)
def _serve_many(t, t0, size, flow, queue_of_flow, overhead, ns_per_byte, last_dep, cap_pkts, cap_bytes, bytes_per_ns,
                ring, ring_head, ring_count, acc, busy_win, lo, hi, record, counts, stats):
    """Many FIFO queues with finite buffers (``fifo_advance``): each packet's queue from its flow
    (an empty ``queue_of_flow``: queue 0), service = (size + overhead) * ns_per_byte[queue]. Returns
    departures (NaN = tail drop), queues and service times; books transmission time inside [lo, hi)
    and the sojourn histogram."""
    n = t.shape[0]
    queue = np.empty(n, np.int64)
    wire = np.empty(n, np.int64)
    service = np.empty(n, np.float64)
    lookup = queue_of_flow.shape[0] > 0
    for i in range(n):
        q = queue_of_flow[flow[i]] if lookup else 0
        queue[i] = q
        w = size[i] + overhead
        wire[i] = w
        service[i] = w * ns_per_byte[q]
    dep = fifo_advance(t, queue, service, wire, last_dep, cap_pkts, cap_bytes, bytes_per_ns, ring, ring_head,
                       ring_count, acc)
    st = stats_load(stats)
    for i in range(n):
        d = dep[i]
        if d != d:
            continue
        s = d - service[i]
        b0 = s if s > lo else lo
        b1 = d if d < hi else hi
        if b1 > b0:
            busy_win[queue[i]] += b1 - b0
        if record and t0[i] >= lo and d <= hi:
            st = hist_add(counts, st, d - t[i], SUB_BITS)
    stats_store(stats, st)
    return dep, queue, service


class FifoStage:
    """FIFO queues at line rate, one server each (links, the sender's wire), after
    docs/models/engine.md ("FIFO queue"): many queues in one stage, each packet's queue looked
    up from its flow (``queue_of_flow``); service = (frame + ``overhead_bytes``) * 8 / rate of the
    queue; tail drop against ``cap_pkts`` / ``cap_bytes`` (0 = unbounded) at arrival.

    A departure is fixed when the packet arrives (every earlier packet of its queue is known), so
    the stage holds nothing between calls. Departures are the last bit leaving the queue; a
    subclass may move them (``exit_times``: propagation, the next switch), after which they are
    sorted by (t_ns, pkt_id). Queues may be shared by several stages (``queues``) whose packets use
    disjoint queues, e.g. a fabric's links split by level.
    """

    def __init__(self, rate_bps, *, queue_of_flow: np.ndarray | None = None, cap_pkts=None, cap_bytes=None,
                 overhead_bytes: int = WIRE_GAP_BYTES, queues: FifoQueues | None = None, stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, sojourn_histogram: bool = False, name: str = "fifo") -> None:
        rate = np.atleast_1d(np.asarray(rate_bps, np.float64))
        if not (np.isfinite(rate) & (rate > 0)).all():   # models validate their rates; this is the backstop
            raise ValueError(f"{name}: queue rates must be finite and > 0 bits per second")
        self.name = name
        self.n_queues = len(rate)
        if self.n_queues > 1 and queue_of_flow is None:
            raise ValueError(f"{name}: {self.n_queues} queues need queue_of_flow (each flow's queue)")
        # 8 * (1e9 / rate) is bit for bit 8e9 / rate: scaling by a power of two is exact
        self.ns_per_byte = 8.0 * (1e9 / rate)
        self.queues = queues if queues is not None else FifoQueues(self.n_queues, cap_pkts, cap_bytes, rate / 8e9)
        self.queue_of_flow = None if queue_of_flow is None else np.ascontiguousarray(queue_of_flow, np.int64)
        self.overhead_bytes = int(overhead_bytes)
        self.stat_lo_ns, self.stat_hi_ns = float(stat_lo_ns), float(stat_hi_ns)
        self.busy_window_ns = np.zeros(self.n_queues, np.float64)
        self.sojourn = LogHistogram() if sojourn_histogram else None
        self._hist = self.sojourn if self.sojourn is not None else LogHistogram(1)
        q = self.queues
        self._single = (self.n_queues == 1 and self.queue_of_flow is None and not q.cap_pkts.any()
                        and not q.cap_bytes.any() and type(self).exit_times is FifoStage.exit_times)
        self._window_start = np.zeros_like(q.acc)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        """Serve time-ordered arrivals (all before ``horizon_ns``); departures fixed at arrival."""
        if not len(arrivals):
            return StageOutput(arrivals, NO_DROPS)
        q, h = self.queues, self._hist
        record = self.sojourn is not None
        if self._single:
            dep = _serve_single(arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, self.overhead_bytes,
                                self.ns_per_byte[0], q.last_dep, q.acc, self.busy_window_ns, self.stat_lo_ns,
                                self.stat_hi_ns, record, h.counts, h.stats)
            return StageOutput(arrivals.with_times(dep), NO_DROPS)
        qof = self.queue_of_flow if self.queue_of_flow is not None else _NO_TABLE
        dep, queue, service = _serve_many(
            arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow, qof, self.overhead_bytes,
            self.ns_per_byte, q.last_dep, q.cap_pkts, q.cap_bytes, q.bytes_per_ns, q.ring, q.ring_head, q.ring_count,
            q.acc, self.busy_window_ns, self.stat_lo_ns, self.stat_hi_ns, record, h.counts, h.stats)
        t_out = self.exit_times(dep, queue, service, arrivals)
        keep, drop_pid = survivors(t_out, arrivals.pkt_id)
        if self.n_queues > 1 or t_out is not dep:
            keep = keep[time_order(t_out[keep], arrivals.pkt_id[keep])]
        return StageOutput(Packets(*gather_packets(keep, t_out, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow,
                                                   arrivals.pkt_id)), drop_pid)

    def exit_times(self, dep_ns: np.ndarray, queue: np.ndarray, service_ns: np.ndarray,
                   arrivals: Packets) -> np.ndarray:
        """When each packet reaches the next stage (NaN where dropped): here its departure, the last
        bit leaving the queue. Subclasses add what lies between (a cable, a switch)."""
        return dep_ns

    def start_window(self) -> None:
        self._window_start = self.queues.acc.copy()

    def held(self) -> int:
        return 0

    def stats(self) -> FifoStats:
        acc = self.queues.acc - self._window_start
        out = np.zeros(self.n_queues, LINK_STATS)
        out["accepted"] = acc[:, 0].astype(np.int64)
        out["dropped"] = acc[:, 1].astype(np.int64)
        out["sojourn_ns"] = acc[:, 2]
        out["busy_ns"] = acc[:, 3]
        out["busy_window_ns"] = self.busy_window_ns
        return FifoStats(out, self.sojourn)


class SeriesStage:
    """Two stages in series run as one node: ``first``'s departures go straight into ``second``.

    Only for stages that fix every departure when the packet arrives and hold nothing between
    calls (a FIFO such as the wire, a device's DMA): ``second`` may then take ``first``'s departures
    at or after the horizon, since nothing later can change them. It saves the pipeline a hop (a
    routing and a copy per chunk) on the hottest path. ``stats()`` gives both stages' statistics.
    """

    def __init__(self, first: Stage, second: Stage) -> None:
        self.first, self.second = first, second
        self.name = f"{first.name}+{second.name}"

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        a = self.first.advance(arrivals, horizon_ns)
        b = self.second.advance(a.departures if a.earlier is None else merge_runs(a.runs()), horizon_ns)
        drops = b.drop_pid if not len(a.drop_pid) else np.concatenate([a.drop_pid, b.drop_pid])
        return StageOutput(b.departures, drops, b.earlier)

    def start_window(self) -> None:
        self.first.start_window()
        self.second.start_window()

    def held(self) -> int:
        return self.first.held() + self.second.held()

    def stats(self) -> tuple[Any, Any]:
        return self.first.stats(), self.second.stats()


# ----------------------------------------------------------------------------------------------
# Rings served by cores (pNIC rings and host threads, vNIC rings and guest vCPUs)

# Per ring: arrivals of packets offered in the statistics window (t0 >= stat_lo_ns; counted when
# handed to the ring, so those still waiting for a later decision at the end count too: every
# offered packet counts at its ring), tail drops (all, and of window packets), and window packets
# served (departed by stat_hi_ns).
RING_STATS = np.dtype([("arrivals", np.int64), ("drops", np.int64), ("window_drops", np.int64),
                       ("served", np.int64)])


@dataclass
class RingStats:
    """A ring stage's statistics: per core the ring server's ``CORE_COUNTERS`` of the window and
    the window packets it served; per ring ``RING_STATS``; the wait (arrival to the poll that took
    the packet) and work (poll to departure) histograms of window packets."""

    cores: np.ndarray
    core_packets: np.ndarray
    rings: np.ndarray
    wait: LogHistogram
    work: LogHistogram


@numba.njit(cache=True, nogil=True)
def ring_and_work(flow, size, ring_of_flow, pp_of_flow, pb_of_flow, t0, t_lo, ring_counts):
    """Per packet: its ring (from its flow) and its work in ns (per packet + per byte of its flow);
    counts the packets offered at or after ``t_lo`` per ring."""
    n = flow.shape[0]
    ring = np.empty(n, np.int64)
    work = np.empty(n, np.float64)
    for i in range(n):
        f = flow[i]
        r = ring_of_flow[f]
        ring[i] = r
        work[i] = pp_of_flow[f] + pb_of_flow[f] * size[i]
        if t0[i] >= t_lo:
            ring_counts[r] += 1
    return ring, work


class RingStage:
    """Descriptor rings served by cores (``RingServer``: interrupt, poll or hybrid), each packet's
    ring and CPU work looked up from its flow: ``ring_of_flow``, work = ``work_per_packet_ns[flow]``
    + ``work_per_byte_ns[flow]`` * size. The server's statistics window is ``[stat_lo_ns, stat_hi_ns]``.
    The server holds arrivals at or after the horizon itself (``holds_late_arrivals``).
    """

    holds_late_arrivals = True

    def __init__(self, server: RingServer, ring_of_flow: np.ndarray, work_per_packet_ns: np.ndarray,
                 work_per_byte_ns: np.ndarray, name: str = "rings") -> None:
        self.name = name
        self.server = server
        self.ring_of_flow = np.ascontiguousarray(ring_of_flow, np.int64)
        self.work_pp = np.ascontiguousarray(work_per_packet_ns, np.float64)
        self.work_pb = np.ascontiguousarray(work_per_byte_ns, np.float64)
        self.ring_arrivals = np.zeros(len(server.rings), np.int64)
        self.core_of_ring = np.array([r.core for r in server.rings], np.int64)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        ring, work = ring_and_work(arrivals.flow, arrivals.size_bytes, self.ring_of_flow, self.work_pp, self.work_pb,
                                   arrivals.t0_ns, self.server.stat_lo_ns, self.ring_arrivals)
        out = self.server.advance(arrivals, ring, work, horizon_ns)
        return StageOutput(out.departures, out.drop_pid)

    def start_window(self) -> None:
        self.server.start_window()

    def held(self) -> int:
        return int(self.server.occupancy().sum()) + self.server.pending_count()

    def stats(self) -> RingStats:
        s = self.server
        rings = np.zeros(len(s.rings), RING_STATS)
        rings["arrivals"] = self.ring_arrivals
        rings["drops"] = s.drop_acc[:, 0]
        rings["window_drops"] = s.drop_acc[:, 1]
        rings["served"] = s.ring_packets
        core_packets = np.bincount(self.core_of_ring, weights=s.ring_packets,
                                   minlength=len(s.cores)).astype(np.int64)
        return RingStats(s.counters(), core_packets, rings, s.wait, s.work)
