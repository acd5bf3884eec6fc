"""The host's TX thread as a ring stage that, with one ring, looks up each packet's work into a
buffer it keeps from chunk to chunk.

``RingStage.advance`` looks up every arrival's ring and work (``engine.stage.ring_and_work``) into
two fresh arrays per chunk: on the round trip's hot path about a tenth of the TX thread's time
(written, allocated for every chunk, then read once by the ring server in the same call). With one
ring (a VM with one vCPU: one vNIC TX queue) ``TxThreadStage`` writes only the work, into a buffer
it reuses (the ring server reads it only during the call: what it holds for the next chunk it
copies); every packet's ring is 0, a column of zeros kept with it. With several rings it is the
ring stage. The values, and so every result, are the ring stage's bit for bit
(``tests/host/test_tx_thread.py``).
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
def _look_up_one_ring(flow, size, pp_of_flow, pb_of_flow, t0, t_lo, ring_counts, work):
    """``ring_and_work`` for a stage with one ring (every packet's ring is 0, nothing to write):
    each packet's work (per packet + per byte of its flow) into ``work``, and the packets offered
    at or after ``t_lo`` counted."""
    k = 0
    for i in range(flow.shape[0]):
        f = flow[i]
        work[i] = pp_of_flow[f] + pb_of_flow[f] * size[i]
        if t0[i] >= t_lo:
            k += 1
    ring_counts[0] += k


class TxThreadStage(RingStage):
    """The host TX thread's rings and cores: a ``RingStage`` (same server, statistics and
    results) whose per-chunk look-up, with one ring, writes into a buffer it keeps (module doc)."""

    def __init__(self, server: RingServer, ring_of_flow: np.ndarray, work_per_packet_ns: np.ndarray,
                 work_per_byte_ns: np.ndarray, name: str = "rings") -> None:
        super().__init__(server, ring_of_flow, work_per_packet_ns, work_per_byte_ns, name)
        self._one_ring = len(server.rings) == 1
        self._ring = np.zeros(0, np.int64)
        self._work = np.empty(0)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        if not self._one_ring:
            return super().advance(arrivals, horizon_ns)
        n = len(arrivals)
        if len(self._work) < n:
            room = n + n // 4 + 16
            self._ring, self._work = np.zeros(room, np.int64), np.empty(room)
        work = self._work[:n]
        _look_up_one_ring(arrivals.flow, arrivals.size_bytes, self.work_pp, self.work_pb, arrivals.t0_ns,
                          self.server.stat_lo_ns, self.ring_arrivals, work)
        out = self.server.advance(arrivals, self._ring[:n], work, horizon_ns)
        return StageOutput(out.departures, out.drop_pid)


@dataclass
class TxThreadPlan(RingStagePlan):
    """The host TX thread's ring stage plan (``vnetsim.host.tx``): builds a ``TxThreadStage``."""

    def build(self, t_lo: float, t_end: float) -> TxThreadStage:
        return TxThreadStage(RingServer(self.cores, self.rings, t_lo, t_end, detail=False), self.ring_of_flow,
                             self.work_ns[0], self.work_ns[1], self.wait_name)
