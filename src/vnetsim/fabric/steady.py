"""Does a packet-level fabric run reach steady state? ``warnings`` in the fabric row.

A link offered more than its line rate (flow-level offered utilisation u > 1) that was busy nearly
all the run (measured utilisation >= ``SATURATED``) gains (arrivals - line rate) in its queue until
its buffer is full; from then on it drops the excess. Over the run, the excess that arrived is
what it still held at the end (its backlog: the busy time it needed after the end to send it,
``drain_ns``, times line rate) plus what it dropped. When the backlog is larger than the drops
(and than ``GROWTH_MIN_PACKETS``), most of the excess was still queued: the run stopped while the
buffer was filling, so the run's loss (too low) and latency (still rising) are a transient's. A
long overloaded run has a full buffer and drops far more than it holds: no warning. A link
offered more than line rate only on paper (its upstream links are the bottleneck, so what really
reaches it is about its line rate) holds a bounded queue however long the run: so the excess it
really received (backlog + drops) must also be at least ``REAL_EXCESS`` of the excess its offered
load implies, (u - 1) x line rate x duration. Decided from each link's statistics, never from the
topology's name.
"""

from __future__ import annotations

SATURATED = 0.95         # measured utilisation of a link that was busy nearly all the time
GROWTH_MIN_PACKETS = 64  # a backlog of a few packets is never a trend
REAL_EXCESS = 0.25       # received at least a quarter of the excess its offered load implies
WIRE_GAP_BYTES = 20      # preamble and inter-frame gap on the wire


def still_growing(row: dict) -> list[str]:
    """A line naming the links whose queues were still growing at the end (packet level only)."""
    tab = (row.get("links") or {}).get("table") or {}
    if "utilization" not in tab or "drain_ns" not in tab or not row.get("packets"):
        return []
    frame_bits = 8.0 * (row["traffic"]["frame_bytes"] + WIRE_GAP_BYTES)
    dur_s = row["duration_ns"] / 1e9
    growing = []
    for i, name in enumerate(tab["link"]):
        u, busy, drops = tab["offered_utilization"][i] or 0.0, tab["utilization"][i] or 0.0, tab["drops"][i]
        if u <= 1.0 or busy < SATURATED:
            continue
        backlog = tab["drain_ns"][i] * 1e-9 * tab["speed_bps"][i] / frame_bits
        implied = (u - 1.0) * tab["speed_bps"][i] * dur_s / frame_bits
        if backlog > max(GROWTH_MIN_PACKETS, drops) and backlog + drops >= REAL_EXCESS * implied:
            growing.append((u, name, drops, backlog))
    if not growing:
        return []
    growing.sort(key=lambda g: (-g[0], g[1]))
    u, name, drops, backlog = growing[0]
    more = f" and {len(growing) - 1} more links" if len(growing) > 1 else ""
    loss = row["packets"]["drop_fraction"]
    return [f"the queues were still growing at the end: {name}{more} offered above line rate ({u:.0%} on {name}) "
            f"still held about {backlog:,.0f} packets when the run ended and had dropped {drops}: their buffers "
            f"were still filling. The {loss:.1%} loss and the latency of this run are a transient's; lengthen "
            "duration to see the steady state"]
