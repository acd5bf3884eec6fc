"""The host path's stages (``HostPlan.receive``) run one after the other through independent
reference models: each stage is fed what the previous one delivered, in (time, packet id) order.

Ring stages go through the SimPy ring-server reference. Any other kind of stage plan is looked up
by its class name in ``STAGE_REFERENCES``: a function ``(plan, t, pid, flow, size, end) ->
(departed {pid: time}, dropped [pid])`` written from the stage's documentation, registered by the
module that tests that stage (``register``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tests.reference.ring_server_ref import ring_server_reference

STAGE_REFERENCES: dict[str, Callable] = {}


def register(plan_class_name: str):
    """Decorator: the reference model of one kind of (non-ring) stage plan."""
    def put(fn: Callable) -> Callable:
        STAGE_REFERENCES[plan_class_name] = fn
        return fn
    return put


def _ring_reference(sp, t, pid, flow, size, end):
    work = sp.work_ns[0][flow] + sp.work_ns[1][flow] * size
    out = ring_server_reference(sp.cores, sp.rings, t, sp.ring_of_flow[flow], pid, work, end, size_bytes=size)
    return {int(p): v[0] for p, v in out.departed.items()}, list(out.dropped)


def reference_chain(stages, t, pid, flow, size, end):
    """Packets arriving at the first stage at ``t`` (time-ordered) with ids ``pid``, flows and sizes,
    up to ``end``. Returns ({pid: time it left the last stage, if by ``end``}, {pid: index of the stage
    that dropped it})."""
    pid = np.asarray(pid, np.int64)
    row = {int(p): i for i, p in enumerate(pid)}
    cur_t, cur_pid = np.asarray(t, float), pid
    dropped: dict[int, int] = {}
    for k, sp in enumerate(stages):
        rows = np.array([row[int(p)] for p in cur_pid], np.int64)
        f = flow[rows] if len(rows) else np.empty(0, np.int64)
        z = size[rows] if len(rows) else np.empty(0, np.int64)
        ref = _ring_reference if hasattr(sp, "rings") else STAGE_REFERENCES[type(sp).__name__]
        departed, lost = ref(sp, cur_t, cur_pid, f, z, end)
        dropped.update({int(p): k for p in lost})
        left = sorted(departed.items(), key=lambda kv: (kv[1], kv[0]))      # (time, packet id)
        cur_pid = np.array([p for p, _ in left], np.int64)
        cur_t = np.array([v for _, v in left], float)
    delivered = {int(p): float(v) for p, v in zip(cur_pid, cur_t) if v <= end}
    return delivered, dropped


def reference_receive(plan, t, pid, flow, size, end):
    """The receive path of ``plan`` from the NIC to the application (see ``reference_chain``)."""
    return reference_chain(plan.receive, t, pid, flow, size, end)


import tests.reference.device_ref  # noqa: E402,F401  (registers the reference of DeviceStagePlan)
from tests.reference import tx_ref  # noqa: E402,F401  (registers the transmit path's references)
