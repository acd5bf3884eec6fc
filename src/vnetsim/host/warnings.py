"""Warnings a host result carries (``warnings`` in each row): answers that would otherwise mislead.

- Resources left unused: a core that serves no queue stays idle whatever the load (a VM with more
  vCPUs than vNIC queues, a host with more RX cores than pNIC queues); a queue that no flow lands
  on stays empty (RSS spreads flows, not packets: one flow uses one queue).
- A queue still growing at the end: a core was saturated (useful + overhead work filled at least
  ``SATURATED`` of the window: it never waited for packets, so its queue was fed faster than it
  served) and the backlog left inside the host when the run ended (packets offered in the window,
  neither delivered nor dropped) is larger than the packets dropped and than
  ``GROWTH_MIN_PACKETS``. A saturated queue gains (offered - served) packets per second until its
  ring is full; after that the excess is dropped (an overloaded steady state, which the drops
  show, with a backlog bounded by the rings). A backlog larger than the drops says most of the
  excess was still queued: the run stopped while the rings were filling, so its loss and latency
  are a transient's, not the steady state's. Why not the backlog alone: a stable queue also holds
  packets at the end (about arrival rate x sojourn, and with interrupt coalescing up to a whole
  batch), so only saturation tells "fed faster than served" apart from "busy but keeping up".
"""

from __future__ import annotations

import numpy as np

SATURATED = 0.98         # useful + overhead share of the window at which a core never waited for work
GROWTH_MIN_PACKETS = 64  # a backlog of a few packets is never a trend


def unused_resources(plan) -> list[str]:
    """One line per group of configured cores that no queue feeds (they stay idle)."""
    out = []
    for stage in plan.role_stages("host")[:1]:      # the host threads that serve the NIC's queues
        served = {r.core for r in stage.rings}
        idle_host = [n for i, n in enumerate(stage.core_names) if i not in served]
        if idle_host:
            out.append(f"{len(idle_host)} of {len(stage.core_names)} host cores serve no pNIC queue and stay idle "
                       f"({_names(idle_host)}): host.pnic.rx_queues is {len(stage.rings)}; give at least as many "
                       "queues as host.cores")
        out += _empty_queues(stage, "pNIC", stage.ring_names, "the host")
    for stage in plan.role_stages("guest"):
        for vm in plan.vm_names:
            rings = [n for n in stage.ring_names if n.startswith(f"{vm}/")]
            out += _empty_queues(stage, "vNIC", rings, f"VM {vm}")
    for stage in plan.role_stages("guest"):
        served = {r.core for r in stage.rings}
        for vm in plan.vm_names:
            cores = [(i, n) for i, n in enumerate(stage.core_names) if n.startswith(f"{vm}/")]
            idle = [n for i, n in cores if i not in served]
            queues = sum(1 for n in stage.ring_names if n.startswith(f"{vm}/"))
            if idle:
                out.append(f"VM {vm}: {len(cores)} vCPUs but {queues} vNIC queue{'s' if queues != 1 else ''}: "
                           f"{_names(idle)} serve no queue and stay idle (set host.vms.{vm}.vnic.queues to "
                           f"{len(cores)}, or fewer vCPUs)")
    return out


def _empty_queues(stage, nic: str, ring_names: list[str], who: str) -> list[str]:
    """A line when some of ``ring_names`` (queues of ``stage``) receive no flow at all."""
    if len(ring_names) < 2:
        return []
    index = {n: k for k, n in enumerate(stage.ring_names)}
    ring_of_flow = np.asarray(stage.ring_of_flow)
    per_ring = np.bincount(ring_of_flow[ring_of_flow >= 0], minlength=len(stage.ring_names))
    flows = int(sum(per_ring[index[n]] for n in ring_names))
    empty = [n for n in ring_names if per_ring[index[n]] == 0]
    if not flows or not empty:
        return []
    head = f"{who}: {len(empty)} of {len(ring_names)} {nic} queues receive no flow and stay empty ({_names(empty)})"
    if flows < len(ring_names):
        return [f"{head}: the {flows} flow{'s' if flows != 1 else ''} land on the others (RSS spreads flows, "
                "not packets); give the traffic more flows (traffic.flows[].count) to use every queue"]
    return [f"{head}: all {flows} flows land on the others, so what the NIC hashes does not tell them "
            "apart (tunnelled flows hashed on their outer headers, a narrow hash, or steering filters); "
            "see the steering table for where each flow goes"]


def still_growing(row: dict) -> list[str]:
    """A line when a saturated core's queue was still filling at the end (see the module doc)."""
    p = row["packets"]
    backlog, offered = p["in_flight"], p["offered"]
    busy = {n: c["useful"] + c["overhead"] for n, c in row["cpu"].items() if not n.startswith("host/tx-")}
    saturated = sorted(n for n, b in busy.items() if b >= SATURATED)
    if not saturated or offered <= 0 or backlog <= max(GROWTH_MIN_PACKETS, p["dropped"]):
        return []
    span = row["window_s"][1] - row["window_s"][0]
    return [f"the queue was still growing at the end: {_names(saturated)} never waited for packets, and "
            f"{backlog} packets ({backlog / offered:.1%} of those offered) were still queued when the run ended "
            f"({p['dropped']} dropped; {p['delivered'] / span:,.0f} of {offered / span:,.0f} packets/s delivered). "
            "The run is too short for steady state, so its loss and latency are those of a filling queue: "
            "lengthen duration, or lower the load"]


def _names(names: list[str], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
