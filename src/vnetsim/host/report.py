"""The published result of a host-path variant (the JSON schema in docs/results.md)."""

from __future__ import annotations

import numpy as np

from vnetsim.engine.histogram import relative_error
from vnetsim.host.path import HostRun
from vnetsim.host.stage_plans import RingStagePlan
from vnetsim.host.stats import honest_summary, unsupported
from vnetsim.host.warnings import still_growing, unused_resources
from vnetsim.nic import REASONS, balls_into_bins
from vnetsim.results.histograms import histogram_to_json


def _cpu(counters: np.ndarray, names: list[str], window_ns: float, reserved: list[bool] | None = None) -> dict:
    """Share of the window each core spent useful, on overhead, spinning and idle; a core reserved
    for its stage (``RingStagePlan.reserved``) books its time without work as ``reserved``."""
    out = {}
    for k, (c, name) in enumerate(zip(counters, names)):
        useful, overhead, spin = c["useful_ns"] / window_ns, c["overhead_ns"] / window_ns, c["spin_ns"] / window_ns
        rest = max(0.0, 1.0 - useful - overhead - spin)
        held = bool(reserved[k]) if reserved is not None else False
        out[name] = {"useful": useful, "overhead": overhead, "spin": spin, "idle": 0.0 if held else rest,
                     "reserved": rest if held else 0.0}
    return out


def busy_share(cpu: dict) -> float:
    """A core's busy share of the window (useful + overhead + spin): neither idle nor reserved."""
    return cpu["useful"] + cpu["overhead"] + cpu["spin"]


def _core_counters(counters: np.ndarray, names: list[str], packets: np.ndarray, window_s: float) -> dict:
    """Per core: packets, event rates, and packets per interrupt."""
    out = {}
    for c, name, n in zip(counters, names, packets):
        irq = c["interrupts"]
        out[name] = {
            "packets": int(n),
            **{f"{f}_per_s": c[f] / window_s for f in ("interrupts", "polls", "empty_polls", "wakeups",
                                                        "cstate_exits", "sleeps")},
            "packets_per_interrupt": float(n / irq) if irq else None,
        }
    return out


def _queues(names: list[str], packets: np.ndarray, drops: np.ndarray) -> dict:
    total = max(1, int(packets.sum()))
    return {n: {"packets": int(p), "dropped": int(d), "share": p / total}
            for n, p, d in zip(names, packets, drops)}


def _imbalance(packets: np.ndarray) -> dict:
    """max/mean and Jain's fairness index (1 = perfectly even) of per-queue or per-core load."""
    x = packets.astype(float)
    mean = x.mean() if len(x) else 0.0
    if mean <= 0:
        return {"max_over_mean": None, "jain": None}
    return {"max_over_mean": float(x.max() / mean), "jain": float(x.sum() ** 2 / (len(x) * (x * x).sum()))}


def steering_summary(plan, flow_listing: int) -> dict:
    """How flows were spread over the pNIC queues: reasons, queues used, what hashing predicts,
    and which queue (and core) each flow landed on (the first ``flow_listing`` flows)."""
    st = plan.steering
    nic = plan.nic
    n_q = len(nic.rings)
    queue = plan.flow_pnic_ring
    flows_per_queue = np.bincount(queue, minlength=n_q) if len(queue) else np.zeros(n_q, np.int64)
    core_of_queue = np.array([r.core for r in nic.rings], np.int64)
    reasons: dict[str, int] = {}
    for code, label in REASONS.items():
        k = int((st.reason == code).sum())
        if k:
            reasons[label] = k
    hashed = int(sum(v for k, v in reasons.items() if "rss" in k))
    bib = balls_into_bins(len(queue), n_q) if n_q > 1 and len(queue) else None
    listing = []
    for row in st.listing(plan.catalog.flows, limit=flow_listing):
        row["queue"] = int(queue[row["flow"]])
        row["core"] = nic.core_names[core_of_queue[row["queue"]]]
        row["vm"] = plan.vm_names[int(plan.flow_vm[row["flow"]])]
        listing.append(row)
    return {
        "flows": int(len(queue)),
        "reasons": reasons,
        "flows_per_queue": [int(x) for x in flows_per_queue],
        "queues_used": int(np.count_nonzero(flows_per_queue)),
        "flows_max_over_mean": _imbalance(flows_per_queue)["max_over_mean"],
        "hashing_prediction": None if bib is None or not hashed else {
            "expected_max_over_mean": bib.expected_max / bib.mean,
            "p99_max_over_mean": bib.max_quantile(0.99) / bib.mean,
            "expected_empty_queues": bib.expected_empty,
        },
        "flow_queues": listing,
    }


def tx_summary(plan, cpu_hz: float, window_ns: float) -> tuple[dict, dict]:
    """(tx section, CPU entries of the host's per-VM TX threads): analytic TX work."""
    section, cpu = {}, {}
    for t in plan.tx:
        load = t["cpu_cycles_per_s"] / cpu_hz
        section[t["vm"]] = {**{k: v for k, v in t.items() if k != "vm"}, "cores_needed": load,
                            "saturated": load > 1.0}
        useful = min(1.0, load)
        cpu[t["core"]] = {"useful": useful, "overhead": 0.0, "spin": 0.0, "idle": 1.0 - useful,
                          "reserved": 0.0}
    return section, cpu


def round_trip_fields(run: HostRun, window_s: float) -> dict:
    """With a transmit side: the round trip (sending to the answer, or the forwarded packet, back at
    the peer) with its samples and flags, and the transmit direction's conservation
    (``offered = delivered + dropped + in_flight``, offered being what reached the application)."""
    if run.round_trip is None:
        return {}
    rt = run.round_trip
    dropped = sum(run.tx_drops.values())
    return {
        "round_trip_ns": honest_summary(rt.summary(), rt.count),
        "round_trip_histogram": histogram_to_json(rt),
        "round_trip_pps": run.tx_delivered / window_s,
        "packets_tx": {"offered": run.delivered, "delivered": run.tx_delivered, "dropped": dropped,
                       "in_flight": run.delivered - run.tx_delivered - dropped},
    }


def _trace_repairs(plan) -> dict:
    """For captures replayed as traffic: what reading them repaired, per flow group (records
    reordered by time, runts padded to 64 bytes, untimed records spaced), and how their packets
    were keyed into flows (``trace_flows``); nothing without captures."""
    traces = plan.catalog.traces
    if not traces:
        return {}
    return {"trace_repairs": {name: dict(t.repairs) for name, t in traces.items()},
            "trace_flows": dict(plan.catalog.trace_flows)}


def variant_result(name: str, description: str, run: HostRun, seed: int, flow_listing: int = 64,
                   cpu_hz: float = 2.3e9) -> dict:
    """A JSON-ready dictionary of one variant's run."""
    lo, hi = run.window_ns
    window_ns = hi - lo
    window_s = window_ns / 1e9
    plan = run.plan
    lat = honest_summary(run.latency.summary(), run.latency.count)
    tx_section, tx_cpu = tx_summary(plan, cpu_hz, window_ns)
    stages = list(zip(plan.ring_stages(), run.ring_stats))
    nic_rings = run.ring_stats[0]
    stages += list(zip([s for s in plan.transmit if isinstance(s, RingStagePlan)], run.tx_ring_stats))
    row = {
        "name": name,
        "description": description,
        "seed": seed,
        "window_s": [lo / 1e9, hi / 1e9],
        "offered_pps": run.offered / window_s,
        "offered_bps": run.offered_bits / window_s,
        "delivered_pps": run.delivered / window_s,
        "packets": {
            "offered": run.offered,
            "delivered": run.delivered,
            "dropped": sum(run.drops.values()),
            "in_flight": run.offered - run.delivered - sum(run.drops.values()),
        },
        "drops_by_stage": {**run.drops, **run.tx_drops},
        "latency_ns": lat,
        "latency_histogram": histogram_to_json(run.latency),
        **round_trip_fields(run, window_s),
        "stage_latency_ns": {s: h.mean for s, h in run.stages.items()},
        "stage_latency_p99_ns": {s: h.quantile(0.99) for s, h in run.stages.items()},
        "stage_latency_samples": {s: int(h.count) for s, h in run.stages.items()},
        "stage_latency_unsupported": {s: unsupported(("mean", "p99"), h.count) for s, h in run.stages.items()},
        "cpu": {**{k: v for sp, rs in stages for k, v in _cpu(rs.cores, sp.core_names, window_ns, sp.reserved).items()},
                **tx_cpu},
        "cores": {k: v for sp, rs in stages
                  for k, v in _core_counters(rs.cores, sp.core_names, rs.core_packets, window_s).items()},
        "queues": {k: v for sp, rs in stages
                   for k, v in _queues(sp.ring_names, rs.rings["arrivals"], rs.rings["window_drops"]).items()},
        "imbalance": {"pnic_queues": _imbalance(nic_rings.rings["arrivals"]),
                      "host_cores": _imbalance(nic_rings.core_packets)},
        "steering": steering_summary(plan, flow_listing),
        "tx": tx_section,
        "histogram_relative_error": relative_error(),
        **_trace_repairs(plan),
    }
    row["warnings"] = unused_resources(plan) + still_growing(row)
    return row
