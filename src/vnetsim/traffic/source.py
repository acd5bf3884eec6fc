"""Traffic sources: what a pipeline pulls packets from, chunk by chunk.

Every source meets one protocol (``Source``): ``until(horizon_ns)`` hands out, as ``Packets``
ordered by time with ``pkt_id`` numbering them in that order, every packet offered before the
horizon and not handed out yet; ``offered_pps`` and ``mean_frame_bytes`` say what it offers
(chunk sizes and line-rate checks use them). Two sources here:

- ``TrafficSource``: a host scenario's flow groups (``vnetsim.traffic.config``), each with its own
  arrival process and size distribution, merged into one stream;
- ``FlowSource``: flows with given packet rates and frame sizes (a fabric's traffic matrix) under
  one arrival process (``SuperposedPoissonArrivals``, ``PeriodicArrivals``), up to an end time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from vnetsim.engine.merge import merge_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.rng import stream
from vnetsim.net.ethernet import FCS_BYTES, WIRE_GAP_BYTES
from vnetsim.traffic.arrivals import ConstantArrivals, OnOffArrivals, PoissonArrivals, TraceArrivals
from vnetsim.traffic.config import Constant, FlowGroup, OnOff, Poisson
from vnetsim.traffic.sizes import SizeSampler


class Source(Protocol):
    """What a pipeline pulls packets from (see the module docstring)."""

    @property
    def offered_pps(self) -> float: ...

    @property
    def mean_frame_bytes(self) -> float: ...

    def until(self, horizon_ns: float) -> Packets: ...


@dataclass
class GroupPlan:
    """A flow group compiled to numbers: its rate in pps and where its flows sit in the flow table."""

    group: FlowGroup
    rate_pps: float
    first_flow: int
    mean_frame_bytes: float       # on the wire (overlay included), without preamble and gap
    trace_pps: float = 0.0        # a trace's own packet rate


def plan_groups(groups: list[FlowGroup], rate_scale: float = 1.0, counts: list[int] | None = None,
                traces: dict | None = None, added_bytes: list[float] | None = None) -> list[GroupPlan]:
    """Each group's rate in packets per second (bps rates count the frame as it is on the wire:
    with the overlay's bytes and the 20-byte preamble and gap) and its first flow index."""
    plans, first = [], 0
    for k, g in enumerate(groups):
        extra = added_bytes[k] if added_bytes else 0.0
        trace = (traces or {}).get(g.name)
        if trace is not None:
            n = len(trace)
            sizes = trace.orig_len.astype(np.float64) + FCS_BYTES
            mean = float(sizes.mean()) if n else 0.0
            # the replay's own rate (a loop's included: one packet looped still has a rate)
            loop = g.trace.loop if g.trace is not None else False
            own_pps = TraceArrivals(trace.t_ns, trace.flow, sizes, 1.0, loop).offered_pps if n else 0.0
        else:
            mean = SizeSampler(g.size, np.random.default_rng(0)).mean_bytes
            own_pps = 0.0
        pps = g.rate.to_pps(mean + extra, WIRE_GAP_BYTES) if g.rate is not None else own_pps
        count = counts[k] if counts else g.count
        plans.append(GroupPlan(g, pps * rate_scale, first, mean + extra, own_pps))
        first += count
    return plans


class TrafficSource:
    """Generates the offered packets chunk by chunk; ``pkt_id`` numbers them in time order.

    With a flow catalog (``vnetsim.host.flows``), group sizes come from it (captures define their
    own flows), and each packet's size grows by the bytes its flow's overlay adds on the wire.
    """

    def __init__(self, groups: list[FlowGroup], seed: int, rate_scale: float = 1.0, catalog=None) -> None:
        counts = catalog.counts if catalog is not None else None
        traces = catalog.traces if catalog is not None else {}
        self.added_bytes = catalog.added_overhead_bytes.astype(np.int32) if catalog is not None else None
        added_mean = None
        if catalog is not None:
            added_mean = [float(catalog.added_overhead_bytes[catalog.group == k].mean()) if catalog.counts[k] else 0.0
                          for k in range(len(groups))]
        self.plans = plan_groups(groups, rate_scale, counts, traces, added_mean)
        self.n_flows = sum(counts) if counts else sum(g.count for g in groups)
        self._gen: list[Any] = []      # arrival processes: until() gives (t, flow), or (t, flow, size) for a trace
        self._sizes: list[SizeSampler | None] = []
        for p in self.plans:
            g = p.group
            rng = stream(seed, f"traffic/{g.name}/arrivals")
            gen: Any
            if g.name in traces:
                trace = traces[g.name]
                scale = p.trace_pps / p.rate_pps if p.rate_pps > 0 and p.trace_pps > 0 else 1.0
                loop = g.trace.loop if g.trace is not None else False
                gen = TraceArrivals(trace.t_ns, trace.flow, trace.orig_len + FCS_BYTES, scale, loop)
            elif isinstance(g.arrival, Poisson):
                gen = PoissonArrivals(p.rate_pps, g.count, rng)
            elif isinstance(g.arrival, Constant):
                gen = ConstantArrivals(p.rate_pps, g.count, rng)
            elif isinstance(g.arrival, OnOff):
                gen = OnOffArrivals(p.rate_pps, g.count, g.arrival.on, g.arrival.off, g.arrival.shape, rng)
            else:  # pragma: no cover
                raise TypeError(g.arrival)
            self._gen.append(gen)
            sizes = None if g.name in traces else SizeSampler(g.size, stream(seed, f"traffic/{g.name}/sizes"))
            self._sizes.append(sizes)
        self.next_id = 0

    @property
    def offered_pps(self) -> float:
        return sum(p.rate_pps for p in self.plans)

    @property
    def mean_frame_bytes(self) -> float:
        total = self.offered_pps
        return sum(p.rate_pps * p.mean_frame_bytes for p in self.plans) / total if total else 0.0

    def until(self, horizon_ns: float) -> Packets:
        """Every packet offered before ``horizon_ns`` and not handed out yet."""
        ts, fs, ss = [], [], []
        for p, gen, sizes in zip(self.plans, self._gen, self._sizes):
            if sizes is None:
                t, f, size = gen.until(horizon_ns)
            else:
                t, f = gen.until(horizon_ns)
                size = sizes.draw(len(t))
            ts.append(t)
            fs.append(f + np.int32(p.first_flow))
            ss.append(size)
        if len(ts) == 1:
            t, f, s = ts[0], fs[0], ss[0]
        else:
            t, f, s = np.concatenate(ts), np.concatenate(fs), np.concatenate(ss)
            order = merge_order(t, [len(x) for x in ts])
            t, f, s = t[order], f[order], s[order]
        if self.added_bytes is not None and len(f):
            s = s + self.added_bytes[f]
        n = len(t)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return Packets(t, t.copy(), s.astype(np.int32, copy=False), f.astype(np.int32, copy=False), ids)


class FlowSource:
    """Packets of flows with given rates (``rate_pps`` per flow) and frame sizes (``frame_bytes``
    per flow, FCS included), from an arrival process whose ``until(horizon_ns)`` gives (times, flow
    indices), up to ``end_ns`` (nothing at or after it). ``pkt_id`` numbers the packets in time order."""

    def __init__(self, rate_pps: np.ndarray, frame_bytes: np.ndarray, arrivals, end_ns: float) -> None:
        self.rate_pps = np.asarray(rate_pps, np.float64)
        self.frame_bytes = np.asarray(frame_bytes, np.int32)
        self.arrivals = arrivals
        self.end_ns = float(end_ns)
        self.next_id = 0

    @property
    def offered_pps(self) -> float:
        return float(self.rate_pps.sum())

    @property
    def mean_frame_bytes(self) -> float:
        total = self.offered_pps
        return float((self.rate_pps * self.frame_bytes).sum() / total) if total else 0.0

    def until(self, horizon_ns: float) -> Packets:
        """Every packet offered before ``min(horizon_ns, end_ns)`` and not handed out yet."""
        if self.arrivals is None:
            return Packets.empty()
        t, flow = self.arrivals.until(min(horizon_ns, self.end_ns))
        n = len(t)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return Packets(t, t.copy(), self.frame_bytes[flow], flow.astype(np.int32), ids)
