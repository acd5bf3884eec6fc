"""The host's receive stages (``HostPlan.receive``) run one after the other through the SimPy ring
server reference: each stage is fed what the previous one delivered, in (time, packet id) order."""

from __future__ import annotations

import numpy as np
from tests.reference.ring_server_ref import ring_server_reference


def reference_receive(plan, t, pid, flow, size, end):
    """Packets arriving at the NIC at ``t`` (time-ordered) with ids ``pid``, flows and sizes, up to
    ``end``. Returns ({pid: time it reached the application}, {pid: index of the stage that dropped it})."""
    pid = np.asarray(pid, np.int64)
    row = {int(p): i for i, p in enumerate(pid)}
    cur_t, cur_pid = np.asarray(t, float), pid
    dropped: dict[int, int] = {}
    for k, sp in enumerate(plan.receive):
        rows = np.array([row[int(p)] for p in cur_pid], np.int64)
        f = flow[rows] if len(rows) else np.empty(0, np.int64)
        work = sp.work_ns[0][f] + sp.work_ns[1][f] * (size[rows] if len(rows) else np.empty(0))
        out = ring_server_reference(sp.cores, sp.rings, cur_t, sp.ring_of_flow[f], cur_pid, work, end)
        dropped.update({int(p): k for p in out.dropped})
        left = sorted(out.departed.items(), key=lambda kv: (kv[1][0], kv[0]))      # (time, packet id)
        cur_pid = np.array([p for p, _ in left], np.int64)
        cur_t = np.array([v[0] for _, v in left], float)
    delivered = {int(p): float(v) for p, v in zip(cur_pid, cur_t) if v <= end}
    return delivered, dropped
