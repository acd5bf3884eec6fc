"""A core serving descriptor rings: interrupt (NAPI), poll (PMD) or hybrid, compiled.

This is the mechanism behind both the host's per-queue threads (pNIC rings) and the guest's
vCPUs (vNIC rings). The exact semantics, which the SimPy reference model in tests implements
independently, are written out in docs/models/engine.md ("Ring server"). In short:

- Rings are finite FIFOs of descriptors (tail drop at arrival). An arrival at time ``a`` is
  visible to any poll at time ``t >= a``; arrivals at the same time as a poll come first.
- A poll at ``t`` of a ring takes ``n = min(batch, occupancy)`` packets, frees their slots at
  ``t``, and costs ``poll_cost`` plus each packet's own ``work``; packet ``k`` (1-based) departs at
  ``t + poll_cost + work_1 + ... + work_k``. An empty poll costs ``empty_cost`` (spin).
- interrupt: a ring with interrupts armed and packets pending fires at
  ``max(arm time, last fire + min_interval, min(oldest + delay, arrival of the frames-th))``.
  A blocked core wakes (C-state exit chosen by idle length, IRQ cost, thread wake-up), then polls
  its poll list in FIFO order; a poll that fills its whole batch re-queues the ring, otherwise
  the ring is re-armed when the poll ends. Interrupts that fire while the core runs cost
  ``irq_cost`` at the next poll boundary. With an empty poll list the core blocks.
- poll: the core polls its rings round-robin forever.
- hybrid: polls like poll mode; after ``sleep_after`` consecutive empty polls it sleeps
  ``sleep_ns`` between polls; after ``block_after_polls`` consecutive empty polls, or
  ``block_after_idle_ns`` since its last non-empty poll, it arms every ring and blocks; an
  interrupt wakes it as in interrupt mode and it resumes polling with interrupts off.
- Chunking: the kernel takes only decisions at times ``< horizon``; pending state is carried, and
  arrivals it has not admitted stay with the caller for the next chunk. CPU time is accounted in
  four buckets (useful, overhead, spin, idle), clipped to the statistics window; a C-state exit is
  latency, not work, so it counts as idle.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS as HIST_SUB_BITS
from vnetsim.engine.histogram import LogHistogram, bucket_of_bits

MODE_INTERRUPT = 0
MODE_POLL = 1
MODE_HYBRID = 2
MODES = {"interrupt": MODE_INTERRUPT, "poll": MODE_POLL, "hybrid": MODE_HYBRID}

RUN = 0
BLOCKED = 1

# fstate columns
F_T, F_IDLE_SINCE, F_LAST_BUSY = 0, 1, 2
# istate columns
I_STATE, I_RR, I_EMPTY, I_PL_HEAD, I_PL_LEN = 0, 1, 2, 3, 4
# per-core counters (acc) columns
A_USEFUL, A_OVERHEAD, A_SPIN, A_IDLE = 0, 1, 2, 3
A_INTERRUPTS, A_POLLS, A_EMPTY_POLLS, A_WAKEUPS, A_CSTATE_EXITS, A_PACKETS, A_SLEEPS = 4, 5, 6, 7, 8, 9, 10
N_ACC = 11
# The same counters by name: what a ring server reports per core (``RingServer.counters``).
# CPU time (ns) is clipped to the statistics window by the kernel; events count from the window's
# start once ``RingServer.start_window`` was called.
CPU_FIELDS = ("useful_ns", "overhead_ns", "spin_ns", "idle_ns")
EVENT_FIELDS = ("interrupts", "polls", "empty_polls", "wakeups", "cstate_exits", "packets", "sleeps")
CORE_COUNTERS = np.dtype([(name, np.float64) for name in CPU_FIELDS + EVENT_FIELDS])
# core parameter vector columns
P_MODE, P_BATCH, P_POLL, P_EMPTY, P_IRQ, P_WAKE = 0, 1, 2, 3, 4, 5
P_SLEEP_AFTER, P_SLEEP_NS, P_BLOCK_POLLS, P_BLOCK_IDLE = 6, 7, 8, 9
N_CORE_PARAMS = 10
# ring parameter columns
R_CAP, R_DELAY, R_FRAMES, R_MIN_INTERVAL = 0, 1, 2, 3
N_RING_PARAMS = 4
# ring float state columns
RF_LAST_FIRE, RF_ARM_TIME = 0, 1
# ring int state columns
RI_HEAD, RI_COUNT, RI_ARMED, RI_IN_LIST = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True, inline="always")
def _clip(s, e, lo, hi):
    """Length of [s, e) inside the statistics window [lo, hi] (scalars only: no array refcounts)."""
    if e > hi:
        e = hi
    if s < lo:
        s = lo
    return e - s if e > s else 0.0


@numba.njit(cache=True, nogil=True)
def _cstate_exit(idle_ns, exit_ns, residency_ns):
    """Exit latency of the deepest C-state whose target residency fits the idle period."""
    out = 0.0
    for k in range(exit_ns.shape[0]):
        if residency_ns[k] <= idle_ns:
            out = exit_ns[k]
    return out


@numba.njit(cache=True, nogil=True)
def _fire_time(r, rp, rf, ri, rt, width):
    """When armed ring ``r`` (global index) raises its interrupt; inf if it will not yet."""
    cnt = ri[r, RI_COUNT]
    if ri[r, RI_ARMED] == 0 or cnt == 0:
        return np.inf
    head = ri[r, RI_HEAD]
    f = rt[r, head] + rp[r, R_DELAY]
    frames = int(rp[r, R_FRAMES])
    if frames >= 1 and cnt >= frames:
        j = head + frames - 1
        if j >= width:
            j -= width
        if rt[r, j] < f:
            f = rt[r, j]
    g = rf[r, RF_LAST_FIRE] + rp[r, R_MIN_INTERVAL]
    if g > f:
        f = g
    if rf[r, RF_ARM_TIME] > f:
        f = rf[r, RF_ARM_TIME]
    return f


@numba.njit(cache=True, nogil=True)
def serve_core(c, rings, cp, cstate_exit_ns, cstate_res_ns,
               rp, rf, ri, rt, rt0, rsize, rflow, rpid, rwork,
               fs, ist, plist, acc,
               in_t, in_ring, in_t0, in_size, in_flow, in_pid, in_work,
               horizon, stat_lo, stat_hi, detail,
               out_dep, out_t0, out_size, out_flow, out_pid, out_pick, out_arr, out_ring,
               drop_t, drop_t0, drop_pid, drop_ring, drop_acc,
               wait_counts, wait_stats, work_counts, work_stats, ring_packets):
    """Advance core ``c`` over its time-ordered arrivals up to ``horizon``.

    Departures go to ``out_*`` (pick/arrival/ring only when ``detail``); packets offered inside
    the statistics window and departing inside it are also recorded in the wait (arrival to
    pick) and work (pick to departure) histograms and counted per ring in ``ring_packets``.
    Returns (arrivals admitted or dropped, departures written, drops written).
    """
    nr = rings.shape[0]
    width = rt.shape[1]
    mode = int(cp[P_MODE])
    batch = int(cp[P_BATCH])
    poll_cost = cp[P_POLL]
    empty_cost = cp[P_EMPTY]
    irq_cost = cp[P_IRQ]
    wake_cost = cp[P_WAKE]
    sleep_after = int(cp[P_SLEEP_AFTER])
    sleep_ns = cp[P_SLEEP_NS]
    block_polls = int(cp[P_BLOCK_POLLS])
    block_idle = cp[P_BLOCK_IDLE]

    if nr == 0:
        return 0, 0, 0  # a core with no rings does nothing (it stays blocked: idle)
    top_bucket = wait_counts.shape[0] - 1
    scratch = np.empty(1)                 # a float64 and its bits: histogram buckets without a log
    scratch_bits = scratch.view(np.int64)
    n_in = in_t.shape[0]
    i = 0
    n_out = 0
    n_drop = 0
    t = fs[c, F_T]
    state = ist[c, I_STATE]

    while True:
        if state == BLOCKED:
            # The earliest interrupt; arrivals up to it are admitted first (they may bring it forward).
            f_min = np.inf
            l_min = -1
            for l in range(nr):
                f = _fire_time(rings[l], rp, rf, ri, rt, width)
                if f < f_min:
                    f_min = f
                    l_min = l
            limit = f_min
        else:
            # at or past the horizon nothing more can free a slot before it: admit every
            # arrival before the horizon, then stop
            limit = t if t < horizon else np.inf

        # Admit (or tail-drop) due arrivals: the one place arrivals enter rings. A blocked core
        # re-examines its interrupts after each arrival (one may bring an interrupt forward).
        admitted = False
        while i < n_in and in_t[i] < horizon and in_t[i] <= limit:
            r = rings[in_ring[i]]
            cnt = ri[r, RI_COUNT]
            if cnt >= int(rp[r, R_CAP]):
                drop_t[n_drop] = in_t[i]
                drop_t0[n_drop] = in_t0[i]
                drop_pid[n_drop] = in_pid[i]
                drop_ring[n_drop] = r
                n_drop += 1
                drop_acc[r, 0] += 1
                if in_t0[i] >= stat_lo:
                    drop_acc[r, 1] += 1
            else:
                j = ri[r, RI_HEAD] + cnt
                if j >= width:
                    j -= width
                rt[r, j] = in_t[i]
                rt0[r, j] = in_t0[i]
                rsize[r, j] = in_size[i]
                rflow[r, j] = in_flow[i]
                rpid[r, j] = in_pid[i]
                rwork[r, j] = in_work[i]
                ri[r, RI_COUNT] = cnt + 1
            i += 1
            if state == BLOCKED:
                admitted = True
                break
        if admitted:
            continue
        if state == RUN and t >= horizon:
            break

        if state == BLOCKED:
            if f_min >= horizon:
                break
            # The interrupt wakes the core.
            idle_since = fs[c, F_IDLE_SINCE]
            acc[c, A_IDLE] += _clip(idle_since, f_min, stat_lo, stat_hi)
            ex = _cstate_exit(f_min - idle_since, cstate_exit_ns, cstate_res_ns)
            if ex > 0.0:
                acc[c, A_CSTATE_EXITS] += 1.0
            r = rings[l_min]
            ri[r, RI_ARMED] = 0
            rf[r, RF_LAST_FIRE] = f_min
            acc[c, A_INTERRUPTS] += 1.0
            acc[c, A_WAKEUPS] += 1.0
            t = f_min
            acc[c, A_IDLE] += _clip(t, t + ex, stat_lo, stat_hi)
            t += ex
            cost = irq_cost + wake_cost
            acc[c, A_OVERHEAD] += _clip(t, t + cost, stat_lo, stat_hi)
            t += cost
            state = RUN
            if mode == MODE_HYBRID:
                for l in range(nr):
                    ri[rings[l], RI_ARMED] = 0
                ist[c, I_EMPTY] = 0
                ist[c, I_RR] = l_min
                fs[c, F_LAST_BUSY] = t
            else:
                # append to the poll list
                pos = ist[c, I_PL_HEAD] + ist[c, I_PL_LEN]
                if pos >= nr:
                    pos -= nr
                plist[c, pos] = l_min
                ist[c, I_PL_LEN] += 1
                ri[r, RI_IN_LIST] = 1
            continue

        # RUN: a decision at time t (every arrival at or before t is in its ring by now).
        if mode == MODE_INTERRUPT:
            # Interrupts raised while the core was running: handler cost, ring to the poll list.
            fired = False
            f_min = np.inf
            l_min = -1
            for l in range(nr):
                f = _fire_time(rings[l], rp, rf, ri, rt, width)
                if f < f_min:
                    f_min = f
                    l_min = l
            if f_min <= t:
                r = rings[l_min]
                ri[r, RI_ARMED] = 0
                rf[r, RF_LAST_FIRE] = f_min
                acc[c, A_INTERRUPTS] += 1.0
                acc[c, A_OVERHEAD] += _clip(t, t + irq_cost, stat_lo, stat_hi)
                t += irq_cost
                pos = ist[c, I_PL_HEAD] + ist[c, I_PL_LEN]
                if pos >= nr:
                    pos -= nr
                plist[c, pos] = l_min
                ist[c, I_PL_LEN] += 1
                ri[r, RI_IN_LIST] = 1
                fired = True
            if fired:
                continue
            if ist[c, I_PL_LEN] == 0:
                state = BLOCKED
                fs[c, F_IDLE_SINCE] = t
                continue
            l = plist[c, ist[c, I_PL_HEAD]]
            h = ist[c, I_PL_HEAD] + 1
            if h >= nr:
                h = 0
            ist[c, I_PL_HEAD] = h
            ist[c, I_PL_LEN] -= 1
            r = rings[l]
            ri[r, RI_IN_LIST] = 0
        else:
            # poll / hybrid: skip runs of empty polls in one step (poll mode only).
            if mode == MODE_POLL:
                busy = False
                for l in range(nr):
                    if ri[rings[l], RI_COUNT] > 0:
                        busy = True
                        break
                if not busy:
                    a = horizon
                    if i < n_in and in_t[i] < horizon:
                        a = in_t[i]
                    if a > t:
                        m = np.ceil((a - t) / empty_cost)
                        if m < 1.0:
                            m = 1.0
                        t_new = t + m * empty_cost
                        acc[c, A_SPIN] += _clip(t, t_new, stat_lo, stat_hi)
                        acc[c, A_POLLS] += m
                        acc[c, A_EMPTY_POLLS] += m
                        ist[c, I_RR] = (ist[c, I_RR] + int(m)) % nr
                        t = t_new
                        continue
            l = ist[c, I_RR]
            ist[c, I_RR] = l + 1 if l + 1 < nr else 0
            r = rings[l]

        # Poll ring r at time t.
        cnt = ri[r, RI_COUNT]
        n = cnt if cnt < batch else batch
        acc[c, A_POLLS] += 1.0
        if n == 0:
            acc[c, A_EMPTY_POLLS] += 1.0
            acc[c, A_SPIN] += _clip(t, t + empty_cost, stat_lo, stat_hi)
            t += empty_cost
            if mode == MODE_INTERRUPT:
                ri[r, RI_ARMED] = 1
                rf[r, RF_ARM_TIME] = t
            elif mode == MODE_HYBRID:
                e = ist[c, I_EMPTY] + 1
                ist[c, I_EMPTY] = e
                if (block_polls > 0 and e >= block_polls) or (block_idle > 0.0 and t - fs[c, F_LAST_BUSY] >= block_idle):
                    for k in range(nr):
                        rr = rings[k]
                        ri[rr, RI_ARMED] = 1
                        rf[rr, RF_ARM_TIME] = t
                    state = BLOCKED
                    fs[c, F_IDLE_SINCE] = t
                elif sleep_after > 0 and e >= sleep_after:
                    ex = _cstate_exit(sleep_ns, cstate_exit_ns, cstate_res_ns)
                    acc[c, A_IDLE] += _clip(t, t + sleep_ns + ex, stat_lo, stat_hi)
                    acc[c, A_SLEEPS] += 1.0
                    if ex > 0.0:
                        acc[c, A_CSTATE_EXITS] += 1.0
                    t += sleep_ns + ex
            continue

        acc[c, A_OVERHEAD] += _clip(t, t + poll_cost, stat_lo, stat_hi)
        head = ri[r, RI_HEAD]
        d = t + poll_cost
        d0 = d
        for k in range(n):
            j = head + k
            if j >= width:
                j -= width
            d += rwork[r, j]
            t0 = rt0[r, j]
            out_dep[n_out] = d
            out_t0[n_out] = t0
            out_size[n_out] = rsize[r, j]
            out_flow[n_out] = rflow[r, j]
            out_pid[n_out] = rpid[r, j]
            if detail:
                out_pick[n_out] = t
                out_arr[n_out] = rt[r, j]
                out_ring[n_out] = r
            if t0 >= stat_lo and d <= stat_hi:
                # Histogram updates written out in place: in numba a helper taking arrays, called
                # per packet (inlined or not), made the whole path about 3x slower.
                ring_packets[r] += 1
                x = t - rt[r, j]
                scratch[0] = x
                b = 0 if x < 1.0 else min(bucket_of_bits(scratch_bits[0], HIST_SUB_BITS), top_bucket)
                wait_counts[b] += 1
                wait_stats[0] += 1.0
                wait_stats[1] += x
                wait_stats[4] += x * x
                wait_stats[2] = min(wait_stats[2], x)
                wait_stats[3] = max(wait_stats[3], x)
                x = d - t
                scratch[0] = x
                b = 0 if x < 1.0 else min(bucket_of_bits(scratch_bits[0], HIST_SUB_BITS), top_bucket)
                work_counts[b] += 1
                work_stats[0] += 1.0
                work_stats[1] += x
                work_stats[4] += x * x
                work_stats[2] = min(work_stats[2], x)
                work_stats[3] = max(work_stats[3], x)
            n_out += 1
        acc[c, A_USEFUL] += _clip(d0, d, stat_lo, stat_hi)
        head += n
        if head >= width:
            head -= width
        ri[r, RI_HEAD] = head
        ri[r, RI_COUNT] = cnt - n
        acc[c, A_PACKETS] += n
        t = d
        if mode == MODE_INTERRUPT:
            if n == batch:
                pos = ist[c, I_PL_HEAD] + ist[c, I_PL_LEN]
                if pos >= nr:
                    pos -= nr
                plist[c, pos] = l
                ist[c, I_PL_LEN] += 1
                ri[r, RI_IN_LIST] = 1
            else:
                ri[r, RI_ARMED] = 1
                rf[r, RF_ARM_TIME] = t
        else:
            ist[c, I_EMPTY] = 0
            fs[c, F_LAST_BUSY] = t

    fs[c, F_T] = t
    ist[c, I_STATE] = state
    return i, n_out, n_drop


# ----------------------------------------------------------------------------------------------
# State and the Python-side driver (one call per chunk, one kernel call per core).


from dataclasses import dataclass  # noqa: E402

from vnetsim.engine.merge import merge_order, merge_packet_runs  # noqa: E402
from vnetsim.engine.packets import Packets  # noqa: E402


@dataclass(frozen=True)
class CoreSpec:
    """How one core serves its rings (all times in ns)."""

    mode: str = "interrupt"
    batch: int = 64
    poll_cost_ns: float = 0.0
    empty_poll_cost_ns: float = 0.0
    irq_cost_ns: float = 0.0
    wakeup_ns: float = 0.0
    cstates: tuple[tuple[float, float], ...] = ()  # (exit latency, target residency), ns
    sleep_after_empty_polls: int = 0
    sleep_ns: float = 0.0
    block_after_empty_polls: int = 0
    block_after_idle_ns: float = 0.0

    def vector(self) -> np.ndarray:
        p = np.zeros(N_CORE_PARAMS)
        p[P_MODE] = MODES[self.mode]
        p[P_BATCH] = self.batch
        p[P_POLL] = self.poll_cost_ns
        p[P_EMPTY] = self.empty_poll_cost_ns
        p[P_IRQ] = self.irq_cost_ns
        p[P_WAKE] = self.wakeup_ns
        p[P_SLEEP_AFTER] = self.sleep_after_empty_polls
        p[P_SLEEP_NS] = self.sleep_ns
        p[P_BLOCK_POLLS] = self.block_after_empty_polls
        p[P_BLOCK_IDLE] = self.block_after_idle_ns
        return p


@dataclass(frozen=True)
class RingSpec:
    """One descriptor ring: its size, the core that serves it, and its interrupt moderation."""

    capacity: int
    core: int
    coalesce_delay_ns: float = 0.0
    coalesce_frames: int = 1
    coalesce_min_interval_ns: float = 0.0


@dataclass
class ServerOutput:
    """What left the rings in one chunk (time-ordered) and what was dropped at them.

    ``pick_ns``, ``arrival_ns`` and ``ring`` are filled only by a server made with ``detail=True``.
    """

    departures: Packets          # t_ns = departure time
    drop_pid: np.ndarray
    drop_ring: np.ndarray
    drop_t_ns: np.ndarray
    drop_t0_ns: np.ndarray
    pick_ns: np.ndarray | None = None      # when the poll took the packet
    arrival_ns: np.ndarray | None = None   # when it reached the ring
    ring: np.ndarray | None = None         # global ring index


_PENDING = ("t", "ring", "t0", "size", "flow", "pid", "work")
_PENDING_DTYPES = (np.float64, np.int64, np.float64, np.int32, np.int32, np.int64, np.float64)


class RingServer:
    """Rings served by cores, advanced chunk by chunk with all state carried."""

    def __init__(self, cores: list[CoreSpec], rings: list[RingSpec], stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, detail: bool = True) -> None:
        for r in rings:
            if not 0 <= r.core < len(cores):
                raise ValueError(f"ring served by core {r.core}, but there are {len(cores)} cores")
            if r.capacity < 1:
                raise ValueError("a ring holds at least one descriptor")
        self.cores = cores
        self.rings = rings
        self.stat_lo_ns = stat_lo_ns
        self.stat_hi_ns = stat_hi_ns
        n_c, n_r = len(cores), len(rings)
        width = max(r.capacity for r in rings)
        self.core_params = np.stack([c.vector() for c in cores])
        depth = max(1, max(len(c.cstates) for c in cores))
        self.cs_exit = np.zeros((n_c, depth))
        self.cs_res = np.full((n_c, depth), np.inf)
        for k, c in enumerate(cores):
            for j, (ex, res) in enumerate(sorted(c.cstates, key=lambda s: s[1])):
                self.cs_exit[k, j] = ex
                self.cs_res[k, j] = res
        self.ring_params = np.zeros((n_r, N_RING_PARAMS))
        for k, r in enumerate(rings):
            self.ring_params[k] = (r.capacity, r.coalesce_delay_ns, r.coalesce_frames, r.coalesce_min_interval_ns)
        self.rf = np.zeros((n_r, 2))
        self.rf[:, RF_LAST_FIRE] = -np.inf
        self.ri = np.zeros((n_r, 4), np.int64)
        self.rt = np.zeros((n_r, width))
        self.rt0 = np.zeros((n_r, width))
        self.rsize = np.zeros((n_r, width), np.int32)
        self.rflow = np.zeros((n_r, width), np.int32)
        self.rpid = np.zeros((n_r, width), np.int64)
        self.rwork = np.zeros((n_r, width))
        self.fs = np.zeros((n_c, 3))
        self.ist = np.zeros((n_c, 5), np.int64)
        self.plist = np.zeros((n_c, max(1, n_r)), np.int64)
        self.acc = np.zeros((n_c, N_ACC))
        self.detail = detail
        self.drop_acc = np.zeros((n_r, 2), np.int64)   # all drops, drops of window packets
        self.ring_packets = np.zeros(n_r, np.int64)    # window packets served per ring
        self.wait = LogHistogram()                      # arrival at the ring -> picked by a poll
        self.work = LogHistogram()                      # picked -> departed (poll cost + batch work)
        self.rings_of_core = [np.array([k for k, r in enumerate(rings) if r.core == c], np.int64)
                              for c in range(n_c)]
        self.local_index = np.zeros(n_r, np.int64)
        self.core_of_ring = np.array([r.core for r in rings], np.int64)
        for c in range(n_c):
            self.local_index[self.rings_of_core[c]] = np.arange(len(self.rings_of_core[c]))
        for c, spec in enumerate(cores):
            interrupt = spec.mode == "interrupt"
            self.ist[c, I_STATE] = BLOCKED if interrupt or not len(self.rings_of_core[c]) else RUN
            if interrupt:
                self.ri[self.rings_of_core[c], RI_ARMED] = 1
        self.pending = [tuple(np.empty(0, d) for d in _PENDING_DTYPES) for _ in range(n_c)]
        self._window_start = np.zeros((n_c, N_ACC))

    def start_window(self) -> None:
        """The statistics window starts now: event counters count from here (CPU time is clipped
        to the window by the kernel already)."""
        self._window_start = self.acc.copy()

    def counters(self) -> np.ndarray:
        """Per core, the counters of the statistics window (a ``CORE_COUNTERS`` record array)."""
        out = self.acc.copy()
        out[:, len(CPU_FIELDS):] -= self._window_start[:, len(CPU_FIELDS):]
        return np.ascontiguousarray(out).view(CORE_COUNTERS)[:, 0]

    def occupancy(self) -> np.ndarray:
        """Packets held in each ring now."""
        return self.ri[:, RI_COUNT].copy()

    def pending_count(self) -> int:
        """Arrivals handed in but not yet admitted (they are later than the last horizon)."""
        return sum(len(p[0]) for p in self.pending)

    def advance(self, arrivals: Packets, ring: np.ndarray, work_ns: np.ndarray, horizon_ns: float) -> ServerOutput:
        """Admit time-ordered ``arrivals`` to ``ring`` and serve every decision before ``horizon_ns``."""
        ring = np.asarray(ring, np.int64)
        work_ns = np.asarray(work_ns, np.float64)
        n_cores = len(self.cores)
        if n_cores > 1:
            # split by core (a counting sort: each core's arrivals stay in time order)
            *cols, bounds = _split_by_core(self.core_of_ring, self.local_index, ring, arrivals.t_ns,
                                           arrivals.t0_ns, arrivals.size_bytes, arrivals.flow, arrivals.pkt_id,
                                           work_ns, n_cores)
        else:
            bounds = np.array([0, len(ring)])
            cols = [arrivals.t_ns, self.local_index[ring], arrivals.t0_ns, arrivals.size_bytes,
                    arrivals.flow, arrivals.pkt_id, work_ns]
        parts = []
        for c in range(n_cores):
            new = tuple(x[bounds[c]:bounds[c + 1]] for x in cols)
            old = self.pending[c]
            if len(old[0]) and len(new[0]):
                inp = _merge_pending(old, new)
            elif len(old[0]):
                inp = old
            else:
                inp = tuple(np.ascontiguousarray(x, d) for x, d in zip(new, _PENDING_DTYPES))
            parts.append(self._serve(c, inp, horizon_ns))
        return _merge_outputs(parts, self.detail)

    def cpu_buckets(self, t_end_ns: float) -> np.ndarray:
        """CPU time per core (useful, overhead, spin, idle) in the statistics window up to ``t_end_ns``.

        The kernel books an idle period when it ends; a core still blocked at ``t_end_ns`` has been
        idle since it blocked, and that open period is added here.
        """
        out = self.acc[:, :4].copy()
        hi = min(t_end_ns, self.stat_hi_ns)
        for c in range(len(self.cores)):
            if self.ist[c, I_STATE] == BLOCKED:
                out[c, A_IDLE] += _clip(self.fs[c, F_IDLE_SINCE], hi, self.stat_lo_ns, hi)
        return out

    @property
    def drops(self) -> np.ndarray:
        """Tail drops per ring since the start."""
        return self.drop_acc[:, 0]

    def _serve(self, c: int, inp, horizon_ns: float):
        rings = self.rings_of_core[c]
        held = int(self.ri[rings, RI_COUNT].sum())
        n_in = len(inp[0])
        cap = n_in + held
        dcap = cap if self.detail else 1
        out = (np.empty(cap), np.empty(cap), np.empty(cap, np.int32), np.empty(cap, np.int32),
               np.empty(cap, np.int64), np.empty(dcap), np.empty(dcap), np.empty(dcap, np.int64))
        drop = (np.empty(n_in), np.empty(n_in), np.empty(n_in, np.int64), np.empty(n_in, np.int64))
        used, n_out, n_drop = serve_core(
            c, rings, self.core_params[c], self.cs_exit[c], self.cs_res[c],
            self.ring_params, self.rf, self.ri, self.rt, self.rt0, self.rsize, self.rflow, self.rpid,
            self.rwork, self.fs, self.ist, self.plist, self.acc, *inp, horizon_ns,
            self.stat_lo_ns, self.stat_hi_ns, self.detail, *out, *drop, self.drop_acc,
            self.wait.counts, self.wait.stats, self.work.counts, self.work.stats, self.ring_packets)
        self.pending[c] = tuple(x[used:] for x in inp)
        keep = n_out if self.detail else 0
        return tuple(x[:n_out] for x in out[:5]) + tuple(x[:keep] for x in out[5:]), tuple(x[:n_drop] for x in drop)


def _merge_pending(old, new):
    """Held-over arrivals (few) merged into a chunk's new ones (many), both ordered by (time, id).

    Only the new arrivals no later than the last held one can interleave with them; the rest
    follow as they are.
    """
    t_old = old[0]
    k = int(np.searchsorted(new[0], t_old[-1], side="right"))
    head = [np.concatenate((o, n[:k])) for o, n in zip(old, new)]
    order = merge_order(head[0], [len(t_old), k], head[5])
    return tuple(np.ascontiguousarray(np.concatenate((h[order], n[k:])), dtype=d)
                 for h, n, d in zip(head, new, _PENDING_DTYPES))


@numba.njit(cache=True, nogil=True)
def _split_by_core(core_of_ring, local_index, ring, t, t0, size, flow, pid, work, n_cores):
    """Arrivals grouped by the core serving their ring, time order kept within each core."""
    n = ring.shape[0]
    bounds = np.zeros(n_cores + 1, np.int64)
    for i in range(n):
        bounds[core_of_ring[ring[i]] + 1] += 1
    for c in range(n_cores):
        bounds[c + 1] += bounds[c]
    pos = bounds[:-1].copy()
    o_t = np.empty(n)
    o_ring = np.empty(n, np.int64)
    o_t0 = np.empty(n)
    o_size = np.empty(n, size.dtype)
    o_flow = np.empty(n, flow.dtype)
    o_pid = np.empty(n, np.int64)
    o_work = np.empty(n)
    for i in range(n):
        r = ring[i]
        c = core_of_ring[r]
        j = pos[c]
        pos[c] = j + 1
        o_t[j] = t[i]
        o_ring[j] = local_index[r]
        o_t0[j] = t0[i]
        o_size[j] = size[i]
        o_flow[j] = flow[i]
        o_pid[j] = pid[i]
        o_work[j] = work[i]
    return o_t, o_ring, o_t0, o_size, o_flow, o_pid, o_work, bounds


def _merge_outputs(parts, detail: bool) -> ServerOutput:
    deps = [p[0] for p in parts]
    drops = [p[1] for p in parts]
    ncols = 8 if detail else 5
    cat = [np.concatenate([d[k] for d in deps]) if len(deps) > 1 else deps[0][k] for k in range(ncols)]
    if len(parts) > 1 and not detail:
        starts = np.zeros(len(deps) + 1, np.int64)
        starts[1:] = np.cumsum([len(d[0]) for d in deps])
        cat = list(merge_packet_runs(*cat, starts))
    elif len(parts) > 1:
        order = merge_order(cat[0], [len(d[0]) for d in deps], cat[4])
        cat = [x[order] for x in cat]
    dcat = [np.concatenate([d[k] for d in drops]) if len(drops) > 1 else drops[0][k] for k in range(4)]
    return ServerOutput(
        departures=Packets(*cat[:5]), drop_t_ns=dcat[0], drop_t0_ns=dcat[1], drop_pid=dcat[2],
        drop_ring=dcat[3], pick_ns=cat[5] if detail else None, arrival_ns=cat[6] if detail else None,
        ring=cat[7] if detail else None)
