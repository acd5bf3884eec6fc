"""Arrival processes, generated chunk by chunk with state carried, independent of chunk size.

Every process yields the arrival times (ns) before a horizon and which of its flows each packet
belongs to. Random numbers are drawn in fixed-size blocks, so the sequence of arrivals is the same
whatever the chunking; same seed, same arrivals.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.rng import GOLDEN_GAMMA, splitmix64, unit_open
from vnetsim.errors import ModelError

BLOCK = 1 << 16
MAX_PERIODS_PER_CALL = 50_000_000   # ON/OFF periods drawn for one chunk (about a second of work)


class _Buffered:
    """Keeps a buffer of future arrivals and hands out those before each horizon."""

    def __init__(self) -> None:
        self._t = np.empty(0)
        self._flow = np.empty(0, np.int32)

    def _refill(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def until(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray]:
        parts_t, parts_f = [self._t], [self._flow]
        while not len(parts_t[-1]) or parts_t[-1][-1] < horizon_ns:
            t, f = self._refill()
            if not len(t):
                break
            parts_t.append(t)
            parts_f.append(f)
        t = np.concatenate(parts_t) if len(parts_t) > 1 else parts_t[0]
        f = np.concatenate(parts_f) if len(parts_f) > 1 else parts_f[0]
        cut = int(np.searchsorted(t, horizon_ns, side="left"))
        self._t, self._flow = t[cut:], f[cut:]
        return t[:cut], f[:cut]


class PoissonArrivals(_Buffered):
    """Superposed Poisson flows: exponential gaps at the total rate, each packet's flow uniform."""

    def __init__(self, rate_pps: float, n_flows: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.mean_gap_ns = 1e9 / rate_pps if rate_pps > 0 else np.inf
        self.n_flows = n_flows
        self.rng = rng
        self.last_ns = 0.0

    def _refill(self):
        if not np.isfinite(self.mean_gap_ns):
            return np.empty(0), np.empty(0, np.int32)
        t, flows = _poisson_block(self.rng, BLOCK, self.mean_gap_ns, self.last_ns, self.n_flows)
        self.last_ns = float(t[-1])
        return t, flows


@numba.njit(cache=True, nogil=True)
def _poisson_block(rng, n, mean_gap_ns, last_ns, n_flows):
    """``n`` superposed-Poisson arrivals after ``last_ns`` and their uniform flows, drawn from ``rng``
    exactly as numpy would (all gaps, then all flows): ``last + cumsum(exp * mean)``, ``integers``."""
    gaps = rng.standard_exponential(n)
    t = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc += gaps[i] * mean_gap_ns
        t[i] = last_ns + acc
    flows = np.zeros(n, np.int32)
    if n_flows > 1:
        drawn = rng.integers(0, n_flows, n)
        for i in range(n):
            flows[i] = drawn[i]
    return t, flows


class ConstantArrivals(_Buffered):
    """Evenly spaced packets at the total rate (random phase), flows taking turns."""

    def __init__(self, rate_pps: float, n_flows: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.period_ns = 1e9 / rate_pps if rate_pps > 0 else np.inf
        self.n_flows = n_flows
        self.phase_ns = float(rng.uniform(0.0, self.period_ns)) if np.isfinite(self.period_ns) else 0.0
        self.k = 0

    def _refill(self):
        if not np.isfinite(self.period_ns):
            return np.empty(0), np.empty(0, np.int32)
        k = np.arange(self.k, self.k + BLOCK, dtype=np.int64)
        self.k += BLOCK
        return self.phase_ns + k * self.period_ns, (k % self.n_flows).astype(np.int32)


@numba.njit(cache=True, nogil=True, inline="always")
def _uniform(seed, flow, k, salt):
    """A counter-based uniform in (0, 1): splitmix64 of (seed, flow, period, salt) combined."""
    z = np.uint64(seed) ^ (np.uint64(flow) * GOLDEN_GAMMA) \
        ^ (np.uint64(k) * np.uint64(0xBF58476D1CE4E5B9)) ^ (np.uint64(salt) * np.uint64(0x94D049BB133111EB))
    return unit_open(splitmix64(z))


@numba.njit(cache=True, nogil=True)
def _onoff_until(horizon, seed, gap, on_xm, off_xm, inv_alpha, k, on_end, next_t, out_t, out_f, max_periods):
    """Emit each flow's packets before ``horizon``; returns count, -1 if ``out`` is too small, or -2
    once more than ``max_periods`` ON/OFF periods were drawn (periods far shorter than a packet gap)."""
    n = 0
    cap = out_t.shape[0]
    periods = 0
    for f in range(k.shape[0]):
        p = next_t[f]
        e = on_end[f]
        kk = k[f]
        while p < horizon:
            if p < e:
                if n == cap:
                    return -1
                out_t[n] = p
                out_f[n] = f
                n += 1
                p += gap
            else:
                # The send clock runs only while ON: carry the time left to the next packet.
                credit = p - e
                periods += 1
                if periods > max_periods:
                    return -2
                off = off_xm * _uniform(seed, f, kk, 1) ** (-inv_alpha)
                on = on_xm * _uniform(seed, f, kk, 2) ** (-inv_alpha)
                kk += 1
                start = e + off
                e = start + on
                p = start + credit
        next_t[f] = p
        on_end[f] = e
        k[f] = kk
    return n


class OnOffArrivals:
    """Independent ON/OFF flows with Pareto periods; evenly spaced packets at the peak rate when ON.

    Each flow starts with an ON period at a uniform random time within one mean cycle. While ON,
    packets are 1/peak apart on a clock that stops during OFF periods, so a flow sends exactly
    ``peak * (total ON time)`` packets on average, however short its ON periods are.
    """

    def __init__(self, rate_pps: float, n_flows: int, on_ns: float, off_ns: float, shape: float,
                 rng: np.random.Generator) -> None:
        cycle = on_ns + off_ns
        self.peak_pps = rate_pps / n_flows * cycle / on_ns if rate_pps > 0 else 0.0
        self.gap_ns = 1e9 / self.peak_pps if self.peak_pps > 0 else np.inf
        self.inv_alpha = 1.0 / shape
        self.on_xm = on_ns * (shape - 1.0) / shape
        self.off_xm = off_ns * (shape - 1.0) / shape
        self.seed = int(rng.integers(0, 2**63 - 1))
        start = rng.uniform(0.0, cycle, n_flows)
        self.on_end = start + self.on_xm * rng.uniform(0.0, 1.0, n_flows) ** (-self.inv_alpha)
        self.next_t = start + (rng.uniform(0.0, self.gap_ns, n_flows) if np.isfinite(self.gap_ns) else 0.0)
        self.k = np.zeros(n_flows, np.int64)
        self.rate_pps = rate_pps
        self._cap = BLOCK

    def until(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray]:
        if self.peak_pps <= 0:
            return np.empty(0), np.empty(0, np.int32)
        while True:
            saved = (self.next_t.copy(), self.on_end.copy(), self.k.copy())
            out_t = np.empty(self._cap)
            out_f = np.empty(self._cap, np.int32)
            n = _onoff_until(horizon_ns, self.seed, self.gap_ns, self.on_xm, self.off_xm, self.inv_alpha,
                             self.k, self.on_end, self.next_t, out_t, out_f, MAX_PERIODS_PER_CALL)
            if n == -2:
                raise ModelError("traffic.flows.arrival",
                                 f"ON/OFF periods too short to simulate: over {MAX_PERIODS_PER_CALL:,} periods "
                                 f"before {horizon_ns:.4g} ns (Pareto shape {1 / self.inv_alpha:.7g}: most periods "
                                 f"last {self.on_xm:.3g}-{2 * self.off_xm:.3g} ns, against a packet gap of "
                                 f"{self.gap_ns:.3g} ns)",
                                 "raise 'shape' (1.5 is a common heavy tail) or lengthen 'on' and 'off'")
            if n >= 0:
                order = np.argsort(out_t[:n], kind="stable")
                return out_t[:n][order], out_f[:n][order]
            self.next_t, self.on_end, self.k = saved
            self._cap *= 2


UNTIMED_LOOP_GAP_NS = 1000.0   # a trace without a time span loops 1 us per packet (one packet: 1 Mpps)
MIN_LOOP_GAP_NS = 1.0          # a loop never runs faster than one packet per ns on average (1 Gpps)


class TraceArrivals:
    """A capture replayed: its packets' times (relative to the first, stretched by ``time_scale``),
    flows and sizes.

    With ``loop`` the capture repeats with period ``span + mean gap`` (``span * n / (n - 1)``:
    the loop keeps the capture's own packet rate, and the next pass starts one mean gap after the
    last packet); a trace without a span (one packet, or all at one time) has the period
    ``n * UNTIMED_LOOP_GAP_NS``; either is stretched by ``time_scale`` and is at least ``n`` ns
    (``MIN_LOOP_GAP_NS`` per packet). ``offered_pps`` is the rate that gives. The period is positive
    and larger than the span, so passes follow one another in time and every call makes progress;
    packet k of pass p is at ``p * period + rel[k]`` whatever the horizons. Times out of order are sorted (stable) first
    (``PcapTrace.as_traffic`` does that, and reports it, before a host run gets here).
    """

    def __init__(self, t_ns: np.ndarray, flow: np.ndarray, size_bytes: np.ndarray, time_scale: float,
                 loop: bool) -> None:
        t = np.asarray(t_ns)
        n = int(t.shape[0])
        # relative times in the capture's own type first: int64 epoch nanoseconds lose bits as floats
        rel = (t - t.min()).astype(np.float64) if n else np.zeros(0)
        scale = float(time_scale)
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"time_scale must be a positive number, not {time_scale!r}")
        span = float(rel.max()) if n else 0.0                # in the capture's own time
        own = span * n / (n - 1) if n > 1 and span > 0 else n * UNTIMED_LOOP_GAP_NS
        self.period = max(own * scale, n * MIN_LOOP_GAP_NS) if n else np.inf
        rel = rel * scale
        flow = np.asarray(flow, np.int32)
        size = np.asarray(size_bytes, np.int32)
        if n > 1 and bool((rel[1:] < rel[:-1]).any()):
            order = np.argsort(rel, kind="stable")
            rel, flow, size = rel[order], flow[order], size[order]
        self.rel, self.flow, self.size = rel, flow, size
        self.loop = loop
        self.pass_no = 0
        self.pos = 0

    @property
    def offered_pps(self) -> float:
        """Packets per second this trace offers: the loop's rate, or the capture's own."""
        n = len(self.rel)
        if n == 0:
            return 0.0
        if self.loop:
            return n / self.period * 1e9
        span = float(self.rel[-1])
        return (n - 1) / span * 1e9 if span > 0 else 0.0

    def _end(self, base: float, horizon_ns: float) -> int:
        """The first index k with ``base + rel[k] >= horizon_ns`` (the times as computed)."""
        rel = self.rel
        guess = horizon_ns - base
        slack = 4.0 * float(np.spacing(abs(horizon_ns) + abs(base) + abs(float(rel[-1]))))
        lo = int(np.searchsorted(rel, guess - slack, side="left"))
        hi = int(np.searchsorted(rel, guess + slack, side="right"))
        return lo + int(np.count_nonzero(base + rel[lo:hi] < horizon_ns))

    def until(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(self.rel)
        h = float(horizon_ns)
        empty = (np.empty(0), np.empty(0, np.int32), np.empty(0, np.int32))
        if n == 0 or not h > 0:
            return empty
        if not self.loop:
            if self.pass_no:
                return empty
            end = max(self.pos, self._end(0.0, h))
            sl = slice(self.pos, end)
            self.pos = end
            if end == n:
                self.pass_no = 1
            return self.rel[sl].copy(), self.flow[sl].copy(), self.size[sl].copy()
        period = self.period
        last = int(np.floor(h / period))          # the pass that holds the horizon (rel[0] == 0)
        while last > 0 and last * period >= h:
            last -= 1
        while (last + 1) * period < h:
            last += 1
        if last < self.pass_no:
            return empty
        ts, fs, ss = [], [], []
        if last > self.pass_no:
            base = self.pass_no * period
            ts.append(base + self.rel[self.pos:])
            fs.append(self.flow[self.pos:])
            ss.append(self.size[self.pos:])
            full = last - self.pass_no - 1        # whole passes in between
            if full > 0:
                bases = np.arange(self.pass_no + 1, last, dtype=np.int64).astype(np.float64) * period
                ts.append(np.add.outer(bases, self.rel).ravel())
                fs.append(np.tile(self.flow, full))
                ss.append(np.tile(self.size, full))
            self.pass_no, self.pos = last, 0
        base = self.pass_no * period
        end = max(self.pos, self._end(base, h))
        ts.append(base + self.rel[self.pos:end])
        fs.append(self.flow[self.pos:end])
        ss.append(self.size[self.pos:end])
        self.pos = end
        if self.pos == n:
            self.pass_no, self.pos = self.pass_no + 1, 0
        return np.concatenate(ts), np.concatenate(fs), np.concatenate(ss)


@numba.njit(cache=True, nogil=True)
def alias_table(weights):
    """Walker/Vose alias table: sample i with probability weights[i] / sum in O(1)."""
    n = weights.shape[0]
    prob = weights * (n / weights.sum())
    alias = np.arange(n)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if prob[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        alias[s] = g
        prob[g] = (prob[g] + prob[s]) - 1.0
        if prob[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    for i in range(nl):
        prob[large[i]] = 1.0
    for i in range(ns):
        prob[small[i]] = 1.0
    return prob, alias


@numba.njit(cache=True, nogil=True)
def alias_draw(u, prob, alias):
    """One uniform per draw: integer part picks the column, fraction decides column or alias."""
    n = prob.shape[0]
    out = np.empty(u.shape[0], np.int32)
    for i in range(u.shape[0]):
        x = u[i] * n
        k = int(x)
        if k >= n:
            k = n - 1
        out[i] = k if (x - k) < prob[k] else alias[k]
    return out


class SuperposedPoissonArrivals(_Buffered):
    """Flows with their own Poisson rates, as one Poisson process of the total rate whose packets
    belong to flow f with probability rate_f / total (an alias table, one uniform per packet).

    Gaps come from ``gap_rng`` and flow picks from ``pick_rng``; times are one running sum from the
    first arrival (itself an exponential gap after 0), so the arrivals are the same bits whatever
    the blocks or horizons.
    """

    def __init__(self, rate_pps: np.ndarray, gap_rng: np.random.Generator, pick_rng: np.random.Generator) -> None:
        super().__init__()
        rate = np.asarray(rate_pps, np.float64)
        total = float(rate.sum())
        self.mean_gap_ns = 1e9 / total if total > 0 else np.inf
        self.gap_rng, self.pick_rng = gap_rng, pick_rng
        if total > 0:
            self.prob, self.alias = alias_table(rate)
            self.next_ns = float(gap_rng.standard_exponential()) * self.mean_gap_ns

    def _refill(self):
        if not np.isfinite(self.mean_gap_ns):
            return np.empty(0), np.empty(0, np.int32)
        gaps = self.gap_rng.standard_exponential(BLOCK) * self.mean_gap_ns
        times = np.cumsum(np.concatenate(([self.next_ns], gaps)))
        self.next_ns = float(times[-1])
        return times[:-1], alias_draw(self.pick_rng.random(BLOCK), self.prob, self.alias)


class PeriodicArrivals:
    """Each flow f sends every ``1e9 / rate_f`` ns from its phase, ``phase_fraction[f]`` of a period
    (0 for every flow: all aligned at time 0). Packet k of flow f is at ``phase_f + k * period_f``;
    a horizon takes exactly the packets whose computed time is below it, so the stream does not
    depend on the horizons. Equal times go in flow order."""

    def __init__(self, rate_pps: np.ndarray, phase_fraction: np.ndarray) -> None:
        pps = np.asarray(rate_pps, np.float64)
        self.live = pps > 0
        safe = np.where(self.live, pps, 1.0)
        period = np.where(self.live, 1e9 / safe, np.inf)
        self.phase_ns = np.asarray(phase_fraction, np.float64) * np.where(self.live, period, 0.0)
        self.period_ns = np.where(self.live, period, 1.0)
        self.next_k = np.zeros(len(pps), np.int64)     # each flow's next packet

    def _index_at(self, t_ns: float) -> np.ndarray:
        """Per flow: the first packet index whose time is at or after ``t_ns``."""
        k = np.maximum(np.ceil((t_ns - self.phase_ns) / self.period_ns), 0).astype(np.int64)
        k += (self.phase_ns + k * self.period_ns < t_ns)        # rounding: the computed times decide
        back = (k > 0) & (self.phase_ns + (k - 1) * self.period_ns >= t_ns)
        return k - back

    def until(self, horizon_ns: float) -> tuple[np.ndarray, np.ndarray]:
        end = np.where(self.live, self._index_at(horizon_ns), 0)
        count = np.maximum(end - self.next_k, 0)
        flow = np.repeat(np.arange(len(count), dtype=np.int32), count)
        k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + np.repeat(self.next_k, count)
        t = self.phase_ns[flow] + k * self.period_ns[flow]
        self.next_k = np.maximum(self.next_k, end)
        order = np.argsort(t, kind="stable")
        return t[order], flow[order]
