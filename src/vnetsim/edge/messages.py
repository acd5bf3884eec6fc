"""The messages that leave the edge sites, one by one, as the uplink's traffic source.

Flows: site ``s`` sends data on flow ``2 s`` and important events on flow ``2 s + 1``; a message's
size is its IP packet plus link framing (``vnetsim.edge.protocol``), ``t0_ns`` is when its data was
produced (for an event: when the event happened), ``t_ns`` when it enters the uplink's buffer.

- Relay (central ingest): every sensor message as it is, each sensor periodic with a random phase,
  Poisson, or ON/OFF bursty (the arrival processes of ``vnetsim.traffic.arrivals``).
- Edge processing: every ``flush`` interval (random phase per site) the node sends its processed
  messages back to back (``processing.flush_plan``).
- Events (Poisson per site): a sample is framed into a sensor message ``U * samples_per_message /
  sample_rate`` after it was taken (U uniform). Relay: the event rides in that sensor message.
  With a ``detect`` stage: the edge sends an event message when that sensor message reaches it.
  Edge without ``detect``: the event leaves with the next flush.
"""

from __future__ import annotations

import numpy as np

from vnetsim.edge.processing import FlushPlan, sensor_framing
from vnetsim.engine.merge import gather_packets, merge_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.rng import stream
from vnetsim.traffic.arrivals import OnOffArrivals, PeriodicArrivals, PoissonArrivals

DATA, EVENT = 0, 1


class _Group:
    """One sensor group's messages over all sites (relay mode)."""

    def __init__(self, group, sites: int, seed: int) -> None:
        n = group.count * sites
        rate = group.sample_rate / group.samples_per_message
        rng = stream(seed, f"edge/sensors/{group.name}")
        self.count = group.count
        self.wire = sensor_framing(group).total_bytes
        self.arrivals: PeriodicArrivals | PoissonArrivals | OnOffArrivals
        if group.emission == "periodic":
            self.arrivals = PeriodicArrivals(np.full(n, rate), rng.uniform(0.0, 1.0, n))
        elif group.emission == "poisson":
            self.arrivals = PoissonArrivals(rate * n, n, rng)
        else:
            self.arrivals = OnOffArrivals(rate * n, n, group.burst_on, group.burst_off, group.burst_shape, rng)

    def until(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t, f = self.arrivals.until(horizon_ns)
        site = np.asarray(f, np.int64) // self.count
        return t, 2 * site, np.full(len(t), self.wire, np.int64)


class _Flushes:
    """Every site's flushes: ``plan``'s messages back to back at each flush time."""

    def __init__(self, plan: FlushPlan, sites: int, seed: int) -> None:
        self.plan = plan
        phase = stream(seed, "edge/flush/phase").uniform(0.0, 1.0, sites)
        self.phase_ns = phase * plan.interval_ns
        self.arrivals = PeriodicArrivals(np.full(sites, 1e9 / plan.interval_ns), phase)

    def next_flush(self, site: np.ndarray, t_ns: np.ndarray) -> np.ndarray:
        """The first flush of each site at or after ``t_ns``."""
        ph = self.phase_ns[site]
        k = np.maximum(np.ceil((t_ns - ph) / self.plan.interval_ns), 0.0)
        return ph + k * self.plan.interval_ns

    def until(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t, f = self.arrivals.until(horizon_ns)
        m = len(self.plan.wire_bytes)
        return (np.repeat(t, m), np.repeat(2 * np.asarray(f, np.int64), m),
                np.tile(self.plan.wire_bytes, len(t)))


class EdgeMessages:
    """The uplink's source: ``until(horizon_ns) -> Packets`` of every site, time-ordered, with
    counters of what was offered (messages and bytes per class)."""

    def __init__(self, scenario, flush: FlushPlan | None, event_wire_bytes: int) -> None:
        sc = scenario
        self.sites = sc.sites
        self.groups = [_Group(g, sc.sites, sc.seed) for g in sc.sensors] if flush is None else []
        self.flushes = _Flushes(flush, sc.sites, sc.seed) if flush is not None and len(flush.payloads) else None
        self.relay = flush is None
        self.detect = any(s.kind == "detect" for s in sc.edge.stages)
        first = sc.sensors[0]
        self.frame_delay_ns = first.samples_per_message / first.sample_rate * 1e9
        self.event_wire = sensor_framing(first).total_bytes if self.relay else int(event_wire_bytes)
        self.events = PoissonArrivals(sc.events.rate * sc.sites, sc.sites, stream(sc.seed, "edge/events"))
        self.event_delay = stream(sc.seed, "edge/events/delay")
        self._pending = (np.empty(0), np.empty(0), np.empty(0, np.int64))
        self.next_pid = 0
        self.offered = np.zeros((2, 2))      # [class][messages, bytes]
        rate = sum(g.count * g.sample_rate / g.samples_per_message for g in sc.sensors) * sc.sites \
            if flush is None else (flush.messages_per_s * sc.sites)
        self.offered_pps = rate + sc.events.rate * sc.sites

    def _event_arrivals(self, t0: np.ndarray, site: np.ndarray) -> np.ndarray:
        delay = self.event_delay.uniform(0.0, self.frame_delay_ns, len(t0))
        if self.relay or self.detect or self.flushes is None:
            return t0 + delay
        return self.flushes.next_flush(site, t0 + delay)

    def until(self, horizon_ns: float) -> Packets:
        parts_t, parts_t0, parts_f, parts_s = [], [], [], []
        sources: list[_Group | _Flushes] = [*self.groups, *([self.flushes] if self.flushes is not None else [])]
        for src in sources:
            t, f, s = src.until(horizon_ns)      # each time-ordered
            parts_t.append(t)
            parts_t0.append(t)
            parts_f.append(f)
            parts_s.append(s)
        e0, esite = self.events.until(horizon_ns)
        esite = np.asarray(esite, np.int64)
        et = self._event_arrivals(e0, esite)
        pt, pt0, psite = self._pending
        et, e0, esite = np.concatenate([pt, et]), np.concatenate([pt0, e0]), np.concatenate([psite, esite])
        due = et < horizon_ns
        self._pending = (et[~due], e0[~due], esite[~due])
        et, e0, esite = et[due], e0[due], esite[due]
        if len(et) > 1 and not (et[1:] >= et[:-1]).all():
            by_time = np.argsort(et, kind="stable")
            et, e0, esite = et[by_time], e0[by_time], esite[by_time]
        parts_t.append(et)
        parts_t0.append(e0)
        parts_f.append(2 * esite + 1)
        parts_s.append(np.full(len(et), self.event_wire, np.int64))
        # the stable time order of the parts one after another: a merge of sorted runs, equal
        # times in part order
        t = np.concatenate(parts_t)
        order = merge_order(t, [len(x) for x in parts_t])
        flow = np.concatenate(parts_f).astype(np.int32)
        size = np.concatenate(parts_s).astype(np.int32)
        pid = np.arange(self.next_pid, self.next_pid + len(t), dtype=np.int64)    # in time order
        self.next_pid += len(t)
        cls = flow & 1
        self.offered[:, 0] += np.bincount(cls, minlength=2)
        self.offered[:, 1] += np.bincount(cls, weights=size, minlength=2)
        t, t0, size, flow, _ = gather_packets(order, t, np.concatenate(parts_t0), size, flow, pid)
        return Packets(t, t0, size, flow, pid)
