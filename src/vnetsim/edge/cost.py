"""What a deployment costs per month, split by item, and the break-even reduction ratio.

Monthly demand (``Demand``): uplink GB (bytes on the uplink, headers included), payload GB
ingested centrally, central cores, edge cores and lines (SIMs). Prices (``config.Prices``):

- data: marginal tiers on the month's uplink GB (the first ``up_to_gb`` at the first price, ...);
- lines: ``line_usd_month`` x lines;
- cloud ingress and egress: per GB ingested, and per GB sent out (``egress_share`` of it);
- storage: payload GB x ``retention_months`` (the steady state of a rolling retention) x price;
- central and edge compute: cores x price per core-month (fractional cores: the share of a
  server a workload needs); edge nodes: one per site that processes data, per month.

Break-even: the central-ingest deployment's demand is scaled by ``1 / r`` for a reduction ratio
``r`` (uplink, ingest, storage and central processing all follow the volume) and the edge cores
and nodes are added; ``r*`` is where that cost equals central ingest's. Cost falls with ``r``, so ``r*``
is unique; there is none when the edge compute alone costs more than what it can save.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

GB = 1e9   # decimal gigabytes, as clouds and carriers bill


@dataclass(frozen=True)
class Demand:
    uplink_gb: float
    payload_gb: float
    central_cores: float
    edge_cores: float
    lines: float
    edge_nodes: float = 0.0

    def scaled(self, x: float) -> Demand:
        """Volume-driven demand times ``x`` (edge cores and lines unchanged)."""
        return replace(self, uplink_gb=self.uplink_gb * x, payload_gb=self.payload_gb * x,
                       central_cores=self.central_cores * x)


def tiered_usd(gb: float, tiers) -> float:
    """The price of ``gb`` under marginal tiers (each ``up_to_gb`` a cumulative bound)."""
    total, below = 0.0, 0.0
    for tier in tiers:
        top = math.inf if tier.up_to_gb is None else tier.up_to_gb
        if gb <= below:
            break
        total += (min(gb, top) - below) * tier.usd_per_gb
        below = top
    if gb > below:           # beyond the last bounded tier: its price goes on
        total += (gb - below) * tiers[-1].usd_per_gb
    return total


def monthly_cost(d: Demand, p) -> dict[str, float]:
    """USD per month by item, and the total."""
    items = {
        "data": tiered_usd(d.uplink_gb, p.data_tiers),
        "lines": d.lines * p.line_usd_month,
        "cloud_ingress": d.uplink_gb * p.ingress_usd_per_gb,
        "cloud_egress": d.uplink_gb * p.egress_share * p.egress_usd_per_gb,
        "storage": d.payload_gb * p.retention_months * p.storage_usd_per_gb_month,
        "central_compute": d.central_cores * p.central_core_usd_month,
        "edge_compute": d.edge_cores * p.edge_core_usd_month,
        "edge_nodes": d.edge_nodes * p.edge_node_usd_month,
    }
    items["total"] = sum(items.values())
    return items


def edge_cost_at(central: Demand, edge: Demand, ratio: float, prices) -> float:
    """Monthly total of central ingest's demand reduced ``ratio`` times, plus ``edge``'s edge cores
    and nodes."""
    scaled = replace(central.scaled(1.0 / ratio), edge_cores=edge.edge_cores, edge_nodes=edge.edge_nodes)
    return monthly_cost(scaled, prices)["total"]


def breakeven_ratio(central: Demand, edge: Demand, prices, r_max: float = 1e12) -> float | None:
    """The reduction ratio where edge processing (``edge``'s cores and nodes) costs what central
    ingest does (None: never)."""
    target = monthly_cost(central, prices)["total"]
    if edge.edge_cores * prices.edge_core_usd_month + edge.edge_nodes * prices.edge_node_usd_month == 0:
        return 1.0
    if edge_cost_at(central, edge, r_max, prices) >= target:
        return None
    lo, hi = 0.0, math.log(r_max)         # cost(log r): above target at lo, below at hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if edge_cost_at(central, edge, math.exp(mid), prices) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return math.exp(hi)
