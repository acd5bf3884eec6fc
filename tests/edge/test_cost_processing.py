"""Cost arithmetic, the break-even crossing, stage volume conservation and outage renewal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vnetsim.edge.config import Edge, EdgeScenario, Outages, Prices, Tier
from vnetsim.edge.cost import Demand, breakeven_ratio, edge_cost_at, monthly_cost, tiered_usd
from vnetsim.edge.outages import down_time_ns, draw_outages
from vnetsim.edge.processing import flush_plan, run_stages, sensor_rates


def test_tiered_data_price_is_marginal():
    tiers = [Tier(up_to_gb=10, usd_per_gb=1.0), Tier(up_to_gb=100, usd_per_gb=0.5), Tier(usd_per_gb=0.25)]
    assert tiered_usd(5, tiers) == 5.0
    assert tiered_usd(150, tiers) == 10 * 1.0 + 90 * 0.5 + 50 * 0.25 == 67.5
    assert tiered_usd(250, [Tier(up_to_gb=100, usd_per_gb=0.1)]) == 25.0    # the last price goes on


def test_monthly_cost_items_exact():
    p = Prices(data_tiers=[Tier(usd_per_gb=0.09)], line_usd_month=3, ingress_usd_per_gb=0.01, egress_share=0.5,
               egress_usd_per_gb=0.08, storage_usd_per_gb_month=0.02, retention_months=3,
               central_core_usd_month=30, edge_core_usd_month=20, edge_node_usd_month=50)
    c = monthly_cost(Demand(uplink_gb=1000, payload_gb=800, central_cores=2, edge_cores=0.5, lines=4, edge_nodes=4),
                     p)
    assert c == pytest.approx({"data": 90.0, "lines": 12.0, "cloud_ingress": 10.0, "cloud_egress": 40.0,
                               "storage": 48.0, "central_compute": 60.0, "edge_compute": 10.0, "edge_nodes": 200.0,
                               "total": 470.0}, rel=1e-15)


def test_breakeven_is_where_the_cost_curves_cross():
    p = Prices(data_tiers=[Tier(up_to_gb=500, usd_per_gb=0.5), Tier(usd_per_gb=0.2)], edge_node_usd_month=50)
    central = Demand(uplink_gb=2000, payload_gb=1500, central_cores=1, edge_cores=0, lines=10)
    edge = Demand(0, 0, 0, edge_cores=2, lines=10, edge_nodes=10)
    r = breakeven_ratio(central, edge, p)
    target = monthly_cost(central, p)["total"]
    assert r is not None and r > 1
    assert edge_cost_at(central, edge, r, p) == pytest.approx(target, rel=1e-9)
    assert edge_cost_at(central, edge, r * 0.99, p) > target > edge_cost_at(central, edge, r * 1.01, p)
    # edge nodes dearer than all that can be saved: never
    assert breakeven_ratio(central, Demand(0, 0, 0, 0, 10, edge_nodes=1e6), p) is None


def scenario(**kw) -> EdgeScenario:
    base = {"sensors": [{"name": "v", "count": 10, "sample_rate": "100Hz", "sample_bytes": 4}]}
    return EdgeScenario.model_validate({**base, **kw})


def test_stages_conserve_bytes_and_count_cpu():
    sc = scenario(edge={"stages": [{"kind": "filter", "keep": 0.5, "per_sample": "10ns"},
                                   {"kind": "downsample", "factor": 5},
                                   {"kind": "aggregate", "window": "1s", "group": 3, "summary_bytes": 32},
                                   {"kind": "compress", "ratio": 2, "per_byte": "4cycles"}]})
    raw = sensor_rates(sc.sensors)
    assert (raw.samples_per_s, raw.bytes_per_s, raw.streams) == (1000, 4000, 10)
    flows = run_stages(sc.edge.stages, raw, 2e9)
    for f in flows:
        d = f.to_dict()
        assert d["bytes_in_per_s"] == d["bytes_out_per_s"] + d["bytes_removed_per_s"]
    assert [f.rates_out.bytes_per_s for f in flows] == [2000, 400, 4 * 32, 64]   # ceil(10 / 3) = 4 summaries/s
    assert flows[0].cpu_ns_per_s == 1000 * 10
    assert flows[3].cpu_ns_per_s == 128 * 4 / 2e9 * 1e9
    plan = flush_plan(Edge(flush="10s", message_bytes=300), 64)
    assert plan.payloads.tolist() == [300, 300, 40] and plan.payloads.sum() == 640


def test_outages_renewal_share_down():
    """Long-run share of time down = mean_down / (mean_up + mean_down), within 5 standard errors
    of the renewal-reward estimate over many cycles."""
    o = Outages(mean_up="100s", mean_down="10s")
    horizon = 1e9 * 1e6
    s, e = draw_outages(o, 4, horizon, seed=9)
    share = down_time_ns(s, e, 0, horizon) / horizon
    cycles = horizon / 110e9
    # per cycle, down time D (exp, mean 10) minus share x cycle length: variance of the reward ratio
    sd = math.sqrt((10e9 ** 2 * (100 / 110) ** 2 + 100e9 ** 2 * (10 / 110) ** 2) / cycles) / 110e9
    assert np.all(np.abs(share - 10 / 110) < 5 * sd), (share, sd)
    fixed = draw_outages(Outages(schedule=[("1s", "2s"), ("2.5s", "1s")]), 2, 10e9, seed=1)
    assert fixed[0][0].tolist() == [1e9] and fixed[1][0].tolist() == [3.5e9], "overlaps merged"
