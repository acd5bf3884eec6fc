"""Device time: a NIC's DMA over PCIe and its pipeline, one direction, as an engine stage.

A packet that finished arriving at the device at ``a`` (receive: its last bit off the wire;
transmit: the driver's doorbell) is moved by the device's DMA engine, one packet after the other
(a FIFO at ``rate_bps``, the link's data rate), and becomes visible at the other end a fixed
pipeline latency later, plus a per-byte part that does not occupy the link::

    start_i = max(a_i, done_{i-1})                    # the DMA engine moves one packet at a time
    done_i  = start_i + size_i * 8e9 / rate_bps       # the transfer, at the link's data rate
    out_i   = max(done_i + latency_ns + size_i * per_byte_ns, out_{i-1})

The last ``max`` is in-order completion: a NIC writes its descriptors back in ring order, so a
packet is never visible before the one ahead of it. Packets it makes visible at the same instant
go on in packet-id order, the engine's total order (``engine.merge``). Departures are fixed at
arrival: the stage holds nothing.
docs/models/host.md ("Device time") gives the defaults and their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS, LogHistogram, bucket_of, stats_load, stats_store
from vnetsim.engine.merge import sort_packets
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import StageOutput

_NO_DROPS = np.empty(0, np.int64)

# Per stage since the statistics window started: packets accepted, the DMA engine's busy time
# inside [stat_lo_ns, stat_hi_ns) (utilization = busy_window_ns / window length).
DEVICE_STATS = np.dtype([("accepted", np.int64), ("busy_window_ns", np.float64)])


@dataclass
class DeviceStats:
    """A device stage's statistics: ``DEVICE_STATS`` (one record) and the latency histogram
    (arrival at the device to visible at the other end) of packets offered at or after
    ``stat_lo_ns`` that left by ``stat_hi_ns``."""

    device: np.ndarray
    latency: LogHistogram


@numba.njit(cache=True, nogil=True, inline="always")
def _add_run(counts, st, x, k):
    """Record ``k`` equal latencies ``x`` at once (a FIFO that does not queue gives runs of them)."""
    counts[bucket_of(x, SUB_BITS, counts.shape[0] - 1)] += k
    n, total, lo, hi, sq = st
    w = float(k)
    return n + w, total + w * x, (x if x < lo else lo), (x if x > hi else hi), sq + w * x * x


@numba.njit(cache=True, nogil=True)
def device_advance(t, t0, size, pid, ns_per_byte_link, latency_ns, per_byte_ns, state, lo, hi, counts, stats,
                   flush=True):
    """Departures of time-ordered arrivals (see the module doc), and whether two equal departures
    are out of packet-id order (then the caller sorts). ``state`` = [done of the last transfer, last
    departure, accepted, busy time inside [lo, hi), the open run's latency and length], carried
    across calls. Latencies are recorded in runs of equal values (one histogram update per run);
    the open run is recorded at the end unless ``flush`` is False (a caller that hands one call's
    arrivals in two parts: the histogram is then the one call's)."""
    n = t.shape[0]
    out = np.empty(n)
    unordered = False
    done, last_out = state[0], state[1]
    accepted, busy = state[2], state[3]
    st = stats_load(stats)
    run_x, run_k = state[4], int(state[5])
    for i in range(n):
        a = t[i]
        b = size[i]
        start = a if a > done else done
        transfer = b * ns_per_byte_link
        done = start + transfer
        d = done + latency_ns + b * per_byte_ns
        if d <= last_out:
            d = last_out
            if i > 0 and pid[i] < pid[i - 1]:
                unordered = True
        last_out = d
        out[i] = d
        accepted += 1.0
        b0 = start if start > lo else lo
        b1 = done if done < hi else hi
        if b1 > b0:
            busy += b1 - b0
        if t0[i] >= lo and d <= hi:
            x = d - a
            if x == run_x:
                run_k += 1
            else:
                if run_k > 0:
                    st = _add_run(counts, st, run_x, run_k)
                run_x, run_k = x, 1
    if flush and run_k > 0:
        st = _add_run(counts, st, run_x, run_k)
        run_x, run_k = 0.0, 0
    state[0], state[1], state[2], state[3], state[4], state[5] = done, last_out, accepted, busy, run_x, run_k
    stats_store(stats, st)
    return out, unordered


class DeviceStage:
    """The device's DMA and pipeline for one direction (the stage contract of
    ``vnetsim.engine.stage``): a FIFO at ``rate_bps`` plus ``latency_ns`` + ``per_byte_ns`` per
    byte, delivered in order; never drops (the host model refuses a line rate above ``rate_bps``,
    so the FIFO is stable)."""

    def __init__(self, rate_bps: float, latency_ns: float, per_byte_ns: float = 0.0, *, stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, name: str = "device") -> None:
        if not (np.isfinite(rate_bps) and rate_bps > 0):
            raise ValueError(f"{name}: the DMA rate must be finite and > 0 bits per second")
        if not (latency_ns >= 0 and per_byte_ns >= 0 and np.isfinite(latency_ns) and np.isfinite(per_byte_ns)):
            raise ValueError(f"{name}: latency and per-byte time must be finite and >= 0")
        self.name = name
        self.ns_per_byte_link = 8.0 * (1e9 / float(rate_bps))
        self.latency_ns, self.per_byte_ns = float(latency_ns), float(per_byte_ns)
        self.stat_lo_ns, self.stat_hi_ns = float(stat_lo_ns), float(stat_hi_ns)
        self.state = np.array([-np.inf, -np.inf, 0.0, 0.0, 0.0, 0.0])
        self.latency = LogHistogram()
        self._window_accepted = 0.0

    def advance(self, arrivals: Packets, horizon_ns: float, last_part: bool = True) -> StageOutput:
        """``last_part`` False: ``arrivals`` is the first part of this call's (its rest follows, in
        order): the same result as one call with both."""
        if not len(arrivals):
            return StageOutput(arrivals, _NO_DROPS)
        h = self.latency
        out, unordered = device_advance(arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, arrivals.pkt_id,
                                        self.ns_per_byte_link, self.latency_ns, self.per_byte_ns, self.state,
                                        self.stat_lo_ns, self.stat_hi_ns, h.counts, h.stats, last_part)
        departures = arrivals.with_times(out)
        return StageOutput(sort_packets(departures) if unordered else departures, _NO_DROPS)

    def start_window(self) -> None:
        self._window_accepted = float(self.state[2])

    def held(self) -> int:
        return 0

    def stats(self) -> DeviceStats:
        rec = np.zeros(1, DEVICE_STATS)
        rec["accepted"] = int(self.state[2] - self._window_accepted)
        rec["busy_window_ns"] = self.state[3]
        return DeviceStats(rec, self.latency)
