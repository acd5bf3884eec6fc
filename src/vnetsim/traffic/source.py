"""The traffic source: every flow group's arrivals merged into one time-ordered packet stream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.engine.merge import merge_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.rng import stream
from vnetsim.traffic.arrivals import ConstantArrivals, OnOffArrivals, PoissonArrivals
from vnetsim.traffic.config import WIRE_OVERHEAD_BYTES, Constant, FlowGroup, OnOff, Poisson
from vnetsim.traffic.sizes import SizeSampler


@dataclass
class GroupPlan:
    """A flow group compiled to numbers: its rate in pps and where its flows sit in the flow table."""

    group: FlowGroup
    rate_pps: float
    first_flow: int
    mean_frame_bytes: float


def plan_groups(groups: list[FlowGroup], rate_scale: float = 1.0) -> list[GroupPlan]:
    """Convert each group's rate to packets per second (bps rates include the 20-byte wire overhead)."""
    plans, first = [], 0
    for g in groups:
        mean = SizeSampler(g.size, np.random.default_rng(0)).mean_bytes
        plans.append(GroupPlan(g, g.rate.to_pps(mean, WIRE_OVERHEAD_BYTES) * rate_scale, first, mean))
        first += g.count
    return plans


class TrafficSource:
    """Generates the offered packets chunk by chunk; ``pkt_id`` numbers them in time order."""

    def __init__(self, groups: list[FlowGroup], seed: int, rate_scale: float = 1.0) -> None:
        self.plans = plan_groups(groups, rate_scale)
        self.n_flows = sum(g.count for g in groups)
        self._gen = []
        self._sizes = []
        for p in self.plans:
            g = p.group
            rng = stream(seed, f"traffic/{g.name}/arrivals")
            if isinstance(g.arrival, Poisson):
                gen = PoissonArrivals(p.rate_pps, g.count, rng)
            elif isinstance(g.arrival, Constant):
                gen = ConstantArrivals(p.rate_pps, g.count, rng)
            elif isinstance(g.arrival, OnOff):
                gen = OnOffArrivals(p.rate_pps, g.count, g.arrival.on, g.arrival.off, g.arrival.shape, rng)
            else:  # pragma: no cover
                raise TypeError(g.arrival)
            self._gen.append(gen)
            self._sizes.append(SizeSampler(g.size, stream(seed, f"traffic/{g.name}/sizes")))
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
            t, f = gen.until(horizon_ns)
            ts.append(t)
            fs.append(f + np.int32(p.first_flow))
            ss.append(sizes.draw(len(t)))
        if len(ts) == 1:
            t, f, s = ts[0], fs[0], ss[0]
        else:
            t, f, s = np.concatenate(ts), np.concatenate(fs), np.concatenate(ss)
            order = merge_order(t, [len(x) for x in ts])
            t, f, s = t[order], f[order], s[order]
        n = len(t)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return Packets(t, t.copy(), s.astype(np.int32), f.astype(np.int32), ids)
