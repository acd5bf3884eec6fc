"""Packet-level fabric run: every packet through every link queue on its ECMP path.

Model (docs/models/fabric.md):
- Each directed link is a FIFO egress queue at line rate with a finite byte buffer, served by
  ``vnetsim.engine.fifo.fifo_advance`` (many links in one call); a packet that does not fit is
  tail-dropped and counted on that link. Service = (frame + 20 B) * 8 / link speed.
- After leaving link ``l`` at ``dep``, a packet reaches the next egress queue ``m`` at
  ``dep + propagation(l) + latency(switch)``; with cut-through and ``speed(m) <= speed(l)`` the
  switch starts forwarding once the header is in, so the serialization on ``l`` is taken back:
  ``- service(l)`` (store-and-forward keeps it). The packet is delivered at ``dep + propagation``
  of its last link (the last bit reaches the destination NIC); latency = delivery - offer time.
- Routes are fixed per flow (ECMP hash), so every link has a level: its depth in the graph of
  "link l feeds link m" edges. Levels are processed in order, each as one time-ordered batch, so
  a link sees its arrivals in time order. Routes with a cycle over links (valley routes after some
  failures) cannot be ordered: use the flow level for them.
- Chunks: the source yields arrivals before a horizon H; every stage takes only arrivals < H and
  holds the rest (with cut-through, arrivals downstream are never earlier than the upstream
  arrival). Results do not depend on the chunk size. Deliveries are handed to ``on_deliver`` per
  chunk, time-ordered, all before H: the hook where a receiving host-path stage plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np

from vnetsim.engine.fifo import FifoQueues, fifo_advance
from vnetsim.engine.histogram import LogHistogram
from vnetsim.engine.packets import Packets
from vnetsim.errors import ScenarioError
from vnetsim.fabric.pairs import PairStats
from vnetsim.fabric.topology import Fabric
from vnetsim.fabric.traffic import WIRE_OVERHEAD_BYTES, Flows, PacketSource

DeliverHook = Callable[[np.ndarray, Packets, float], None]  # (destination hosts, packets, horizon)


def link_levels(paths: np.ndarray, plen: np.ndarray, n_links: int) -> np.ndarray:
    """Depth of each used link in the "feeds" graph (-1 unused); ScenarioError on a cycle."""
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
    raise ScenarioError("fabric.failures", "these routes loop over links (a valley path after a failure), so "
                        "packets cannot be ordered level by level", "use fabric.engine.level: flow for this case")


@numba.njit(cache=True, nogil=True)
def _level_step(t_all, t0_all, flow_all, hop_all, pid_all, order, paths, wire, ns_per_byte, prop, lat, cut, speed,
                link_level, n_out, last_dep, cap_pkts, cap_bytes, bytes_per_ns, ring, ring_head, ring_count, acc,
                busy_win, t_end):
    """Serve one level's arrivals ``order`` (indices into the ``*_all`` arrays, in time order) and
    route the survivors, grouped by their next level (``n_out - 1`` = delivered). Returns grouped
    arrays and level offsets. ``busy_win[l]`` adds the part of each transmission in ``[0, t_end)``."""
    m = order.shape[0]
    width = paths.shape[1]
    t = np.empty(m, np.float64)
    t0 = np.empty(m, np.float64)
    flow = np.empty(m, np.int64)
    hop = np.empty(m, np.int64)
    pid = np.empty(m, np.int64)
    link = np.empty(m, np.int64)
    size = np.empty(m, np.int64)
    service = np.empty(m, np.float64)
    for i in range(m):
        j = order[i]
        t[i] = t_all[j]
        t0[i] = t0_all[j]
        f = flow_all[j]
        flow[i] = f
        hop[i] = hop_all[j]
        pid[i] = pid_all[j]
        l = paths[f, hop[i]]
        link[i] = l
        size[i] = wire[f]
        service[i] = size[i] * ns_per_byte[l]
    dep = fifo_advance(t, link, service, size, last_dep, cap_pkts, cap_bytes, bytes_per_ns, ring, ring_head,
                       ring_count, acc)
    out_lvl = np.empty(m, np.int64)
    t_next = np.empty(m, np.float64)
    counts = np.zeros(n_out + 1, np.int64)
    for i in range(m):
        d = dep[i]
        if d != d:  # dropped
            out_lvl[i] = -1
            continue
        l = link[i]
        start = d - service[i]
        if start < t_end:
            busy_win[l] += (d if d < t_end else t_end) - start
        h = hop[i] + 1
        nxt = paths[flow[i], h] if h < width else -1
        if nxt < 0:
            out_lvl[i] = n_out - 1
            t_next[i] = d + prop[l]
        else:
            out_lvl[i] = link_level[nxt]
            back = service[i] if (cut[l] and speed[nxt] <= speed[l]) else 0.0
            t_next[i] = d + prop[l] + lat[l] - back
        counts[out_lvl[i] + 1] += 1
    offsets = np.zeros(n_out + 1, np.int64)
    for k in range(n_out):
        offsets[k + 1] = offsets[k] + counts[k + 1]
    fill = offsets[:-1].copy()
    total = offsets[n_out]
    o_t = np.empty(total, np.float64)
    o_t0 = np.empty(total, np.float64)
    o_flow = np.empty(total, np.int64)
    o_hop = np.empty(total, np.int64)
    o_pid = np.empty(total, np.int64)
    for i in range(m):
        k = out_lvl[i]
        if k < 0:
            continue
        j = fill[k]
        fill[k] += 1
        o_t[j] = t_next[i]
        o_t0[j] = t0[i]
        o_flow[j] = flow[i]
        o_hop[j] = hop[i] + 1
        o_pid[j] = pid[i]
    return o_t, o_t0, o_flow, o_hop, o_pid, offsets


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
    wall_s: float = 0.0


class PacketRunner:
    """Runs flows packet by packet over fixed ECMP paths through per-link FIFO queues."""

    def __init__(self, fabric: Fabric, flows: Flows, paths: np.ndarray, plen: np.ndarray, source: PacketSource,
                 pair_of_flow: np.ndarray, n_pairs: int, pair_sub_bits: int | None = 3,
                 on_deliver: DeliverHook | None = None) -> None:
        self.fabric = fabric
        self.flows = flows
        self.paths = np.ascontiguousarray(paths, np.int64)
        self.plen = plen
        self.source = source
        self.on_deliver = on_deliver
        self.pair_of_flow = np.asarray(pair_of_flow, np.int64)
        nl = fabric.n_links
        speed = fabric.link_speed_bps
        self.speed = speed
        self.ns_per_byte = 8e9 / speed
        self.prop = fabric.link_prop_ns
        dst = fabric.link_dst
        self.lat = fabric.latency_ns[dst]
        self.cut = fabric.cut_through[dst]
        self.wire = (flows.frame_bytes + WIRE_OVERHEAD_BYTES).astype(np.int64)
        self.level = link_levels(self.paths, plen, nl)
        self.n_levels = int(self.level.max()) + 1 if nl else 0
        self.queues = FifoQueues(nl, cap_bytes=fabric.egress_buffer_bytes, bytes_per_ns=speed / 8e9)
        self.window_ns = float(source.duration_ns)
        self.busy_window_ns = np.zeros(nl, np.float64)
        self.latency = LogHistogram()
        self.pairs = PairStats(n_pairs, pair_sub_bits)

    def run(self) -> PacketRunStats:
        q = self.queues
        n_out = self.n_levels + 1  # last "level" = delivered to the destination host
        pending: list[list[tuple]] = [[] for _ in range(n_out)]
        offered = hops = delivered = 0
        routable = self.plen > 0
        while True:
            t_src, flow, horizon = self.source.next_chunk()
            keep = routable[flow]
            t_src, flow = t_src[keep], flow[keep]
            n = len(t_src)
            pid = np.arange(offered, offered + n, dtype=np.int64)
            offered += n
            if n:
                first_level = self.level[self.paths[flow, 0]]
                order = np.argsort(first_level, kind="stable")
                lv = first_level[order]
                cuts = np.searchsorted(lv, np.arange(n_out + 1))
                for k in range(self.n_levels):
                    sel = order[cuts[k]:cuts[k + 1]]
                    if len(sel):
                        pending[k].append((t_src[sel], t_src[sel], flow[sel], np.zeros(len(sel), np.int64), pid[sel]))
            for k in range(n_out):
                batch = _take_before(pending, k, horizon)
                if batch is None:
                    continue
                arrays, order = batch
                if k == n_out - 1:
                    t, t0, fl, _hp, pi = (a[order] for a in arrays)
                    delivered += len(t)
                    self._deliver(t, t0, fl, pi, horizon)
                    continue
                hops += len(order)
                o_t, o_t0, o_fl, o_hp, o_pi, off = _level_step(
                    *arrays, order, self.paths, self.wire, self.ns_per_byte, self.prop, self.lat, self.cut,
                    self.speed, self.level, n_out, q.last_dep, q.cap_pkts, q.cap_bytes, q.bytes_per_ns, q.ring,
                    q.ring_head, q.ring_count, q.acc, self.busy_window_ns, self.window_ns)
                for j in range(k + 1, n_out):
                    a, b = off[j], off[j + 1]
                    if b > a:
                        pending[j].append((o_t[a:b], o_t0[a:b], o_fl[a:b], o_hp[a:b], o_pi[a:b]))
            if horizon == np.inf:
                break
        acc = q.acc
        return PacketRunStats(offered, delivered, int(acc[:, 1].sum()), hops, acc[:, 0].astype(np.int64),
                              acc[:, 1].astype(np.int64), acc[:, 3].copy(), self.busy_window_ns.copy(),
                              acc[:, 2].copy(), self.latency,
                              self.pairs)

    def _deliver(self, t, t0, flow, pid, horizon) -> None:
        lat = t - t0
        self.latency.record(lat)
        self.pairs.record(self.pair_of_flow[flow], lat)
        if self.on_deliver is not None:
            pk = Packets(t, t0, self.flows.frame_bytes[flow].astype(np.int32), flow.astype(np.int32), pid)
            self.on_deliver(self.flows.dst[flow], pk, horizon)


@numba.njit(cache=True, nogil=True)
def _break_ties(order, t, pid):
    """Within runs of equal times, order by packet id (insertion sort for short runs)."""
    n = order.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and t[order[j]] == t[order[i]]:
            j += 1
        if j - i > 16:
            run = order[i:j].copy()
            order[i:j] = run[np.argsort(pid[run], kind="mergesort")]
        elif j - i > 1:
            for a in range(i + 1, j):
                x = order[a]
                b = a - 1
                while b >= i and pid[order[b]] > pid[x]:
                    order[b + 1] = order[b]
                    b -= 1
                order[b + 1] = x
        i = j
    return order


def time_order(t: np.ndarray, pid: np.ndarray) -> np.ndarray:
    """Indices sorting by (time, packet id): a total order, so the result cannot depend on how
    arrivals were batched (chunk size) or on the sort algorithm."""
    return _break_ties(np.argsort(t, kind="quicksort"), t, pid)


def _take_before(pending: list[list[tuple]], k: int, horizon: float):
    """Level k's held arrivals merged: (arrays, indices of those < horizon in time order); the
    rest stay held. None when nothing is due."""
    parts = pending[k]
    if not parts:
        return None
    if len(parts) == 1:
        arrays = parts[0]
    else:
        arrays = tuple(np.concatenate([p[i] for p in parts]) for i in range(5))
    t, pi = arrays[0], arrays[4]
    order = time_order(t, pi)
    due = len(t) if horizon == np.inf else int(np.count_nonzero(t < horizon))
    if due == len(t):
        pending[k] = []
    else:
        rest = order[due:]
        pending[k] = [tuple(a[rest] for a in arrays)]
    if due == 0:
        return None
    return arrays, order[:due]
