"""Packet-level fabric run: every packet through every link queue on its ECMP path, as a pipeline.

Model (docs/models/fabric.md):
- Each directed link is a FIFO egress queue at line rate with a finite byte buffer
  (``vnetsim.engine.stage.FifoStage`` on ``vnetsim.engine.fifo.fifo_advance``); a packet that does
  not fit is tail-dropped and counted on that link. Service = (frame + 20 B) * 8 / link speed.
- After leaving link ``l`` at ``dep``, a packet reaches the next egress queue ``m`` at
  ``dep + propagation(l) + latency(switch)``; with cut-through and ``speed(m) <= speed(l)`` the
  switch starts forwarding once the header is in, so the serialization on ``l`` is taken back:
  ``- service(l)`` (store-and-forward keeps it). The packet is delivered at ``dep + propagation``
  of its last link (the last bit reaches the destination NIC); latency = delivery - offer time.
- Routes are fixed per flow (ECMP hash), so every link has a level: its depth in the graph of
  "link l feeds link m" edges. The links of one level are one stage (``LinkLevel``); a level's
  departures go to later levels or to delivery (a split by flow), so the stages form a
  feed-forward pipeline (``vnetsim.engine.pipeline``) and every link sees its arrivals complete
  and in (time, packet id) order. Routes with a cycle over links (valley routes after some
  failures) cannot be ordered: use the flow level for them.
- A packet carries no hop state: its link at level L is ``paths[flow, hop]`` for the one hop of
  the flow's path at that level (levels strictly increase along a path), looked up per level.
- Chunks: the pipeline advances every level to a horizon H; arrivals at or after H wait for the
  next chunk (with cut-through, arrivals downstream are never earlier than the upstream arrival),
  and a last chunk with an infinite horizon lets every packet offered before the end finish.
  Results do not depend on the chunk size. Deliveries are handed to ``on_deliver`` per chunk,
  time-ordered, all before H: the pipeline's sink, where receiving host models plug in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.fifo import FifoQueues
from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import ClassifyFn, Node, Pipeline
from vnetsim.engine.stage import FifoStage
from vnetsim.errors import ModelError
from vnetsim.fabric.pairs import PairStats
from vnetsim.fabric.topology import Fabric
from vnetsim.fabric.traffic import Flows
from vnetsim.traffic.source import FlowSource

DeliverHook = Callable[[np.ndarray, Packets, float], None]  # (destination hosts, packets, horizon)


def link_levels(paths: np.ndarray, plen: np.ndarray, n_links: int) -> np.ndarray:
    """Depth of each used link in the "feeds" graph (-1 unused); ModelError on a cycle."""
    level = np.full(n_links, -1, np.int64)
    if not len(paths):
        return level
    width = paths.shape[1]
    first = paths[plen > 0, 0]
    level[first] = 0
    pairs = []
    for i in range(width - 1):
        a, b = paths[:, i], paths[:, i + 1]
        ok = (a >= 0) & (b >= 0)
        pairs.append(np.stack([a[ok], b[ok]], axis=1))
    edges = np.unique(np.concatenate(pairs), axis=0) if pairs else np.zeros((0, 2), np.int64)
    used = np.unique(paths[paths >= 0])
    level[used] = np.maximum(level[used], 0)
    for _ in range(len(used) + 1):
        new = level.copy()
        if len(edges):
            np.maximum.at(new, edges[:, 1], level[edges[:, 0]] + 1)
        if np.array_equal(new, level):
            return level
        level = new
    raise ModelError("fabric.failures", "these routes loop over links (a valley path after a failure), so "
                        "packets cannot be ordered level by level", "use fabric.engine.level: flow for this case")


def hop_table(paths: np.ndarray, plen: np.ndarray, level: np.ndarray, n_levels: int) -> np.ndarray:
    """hop[f, L]: which hop of flow f's path is on a link of level L (-1: none). Levels strictly
    increase along a path, so there is at most one."""
    hop = np.full((len(paths), n_levels), -1, np.int16)
    for h in range(paths.shape[1] if len(paths) else 0):
        f = np.flatnonzero((h < plen) & (paths[:, h] >= 0))
        hop[f, level[paths[f, h]]] = h
    return hop


@numba.njit(cache=True, nogil=True)
def _forward(dep, link, service, flow, next_of_flow, prop, lat, cut, speed):
    """When each packet reaches its next egress queue (or, after its last link, the destination
    NIC): ``dep + prop[l] + lat[l]``, less the serialization on ``l`` where the switch cuts through
    to an egress no faster than ``l``; ``dep + prop[l]`` when delivered. NaN (dropped) stays NaN."""
    n = dep.shape[0]
    out = np.empty(n, np.float64)
    for i in range(n):
        d = dep[i]
        if d != d:
            out[i] = d
            continue
        l = link[i]
        nxt = next_of_flow[flow[i]]
        if nxt < 0:
            out[i] = d + prop[l]
        else:
            back = service[i] if (cut[l] and speed[nxt] <= speed[l]) else 0.0
            out[i] = d + prop[l] + lat[l] - back
    return out


class LinkLevel(FifoStage):
    """The egress queues of the links at one level, as one stage: a FIFO stage whose departures
    are moved on to the next switch's egress queue (propagation, switch latency, cut-through).
    ``link_of_flow``/``next_of_flow``: each flow's link at this level and the link after it (-1:
    delivered). Queues are shared with the other levels (each link belongs to one level)."""

    def __init__(self, level: int, queues: FifoQueues, speed_bps: np.ndarray, link_of_flow: np.ndarray,
                 next_of_flow: np.ndarray, prop_ns: np.ndarray, lat_ns: np.ndarray, cut: np.ndarray,
                 window_ns: float) -> None:
        super().__init__(speed_bps, queue_of_flow=link_of_flow, queues=queues, stat_hi_ns=window_ns,
                         name=f"level{level}")
        self.speed, self.prop, self.lat, self.cut = speed_bps, prop_ns, lat_ns, cut
        self.next_of_flow = np.ascontiguousarray(next_of_flow, np.int64)

    def exit_times(self, dep_ns, queue, service_ns, arrivals):
        return _forward(dep_ns, queue, service_ns, arrivals.flow, self.next_of_flow, self.prop, self.lat, self.cut,
                        self.speed)


@dataclass
class PacketRunStats:
    """What a packet run measured (links indexed by directed link id)."""

    offered: int
    delivered: int
    dropped: int
    hops: int
    link_accepted: np.ndarray
    link_dropped: np.ndarray
    link_busy_ns: np.ndarray
    link_busy_window_ns: np.ndarray
    link_sojourn_ns: np.ndarray
    latency: LogHistogram
    pairs: PairStats


class PacketRunner:
    """Runs flows packet by packet over fixed ECMP paths through per-link FIFO queues: a pipeline
    source -> level 0 -> level 1 -> ... -> delivery, each packet going from its level to the level
    of its next link (or to delivery)."""

    def __init__(self, fabric: Fabric, flows: Flows, paths: np.ndarray, plen: np.ndarray, source: FlowSource,
                 pair_of_flow: np.ndarray, n_pairs: int, pair_sub_bits: int | None = 3,
                 on_deliver: DeliverHook | None = None, chunk_packets: int = 200_000) -> None:
        self.fabric = fabric
        self.flows = flows
        self.paths = np.ascontiguousarray(paths, np.int64)
        self.plen = plen
        self.source = source
        self.on_deliver = on_deliver
        self.chunk_packets = int(chunk_packets)
        self.pair_of_flow = np.asarray(pair_of_flow, np.int64)
        nl = fabric.n_links
        self.level = link_levels(self.paths, plen, nl)
        self.n_levels = int(self.level.max()) + 1 if nl else 0
        self.queues = FifoQueues(nl, cap_bytes=fabric.egress_buffer_bytes, bytes_per_ns=fabric.link_speed_bps / 8e9)
        self.window_ns = float(source.end_ns)
        self.latency = LogHistogram()
        self.pairs = PairStats(n_pairs, pair_sub_bits)

    def _build(self) -> tuple[Pipeline, list[LinkLevel], Node, Node]:
        """The pipeline: the source split by first level, each level split by next level or delivery."""
        fabric, paths, plen, level, n_lv = self.fabric, self.paths, self.plen, self.level, self.n_levels
        dst = fabric.link_dst
        speed, prop = fabric.link_speed_bps, fabric.link_prop_ns
        lat, cut = fabric.latency_ns[dst], fabric.cut_through[dst]
        hop = hop_table(paths, plen, level, n_lv)
        n_flows = len(paths)
        rows = np.arange(n_flows)
        width = paths.shape[1] if n_flows else 0
        pipe = Pipeline()
        src = pipe.source(self.source)
        stages: list[LinkLevel] = []
        nodes: list[Node] = []
        succ: list[np.ndarray] = []
        for L in range(n_lv):
            h = hop[:, L].astype(np.int64)
            on = h >= 0
            link = np.where(on, paths[rows, np.maximum(h, 0)], -1)
            nh = np.minimum(h + 1, max(width - 1, 0))
            nxt = np.where(on & (h + 1 < width), paths[rows, nh], -1)
            # successor index among [level L+1, ..., level n-1, delivery]
            succ.append(np.where(on, np.where(nxt >= 0, level[np.maximum(nxt, 0)] - (L + 1), n_lv - 1 - L), -1))
            st = LinkLevel(L, self.queues, speed, link, nxt, prop, lat, cut, self.window_ns)
            stages.append(st)
            nodes.append(pipe.add(st))
        sink = pipe.sink(self._deliver, "delivery")
        first = np.where(plen > 0, level[np.maximum(paths[:, 0], 0)] if n_flows else 0, -1)
        pipe.connect(src, nodes + [sink], classify=_by_flow(first))
        for L in range(n_lv):
            pipe.connect(nodes[L], nodes[L + 1:] + [sink], classify=_by_flow(succ[L]))
        return pipe, stages, src, sink

    def run(self) -> PacketRunStats:
        pipe, stages, src, sink = self._build()
        pipe.run(self.window_ns, self.source.offered_pps, self.chunk_packets, drain=True)
        acc = self.queues.acc
        busy_window = np.zeros(self.fabric.n_links)
        for st in stages:
            busy_window += st.busy_window_ns
        hops = sum(n.received for n in pipe.nodes if n.kind == "stage")
        return PacketRunStats(src.sent, sink.received, int(acc[:, 1].sum()), hops, acc[:, 0].astype(np.int64),
                              acc[:, 1].astype(np.int64), acc[:, 3].copy(), busy_window, acc[:, 2].copy(),
                              self.latency, self.pairs)

    def _deliver(self, pk: Packets, horizon: float) -> None:
        lat = pk.t_ns - pk.t0_ns
        self.latency.record(lat)
        self.pairs.record(self.pair_of_flow[pk.flow], lat)
        if self.on_deliver is not None:
            self.on_deliver(self.flows.dst[pk.flow], pk, horizon)


def _by_flow(table: np.ndarray) -> ClassifyFn:
    """Classify packets by a per-flow table (successor index, -1: leaves)."""
    return lambda pk: table[pk.flow]
