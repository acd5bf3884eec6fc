"""Run a fabric scenario (one variant) and return a JSON-ready, renderable result.

``run_fabric_scenario(scenario, seed, duration_ns)`` takes a validated ``FabricScenario`` (what the
scenario loader gives each variant) or a plain document, which it validates (pydantic errors pass
through); it builds the fabric, routes, flows, runs the flow level and, for small enough fabrics,
the packet level, and gathers metrics.py's figures. Same scenario and seed: identical JSON bytes.
Variants are merged by the one scenario loader: run a file with ``vnetsim.run(path)``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.fabric.config import FabricScenario
from vnetsim.fabric.edge import EdgeHosts
from vnetsim.fabric.flowlevel import expected_link_loads, hashed_link_loads
from vnetsim.fabric.metrics import (
    bisection_bps,
    counts,
    group_pairs,
    hop_distribution,
    link_classes,
    oversubscription,
    unloaded_latency_ns,
)
from vnetsim.fabric.packetlevel import DeliverHook, PacketRunner
from vnetsim.fabric.render import render_result
from vnetsim.fabric.routing import build_routing
from vnetsim.fabric.topology import RECONVERGENCE_S, build_fabric
from vnetsim.fabric.traffic import build_flows, packet_source
from vnetsim.io.outputs import to_plain


@dataclass
class FabricResult:
    """The outcome of one fabric run; ``to_dict()`` is JSON-ready and deterministic."""

    data: dict

    def to_dict(self) -> dict:
        return copy.deepcopy(self.data)

    def to_json(self) -> str:
        return json.dumps(self.data, sort_keys=True, indent=2, allow_nan=False)

    def render(self, console) -> None:
        """Readable rich tables of this run."""
        render_result(self.data, console)


def run_fabric_scenario(scenario: FabricScenario | dict, seed: int | None = None, duration_ns: float | None = None,
                        on_deliver: DeliverHook | None = None) -> FabricResult:
    """Run one variant: a ``FabricScenario``, or a document validated here. ``on_deliver(dst_hosts,
    packets, horizon_ns)`` sees every packet-level delivery (the pipeline's sink hook)."""
    scen = scenario if isinstance(scenario, FabricScenario) else FabricScenario.model_validate(scenario)
    seed = scen.seed if seed is None else int(seed)
    dur = scen.duration if duration_ns is None else float(duration_ns)
    fc, tc, eng = scen.fabric, scen.traffic, scen.fabric.engine
    fabric = build_fabric(fc)
    routing = build_routing(fabric, seed, same_seed=fc.ecmp.seeds == "same")
    flows = build_flows(fc, tc, fabric, seed)
    paths, plen = routing.paths(flows.src, flows.dst, flows.key0, flows.key1)
    level = eng.level if eng.level != "auto" else ("packet" if fabric.n_hosts <= eng.packet_max_hosts else "flow")
    if scen.edge is not None and level != "packet":
        raise ModelError("edge", "the host model at the fabric's edge needs the packet level",
                            "set fabric.engine.level: packet (or remove edge)")
    reachable = plen > 0
    if eng.flow_model == "expected" and level == "flow":
        offered = expected_link_loads(routing, flows)
    else:
        offered = hashed_link_loads(fabric.n_links, paths, plen, np.where(reachable, flows.rate_bps, 0.0))
    speed = fabric.link_speed_bps
    offered_util = offered / speed

    pair_key = flows.src * fabric.n_hosts + flows.dst
    pair_keys, pair_of_flow = np.unique(pair_key, return_inverse=True)
    n_pairs = len(pair_keys)
    pair_src, pair_dst = pair_keys // fabric.n_hosts, pair_keys % fabric.n_hosts
    first_flow = np.zeros(n_pairs, np.int64)
    first_flow[pair_of_flow[::-1]] = np.arange(len(flows))[::-1]
    flow_unloaded = unloaded_latency_ns(fabric, paths, plen, flows.frame_bytes)
    pair_rate = np.bincount(pair_of_flow, weights=flows.rate_bps, minlength=n_pairs)
    pair_hops = np.where(plen[first_flow] > 0, plen[first_flow] - 1, -1)

    data: dict = {
        "kind": "fabric",
        "name": scen.name,
        "seed": seed,
        "duration_ns": dur,
        "level": level,
        "topology": {"kind": fc.topology, "design": fabric.design, **counts(fabric)},
        "oversubscription": oversubscription(fabric),
        "bisection_bps": bisection_bps(fabric),
        "traffic": {"pattern": tc.pattern, "flows": len(flows), "unreachable_flows": int((~reachable).sum()),
                    "pairs": n_pairs, "offered_bps": float(flows.rate_bps[reachable].sum()),
                    "frame_bytes": tc.frame_size, "arrivals": tc.arrivals},
        "ecmp": {"seeds": fc.ecmp.seeds},
        "stp": _stp_info(fabric),
        "failures": [f.model_dump(exclude_none=True) for f in fc.failures],
    }
    gp = group_pairs(fabric, routing, tc.frame_size)
    data["hops"] = {"all_pairs": gp.get("hops_all_pairs", {}), "cross_rack": gp.get("hops_cross_rack", {}),
                    "traffic_flows": hop_distribution(plen)}
    data["unloaded_latency_ns"] = {"all_pairs": gp.get("unloaded_all_pairs", {}),
                                   "cross_rack": gp.get("unloaded_cross_rack", {}),
                                   "traffic_pairs": _spread(flow_unloaded[first_flow][pair_hops >= 0])}
    measured_util = None
    drops = np.zeros(fabric.n_links, np.int64)
    per_pair: dict = {"src": pair_src, "dst": pair_dst, "hops": pair_hops, "offered_bps": pair_rate,
                      "unloaded_ns": flow_unloaded[first_flow]}
    if level == "packet":
        sub_bits = eng.pair_sub_bits if n_pairs <= eng.pair_stats_limit else None
        source = packet_source(flows, dur, seed, tc.arrivals, tc.phase)
        edge = EdgeHosts(scen.edge, fabric, flows, dur) if scen.edge is not None else None
        hook = on_deliver
        if edge is not None:
            def hook(dst, pk, horizon):
                edge.deliver(dst, pk, horizon)
                if on_deliver is not None:
                    on_deliver(dst, pk, horizon)
        runner = PacketRunner(fabric, flows, paths, plen, source, pair_of_flow, n_pairs, sub_bits, hook,
                              eng.chunk_packets)
        st = runner.run()
        if edge is not None:
            edge.finish()                  # run every host to the end
            data["edge_hosts"] = edge.summary()
        measured_util = st.link_busy_window_ns / dur if dur > 0 else np.zeros(fabric.n_links)
        drops = st.link_dropped
        pc = st.pairs
        per_pair.update({"count": pc.count, "mean_ns": pc.mean, "p99_ns": pc.quantile(0.99), "max_ns": pc.max})
        data["packets"] = {"offered": st.offered, "delivered": st.delivered, "dropped": st.dropped,
                           "drop_fraction": st.dropped / st.offered if st.offered else 0.0,
                           "link_hops": st.hops}
        data["latency_ns"] = {"overall": {"count": st.latency.count, **st.latency.summary()},
                              "pair_mean": _spread(pc.mean[pc.count > 0]),
                              "pair_p99": _spread(per_pair["p99_ns"][pc.count > 0]),
                              "pair_histogram_sub_bits": sub_bits}
    data["per_pair"] = _limit_pairs(per_pair, eng.pair_table_limit)
    data["links"] = _links(fabric, offered, offered_util, measured_util, drops, eng.link_table_limit)
    data["link_classes"] = link_classes(fabric, offered_util)
    data["drops"] = {"total": int(drops.sum()),
                     "per_link": {n: int(d) for n, d in zip(fabric.link_names(), drops.tolist()) if d > 0}}
    return FabricResult(to_plain(data))


def _spread(x: np.ndarray) -> dict:
    """min/mean/max, max-min and coefficient of variation across pairs."""
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    if not len(x):
        return {"pairs": 0}
    mean = float(x.mean())
    return {"pairs": int(len(x)), "min": float(x.min()), "mean": mean, "max": float(x.max()),
            "spread": float(x.max() - x.min()), "cv": float(x.std() / mean) if mean > 0 else 0.0}


def _stp_info(fabric) -> dict | None:
    if not fabric.stp_domains:
        return None
    names = fabric.names
    cu, cv = fabric.cable_u, fabric.cable_v
    return {
        "protocol": fabric.stp_protocol,
        "reconvergence_s": RECONVERGENCE_S[fabric.stp_protocol],
        "blocked_links": int(fabric.blocked.sum()),
        "domains": [{"name": d.name, "roots": [names[r] for r in d.roots], "links": len(d.cables),
                     "blocked": [f"{names[cu[c]]}-{names[cv[c]]}" for c in d.blocked]} for d in fabric.stp_domains],
    }


def _limit_pairs(cols: dict, limit: int) -> dict:
    """Keep at most ``limit`` pairs: those with the highest mean (else unloaded) latency."""
    n = len(cols["src"])
    if n <= limit:
        return {**cols, "truncated": 0}
    key = cols.get("mean_ns", cols["unloaded_ns"])
    key = np.where(np.isfinite(key), key, -np.inf)
    keep = np.sort(np.argsort(-key, kind="stable")[:limit])
    return {**{k: np.asarray(v)[keep] for k, v in cols.items()}, "truncated": n - limit}


def _links(fabric, offered, offered_util, measured_util, drops, limit: int) -> dict:
    names = fabric.link_names()
    active = np.repeat(fabric.active_cable, 2)
    util = measured_util if measured_util is not None else offered_util
    show = np.nonzero((offered > 0) | (drops > 0))[0]
    truncated = 0
    if len(show) > limit:
        top = np.argsort(-util[show], kind="stable")[:limit]
        truncated = len(show) - limit
        show = np.sort(show[top])
    table = {"link": [names[i] for i in show], "speed_bps": fabric.link_speed_bps[show],
             "offered_bps": offered[show], "offered_utilization": offered_util[show], "drops": drops[show]}
    if measured_util is not None:
        table["utilization"] = measured_util[show]
    busiest = int(np.argmax(np.where(active, util, -1))) if fabric.n_links else 0
    return {
        "active": int(active.sum()), "total": fabric.n_links, "truncated": truncated, "table": table,
        "max": {"link": names[busiest], "utilization": util[busiest], "offered_utilization": offered_util[busiest],
                "offered_bps": offered[busiest]},
        "overloaded": int((offered_util > 1.0).sum()),
    }
