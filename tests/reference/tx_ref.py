"""Reference models of the transmit path's stage plans (``vnetsim.host.tx_stages``), written from
their documentation (docs/models/host.md, "Transmit path and round trips"; the TX buffer's rules in
``vnetsim.engine.txbuffer``), and the whole round trip as one chain over ``plan.receive +
plan.transmit`` in which the application's answer changes each packet's size.

The TX buffer is simulated as explicit events: every drain tick is an event, taken before an
arrival at the same time; a buffer that reaches its burst leaves at that arrival.
"""

from __future__ import annotations

import math

import numpy as np
from tests.reference.fifo_ref import fifo_reference
from tests.reference.host_chain import STAGE_REFERENCES, _ring_reference, register


def txbuffer_reference(t, pid, flow, buffer_of_flow, burst, drain_ns, end):
    """{pid: departure} of the packets flushed before ``end`` (a flush at a full buffer's last
    arrival counts when that arrival is before ``end``)."""
    out: dict[int, float] = {}
    events = []                                   # (time, 0 tick / 1 arrival, pid, buffer)
    for a, p, f in zip(t, pid, flow):
        b = int(buffer_of_flow[int(f)])
        if b < 0:
            out[int(p)] = float(a)
            continue
        events.append((float(a), 1, int(p), b))
    for b in range(len(burst)):
        k = 1
        while k * drain_ns[b] < end:
            events.append((k * float(drain_ns[b]), 0, -1, b))
            k += 1
    buffers: dict[int, list[int]] = {}
    for time, kind, p, b in sorted(events):
        held = buffers.setdefault(b, [])
        if kind == 0:
            for q in held:
                out[q] = time
            held.clear()
            continue
        held.append(p)
        if len(held) == int(burst[b]):
            for q in held:
                out[q] = time
            held.clear()
    return out


@register("AnswerPlan")
def _answer(sp, t, pid, flow, size, end):
    return {int(p): float(a) for p, a in zip(pid, t)}, []


@register("TxBufferPlan")
def _tx_buffer(sp, t, pid, flow, size, end):
    return txbuffer_reference(t, pid, flow, sp.buffer_of_flow, sp.burst, sp.drain_ns, end), []


@register("TxWirePlan")
def _tx_wire(sp, t, pid, flow, size, end):
    service = (np.asarray(size, float) + 20.0) * (8.0 * (1e9 / sp.line_rate_bps))
    res = fifo_reference(t, np.zeros(len(t), np.int64), service, size, 1, cap_pkts=[sp.ring_slots])
    departed = {int(p): d for p, d in zip(pid, res.departure) if not math.isnan(d)}
    return departed, [int(p) for p, d in zip(pid, res.departure) if math.isnan(d)]


@register("PeerPlan")
def _peer(sp, t, pid, flow, size, end):
    return {int(p): float(a) + float(sp.delay_of_flow[int(f)]) for p, a, f in zip(pid, t, flow)}, []


# Stages whose packets do not depend on one another: they pass even what reaches them at or after
# the end (the answer, the peer; as the application does before them).
PASS_LATE = ("AnswerPlan", "PeerPlan")


def reference_round_trip(plan, t, pid, flow, size, end):
    """Packets arriving at the NIC at ``t`` through ``plan.receive + plan.transmit``: ({pid: time
    back at the peer, if by ``end``}, {pid: index of the stage that dropped it}). At the answer
    (``AnswerPlan``) a packet takes its response's size. A stage takes only arrivals before ``end``
    (the run's last horizon: a packet that reaches a stage later stays on its way), except those in
    ``PASS_LATE``."""
    size_of = {int(p): int(z) for p, z in zip(pid, size)}
    flow_of = {int(p): int(f) for p, f in zip(pid, flow)}
    cur_t, cur_pid = np.asarray(t, float), np.asarray(pid, np.int64)
    dropped: dict[int, int] = {}
    for k, sp in enumerate(list(plan.receive) + list(plan.transmit)):
        if type(sp).__name__ not in PASS_LATE:
            early = cur_t < end             # the run ends at `end`: later arrivals are never taken
            cur_t, cur_pid = cur_t[early], cur_pid[early]
        f = np.array([flow_of[int(p)] for p in cur_pid], np.int64)
        if type(sp).__name__ == "AnswerPlan":
            for p, fl in zip(cur_pid, f):
                if sp.size_of_flow[fl] >= 0:
                    size_of[int(p)] = int(sp.size_of_flow[fl])
        z = np.array([size_of[int(p)] for p in cur_pid], np.int64)
        ref = _ring_reference if hasattr(sp, "rings") else STAGE_REFERENCES[type(sp).__name__]
        departed, lost = ref(sp, cur_t, cur_pid, f, z, end)
        dropped.update({int(p): k for p in lost})
        left = sorted(departed.items(), key=lambda kv: (kv[1], kv[0]))
        cur_pid = np.array([p for p, _ in left], np.int64)
        cur_t = np.array([v for _, v in left], float)
    return {int(p): float(v) for p, v in zip(cur_pid, cur_t) if v <= end}, dropped
