"""One edge variant: volumes in aggregate, the uplink (and UPF) message by message, the cost.

    messages (EdgeMessages) -> uplink (UplinkStage) [-> gtpu (GtpuEncap) -> UPF wire (FifoStage)
    -> UPF host (vnetsim.host.HostReceive)] -> centre (sink)

The result row is documented in docs/models/edge.md ("Results").
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from vnetsim.edge.config import EdgeScenario
from vnetsim.edge.cost import Demand, breakeven_ratio, monthly_cost
from vnetsim.edge.messages import DATA, EVENT, EdgeMessages
from vnetsim.edge.outages import down_time_ns, draw_outages
from vnetsim.edge.processing import flush_plan, run_stages, sensor_framing, sensor_rates
from vnetsim.edge.protocol import framing
from vnetsim.edge.upf import GtpuEncap, InFlight, UpfLatency, gtpu_overhead_bytes, n3_catalog, n3_frame_extra_bytes
from vnetsim.edge.uplink import UplinkStage
from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, relative_error, stats_load, stats_store
from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import Pipeline
from vnetsim.engine.stage import FifoStage
from vnetsim.errors import ModelError
from vnetsim.results.histograms import histogram_to_json

HOUR_S, DAY_S = 3600.0, 86400.0


def _per_period(bytes_per_s: float, messages_per_s: float, month_hours: float) -> dict:
    return {"bytes_per_s": bytes_per_s, "messages_per_s": messages_per_s, "bytes_per_hour": bytes_per_s * HOUR_S,
            "bytes_per_day": bytes_per_s * DAY_S, "bytes_per_month": bytes_per_s * month_hours * HOUR_S}


def _summary(h: LogHistogram) -> dict:
    return {"count": h.count, **h.summary()}


class _Centre:
    """The central site's input: messages and bytes per class, and each class's latency from
    production to the central decision (arrival + processing)."""

    def __init__(self, central, t_lo: float) -> None:
        self.per_msg_ns = central.per_message.to_ns(central.cpu_clock)
        self.per_byte_ns = central.per_byte.to_ns(central.cpu_clock)
        self.t_lo = t_lo
        self.count = np.zeros((2, 2))
        self.latency = [LogHistogram(), LogHistogram()]

    def __call__(self, packets: Packets, horizon_ns: float) -> None:
        if not len(packets):
            return
        d, e = self.latency
        centre_take(packets.t_ns, packets.t0_ns, packets.size_bytes, packets.flow, self.per_msg_ns, self.per_byte_ns,
                    self.t_lo, self.count, d.counts, d.stats, e.counts, e.stats)


@numba.njit(cache=True, nogil=True)
def centre_take(t, t0, size, flow, per_msg_ns, per_byte_ns, t_lo, count, d_counts, d_stats, e_counts, e_stats):
    """Count messages and bytes per class (odd flows are events) and record, for those produced
    from ``t_lo`` on, the latency to the central decision: arrival + per message + per byte."""
    msgs = np.zeros(2, np.int64)
    byts = np.zeros(2, np.int64)
    dst = stats_load(d_stats)
    est = stats_load(e_stats)
    for i in range(t.shape[0]):
        c = flow[i] & 1
        msgs[c] += 1
        byts[c] += size[i]
        if t0[i] >= t_lo:
            lat = ((t[i] + per_msg_ns) + per_byte_ns * size[i]) - t0[i]
            if c == 1:
                est = hist_add(e_counts, est, lat, SUB_BITS)
            else:
                dst = hist_add(d_counts, dst, lat, SUB_BITS)
    stats_store(d_stats, dst)
    stats_store(e_stats, est)
    for c in range(2):
        count[c, 0] += msgs[c]
        count[c, 1] += byts[c]


def _tap(pipe: Pipeline, *extra) -> None:
    """Also hand the last sink's deliveries to each of ``extra`` (the UPF's latency and the centre
    behind the UPF's application)."""
    node = pipe.nodes[-1]
    inner = node.obj

    def every(packets: Packets, horizon_ns: float) -> None:
        inner(packets, horizon_ns)
        for fn in extra:
            fn(packets, horizon_ns)

    node.obj = every


def _on_drops(pipe: Pipeline, stages: tuple, fn) -> None:
    """Also tell ``fn`` the ids of the packets these stages drop."""
    for node in pipe.nodes:
        if any(node.obj is st for st in stages):
            inner = node.on_drop

            def both(pid: np.ndarray, inner=inner) -> None:
                if inner is not None:
                    inner(pid)
                fn(pid)

            node.on_drop = both


def plan_volumes(sc: EdgeScenario) -> dict:
    """Everything analytic: framings, stage flows, per-site rates, edge CPU and the flush plan."""
    groups = {g.name: sensor_framing(g) for g in sc.sensors}
    raw = sensor_rates(sc.sensors)
    sensor_msgs = sum(g.count * g.sample_rate / g.samples_per_message for g in sc.sensors)
    sensor_wire = sum(g.count * g.sample_rate / g.samples_per_message * groups[g.name].total_bytes
                      for g in sc.sensors)
    stages = run_stages(sc.edge.stages, raw, sc.edge.cpu_clock)
    relay = sc.edge.relay
    event_f = framing(sc.edge.protocol, sc.events.bytes, "events.bytes")
    first = groups[sc.sensors[0].name]
    ev_rate = sc.events.rate
    if relay:
        flush = None
        up_msgs, up_bytes = sensor_msgs + ev_rate, sensor_wire + ev_rate * first.total_bytes
        payload = raw.bytes_per_s + ev_rate * first.payload
    else:
        processed = stages[-1].rates_out.bytes_per_s
        flush = flush_plan(sc.edge, processed)
        up_msgs = flush.messages_per_s + ev_rate
        up_bytes = flush.bytes_per_s + ev_rate * event_f.total_bytes
        payload = float(flush.payloads.sum()) / (flush.interval_ns / 1e9) + ev_rate * event_f.payload
    relay_bytes = sensor_wire + ev_rate * first.total_bytes
    relay_payload = raw.bytes_per_s + ev_rate * first.payload
    edge_cpu = sum(s.cpu_ns_per_s for s in stages) / 1e9
    return dict(groups=groups, raw=raw, sensor_msgs=sensor_msgs, sensor_wire=sensor_wire, stages=stages,
                flush=flush, event_framing=event_f, up_msgs=up_msgs, up_bytes=up_bytes, payload=payload,
                relay_bytes=relay_bytes, relay_msgs=sensor_msgs + ev_rate, relay_payload=relay_payload,
                edge_cores=edge_cpu)


def demands(sc: EdgeScenario, v: dict) -> tuple[Demand, Demand]:
    """(this variant's, central ingest's) monthly demand, all sites."""
    month_s = sc.prices.month_hours * HOUR_S
    c = sc.central
    per_msg = c.per_message.to_ns(c.cpu_clock) / 1e9
    per_byte = c.per_byte.to_ns(c.cpu_clock) / 1e9
    lines = float(sc.sites * sc.prices.lines_per_site)

    def demand(up_bytes, payload, msgs, edge_cores, nodes):
        return Demand(up_bytes * month_s * sc.sites / 1e9, payload * month_s * sc.sites / 1e9,
                      (msgs * per_msg + payload * per_byte) * sc.sites, edge_cores * sc.sites, lines, nodes)

    nodes = 0.0 if sc.edge.relay else float(sc.sites)
    return (demand(v["up_bytes"], v["payload"], v["up_msgs"], v["edge_cores"], nodes),
            demand(v["relay_bytes"], v["relay_payload"], v["relay_msgs"], 0.0, 0.0))


def run_edge_scenario(sc: EdgeScenario, progress: Callable[[float], None] | None = None) -> dict:
    """Run one validated variant to its result row (without name and description);
    ``progress(fraction)`` is told how far the run is, once per chunk of messages."""
    v = plan_volumes(sc)
    t_end, t_lo = float(sc.duration), float(sc.warmup)
    messages = v["up_msgs"] * sc.sites * t_end / 1e9
    if messages > sc.limits.max_messages:
        raise ModelError("duration", f"the run would simulate about {messages:.3g} uplink messages, more than "
                         f"limits.max_messages ({sc.limits.max_messages:.3g})",
                         "shorten duration (monthly figures scale from the rates) or raise limits.max_messages")
    rate_bps, lat_ns, jit_ns, loss = sc.uplink.resolved()
    margin = max(t_end, 3600e9)
    out_s, out_e = draw_outages(sc.uplink.outages, sc.sites, t_end + margin, sc.seed)
    proto = sc.sensors[0].protocol if sc.edge.relay else sc.edge.protocol
    tcp = proto.transport_name == "tcp"
    source = EdgeMessages(sc, v["flush"], v["event_framing"].total_bytes)
    uplink = UplinkStage(sc.sites, np.arange(2 * sc.sites) // 2, rate_bps, sc.edge.buffer, out_s, out_e,
                         loss=loss, tcp=tcp, retransmit_timeout_ns=sc.uplink.retransmit_timeout,
                         latency_ns=lat_ns, jitter_ns=jit_ns, seed=sc.seed, stat_lo_ns=t_lo, stat_hi_ns=t_end)
    centre = _Centre(sc.central, t_lo)
    pipe = Pipeline()
    if progress is None:
        src = pipe.source(source, "messages")
    else:
        from vnetsim.fabric import ProgressSource

        src = pipe.source(ProgressSource(source, t_end, progress), "messages")
    up = pipe.add(uplink, "uplink")
    pipe.connect(src, up)
    receive = wire = upf_latency = None
    if sc.upf.enabled:
        from vnetsim.host import HostReceive, compile_host_flows

        try:
            plan = compile_host_flows(sc.upf.host, n3_catalog(sc.sites, len(sc.upf.host.vms)))
        except ValueError as exc:
            raise ModelError("upf.host", str(exc), "change the UPF host model") from None
        inflight = InFlight()
        upf_latency = UpfLatency(inflight, t_lo, t_end)
        enc = pipe.add(GtpuEncap(n3_frame_extra_bytes(sc.upf), proto.link_bytes, inflight), "gtpu")
        wire = FifoStage(plan.line_rate_bps, stat_lo_ns=t_lo, stat_hi_ns=t_end, sojourn_histogram=True,
                         name="upf_wire")
        wire_node = pipe.add(wire)
        pipe.connect(up, enc)
        pipe.connect(enc, wire_node)
        receive = HostReceive(plan, t_lo, t_end, None, pipe, wire_node)
        _on_drops(pipe, tuple(receive.rings), upf_latency.dropped)
        _tap(pipe, upf_latency, centre)
    else:
        sink = pipe.sink(centre, "centre")
        pipe.connect(up, sink)
    pipe.run(t_end, max(source.offered_pps, 1e-3), sc.chunk_messages, warmup_ns=t_lo)
    if receive is not None:
        receive.finish()
    else:
        pipe.flush()
    return _row(sc, v, source, uplink, centre, (receive, wire, upf_latency), (out_s, out_e), rate_bps,
                (lat_ns, jit_ns, loss))


def _row(sc, v, source, uplink, centre, upf_parts, outages, rate_bps, radio) -> dict:
    t_lo, t_end = float(sc.warmup), float(sc.duration)
    window_s = (t_end - t_lo) / 1e9
    mh = sc.prices.month_hours
    st = uplink.stats()
    q = st.queues
    down = down_time_ns(outages[0], outages[1], t_lo, t_end)
    n_sites = sc.sites
    flow_rows = [s.to_dict() for s in v["stages"]]
    f = v["flush"]
    links = {
        "sensors": _per_period(v["sensor_wire"] * n_sites, v["sensor_msgs"] * n_sites, mh),
        "uplink": _per_period(v["up_bytes"] * n_sites, v["up_msgs"] * n_sites, mh),
    }
    upf = None
    receive, wire, upf_latency = upf_parts
    if receive is not None:
        extra = n3_frame_extra_bytes(sc.upf)
        links["n3"] = _per_period((v["up_bytes"] + v["up_msgs"] * (extra - _link_bytes(sc))) * n_sites,
                                  v["up_msgs"] * n_sites, mh)
        parts = receive.parts()
        ws = wire.stats()
        hists = {"wire": ws.sojourn, **parts["receive_stages"]}
        stage_mean = {k: (h.mean if h.count else 0.0) for k, h in hists.items()}
        stage_p99 = {k: (h.quantile(0.99) if h.count else 0.0) for k, h in hists.items()}
        busy = [float((c["useful_ns"] + c["overhead_ns"] + c["spin_ns"]) / (t_end - t_lo)) if t_end > t_lo else 0.0
                for c in np.concatenate([parts["host_counters"], parts["guest_counters"]])]
        upf = {"gtpu_overhead_bytes": gtpu_overhead_bytes(sc.upf.outer_ip_version, sc.upf.pdu_session_container),
               "frame_extra_bytes": extra,
               "packets": int(ws.queues["accepted"].sum()),
               "packets_per_s": float(ws.queues["accepted"].sum()) / window_s,
               "bits_per_s": float(ws.queues["busy_ns"].sum()) / (t_end - t_lo) * plan_rate(wire),
               "delivered": int(parts["delivered"]), "drops": parts["drops"],
               "dropped_total": int(receive.dropped_total), "held_at_end": int(receive.in_flight() - receive.late),
               "stage_latency_ns": stage_mean, "stage_latency_p99_ns": stage_p99,
               "latency_mean_ns": float(sum(stage_mean.values())),
               "latency_ns": _summary(upf_latency.histogram),
               "core_busy": {"max": max(busy, default=0.0), "mean": float(np.mean(busy)) if busy else 0.0,
                             "cores_busy_sum": float(np.sum(busy))}}
    links["central"] = _per_period(v["payload"] * n_sites, v["up_msgs"] * n_sites, mh)
    mine, central = demands(sc, v)
    cost = monthly_cost(mine, sc.prices)
    central_cost = monthly_cost(central, sc.prices)
    be = None if sc.edge.relay else breakeven_ratio(central, mine, sc.prices)
    offered = source.offered
    uplink_row = {
        "technology": sc.uplink.technology, "rate_bps": rate_bps, "latency_ns": radio[0], "jitter_ns": radio[1],
        "loss": radio[2],
        "utilization": float(q["busy_window_ns"].sum() / (n_sites * (t_end - t_lo))),
        "offered_load": v["up_bytes"] * 8 / rate_bps,
        "messages": {"in": int(q["in_messages"].sum()), "dropped": int(q["dropped_messages"].sum()),
                     "lost": int(q["lost_messages"].sum()), "sent": int(q["sent_messages"].sum()),
                     "buffered": int(q["buffered_messages"].sum()),
                     "transmissions": int(q["attempts"].sum())},
        "bytes": {"in": float(q["in_bytes"].sum()), "dropped": float(q["dropped_bytes"].sum()),
                  "lost": float(q["lost_bytes"].sum()), "sent": float(q["sent_bytes"].sum()),
                  "buffered": float(q["buffered_bytes"].sum())},
        "wait_ns": _summary(st.wait), "sojourn_ns": _summary(st.sojourn),
        "outages": {"count": int(((outages[0] < t_end) & (outages[1] > t_lo)).sum()),
                    "down_s": float(down.sum()) / 1e9,
                    "availability": float(1.0 - down.sum() / (n_sites * (t_end - t_lo)))},
        "buffer_bytes": float(sc.edge.buffer), "max_backlog_bytes": float(q["max_backlog_bytes"].max()),
    }
    return {
        "mode": "relay" if sc.edge.relay else "edge",
        "sites": n_sites, "duration_s": t_end / 1e9, "window_s": [t_lo / 1e9, t_end / 1e9], "seed": sc.seed,
        "histogram_relative_error": relative_error(),
        "protocol": {name: fr.to_dict() for name, fr in v["groups"].items()},
        "edge_protocol": None if sc.edge.relay else framing(sc.edge.protocol, sc.edge.message_bytes).to_dict(),
        "event_protocol": v["event_framing"].to_dict(),
        "raw_payload_bytes_per_s": v["raw"].bytes_per_s * n_sites,
        "links": links,
        "reduction_ratio": v["relay_bytes"] / v["up_bytes"] if v["up_bytes"] > 0 else None,
        "edge": {"stages": flow_rows, "cpu_cores_needed": v["edge_cores"], "cores": sc.edge.cores,
                 "cpu_utilization": v["edge_cores"] / sc.edge.cores,
                 "buffer_needed_bytes": float(q["max_backlog_bytes"].max()),
                 "messages_per_flush": None if f is None else len(f.payloads)},
        "uplink": uplink_row,
        "offered": {"data_messages": int(offered[DATA][0]), "data_bytes": float(offered[DATA][1]),
                    "event_messages": int(offered[EVENT][0]), "event_bytes": float(offered[EVENT][1])},
        "events": {"offered": int(offered[EVENT][0]), "delivered": int(centre.count[EVENT][0]),
                   "latency_ns": _summary(centre.latency[EVENT]),
                   "latency_histogram": histogram_to_json(centre.latency[EVENT])},
        "data": {"delivered_messages": int(centre.count[DATA][0]), "delivered_bytes": float(centre.count[DATA][1]),
                 "latency_ns": _summary(centre.latency[DATA])},
        "upf": upf,
        "central": {"ingest_bps": v["payload"] * 8 * n_sites, "messages_per_s": v["up_msgs"] * n_sites,
                    "cpu_cores_needed": mine.central_cores,
                    "stored_gb": mine.payload_gb * sc.prices.retention_months},
        "cost_usd_month": cost,
        "central_ingest_cost_usd_month": central_cost["total"],
        "breakeven_reduction_ratio": be,
    }


def _link_bytes(sc) -> int:
    return (sc.sensors[0].protocol if sc.edge.relay else sc.edge.protocol).link_bytes


def plan_rate(wire: FifoStage) -> float:
    """The wire's bit rate (from its ns per byte)."""
    return 8e9 / float(wire.ns_per_byte[0])
