"""The NIC and inter-site stages: the engine's FIFO link (``FifoStage``) followed by a fixed delay
per flow, booking each flow's time in the queue (where the time goes)."""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import FifoStage


@numba.njit(cache=True, nogil=True)
def _book(acc, count, flow, t_in, t_out, delay):
    """Per flow: legs and summed queue time; returns the exit times (queue exit + flow delay)."""
    n = flow.shape[0]
    out = np.empty(n, np.float64)
    for i in range(n):
        f = flow[i]
        count[f] += 1.0
        acc[f] += t_out[i] - t_in[i]
        out[i] = t_out[i] + delay[f]
    return out


class DelayedFifo(FifoStage):
    """FIFO queues at line rate (one per ``queue_of_flow`` value, no drops, no per-frame overhead:
    the wire bytes are in the packet's size), then ``delay_ns[flow]`` to the next stage."""

    def __init__(self, rate_bps, queue_of_flow: np.ndarray, delay_ns: np.ndarray, stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, name: str = "fifo") -> None:
        super().__init__(rate_bps, queue_of_flow=queue_of_flow, overhead_bytes=0, stat_lo_ns=stat_lo_ns,
                         stat_hi_ns=stat_hi_ns, name=name)
        self.delay_ns = np.ascontiguousarray(delay_ns, np.float64)
        self.flow_queue_ns = np.zeros(len(self.delay_ns))
        self.flow_legs = np.zeros(len(self.delay_ns))

    def start_window(self) -> None:
        super().start_window()
        self.flow_queue_ns[:] = 0.0
        self.flow_legs[:] = 0.0

    def exit_times(self, dep_ns: np.ndarray, queue: np.ndarray, service_ns: np.ndarray,
                   arrivals: Packets) -> np.ndarray:
        return _book(self.flow_queue_ns, self.flow_legs, arrivals.flow, arrivals.t_ns, dep_ns, self.delay_ns)
