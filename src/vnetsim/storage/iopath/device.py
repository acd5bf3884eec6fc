"""The device stage: every host's devices as FIFO multi-server queues, compiled (a stage of the
engine contract, ``vnetsim.engine.stage``).

Semantics (the simpy reference in tests implements the same):
- A leg arriving at ``a`` picks its device from its host, tier and a hash of its id: the cache tier
  for writes and read-modify-writes (OSA), for reads with the cache-hit probability of its flow;
  otherwise one of the host's capacity devices, uniformly. ESA hosts have capacity devices only.
- A device serves ``queue_depth`` legs at once, first come first served: service starts at
  ``max(a, earliest free server)``; service = a lognormal draw of the device's read or write time
  (mean, squared coefficient of variation) plus the transfer ``block * 8e9 / transfer_bps``; a
  read-modify-write is a read then a write, back to back.
- Draws are counter-based (splitmix64 of the run's key and the leg's id), so a leg's service does
  not depend on chunking or on what else runs.
- A host that fails at ``f``: a leg that would still be at its device after ``f`` (queued, in
  service, or arriving later) is lost there and its I/O stalls: the leg's reply leaves at
  ``max(a, f + stall)``, when the cluster declares the host absent and the I/O is redone on the
  other components (their legs already completed). It does not occupy the device.
- The leg then travels its fixed reply delay to the owner (``reply_ns`` of its flow), plus its own
  draw of the fabric's spread where a ``reply_jitter`` is given (``jitter.LegJitter``).

A departure is fixed when the leg arrives, so the stage holds nothing between calls. Given a
``join`` (``vnetsim.storage.iopath.join.Join``), the stage hands it every leg's return at once and
emits nothing: the reply path has no queue, so nothing downstream needs the legs in time order,
and the sort of the departures (the most expensive step otherwise) is saved. Without one it emits
the legs in (time, id) order, as the stage contract says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.merge import gather_packets, time_order
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.storage.iopath.classes import class_table
from vnetsim.storage.iopath.draws import leg_uniform
from vnetsim.storage.iopath.jitter import cell_of, jitter_args, jitter_rows
from vnetsim.storage.iopath.join import Join
from vnetsim.storage.iopath.spec import DeviceKind

__all__ = ["DeviceStage", "DeviceStats", "leg_draws", "leg_service_ns", "leg_uniform", "lognormal_draw",
           "normal_quantile"]

# Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9):
# one uniform per normal draw, no trigonometry, and a logarithm only in the tails (5 % of draws).
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
_P_LOW = 0.02425


@numba.njit(cache=True, nogil=True, inline="always")
def _tail(q):
    return ((((( _C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / \
        ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)


@numba.njit(cache=True, nogil=True, inline="always")
def normal_quantile(p):
    """The standard normal quantile of ``p`` in (0, 1) (Acklam's algorithm)."""
    if p < _P_LOW:
        return _tail(np.sqrt(-2.0 * np.log(p)))
    if p > 1.0 - _P_LOW:
        return -_tail(np.sqrt(-2.0 * np.log1p(-p)))
    q = p - 0.5
    r = q * q
    return (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / \
        (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)


@numba.njit(cache=True, nogil=True, inline="always")
def lognormal_draw(mu, sigma, u):
    """exp(mu + sigma * z), z the standard normal quantile of the uniform ``u``."""
    if sigma == 0.0:
        return np.exp(mu)
    return np.exp(mu + sigma * normal_quantile(u))


@numba.njit(cache=True, nogil=True)
def leg_draws(key, pid, op, tier_p, n_cap, n_cache):
    """Tier (0 capacity, 1 cache), device slot within its tier, and the two service uniforms."""
    tier = 0
    if n_cache > 0 and (op != 0 or leg_uniform(key, pid, 0) < tier_p):
        tier = 1
    count = n_cache if tier == 1 else n_cap
    slot = min(int(leg_uniform(key, pid, 1) * count), count - 1)
    return tier, slot, leg_uniform(key, pid, 2), leg_uniform(key, pid, 3) if op == 2 else 0.5


@numba.njit(cache=True, nogil=True)
def leg_service_ns(op, tier, block, mu, sigma, ns_per_byte, u1, u2):
    """Service of one leg: read (op 0), write (1) or read then write (2) at a device of ``tier``."""
    if op == 2:
        return lognormal_draw(mu[tier, 0], sigma[tier, 0], u1) + lognormal_draw(mu[tier, 1], sigma[tier, 1], u2) \
            + 2.0 * block * ns_per_byte[tier]
    return lognormal_draw(mu[tier, op], sigma[tier, op], u1) + block * ns_per_byte[tier]


@numba.njit(cache=True, nogil=True, inline="always")
def _replace_earliest(heap, dev, k, d):
    """The device's servers' free times are an 8-ary min-heap in ``heap[dev, :k]`` (shallow: two
    levels below the root for up to 73 servers; the levels are the chain of dependent loads, the
    eight children of a level are compared side by side): the earliest free server takes a leg
    until ``d`` (replace the root, sift down)."""
    i = 0
    while True:
        c = 8 * i + 1
        if c >= k:
            break
        best = c
        bv = heap[dev, c]
        end = c + 8 if c + 8 < k else k
        for j in range(c + 1, end):
            v = heap[dev, j]
            if v < bv:
                best = j
                bv = v
        if bv >= d:
            break
        heap[dev, i] = bv
        i = best
    heap[dev, i] = d


def _take_idle_leaf() -> None:
    """Why a leg may take an idle leaf of the heap instead of its root (in ``queue_legs``), with
    the same result bit for bit: a leg arriving at ``a`` starts at ``max(a, earliest free)``; when
    some server is free by ``a``, every later leg (they come in time order) arrives after ``a``, so
    any server free by ``a`` is as good as any other for every later start, wait and busy time:
    which idle one takes the leg changes nothing but the heap's layout. A leaf free by ``a`` takes
    the leg's departure ``d >= a`` without a sift (its parent is at most its old value, so at most
    ``d``: the heap stays a heap), so the leaves are tried in turn (one per leg, wrapping to the
    first leaf) and only a busy one costs the root's replacement and sift (two levels of eight)."""


@numba.njit(cache=True, nogil=True)
def draw_legs_into(pid, flow, n, key, f_cls, c_tab, f_dev0, f_op, f_cache_p, f_block, n_cap, n_cache, mu, sigma,
                   ns_per_byte, j_on, j_atoms, j_key, j_dir, dev, service, jitter, at):
    """The first ``n`` legs' (ids ``pid``, flows ``flow``) device and service time into ``dev`` /
    ``service`` from index ``at`` (they depend on the leg's id and flow only: counter-based), and
    with ``j_on`` each one's reply's draw of the fabric's spread into ``jitter`` (0: a fixed time).
    ``c_tab[f_cls[flow]]``: the flow's class row (``class_table``): (mu, sigma, transfer ns, first
    device, reply's jitter row, ...) of the flow's read or write at the capacity tier, the first
    device -1 where a cache tier or a read-modify-write takes ``leg_draws`` and ``leg_service_ns``
    themselves (the same numbers).

    A pass of its own: its legs are independent, so the processor overlaps their logarithms,
    exponentials and divisions, which the queue pass (a chain of unpredictable heap branches) cannot."""
    for k in range(n):
        f = flow[k]
        c = f_cls[f]
        p = pid[k]
        if j_on:
            r = int(c_tab[c, 4])
            jitter[at + k] = j_atoms[r, cell_of(leg_uniform(j_key, p, j_dir))] if r >= 0 else 0.0
        d0 = c_tab[c, 3]
        if d0 >= 0.0:
            dev[at + k] = int(d0) + min(int(leg_uniform(key, p, 1) * n_cap), n_cap - 1)
            service[at + k] = lognormal_draw(c_tab[c, 0], c_tab[c, 1], leg_uniform(key, p, 2)) + c_tab[c, 2]
            continue
        op = f_op[f]
        tier, slot, u1, u2 = leg_draws(key, p, op, f_cache_p[f], n_cap, n_cache)
        dev[at + k] = f_dev0[f] + (n_cap + slot if tier == 1 else slot)
        service[at + k] = leg_service_ns(op, tier, f_block[f], mu, sigma, ns_per_byte, u1, u2)


@numba.njit(cache=True, nogil=True)
def queue_legs(order, n, horizon, t, flow, dev_of, service, jitter, f_cls, c_tab, f_acc, depth, fail_ns, stall_ns,
               free_at, leaf, busy, lo, hi, counts, j_on, out):
    """Queue legs in time order at their devices (FCFS, ``depth`` servers): the ``k``-th is
    ``order[k]`` of the columns (``order`` None: the ``k``-th), up to ``n`` or the first at or
    after the horizon. ``c_tab[f_cls[flow]]``: the flow's class row (its reply delay at column 5,
    its host at 6); ``f_acc[flow]``: its legs' count, wait, service and stall sums (one row of 32
    bytes). ``out[k]``: when its reply is back at its owner (its fixed reply delay, plus its draw
    of the fabric's spread, ``jitter``, where ``j_on``). Returns how many were queued. (The one copy
    of the device's queue arithmetic; written out here, not called per leg: a helper taking the
    arrays per leg costs numba reference counts.) ``leaf[dev]``: (the leaf of its heap to try
    next, its first leaf), see ``_take_idle_leaf``."""
    for k in range(n):
        i = k if order is None else order[k]
        a = t[i]
        if a >= horizon:
            return k
        f = flow[i]
        c = f_cls[f]
        h = int(c_tab[c, 6])
        dev = dev_of[i]
        s = service[i]
        f_acc[f, 0] += 1.0
        counts[dev] += 1
        fail = fail_ns[h]
        if a >= fail:                       # the host is down: lost here, the I/O stalls
            d = max(a, fail + stall_ns[h])
            f_acc[f, 3] += d - a
        else:
            free = free_at[dev, 0]          # the earliest free of its queue_depth servers (FCFS)
            start = a if a > free else free
            d = start + s
            j = leaf[dev, 0]                # a leaf of the heap, in turn: idle (free by a), it takes
            if free_at[dev, j] <= a:        # the leg with no sift (``_take_idle_leaf``)
                free_at[dev, j] = d
            else:
                _replace_earliest(free_at, dev, depth[dev], d)
            j += 1
            leaf[dev, 0] = j if j < depth[dev] else leaf[dev, 1]
            b0 = start if start > lo else lo
            b1 = d if d < hi else hi
            if b1 > b0:
                busy[dev] += b1 - b0
            if d > fail:                    # still there when its host fails
                d = fail + stall_ns[h]
                f_acc[f, 3] += d - a
            else:
                f_acc[f, 1] += start - a
                f_acc[f, 2] += s
        d += c_tab[c, 5]
        if j_on:
            d += jitter[i]
        out[k] = d
    return n


def _serve(stage: DeviceStage, t, pid, flow):
    """Serve time-ordered legs; return each leg's arrival back at its owner (draws, then queues)."""
    n = len(t)
    dev, service, jitter, out = np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n)
    stage.draw(pid, flow, n, dev, service, jitter, 0)
    queue_legs(None, n, np.inf, t, flow, dev, service, jitter, stage.f_cls, stage.c_tab, stage.f_acc, stage.depth,
               stage.fail_ns, stage.stall_ns, stage.free_at, stage.leaf, stage.busy, stage.lo, stage.hi, stage.counts,
               stage.jitter_args[0], out)
    return out


@dataclass
class DeviceStats:
    """Per device: legs served and busy time in the window; per flow: legs and summed wait,
    service and stall (ns), for where the time goes."""

    legs: np.ndarray
    busy_ns: np.ndarray
    queue_depth: np.ndarray
    flow_legs: np.ndarray
    flow_wait_ns: np.ndarray
    flow_service_ns: np.ndarray
    flow_stall_ns: np.ndarray


def _lognormal_params(kind: DeviceKind) -> tuple[list[float], list[float], float]:
    mus, sigmas = [], []
    for st in (kind.read, kind.write):
        s2 = float(np.log1p(st.scv))
        mus.append(float(np.log(st.mean_ns)) - s2 / 2.0)
        sigmas.append(float(np.sqrt(s2)))
    rate = kind.read.transfer_bps
    return mus, sigmas, 0.0 if not np.isfinite(rate) else 8e9 / rate


class DeviceStage:
    """Every host's devices (see the module docstring). Per flow: its host ``f_host``, device op
    ``f_op`` (0 read, 1 write, 2 read-modify-write), ``f_block`` bytes, ``f_cache_p`` and the fixed
    reply delay ``f_reply_ns``. ``fail_ns`` / ``stall_ns``: per host, when it fails (inf: never) and
    how long I/O to it stalls."""

    def __init__(self, hosts: int, capacity: DeviceKind, capacity_count: int, cache: DeviceKind | None,
                 cache_count: int, f_host, f_op, f_block, f_cache_p, f_reply_ns, key: int,
                 fail_ns=None, stall_ns=None, stat_lo_ns: float = 0.0, stat_hi_ns: float = np.inf,
                 join: Join | None = None, name: str = "devices", reply_jitter=None) -> None:
        self.name = name
        self.join = join
        self.reply_jitter = reply_jitter      # a jitter.LegJitter: each reply's draw of the fabric's spread
        n_cache = cache_count if cache is not None else 0
        self.n_cap, self.n_cache, self.per_host = int(capacity_count), int(n_cache), int(capacity_count + n_cache)
        kinds = [capacity, cache if cache is not None else capacity]
        params = [_lognormal_params(k) for k in kinds]
        self.mu = np.array([p[0] for p in params], np.float64)
        self.sigma = np.array([p[1] for p in params], np.float64)
        self.ns_per_byte = np.array([p[2] for p in params], np.float64)
        depth_host = [capacity.queue_depth] * self.n_cap + [kinds[1].queue_depth] * self.n_cache
        self.depth = np.tile(np.array(depth_host, np.int64), hosts)
        self.n_devices = hosts * self.per_host
        self.free_at = np.full((self.n_devices, int(self.depth.max())), -np.inf)
        first_leaf = (self.depth + 6) // 8          # an 8-ary heap of k: nodes from (k + 6) // 8 on have no child
        self.leaf = np.stack([first_leaf, first_leaf], axis=1).astype(np.int64)   # (next to try, first)
        self.f_host = np.ascontiguousarray(f_host, np.int64)
        self.f_op = np.ascontiguousarray(f_op, np.int64)
        self.f_block = np.ascontiguousarray(f_block, np.float64)
        self.f_cache_p = np.ascontiguousarray(f_cache_p, np.float64)
        self.key = np.uint64(key)
        self.fail_ns = np.full(hosts, np.inf) if fail_ns is None else np.asarray(fail_ns, np.float64)
        self.stall_ns = np.zeros(hosts) if stall_ns is None else np.asarray(stall_ns, np.float64)
        self.lo, self.hi = float(stat_lo_ns), float(stat_hi_ns)
        n_flows = len(self.f_host)
        self.busy = np.zeros(self.n_devices)
        self.counts = np.zeros(self.n_devices, np.int64)
        self.f_reply = np.asarray(f_reply_ns, np.float64)
        # per flow, one row: its legs' count and wait, service, stall sums
        self.f_acc = np.zeros((n_flows, 4))
        self.f_count, self.f_wait, self.f_service, self.f_stall = (self.f_acc[:, c] for c in range(4))
        self._start = (np.zeros(self.n_devices, np.int64), np.zeros((4, n_flows)))
        # per flow: its host's first device; its class (``class_table``) of (mu, sigma, transfer ns,
        # first device or -1) of its read or write at the capacity tier, what ``draw`` reads without
        # a cache tier, its reply's jitter row, its reply delay and its host
        self.f_dev0 = self.f_host * self.per_host
        op = np.minimum(self.f_op, 1)
        fast = (self.f_op != 2) & (self.n_cache == 0)
        self.f_cls, self.c_tab = class_table(np.stack([
            self.mu[0, op], self.sigma[0, op], self.f_block * self.ns_per_byte[0],
            np.where(fast, self.f_dev0, -1).astype(np.float64),
            jitter_rows(reply_jitter, len(self.f_host)).astype(np.float64), self.f_reply,
            self.f_host.astype(np.float64), np.zeros(n_flows)], axis=1))
        self.jitter_args = jitter_args(reply_jitter)

    def draw(self, pid: np.ndarray, flow: np.ndarray, n: int, dev: np.ndarray, service: np.ndarray,
             jitter: np.ndarray, at: int) -> None:
        """The first ``n`` legs of ``pid`` / ``flow``: device, service time and reply's jitter into
        ``dev`` / ``service`` / ``jitter`` from index ``at`` (``draw_legs_into``)."""
        draw_legs_into(pid, flow, n, self.key, self.f_cls, self.c_tab, self.f_dev0, self.f_op, self.f_cache_p,
                       self.f_block, self.n_cap, self.n_cache, self.mu, self.sigma, self.ns_per_byte,
                       *self.jitter_args, dev, service, jitter, at)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        """Serve time-ordered legs (departures fixed at arrival: nothing is held)."""
        if not len(arrivals):
            return StageOutput(arrivals, NO_DROPS)
        out = _serve(self, arrivals.t_ns, arrivals.pkt_id, arrivals.flow)
        if self.join is not None:
            self.join.fold(out, arrivals.t0_ns, arrivals.pkt_id, arrivals.flow)
            return StageOutput(Packets.empty(), NO_DROPS)
        order = time_order(out, arrivals.pkt_id)
        return StageOutput(Packets(*gather_packets(order, out, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow,
                                                   arrivals.pkt_id)), NO_DROPS)

    def start_window(self) -> None:
        self._start = (self.counts.copy(), np.stack([self.f_count, self.f_wait, self.f_service, self.f_stall]))

    def held(self) -> int:
        return 0

    def stats(self) -> DeviceStats:
        c0, fl = self._start
        return DeviceStats(self.counts - c0, self.busy.copy(), self.depth.copy(), self.f_count - fl[0],
                           self.f_wait - fl[1], self.f_service - fl[2], self.f_stall - fl[3])
