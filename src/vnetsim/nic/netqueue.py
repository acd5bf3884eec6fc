"""NetQueue (VMware): RX queues selected by filters on destination MAC, VLAN, or MAC+VLAN.

Model (docs/references.md, NetQueue and the default queue; NSX docs):
- The NIC matches a frame's outer destination MAC and outer VLAN against the filters; the most
  specific match wins (MAC+VLAN, then MAC, then VLAN). The frame goes to its filter's queue.
- Unmatched, broadcast and multicast frames go to the default queue, queue 0.
- Default-queue RSS (DRSS): with ``drss_queues = k > 1`` the default traffic is spread by RSS
  over queues 0..k-1 (the default queue and k-1 companions); filter queues are k..n-1.
- Filter RSS (NetQueue RSS, e.g. for a VTEP's traffic): with ``rss_group = r > 1`` the filter
  queues are groups of r consecutive queues; a filter is placed on a group (named by its first
  queue) and its traffic is spread over the group by RSS.
- The load balancer places each filter on one non-default queue (or group): ``round_robin`` in filter
  order, or ``least_loaded`` (largest filter first onto the least-loaded queue, by the given
  per-filter loads). With ``max_filters_per_queue`` set, a filter that fits nowhere stays on
  the default queue (as when the NIC runs out of filters).
Each queue is served by one kernel thread, i.e. at most one core (same reference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.net.ethernet import is_multicast

DEFAULT_QUEUE = 0
NO_MATCH = -1
_ANY = -1


@dataclass(frozen=True)
class QueueFilter:
    """Match on destination MAC (``mac``), VLAN id (``vlan``), or both; ``None`` = any."""

    mac: int | None = None
    vlan: int | None = None

    def __post_init__(self) -> None:
        if self.mac is None and self.vlan is None:
            raise ValueError("a NetQueue filter needs a MAC, a VLAN, or both")

    @property
    def kind(self) -> str:
        if self.mac is not None and self.vlan is not None:
            return "mac+vlan"
        return "mac" if self.mac is not None else "vlan"


def place_filters(n_filters: int, filter_queues: np.ndarray, policy: str = "round_robin",
                  loads: np.ndarray | None = None, max_filters_per_queue: int | None = None) -> np.ndarray:
    """The queue of each filter (``DEFAULT_QUEUE`` where none has room).

    ``filter_queues`` are the queues available to filters (not the default/DRSS ones).
    """
    out = np.full(n_filters, DEFAULT_QUEUE, np.int32)
    queues = np.asarray(filter_queues, np.int32)
    if n_filters == 0 or queues.size == 0:
        return out
    cap = max_filters_per_queue if max_filters_per_queue is not None else n_filters
    used = np.zeros(queues.size, np.int64)
    if policy == "round_robin":
        for k in range(n_filters):  # per filter (a handful), not per packet
            slot = k % queues.size
            for _ in range(queues.size):
                if used[slot] < cap:
                    break
                slot = (slot + 1) % queues.size
            if used[slot] < cap:
                used[slot] += 1
                out[k] = queues[slot]
        return out
    if policy == "least_loaded":
        load = np.ones(n_filters) if loads is None else np.asarray(loads, np.float64)
        if load.shape != (n_filters,):
            raise ValueError(f"least_loaded needs one load per filter ({n_filters}), got {load.shape}")
        queue_load = np.zeros(queues.size)
        for k in np.argsort(-load, kind="stable"):
            room = np.flatnonzero(used < cap)
            if room.size == 0:
                break
            slot = room[np.argmin(queue_load[room])]
            queue_load[slot] += load[k]
            used[slot] += 1
            out[k] = queues[slot]
        return out
    raise ValueError(f"unknown NetQueue load-balancer policy {policy!r}; use 'round_robin' or 'least_loaded'")


def _lookup(keys_sorted: np.ndarray, values_sorted: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Vectorized exact-match dictionary: value per probe, ``NO_MATCH`` where absent."""
    out = np.full(probe.shape[0], NO_MATCH, np.int32)
    if keys_sorted.size == 0:
        return out
    pos = np.searchsorted(keys_sorted, probe)
    pos_c = np.minimum(pos, keys_sorted.size - 1)
    hit = keys_sorted[pos_c] == probe
    out[hit] = values_sorted[pos_c[hit]]
    return out


def _table(keys: list[int], values: list[int]) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(keys, np.uint64)
    v = np.asarray(values, np.int32)
    order = np.argsort(k, kind="stable")
    return k[order], v[order]


def match_filters(eth_dst: np.ndarray, vlan: np.ndarray, filters: list[QueueFilter],
                  filter_queue: np.ndarray) -> np.ndarray:
    """Queue of the best-matching filter per frame, ``NO_MATCH`` where none (or multicast)."""
    eth_dst = np.asarray(eth_dst, np.uint64)
    vlan = np.asarray(vlan, np.int64)
    mv_k, mv_v, m_k, m_v, v_k, v_v = [], [], [], [], [], []
    for f, q in zip(filters, filter_queue):
        mac, vl = f.mac or 0, f.vlan or 0   # the kind says which of the two a filter has
        if f.kind == "mac+vlan":
            mv_k.append((mac << 12) | (vl & 0xFFF))
            mv_v.append(q)
        elif f.kind == "mac":
            m_k.append(mac)
            m_v.append(q)
        else:
            v_k.append(vl & 0xFFF)
            v_v.append(q)
    tagged = vlan >= 0
    vid = (vlan & 0xFFF).astype(np.uint64)
    out = _lookup(*_table(mv_k, mv_v), (eth_dst << np.uint64(12)) | vid)
    out[~tagged] = NO_MATCH
    by_mac = _lookup(*_table(m_k, m_v), eth_dst)
    out = np.where(out == NO_MATCH, by_mac, out)
    by_vlan = _lookup(*_table(v_k, v_v), vid)
    by_vlan[~tagged] = NO_MATCH
    out = np.where(out == NO_MATCH, by_vlan, out)
    out[is_multicast(eth_dst)] = NO_MATCH
    return out.astype(np.int32)


@dataclass
class NetQueue:
    """Filters placed on queues, plus the default queue (optionally with DRSS)."""

    n_queues: int
    filters: list[QueueFilter]
    filter_queue: np.ndarray
    drss_queues: int = 1
    rss_group: int = 1

    @classmethod
    def place(cls, n_queues: int, filters: list[QueueFilter], policy: str = "round_robin",
              loads: np.ndarray | None = None, max_filters_per_queue: int | None = None,
              drss_queues: int = 1, rss_group: int = 1, where: str = "netqueue") -> NetQueue:
        if n_queues < 1:
            raise ModelError(f"{where}.queues", f"a NIC needs at least one RX queue, got {n_queues}")
        if not 1 <= drss_queues <= n_queues:
            raise ModelError(f"{where}.default_queue_rss.queues",
                                f"{drss_queues} default-RSS queues do not fit in {n_queues} RX queues",
                                f"use 1 to {n_queues}")
        if rss_group < 1 or (filters and drss_queues + rss_group > n_queues):
            raise ModelError(f"{where}.filter_rss_queues", f"an RSS group of {rss_group} queues does not fit "
                                f"beside {drss_queues} default queue(s) in {n_queues} RX queues",
                                f"use at most {n_queues - drss_queues}")
        starts = np.arange(drss_queues, n_queues - rss_group + 1, rss_group)
        fq = place_filters(len(filters), starts, policy, loads, max_filters_per_queue)
        return cls(n_queues, list(filters), fq, drss_queues, rss_group)

    def classify(self, eth_dst: np.ndarray, vlan: np.ndarray) -> np.ndarray:
        """Filter queue per frame, ``NO_MATCH`` where the frame belongs to the default queue."""
        q = match_filters(eth_dst, vlan, self.filters, self.filter_queue)
        return np.where(q == DEFAULT_QUEUE, NO_MATCH, q).astype(np.int32)
