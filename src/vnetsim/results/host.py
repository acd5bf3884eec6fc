"""The published result of a host-path variant (the JSON schema in docs/results.md)."""

from __future__ import annotations

import numpy as np

from vnetsim.engine.histogram import relative_error
from vnetsim.engine.ring_server import (A_CSTATE_EXITS, A_EMPTY_POLLS, A_IDLE, A_INTERRUPTS, A_OVERHEAD,
                                        A_POLLS, A_SLEEPS, A_SPIN, A_USEFUL, A_WAKEUPS)
from vnetsim.host.path import DROP_STAGES, STAGES, HostRun


def _cpu(acc: np.ndarray, names: list[str], window_ns: float) -> dict:
    out = {}
    for k, name in enumerate(names):
        useful, overhead, spin = (acc[k, A_USEFUL] / window_ns, acc[k, A_OVERHEAD] / window_ns,
                                  acc[k, A_SPIN] / window_ns)
        idle = max(0.0, 1.0 - useful - overhead - spin)
        out[name] = {"useful": useful, "overhead": overhead, "spin": spin, "idle": idle}
    return out


def _core_counters(acc: np.ndarray, names: list[str], packets: np.ndarray, window_s: float) -> dict:
    out = {}
    for k, name in enumerate(names):
        irq = acc[k, A_INTERRUPTS]
        out[name] = {
            "packets": int(packets[k]),
            "interrupts_per_s": irq / window_s,
            "polls_per_s": acc[k, A_POLLS] / window_s,
            "empty_polls_per_s": acc[k, A_EMPTY_POLLS] / window_s,
            "wakeups_per_s": acc[k, A_WAKEUPS] / window_s,
            "cstate_exits_per_s": acc[k, A_CSTATE_EXITS] / window_s,
            "sleeps_per_s": acc[k, A_SLEEPS] / window_s,
            "packets_per_interrupt": float(packets[k] / irq) if irq else None,
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


def variant_result(name: str, description: str, run: HostRun, seed: int) -> dict:
    """A JSON-ready dictionary of one variant's run."""
    lo, hi = run.window_ns
    window_ns = hi - lo
    window_s = window_ns / 1e9
    plan = run.plan
    lat = run.latency.summary()
    return {
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
        "drops_by_stage": {s: run.drops[s] for s in DROP_STAGES},
        "latency_ns": lat,
        "stage_latency_ns": {s: run.stages[s].mean for s in STAGES},
        "stage_latency_p99_ns": {s: run.stages[s].quantile(0.99) for s in STAGES},
        "cpu": {**_cpu(run.host_acc, plan.host.core_names, window_ns),
                **_cpu(run.guest_acc, plan.guest.core_names, window_ns)},
        "cores": {**_core_counters(run.host_acc, plan.host.core_names, run.host_core_packets, window_s),
                  **_core_counters(run.guest_acc, plan.guest.core_names, run.guest_core_packets, window_s)},
        "queues": {**_queues(plan.host.ring_names, run.queue_packets, run.queue_drops),
                   **_queues(plan.guest.ring_names, run.vnic_packets, run.vnic_drops)},
        "imbalance": {"pnic_queues": _imbalance(run.queue_packets),
                      "host_cores": _imbalance(run.host_core_packets)},
        "histogram_relative_error": relative_error(),
    }
