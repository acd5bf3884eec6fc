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


@numba.njit(cache=True, nogil=True, inline="always")
def device_packet(a, b, done, last_out, busy, ns_per_byte_link, latency_ns, per_byte_ns, lo, hi):
    """One packet through the device (the module doc's recursion): arriving at ``a`` with ``b``
    bytes, after a transfer that ended at ``done`` and a departure at ``last_out``. Returns (end of
    its transfer, its departure, busy time inside [lo, hi) so far, whether in-order completion held
    it back to ``last_out``). Shared by ``device_advance`` and kernels that fuse the device with
    the stages after it."""
    start = a if a > done else done
    transfer = b * ns_per_byte_link
    done = start + transfer
    d = done + latency_ns + b * per_byte_ns
    held = d <= last_out
    if held:
        d = last_out
    b0 = start if start > lo else lo
    b1 = done if done < hi else hi
    if b1 > b0:
        busy += b1 - b0
    return done, d, busy, held


@numba.njit(cache=True, nogil=True, inline="always")
def add_latency_run(counts, st, run_x, run_k, x):
    """Latency ``x`` joins the run of equal latencies (``run_x``, ``run_k``); a different one
    records the run first. Returns (stats, run_x, run_k)."""
    if x == run_x:
        return st, run_x, run_k + 1
    if run_k > 0:
        st = _add_run(counts, st, run_x, run_k)
    return st, x, 1


@numba.njit(cache=True, nogil=True)
def device_advance(t, t0, size, pid, ns_per_byte_link, latency_ns, per_byte_ns, state, lo, hi, counts, stats):
    """Departures of time-ordered arrivals (see the module doc), and whether two equal departures
    are out of packet-id order (then the caller sorts). ``state`` = [done of the last transfer, last
    departure, accepted, busy time inside [lo, hi)], carried across calls. Latencies are recorded in
    runs of equal values (one histogram update per run)."""
    n = t.shape[0]
    out = np.empty(n)
    unordered = False
    done, last_out = state[0], state[1]
    accepted, busy = state[2], state[3]
    st = stats_load(stats)
    run_x, run_k = 0.0, 0
    for i in range(n):
        a = t[i]
        done, d, busy, held = device_packet(a, size[i], done, last_out, busy, ns_per_byte_link, latency_ns,
                                            per_byte_ns, lo, hi)
        if held and i > 0 and pid[i] < pid[i - 1]:
            unordered = True
        last_out = d
        out[i] = d
        accepted += 1.0
        if t0[i] >= lo and d <= hi:
            st, run_x, run_k = add_latency_run(counts, st, run_x, run_k, d - a)
    if run_k > 0:
        st = _add_run(counts, st, run_x, run_k)
    state[0], state[1], state[2], state[3] = done, last_out, accepted, busy
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
        self.state = np.array([-np.inf, -np.inf, 0.0, 0.0])
        self.latency = LogHistogram()
        self._window_accepted = 0.0

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        if not len(arrivals):
            return StageOutput(arrivals, _NO_DROPS)
        h = self.latency
        out, unordered = device_advance(arrivals.t_ns, arrivals.t0_ns, arrivals.size_bytes, arrivals.pkt_id,
                                        self.ns_per_byte_link, self.latency_ns, self.per_byte_ns, self.state,
                                        self.stat_lo_ns, self.stat_hi_ns, h.counts, h.stats)
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
