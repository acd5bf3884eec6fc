"""The calibration model: the host model's cost terms with one packet in flight, and its fit.

With interrupt-driven service, no coalescing and no other packet in the way, the host model
(docs/models/host.md) gives a packet of ``frame`` bytes
- a latency of ``per_packet + per_byte * frame (+ encap through a tunnel device)``, plus
  ``wakeup`` when the packet finds the receiving thread asleep
  (interrupt delivery is not separable from the wake-up in these measurements: it is folded in);
- a capacity of ``1 / (per_packet + per_byte * frame (+ encap))`` packets per second on the core
  that does the work.
Both are linear in the costs, so the fit is a non-negative linear least squares on relative
errors (each point weighted by 1 / measured value), exact on data the model generates.

Latency and rate points are fitted separately (``fit``): back-to-back request/response gives the
path's cost per packet and per byte and the tunnel's; paced requests (the receiver idles between
them) add the wake-up; the packet rate gives the bottleneck's work per packet, which on a shared
or virtual machine is not the latency path's (docs/calibrate.md, The model). The profile takes
the latency fit (the path costs and the wake-up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import lsq_linear

HEADER_BYTES = 42  # Ethernet 14 + IPv4 20 + UDP 8: a UDP message of m bytes is a frame of m + 42 on the veth


@dataclass(frozen=True)
class Costs:
    """Fitted costs in ns (per byte: ns per frame byte)."""

    per_packet_ns: float        # the packet's path, back to back (no sleep)
    per_byte_ns: float
    encap_ns: float
    wakeup_ns: float            # what a packet that finds the receiver asleep adds
    rate_per_packet_ns: float   # the bottleneck's work per packet (the rate fit)
    rate_per_byte_ns: float
    rate_vxlan_ns: float        # may be negative: with VXLAN part of the work moves to another core
    rate_vxlan_per_byte_ns: float = 0.0

    def latency_ns(self, frame_bytes: float, vxlan: bool, paced: bool = False) -> float:
        """One-way latency of a lone packet: back to back, or paced (the receiver sleeps between)."""
        return self.per_packet_ns + self.per_byte_ns * frame_bytes + self.encap_ns * vxlan + self.wakeup_ns * paced

    def work_ns(self, frame_bytes: float, vxlan: bool) -> float:
        """Work per packet on the bottleneck core (the rate fit)."""
        return self.rate_per_packet_ns + self.rate_per_byte_ns * frame_bytes + \
            (self.rate_vxlan_ns + self.rate_vxlan_per_byte_ns * frame_bytes) * vxlan

    def capacity_pps(self, frame_bytes: float, vxlan: bool) -> float:
        return 1e9 / self.work_ns(frame_bytes, vxlan)

    def delivered_pps(self, offered_pps: float | None, frame_bytes: float, vxlan: bool) -> float:
        cap = self.capacity_pps(frame_bytes, vxlan)
        return cap if offered_pps is None else min(offered_pps, cap)


def _lsq(rows: np.ndarray, values: np.ndarray, lower: list[float]) -> np.ndarray:
    """min sum(((rows @ x) - values) / values)^2 with x >= lower (relative errors)."""
    w = 1.0 / values
    return lsq_linear(rows * w[:, None], values * w, bounds=(lower, np.inf), method="bvls").x


def fit(latency: list[tuple[float, bool, bool, float]], rates: list[tuple[float, bool, float]]) -> Costs:
    """Costs from latency points (frame bytes, vxlan, paced, median one-way latency ns) and capacity
    points (frame bytes, vxlan, delivered pps at the highest rate the sender offers).

    Latency = per_packet + per_byte * frame + encap * vxlan + wakeup * paced (all >= 0); rate: ns per
    packet = rate_per_packet + rate_per_byte * frame + (rate_vxlan + rate_vxlan_per_byte * frame) *
    vxlan (the VXLAN terms of either sign: the tunnel's receive path runs apart and its cost grows
    with the size differently). A column no point informs comes out 0.
    """
    if not latency or not rates:
        raise ValueError("the fit needs latency and rate points")
    la = np.array(latency, float)
    ra = np.array(rates, float)
    if np.any(la[:, 3] <= 0) or np.any(ra[:, 2] <= 0) or not np.all(np.isfinite(la)) or not np.all(np.isfinite(ra)):
        raise ValueError("latencies and rates must be positive and finite")
    pl = _lsq(np.column_stack([np.ones(len(la)), la[:, 0], la[:, 1], la[:, 2]]), la[:, 3], [0.0, 0.0, 0.0, 0.0])
    work = 1e9 / ra[:, 2]
    pr = _lsq(np.column_stack([np.ones(len(ra)), ra[:, 0], ra[:, 1], ra[:, 0] * ra[:, 1]]), work,
              [0.0, 0.0, -np.inf, -np.inf])
    return Costs(per_packet_ns=float(pl[0]), per_byte_ns=float(pl[1]), encap_ns=float(pl[2]), wakeup_ns=float(pl[3]),
                 rate_per_packet_ns=float(pr[0]), rate_per_byte_ns=float(pr[1]), rate_vxlan_ns=float(pr[2]),
                 rate_vxlan_per_byte_ns=float(pr[3]))
