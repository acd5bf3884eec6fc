"""Steering, one entry point: the RX queue of every flow; and the metrics that judge the spread.

``steer(flows, config)`` returns a ``Steering`` (queue per flow, why, the RSS hash); packets
then take ``steering.queue[packet.flow]``. Metrics: per-queue counts, max/mean, Jain's
fairness index, and what balls-into-bins predicts for ``m`` flows hashed onto ``n`` queues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vnetsim.net.ethernet import mac_to_int
from vnetsim.net.flows import FlowTable

from .ballsbins import expected_max_load, max_load_quantile
from .config import NicConfig, SteeringConfig, VtepConfig
from .netqueue import NO_MATCH, NetQueue, QueueFilter
from .rss import HashFields, Reta, Rss
from .toeplitz import Toeplitz

# why a flow landed where it did
BY_SINGLE, BY_RSS, BY_FILTER, BY_DEFAULT, BY_DEFAULT_RSS, BY_FILTER_RSS = range(6)
REASONS = {BY_SINGLE: "single", BY_RSS: "rss", BY_FILTER: "filter", BY_DEFAULT: "default",
           BY_DEFAULT_RSS: "default-rss", BY_FILTER_RSS: "filter-rss"}


@dataclass
class Steering:
    """Per flow: ``queue`` (int32), ``reason`` (uint8, see REASONS), ``hash`` (uint32 RSS hash, 0 if none),
    ``filter`` (int32 index of the matched filter, -1 none). ``filters`` lists the filters in use."""

    n_queues: int
    queue: np.ndarray
    reason: np.ndarray
    hash: np.ndarray
    filter: np.ndarray
    filters: list[QueueFilter]

    def packet_queue(self, flow: np.ndarray) -> np.ndarray:
        """RX queue of each packet from its flow index."""
        return self.queue[np.asarray(flow)]

    def listing(self, flows: FlowTable, limit: int | None = 100) -> list[dict]:
        """Which queue each flow landed on, and why (for the JSON result)."""
        n = len(flows) if limit is None else min(limit, len(flows))
        out = []
        for i in range(n):
            row = {"flow": i, "queue": int(self.queue[i]), "reason": REASONS[int(self.reason[i])],
                   "hash": f"0x{int(self.hash[i]):08x}"}
            row.update(flows.describe(i))
            out.append(row)
        return out


def build_rss(cfg, n_queues: int, first_queue: int = 0, where: str = "rss") -> Rss:
    """An ``Rss`` from an ``RssConfig`` spreading over queues ``first_queue..first_queue+n_queues-1``."""
    toeplitz = Toeplitz(cfg.key_material(), cfg.key_bytes, f"{where}.key")
    fields = HashFields(cfg.fields.tcp4, cfg.fields.udp4, cfg.fields.tcp6, cfg.fields.udp6)
    if cfg.reta is None:
        reta = Reta.round_robin(cfg.reta_size, n_queues, first_queue, f"{where}.reta")
    else:
        reta = Reta(np.asarray(cfg.reta) + first_queue, first_queue + n_queues, f"{where}.reta")
    return Rss(toeplitz, fields, reta, cfg.layer)


def vtep_filters(vteps: list[VtepConfig], kind: str) -> list[QueueFilter]:
    """The NetQueue filter of each VTEP: on its MAC, its VLAN, or both (``kind``)."""
    out = []
    for v in vteps:
        mac = mac_to_int(v.mac)
        if kind == "mac+vlan" and v.vlan is not None:
            out.append(QueueFilter(mac, v.vlan))
        elif kind in ("mac", "mac+vlan"):
            out.append(QueueFilter(mac, None))
        elif kind == "vlan" and v.vlan is not None:
            out.append(QueueFilter(None, v.vlan))
    return out


def steer(flows: FlowTable, config: SteeringConfig | NicConfig, *, filters: list[QueueFilter] | None = None,
          flow_load: np.ndarray | None = None) -> Steering:
    """The RX queue of each flow under ``config``.

    With a ``NicConfig`` that has an overlay, the VTEPs' filters are installed first (per
    ``netqueue.vtep_filters``), then ``netqueue.filters``, then ``filters``. ``flow_load`` (e.g.
    packets/s per flow) feeds the ``least_loaded`` balancer; default one unit per flow.
    """
    steering = config.steering if isinstance(config, NicConfig) else config
    n = len(flows)
    n_queues = steering.queues
    hash_out = np.zeros(n, np.uint32)
    filt = np.full(n, -1, np.int32)
    if steering.mode == "single":
        return Steering(n_queues, np.zeros(n, np.int32), np.full(n, BY_SINGLE, np.uint8), hash_out, filt, [])
    if steering.mode == "rss":
        rss = build_rss(steering.rss, n_queues)
        q, h, hashed = rss.queues(flows)
        return Steering(n_queues, q.astype(np.int32), np.full(n, BY_RSS, np.uint8), np.where(hashed, h, 0)
                        .astype(np.uint32), filt, [])

    nq = steering.netqueue
    all_filters: list[QueueFilter] = []
    if isinstance(config, NicConfig) and config.overlay is not None:
        all_filters += vtep_filters(config.overlay.vteps, nq.vtep_filters)
    all_filters += [QueueFilter(mac_to_int(f.mac) if f.mac else None, f.vlan) for f in nq.filters]
    all_filters += list(filters or [])
    outer = flows.layer("outer")
    # which filter each flow matches (as if every filter had its own queue), for loads and listing
    probe = NetQueue(len(all_filters) + 1, all_filters, np.arange(1, len(all_filters) + 1, dtype=np.int32))
    matched = probe.classify(outer.eth_dst, outer.vlan)
    filt = np.where(matched == NO_MATCH, -1, matched - 1).astype(np.int32)
    loads = None
    if nq.load_balancer == "least_loaded" and all_filters:
        w = np.ones(n) if flow_load is None else np.asarray(flow_load, np.float64)
        hit = filt >= 0
        loads = np.bincount(filt[hit], weights=w[hit], minlength=len(all_filters))
    netq = NetQueue.place(n_queues, all_filters, nq.load_balancer, loads, nq.max_filters_per_queue,
                          nq.default_queue_rss, nq.filter_rss_queues, "netqueue")
    placed = np.concatenate([netq.filter_queue, np.zeros(1, np.int32)])  # index -1 -> default queue
    filter_queue = placed[filt].astype(np.int32)
    on_filter = (filt >= 0) & (filter_queue != 0)
    queue = np.where(on_filter, filter_queue, 0).astype(np.int32)
    reason = np.where(on_filter, BY_FILTER, BY_DEFAULT).astype(np.uint8)
    if nq.filter_rss_queues > 1 and on_filter.any():
        rss = build_rss(steering.rss, nq.filter_rss_queues)  # RETA over 0..r-1, offset by the group start
        fq = np.flatnonzero(on_filter)
        q, h, hashed = rss.queues(flows.take(fq))
        queue[fq] = queue[fq] + q
        reason[fq] = BY_FILTER_RSS
        hash_out[fq] = np.where(hashed, h, 0)
    if nq.default_queue_rss > 1:
        rss = build_rss(steering.rss, nq.default_queue_rss)
        dq = np.flatnonzero(~on_filter)
        q, h, hashed = rss.queues(flows.take(dq))
        queue[dq] = q
        reason[dq] = BY_DEFAULT_RSS
        hash_out[dq] = np.where(hashed, h, 0)
    return Steering(n_queues, queue, reason, hash_out, filt, all_filters)


# -- metrics ---------------------------------------------------------------------------------

def queue_counts(queue_of_flow: np.ndarray, n_queues: int, flow: np.ndarray | None = None,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """Per-queue totals: flows (``flow`` None), packets (``flow`` = packet flow indices), or
    ``weights`` summed per packet (e.g. bytes)."""
    q = np.asarray(queue_of_flow) if flow is None else np.asarray(queue_of_flow)[np.asarray(flow)]
    return np.bincount(q, weights=weights, minlength=n_queues)[:n_queues]


def per_core(counts_per_queue: np.ndarray, core_of_queue: np.ndarray, n_cores: int) -> np.ndarray:
    """Per-core totals, given the core that serves each queue (one thread per queue)."""
    return np.bincount(np.asarray(core_of_queue), weights=np.asarray(counts_per_queue, np.float64),
                       minlength=n_cores)[:n_cores]


def max_mean(counts: np.ndarray) -> float:
    """Imbalance: the busiest queue over the mean (1.0 = perfectly even; n = all on one of n)."""
    c = np.asarray(counts, np.float64)
    m = c.mean() if c.size else 0.0
    return float(c.max() / m) if m > 0 else 1.0


def jain_index(counts: np.ndarray) -> float:
    """Jain's fairness index (sum x)^2 / (n sum x^2): 1 = even, 1/n = all on one."""
    c = np.asarray(counts, np.float64)
    s2 = float((c * c).sum())
    return float(c.sum() ** 2 / (c.size * s2)) if s2 > 0 else 1.0


def queues_used(counts: np.ndarray) -> int:
    return int(np.count_nonzero(np.asarray(counts)))


@dataclass(frozen=True)
class BallsIntoBins:
    """What uniform hashing of ``balls`` flows onto ``bins`` queues predicts (multinomial, exact)."""

    balls: int
    bins: int
    mean: float            # per bin
    std: float             # per-bin count std, binomial(m, 1/n)
    expected_empty: float  # n (1 - 1/n)^m
    expected_jain: float   # E[sum]^2 / (n E[sum x^2]) (ratio of expectations)

    @property
    def expected_max(self) -> float:
        """E[max load], exact (computed on demand: it sums the tail of the max-load CDF)."""
        return expected_max_load(self.balls, self.bins)

    def max_quantile(self, p: float) -> int:
        """Smallest k with P(max load <= k) >= p (exact)."""
        return max_load_quantile(self.balls, self.bins, p)


def balls_into_bins(balls: int, bins: int) -> BallsIntoBins:
    """Statistics of ``balls`` flows hashed uniformly onto ``bins`` queues."""
    m, n = int(balls), int(bins)
    p = 1.0 / n
    mean = m * p
    var = m * p * (1 - p)
    e_sum_sq = n * (var + mean * mean)
    return BallsIntoBins(m, n, mean, math.sqrt(var), n * (1 - p) ** m, (m * m) / (n * e_sum_sq) if m else 1.0)
