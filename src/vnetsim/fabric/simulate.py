"""Run a fabric scenario (one variant) and return a JSON-ready, renderable result.

``run_fabric_scenario(scenario, seed, duration_ns)`` takes a validated ``FabricScenario`` (what the
scenario loader gives each variant) or a plain document, which it validates (pydantic errors pass
through); it builds the fabric, routes, flows, runs the flow level and, for small enough fabrics,
the packet level, and gathers metrics.py's figures. Same scenario and seed: identical JSON bytes.
Variants are merged by the one scenario loader: run a file with ``vnetsim.run(path)``.

Before anything runs: a switch port buffer smaller than one frame on the wire is refused (a switch
cannot forward what it cannot store), and so is a packet-level run whose offered packets exceed
``limits.max_packets`` (with the packets and the time at ``FABRIC_LINK_HOPS_PER_S``). Flows with no
path (failed switches or links) are counted in ``traffic.unreachable_flows`` and explained in
``notes``; a run where nothing is reachable still gives its result (offered 0), with that note.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.fabric.config import FABRIC_LINK_HOPS_PER_S, FabricScenario
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
from vnetsim.fabric.progress import ProgressSource
from vnetsim.fabric.render import render_result
from vnetsim.fabric.routing import build_routing
from vnetsim.fabric.topology import RECONVERGENCE_S, build_fabric
from vnetsim.fabric.traffic import build_flows, packet_source
from vnetsim.io.outputs import to_plain
from vnetsim.net.ethernet import WIRE_GAP_BYTES
from vnetsim.results.histograms import histogram_to_json
from vnetsim.units import format_rate, format_seconds

HOST_PACKETS_PER_S = 10e6   # the host path's documented throughput (edge hosts), README Performance


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
                        on_deliver: DeliverHook | None = None,
                        progress: Callable[[float], None] | None = None) -> FabricResult:
    """Run one variant: a ``FabricScenario``, or a document validated here. ``on_deliver(dst_hosts,
    packets, horizon_ns)`` sees every packet-level delivery (the pipeline's sink hook);
    ``progress(fraction)`` is told how far a packet-level run is, once per chunk."""
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
    _check_buffers(scen, fabric, flows)
    reachable = plen > 0
    if level == "packet":
        _check_length(scen, dur, flows, plen, reachable)
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
        if progress is not None:   # the runner reads only until(), offered_pps and end_ns of its source
            source = ProgressSource(source, source.end_ns, progress)  # type: ignore[assignment]
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
        data["latency_histogram"] = histogram_to_json(st.latency)
    data["per_pair"] = _limit_pairs(per_pair, eng.pair_table_limit)
    data["links"] = _links(fabric, offered, offered_util, measured_util, drops, eng.link_table_limit)
    if level == "packet":  # busy time after the end: how long each link took to send what it still held
        index = {n: i for i, n in enumerate(fabric.link_names())}
        drain = st.link_busy_ns - st.link_busy_window_ns
        data["links"]["table"]["drain_ns"] = [float(drain[index[n]]) for n in data["links"]["table"]["link"]]
    data["link_classes"] = link_classes(fabric, offered_util)
    data["drops"] = {"total": int(drops.sum()),
                     "per_link": {n: int(d) for n, d in zip(fabric.link_names(), drops.tolist()) if d > 0}}
    notes = _notes(fabric, flows, reachable)
    if notes:
        data["notes"] = notes
    return FabricResult(to_plain(data))


def _notes(fabric, flows, reachable: np.ndarray) -> list[str]:
    """Why some (or all) traffic is not offered: flows without a path."""
    lost = int((~reachable).sum())
    if not lost:
        if len(flows) and not float(flows.rate_bps.sum()) > 0:
            return [f"the traffic offers nothing: all {len(flows)} flows have rate 0"]
        return []
    failed = [fabric.names[i] for i in np.flatnonzero(fabric.failed_node)]
    cause = (f"failed switches: {', '.join(failed[:8])}{' ...' if len(failed) > 8 else ''}" if failed
             else "failed or blocked links")
    if lost == len(flows):
        return [f"no flow has a path ({cause}): nothing is offered; all {lost} flows are unreachable"]
    return [f"{lost} of {len(flows)} flows have no path ({cause}) and are not offered "
            f"({float(flows.rate_bps[~reachable].sum()) / 1e9:.4g} Gb/s)"]


def _check_buffers(scen: FabricScenario, fabric, flows) -> None:
    """Every switch egress port must hold the largest frame on the wire (ModelError otherwise)."""
    is_switch = ~fabric.is_host[fabric.link_src] if fabric.n_links else np.zeros(0, bool)
    if not is_switch.any() or not len(flows):
        return
    cap = float(fabric.egress_buffer_bytes[is_switch].min())
    wire = int(flows.frame_bytes.max()) + WIRE_GAP_BYTES
    if cap >= wire:
        return
    buf = scen.fabric.switch.buffer
    field = "fabric.switch.buffer." + ("per_port" if buf.kind == "per_port" and buf.per_port is not None else "size")
    how = ("size * alpha / (1 + alpha)" if buf.kind == "shared"
           else "per_port" if buf.per_port is not None else "size / ports of the switch")
    raise ModelError(field, f"a switch port buffer of {cap:.0f} B ({how}) cannot hold one {wire} B frame on the "
                     f"wire ({wire - WIRE_GAP_BYTES} B + {WIRE_GAP_BYTES} B): every packet would be dropped",
                     f"give each port at least {wire} B; the default is a 32MB shared pool")


def _check_length(scen: FabricScenario, dur: float, flows, plen: np.ndarray, reachable: np.ndarray) -> None:
    """Refuse a packet-level run whose offered packets exceed ``limits.max_packets``."""
    pps = float(flows.pps[reachable].sum())
    packets = pps * dur / 1e9
    limit = scen.limits.max_packets
    if packets <= limit:
        return
    hops = float(np.average(plen[reachable], weights=flows.pps[reachable])) if pps > 0 else 0.0
    seconds = packets * hops / FABRIC_LINK_HOPS_PER_S
    if scen.edge is not None:
        seconds += packets / HOST_PACKETS_PER_S
    raise ModelError("duration", f"{dur / 1e9:g} s at {format_rate(pps, 'pps')} is about {packets:.3g} packets "
                     f"({hops:.2g} links each), about {format_seconds(seconds)} at the packet level's "
                     f"{FABRIC_LINK_HOPS_PER_S / 1e6:g} M link hops/s per core, over limits.max_packets "
                     f"({limit:.3g})", "shorten duration, lower the load, use fabric.engine.level: flow, or raise "
                     f"limits.max_packets, e.g. --set limits.max_packets={max(packets * 1.01, 1):.2g}")


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
