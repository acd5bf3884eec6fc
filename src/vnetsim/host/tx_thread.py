"""The host's TX thread as a ring stage that looks up each packet's ring and work into buffers it
keeps from chunk to chunk.

``RingStage.advance`` looks up every arrival's ring and work (``engine.stage.ring_and_work``) into
two fresh arrays per chunk: on the round trip's hot path that is about a tenth of the TX thread's
time (the arrays are written, allocated and faulted in for every chunk, then read once by the ring
server in the same call). ``TxThreadStage`` writes them into buffers it reuses (the ring server
reads them only during the call: what it holds for the next chunk it copies), and with one ring
(a VM with one vCPU: one vNIC TX queue) it writes no ring column at all: every packet's ring is
0, a column of zeros kept with the buffers. The values, and so every result, are the ring
stage's bit for bit (``tests/host/test_tx_thread.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import RingServer
from vnetsim.engine.stage import RingStage, StageOutput
from vnetsim.host.stage_plans import RingStagePlan


@numba.njit(cache=True, nogil=True)
def _look_up(flow, size, ring_of_flow, pp_of_flow, pb_of_flow, t0, t_lo, ring_counts, ring, work, one_ring):
    """``ring_and_work`` into ``ring`` and ``work`` (``one_ring``: the ring column is left as it
    is, all zeros): per packet its ring and work (per packet + per byte of its flow), and the
    packets offered at or after ``t_lo`` counted per ring."""
    if one_ring:
        k = 0
        for i in range(flow.shape[0]):
            f = flow[i]
            work[i] = pp_of_flow[f] + pb_of_flow[f] * size[i]
            if t0[i] >= t_lo:
                k += 1
        ring_counts[0] += k
        return
    for i in range(flow.shape[0]):
        f = flow[i]
        r = ring_of_flow[f]
        ring[i] = r
        work[i] = pp_of_flow[f] + pb_of_flow[f] * size[i]
        if t0[i] >= t_lo:
            ring_counts[r] += 1


class TxThreadStage(RingStage):
    """The host TX thread's rings and cores: a ``RingStage`` (same server, statistics and
    results) whose per-chunk look-up writes into buffers it keeps (module doc)."""

    def __init__(self, server: RingServer, ring_of_flow: np.ndarray, work_per_packet_ns: np.ndarray,
                 work_per_byte_ns: np.ndarray, name: str = "rings") -> None:
        super().__init__(server, ring_of_flow, work_per_packet_ns, work_per_byte_ns, name)
        self._one_ring = len(server.rings) == 1
        self._ring = np.zeros(0, np.int64)
        self._work = np.empty(0)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        n = len(arrivals)
        if len(self._work) < n:
            room = n + n // 4 + 16
            self._ring, self._work = np.zeros(room, np.int64), np.empty(room)
        ring, work = self._ring[:n], self._work[:n]
        _look_up(arrivals.flow, arrivals.size_bytes, self.ring_of_flow, self.work_pp, self.work_pb, arrivals.t0_ns,
                 self.server.stat_lo_ns, self.ring_arrivals, ring, work, self._one_ring)
        out = self.server.advance(arrivals, ring, work, horizon_ns)
        return StageOutput(out.departures, out.drop_pid)


@dataclass
class TxThreadPlan(RingStagePlan):
    """The host TX thread's ring stage plan (``vnetsim.host.tx``): builds a ``TxThreadStage``."""

    def build(self, t_lo: float, t_end: float) -> TxThreadStage:
        return TxThreadStage(RingServer(self.cores, self.rings, t_lo, t_end, detail=False), self.ring_of_flow,
                             self.work_ns[0], self.work_ns[1], self.wait_name)
