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
- Optional mechanisms, all off by default (then every float is as without them): the menu idle
  governor (the C-state predicted from the last 8 idle periods and the next timer, as Linux's
  menu governor, optionally with its correction factors; it can guess too deep), halt polling
  (spin ``halt_poll_ns`` before blocking; an interrupt in that window costs no C-state exit and no
  wake-up), a hybrid sleep that spins (DPDK's rte_delay_us) or
  pays a wake-up, adaptive interrupt moderation per ring (ixgbe's dynamic ITR levels, updated from
  bytes per microsecond when the ring is re-armed), and TX bursts (a poll's packets all depart
  when its work ends).
- Chunking: the kernel takes only decisions at times ``< horizon``; pending state is carried, and
  arrivals it has not admitted are held for the next chunk. CPU time is accounted in four buckets
  (useful, overhead, spin, idle), clipped to the statistics window; a C-state exit is latency, not
  work, so it counts as idle.

The kernel, one call per core and chunk (``RingServer.advance`` drives them): ``_serve_core`` walks
the core's arrivals in time order and, before admitting each, takes the core's decisions that come
first: wake-ups, interrupts while running, polls, what follows an empty poll. Around it,
``_group_by_core`` splits a chunk's arrivals by core, ``_merge_cores`` merges the cores'
departures, ``_hold`` keeps what arrived at or after the horizon. State lives in a few packed
arrays (``_State``): one float and one int row per core and per ring, the ring slots, the counters.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.packets import Packets
from vnetsim.errors import ModelError

MODES = {"interrupt": 0, "poll": 1, "hybrid": 2}
GOVERNORS = {"oracle": 0, "menu": 1, "menu-corrected": 2}
_INTERRUPT, _POLL, _HYBRID = 0, 1, 2
_RUN, _BLOCKED = 0, 1
MENU_INTERVALS = 8          # idle durations the menu governor remembers (Linux: INTERVALS)
# menu's correction factors (drivers/cpuidle/governors/menu.c): fixed point, RESOLUTION * DECAY is
# unity, one factor per bucket of the next timer's distance (< 10 us, 100 us, 1 ms, 10 ms, 100 ms, more)
MENU_RESOLUTION, MENU_DECAY, MENU_BUCKETS = 1024, 8, 6
MENU_MAX_INTERESTING_NS = 50_000_000    # MAX_INTERESTING: 50 ms

# Per-core counters, by name: what a ring server reports per core (``RingServer.counters``).
# CPU time (ns) is clipped to the statistics window by the kernel; events count from the window's
# start once ``RingServer.start_window`` was called. New counters are appended (code reads them by name).
CPU_FIELDS = ("useful_ns", "overhead_ns", "spin_ns", "idle_ns")
EVENT_FIELDS = ("interrupts", "polls", "empty_polls", "wakeups", "cstate_exits", "packets", "sleeps",
                "governor_misses", "halt_poll_hits")
CORE_COUNTERS = np.dtype([(name, np.float64) for name in CPU_FIELDS + EVENT_FIELDS])

# Columns of the packed state (``_State``; private: read the counters through ``counters()``).
# counters[core, :] (float64), in CORE_COUNTERS order
_A_USEFUL, _A_OVERHEAD, _A_SPIN, _A_IDLE = 0, 1, 2, 3
_A_INTERRUPTS, _A_POLLS, _A_EMPTY_POLLS, _A_WAKEUPS, _A_CSTATE_EXITS, _A_PACKETS, _A_SLEEPS = range(4, 11)
_A_GOVERNOR_MISSES, _A_HALT_POLL_HITS = 11, 12
_N_COUNTERS = 13
# core_f[core, :] (float64): parameters, then state (decision time, idle since, end of the last
# poll that took packets, start of the halt-poll window, the menu governor's idle history), then
# the C-state table (exit latencies, then target residencies)
_P_MODE, _P_BATCH, _P_POLL, _P_EMPTY, _P_IRQ, _P_WAKE = 0, 1, 2, 3, 4, 5
_P_SLEEP_AFTER, _P_SLEEP_NS, _P_BLOCK_POLLS, _P_BLOCK_IDLE = 6, 7, 8, 9
_P_GOVERNOR, _P_NEXT_TIMER, _P_MENU_STDDEV, _P_HALT_POLL = 10, 11, 12, 13
_P_SLEEP_SPINS, _P_SLEEP_WAKEUP, _P_BURST = 14, 15, 16
_CF_T, _CF_IDLE_SINCE, _CF_LAST_BUSY, _CF_HALT_FROM, _CF_HIST = 17, 18, 19, 20, 21
_CF_CSTATES = _CF_HIST + MENU_INTERVALS
# core_i[core, :] (int64): run state, round-robin pointer, consecutive empty polls, the poll list's
# head and length, how many rings the core serves, idle periods recorded for the menu governor,
# then the menu governor's correction factors (MENU_BUCKETS)
_CI_STATE, _CI_RR, _CI_EMPTY, _CI_PL_HEAD, _CI_PL_LEN, _CI_N_RINGS, _CI_HIST_N, _CI_CORR = range(8)
_N_CI = _CI_CORR + MENU_BUCKETS
# core_l[core, :, :] (int64): the core's rings (global indices) and its poll list (a FIFO of
# local ring indices)
_CL_RINGS, _CL_POLL_LIST = 0, 1
# ring_f[ring, :] (float64): parameters (capacity, interrupt moderation), then last fire, arm time,
# bytes taken since the last adaptive-moderation update, then the adaptive levels' minimum
# intervals and the thresholds between them (``adaptive_depth`` columns each)
_RF_CAP, _RF_DELAY, _RF_FRAMES, _RF_MIN_INTERVAL, _RF_LAST_FIRE, _RF_ARM_TIME, _RF_BYTES = range(7)
_RF_LEVELS = 7
# ring_i[ring, :] (int64): serving core, FIFO head and count, interrupt armed, drops (all, of
# window packets), window packets served; adaptive moderation: current level, number of levels
# (0: fixed moderation), smoothing on, packets taken since the last update
_RI_CORE, _RI_HEAD, _RI_COUNT, _RI_ARMED, _RI_DROPS, _RI_WINDOW_DROPS, _RI_WINDOW_PACKETS = range(7)
_RI_LEVEL, _RI_N_LEVELS, _RI_SMOOTH, _RI_PACKETS = 7, 8, 9, 10
# the packet-count dynamic ITR (``adaptive_algorithm = "ixgbe-itr"``): the algorithm, the current
# interval in whole microseconds, the RX and (idle) TX ring containers' ITR values (microseconds
# plus the latency flag), the tick of the last update, a link at 2.5 Gb/s or below, the tick (ns)
_RI_ALGO, _RI_ITR_US, _RI_RX_ITR, _RI_TX_ITR, _RI_TICK_AT, _RI_SLOW_LINK, _RI_TICK_NS = range(11, 18)
_N_RI = 18
ADAPTIVE_KINDS = {"levels": 0, "ixgbe-itr": 1}
# ixgbe.h since Linux 4.17: IXGBE_ITR_ADAPTIVE_MIN_INC, _MIN_USECS, _MAX_USECS, _LATENCY (a flag bit)
ITR_MIN_INC, ITR_MIN_USECS, ITR_MAX_USECS, ITR_LATENCY = 2, 10, 126, 0x80
ITR_START_US = 50                    # IXGBE_20K_ITR (200 quarter microseconds): the vector's first interval
_NO_TICK = -(1 << 62)                # no update yet: the first one finds its counts stale, as the driver's
# A packet in a ring slot (slot_f[ring, slot, :], slot_i[ring, slot, :]) or held for the next
# chunk (held_f[k, :], held_i[k, :], which adds its ring)
_S_T, _S_T0, _S_WORK = 0, 1, 2
_S_SIZE, _S_FLOW, _S_PID, _H_RING = 0, 1, 2, 3
# Departures (rows of out_f, out_i, out_s) and drops (rows of drop_f, drop_i)
_O_DEP, _O_T0, _O_PICK, _O_ARRIVAL = 0, 1, 2, 3
_O_PID, _O_RING = 0, 1
_O_SIZE, _O_FLOW = 0, 1
_D_T, _D_T0 = 0, 1
_D_PID, _D_RING = 0, 1


class _State(NamedTuple):
    """A ring server's packed state, carried across chunks: the kernel's first argument.

    The kernel unpacks it once at its top: a tuple of arrays handed to inlined code costs numba
    reference counting on every use."""

    core_f: np.ndarray        # (cores, _CF_CSTATES + 2 * depth) float64
    core_i: np.ndarray        # (cores, _N_CI) int64
    core_l: np.ndarray        # (cores, 2, rings) int64
    counters: np.ndarray      # (cores, _N_COUNTERS) float64
    ring_f: np.ndarray        # (rings, _RF_LEVELS + 2 * adaptive depth) float64
    ring_i: np.ndarray        # (rings, _N_RI) int64
    slot_f: np.ndarray        # (rings, width, 3) float64: arrival, offer time, work
    slot_i: np.ndarray        # (rings, width, 3) int64: size, flow, packet id
    wait_counts: np.ndarray   # histogram arrival -> pick (RingServer.wait)
    wait_stats: np.ndarray
    work_counts: np.ndarray   # histogram pick -> departure (RingServer.work)
    work_stats: np.ndarray
    window_ns: np.ndarray     # (2,) float64: statistics window [lo, hi]


# ----------------------------------------------------------------------------------------------
# The kernel


@numba.njit(cache=True, nogil=True, inline="always")
def _clip(s, e, lo, hi):
    """Length of [s, e) inside the statistics window [lo, hi]."""
    if e > hi:
        e = hi
    if s < lo:
        s = lo
    return e - s if e > s else 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def _take_batch(slot_f, slot_i, r, head, n, t, d, n_out, out_f, out_i, out_s, detail, lo, hi, wait_counts,
                work_counts, wst, kst):
    """A poll at ``t`` takes the ``n`` packets of ring ``r`` from slot ``head`` on, its work starting
    at ``d``: departures from ``n_out`` on; the window's go to the wait and work histograms.
    Returns (end of the work, wait stats, work stats, window packets taken)."""
    width = slot_f.shape[1]
    window_packets = 0
    for k in range(n):
        j = head + k
        if j >= width:
            j -= width
        d += slot_f[r, j, _S_WORK]
        t0 = slot_f[r, j, _S_T0]
        o = n_out + k
        out_f[_O_DEP, o] = d
        out_f[_O_T0, o] = t0
        out_i[_O_PID, o] = slot_i[r, j, _S_PID]
        out_s[_O_SIZE, o] = slot_i[r, j, _S_SIZE]
        out_s[_O_FLOW, o] = slot_i[r, j, _S_FLOW]
        if detail:
            out_f[_O_PICK, o] = t
            out_f[_O_ARRIVAL, o] = slot_f[r, j, _S_T]
            out_i[_O_RING, o] = r
        if t0 >= lo and d <= hi:
            window_packets += 1
            wst = hist_add(wait_counts, wst, t - slot_f[r, j, _S_T], SUB_BITS)
            kst = hist_add(work_counts, kst, d - t, SUB_BITS)
    return d, wst, kst, window_packets


@numba.njit(cache=True, nogil=True, inline="always")
def _take_burst(slot_f, slot_i, r, head, n, t, d, n_out, out_f, out_i, out_s, detail, lo, hi, wait_counts,
                work_counts, wst, kst):
    """``_take_batch`` for a core that sends a poll's packets as one burst: the work is summed in the
    same order, then every packet departs at its end (its work time is pick -> that end).

    The departure-writing loop repeats ``_take_batch``'s on purpose: sharing it as an inlined helper
    returning a tuple halved the poll-ring kernel's speed (measured, 11.6 -> 5.2 M packets/CPU-s)."""
    width = slot_f.shape[1]
    for k in range(n):
        j = head + k
        if j >= width:
            j -= width
        d += slot_f[r, j, _S_WORK]
    window_packets = 0
    for k in range(n):
        j = head + k
        if j >= width:
            j -= width
        t0 = slot_f[r, j, _S_T0]
        o = n_out + k
        out_f[_O_DEP, o] = d
        out_f[_O_T0, o] = t0
        out_i[_O_PID, o] = slot_i[r, j, _S_PID]
        out_s[_O_SIZE, o] = slot_i[r, j, _S_SIZE]
        out_s[_O_FLOW, o] = slot_i[r, j, _S_FLOW]
        if detail:
            out_f[_O_PICK, o] = t
            out_f[_O_ARRIVAL, o] = slot_f[r, j, _S_T]
            out_i[_O_RING, o] = r
        if t0 >= lo and d <= hi:
            window_packets += 1
            wst = hist_add(wait_counts, wst, t - slot_f[r, j, _S_T], SUB_BITS)
            kst = hist_add(work_counts, kst, d - t, SUB_BITS)
    return d, wst, kst, window_packets


@numba.njit(cache=True, nogil=True, inline="always")
def menu_bucket(timer_ns):
    """menu's which_bucket (no I/O waiters): the decade of the next timer's distance, 10 us to 100 ms."""
    if timer_ns < 10_000.0:
        return 0
    if timer_ns < 100_000.0:
        return 1
    if timer_ns < 1_000_000.0:
        return 2
    if timer_ns < 10_000_000.0:
        return 3
    if timer_ns < 100_000_000.0:
        return 4
    return 5


@numba.njit(cache=True, nogil=True, inline="always")
def _put_slot(slot_f, slot_i, r, j, a, t0, work, size, flow, pid):
    """A packet arriving at ``a`` takes slot ``j`` of ring ``r``."""
    slot_f[r, j, _S_T] = a
    slot_f[r, j, _S_T0] = t0
    slot_f[r, j, _S_WORK] = work
    slot_i[r, j, _S_SIZE] = size
    slot_i[r, j, _S_FLOW] = flow
    slot_i[r, j, _S_PID] = pid


@numba.njit(cache=True, nogil=True, inline="always")
def _put_drop(drop_f, drop_i, k, a, t0, pid, r):
    """Drop record ``k``: a packet arriving at ``a`` found ring ``r`` full."""
    drop_f[_D_T, k] = a
    drop_f[_D_T0, k] = t0
    drop_i[_D_PID, k] = pid
    drop_i[_D_RING, k] = r


@numba.njit(cache=True, nogil=True)
def _serve_core(st, c, arr, cur, horizon_ns, out, n_out, drops, n_drop, detail):
    """Advance core ``c`` to ``horizon_ns``: each of its arrivals, in time order, is admitted after
    the decisions that come before it (docs/models/engine.md, "Ring server").

    ``arr`` holds the chunk's arrivals (columns, and ``order``: each core's, grouped) and those held
    from the last chunk (``held_f``, ``held_i``); ``cur`` = [next held, end, next new, end] for this
    core, advanced in place. Departures go to ``out`` from ``n_out`` on, drops to ``drops`` from
    ``n_drop`` on. Returns (n_out, n_drop).

    The steps are closures over the unpacked arrays: numba inlines them without the reference
    counting that array arguments of inlined helpers cost where they branch.
    """
    ring_f, ring_i, slot_f, slot_i = st.ring_f, st.ring_i, st.slot_f, st.slot_i
    wait_counts, work_counts = st.wait_counts, st.work_counts
    t_in, ring_in, t0_in, size_in, flow_in, pid_in, work_in, order, held_f, held_i = arr
    out_f, out_i, out_s = out
    drop_f, drop_i = drops
    lo, hi = st.window_ns[0], st.window_ns[1]
    cf, ci, acc = st.core_f[c], st.core_i[c], st.counters[c]
    rings = st.core_l[c, _CL_RINGS]
    poll_list = st.core_l[c, _CL_POLL_LIST]
    nr = ci[_CI_N_RINGS]
    width = slot_f.shape[1]
    depth = (cf.shape[0] - _CF_CSTATES) // 2
    mode = int(cf[_P_MODE])
    batch = int(cf[_P_BATCH])
    poll_cost = cf[_P_POLL]
    empty_cost = cf[_P_EMPTY]
    irq_cost = cf[_P_IRQ]
    direct = order.shape[0] == 0          # a single core takes the chunk's arrivals as they are
    # the optional mechanisms, decided once (the default path only tests these locals)
    menu = cf[_P_GOVERNOR] != 0.0
    corrected = cf[_P_GOVERNOR] == 2.0            # menu with its correction factors
    next_timer = cf[_P_NEXT_TIMER]
    halt_poll = cf[_P_HALT_POLL]
    burst = cf[_P_BURST] != 0.0
    adepth = (ring_f.shape[1] - _RF_LEVELS) // 2
    adaptive = False                      # some ring with adaptive moderation (a poll core never arms)
    if mode != _POLL:
        for l in range(nr):
            if ring_i[rings[l], _RI_N_LEVELS] > 0:
                adaptive = True

    def cstate_exit(idle_ns):
        """Exit latency of the deepest C-state whose target residency fits the idle period."""
        ex = 0.0
        for k in range(depth):
            if cf[_CF_CSTATES + depth + k] <= idle_ns:
                ex = cf[_CF_CSTATES + k]
        return ex

    def cstate_pick(x):
        """(exit latency, target residency) of the deepest C-state whose residency is <= x; (0, 0)
        if none."""
        ex = 0.0
        res = 0.0
        for k in range(depth):
            if cf[_CF_CSTATES + depth + k] <= x:
                ex = cf[_CF_CSTATES + k]
                res = cf[_CF_CSTATES + depth + k]
        return ex, res

    def typical_interval():
        """The menu governor's repeating-interval detector: the mean of the last 8 idle periods if
        their spread is small, else the same without the largest while at least 6 remain; inf if
        there is none (or fewer than 8 periods so far). ``spread`` is count^2 x variance."""
        if ci[_CI_HIST_N] < MENU_INTERVALS:
            return np.inf
        sd = cf[_P_MENU_STDDEV]
        thresh = np.inf
        while True:
            s1 = 0.0
            s2 = 0.0
            cnt = 0
            top = -np.inf
            for k in range(MENU_INTERVALS):
                v = cf[_CF_HIST + k]
                if v < thresh:
                    s1 += v
                    s2 += v * v
                    cnt += 1
                    if v > top:
                        top = v
            spread = cnt * s2 - s1 * s1
            if (s1 * s1 > 36.0 * spread and 4 * cnt >= 3 * MENU_INTERVALS) or spread <= sd * sd * cnt * cnt:
                return s1 / cnt
            if 4 * cnt <= 3 * MENU_INTERVALS:
                return np.inf
            thresh = top

    def menu_exit(timer, idle_ns):
        """The menu governor, with the next timer ``timer`` ns away, for an idle period that really
        lasts ``idle_ns``: the timer (``menu-corrected``: scaled by its bucket's correction factor),
        bounded by the typical interval, picks the deepest C-state whose residency fits (a miss if
        it does not fit the real period); then the factor learns the measured period over the timer
        and the real period joins the history. Returns the state's exit latency."""
        pred = timer
        b = -1
        if corrected and 0.0 < timer < np.inf:
            b = menu_bucket(timer)
            pred = float((int(timer) * ci[_CI_CORR + b] + (MENU_RESOLUTION * MENU_DECAY) // 2)
                         // (MENU_RESOLUTION * MENU_DECAY))
        typ = typical_interval()
        if typ < pred:
            pred = typ
        ex, res = cstate_pick(pred)
        if res > idle_ns:
            acc[_A_GOVERNOR_MISSES] += 1.0
        if b >= 0:
            # the kernel measures the residency with the exit in it, then takes the exit out
            measured = idle_ns if idle_ns > ex else 0.5 * (idle_ns + ex)
            if measured > timer:
                measured = timer
            corr = ci[_CI_CORR + b]
            corr -= corr // MENU_DECAY
            if measured < MENU_MAX_INTERESTING_NS:
                corr += (MENU_RESOLUTION * int(measured)) // int(timer)
            else:
                corr += MENU_RESOLUTION
            ci[_CI_CORR + b] = corr
        n_hist = ci[_CI_HIST_N]
        cf[_CF_HIST + n_hist % MENU_INTERVALS] = idle_ns
        ci[_CI_HIST_N] = n_hist + 1
        return ex

    def itr_size(itr, avg, slow):
        """ixgbe_update_itr's interval from the average frame size (the bulk formula; halved in
        latency mode), added to ``itr`` (which carries the latency flag)."""
        if avg <= 60:
            w = 5120
        elif avg <= 316:
            w = avg * 40 + 2720
        elif avg <= 1084:
            w = avg * 15 + 11452
        elif avg < 1968:
            w = avg * 5 + 22420
        else:
            w = 32256
        if itr & ITR_LATENCY:
            w >>= 1
        if slow:
            if w > 8064:
                w = 8064
            return itr + (w + ITR_MIN_INC * 64 - 1) // (ITR_MIN_INC * 64) * ITR_MIN_INC
        return itr + (w + ITR_MIN_INC * 256 - 1) // (ITR_MIN_INC * 256) * ITR_MIN_INC

    def itr_update(r, t):
        """The packet-count dynamic ITR of ring ``r`` re-armed at ``t`` (ixgbe_update_itr for the
        RX container and for an idle TX container, then ixgbe_set_itr: the smaller, flag cleared)."""
        cur = ring_i[r, _RI_ITR_US]
        packets = ring_i[r, _RI_PACKETS]
        nbytes = int(ring_f[r, _RF_BYTES])
        tick = int(np.floor(t / ring_i[r, _RI_TICK_NS]))
        grown = cur + ITR_MIN_INC if cur + ITR_MIN_INC < ITR_MAX_USECS else ITR_MAX_USECS
        if tick > ring_i[r, _RI_TICK_AT] + 1:            # counts older than a tick or two: latency mode
            rx = ITR_MIN_USECS | ITR_LATENCY
            tx = rx
        else:
            tx = grown + (ring_i[r, _RI_TX_ITR] & ITR_LATENCY)
            if packets == 0:
                rx = grown + (ring_i[r, _RI_RX_ITR] & ITR_LATENCY)
            elif packets < 4 and nbytes < 9000:
                rx = itr_size(ITR_LATENCY, nbytes // packets, ring_i[r, _RI_SLOW_LINK] != 0)
            elif packets < 48:
                rx = grown
            elif packets < 96:
                rx = cur
            elif packets < 256:
                rx = cur >> 1 if (cur >> 1) > ITR_MIN_USECS else ITR_MIN_USECS
            else:
                rx = itr_size(0, nbytes // packets, ring_i[r, _RI_SLOW_LINK] != 0)
        ring_i[r, _RI_RX_ITR] = rx
        ring_i[r, _RI_TX_ITR] = tx
        ring_i[r, _RI_TICK_AT] = tick
        new = (rx if rx < tx else tx) & (ITR_LATENCY - 1)
        ring_i[r, _RI_ITR_US] = new
        ring_f[r, _RF_MIN_INTERVAL] = 1000.0 * new
        ring_f[r, _RF_BYTES] = 0.0
        ring_i[r, _RI_PACKETS] = 0

    def adapt(r, t):
        """Adaptive moderation of ring ``r`` as it is re-armed at ``t``: the packet-count dynamic
        ITR (``itr_update``), or the levels (ixgbe's before 2018): from the bytes taken since the
        last update per microsecond of the current interval, move at most one level, then set the
        interval to that level's (smoothed, if asked). No packets: no update of the levels."""
        if ring_i[r, _RI_ALGO] == 1:
            itr_update(r, t)
            return
        if ring_i[r, _RI_PACKETS] == 0:
            return
        cur = ring_f[r, _RF_MIN_INTERVAL]
        rate = 1000.0 * ring_f[r, _RF_BYTES] / cur
        lvl = ring_i[r, _RI_LEVEL]
        if lvl < ring_i[r, _RI_N_LEVELS] - 1 and rate > ring_f[r, _RF_LEVELS + adepth + lvl]:
            lvl += 1
        elif lvl > 0 and rate <= ring_f[r, _RF_LEVELS + adepth + lvl - 1]:
            lvl -= 1
        target = ring_f[r, _RF_LEVELS + lvl]
        if target != cur:
            if ring_i[r, _RI_SMOOTH] != 0:
                target = 10.0 * target * cur / (9.0 * target + cur)
            ring_f[r, _RF_MIN_INTERVAL] = target
        ring_i[r, _RI_LEVEL] = lvl
        ring_f[r, _RF_BYTES] = 0.0
        ring_i[r, _RI_PACKETS] = 0

    def fire_time(r):
        """When ring ``r`` raises its interrupt; inf while it is disarmed or empty."""
        cnt = ring_i[r, _RI_COUNT]
        f = np.inf
        if ring_i[r, _RI_ARMED] != 0 and cnt > 0:
            head = ring_i[r, _RI_HEAD]
            f = slot_f[r, head, _S_T] + ring_f[r, _RF_DELAY]
            frames = int(ring_f[r, _RF_FRAMES])
            if frames >= 1 and cnt >= frames:
                j = head + frames - 1
                if j >= width:
                    j -= width
                if slot_f[r, j, _S_T] < f:
                    f = slot_f[r, j, _S_T]
            g = ring_f[r, _RF_LAST_FIRE] + ring_f[r, _RF_MIN_INTERVAL]
            if g > f:
                f = g
            if ring_f[r, _RF_ARM_TIME] > f:
                f = ring_f[r, _RF_ARM_TIME]
        return f

    def earliest_fire():
        """The earliest interrupt among the core's rings: (time, local ring); ties: lower index."""
        f_min = np.inf
        l_min = -1
        for l in range(nr):
            f = fire_time(rings[l])
            if f < f_min:
                f_min = f
                l_min = l
        return f_min, l_min

    def fire(l, f):
        """Local ring ``l`` raises its interrupt at ``f``: it is disarmed until re-armed."""
        ring_i[rings[l], _RI_ARMED] = 0
        ring_f[rings[l], _RF_LAST_FIRE] = f
        acc[_A_INTERRUPTS] += 1.0

    def arm(r, t):
        ring_i[r, _RI_ARMED] = 1
        ring_f[r, _RF_ARM_TIME] = t
        if adaptive and ring_i[r, _RI_N_LEVELS] > 0:
            adapt(r, t)

    def block(t):
        """The core blocks at ``t``: it halt-polls (spins) until ``t + halt_poll``, idle from then."""
        cf[_CF_HALT_FROM] = t
        cf[_CF_IDLE_SINCE] = t + halt_poll

    def push(l):
        """Append local ring ``l`` to the tail of the poll list."""
        pos = ci[_CI_PL_HEAD] + ci[_CI_PL_LEN]
        if pos >= nr:
            pos -= nr
        poll_list[pos] = l
        ci[_CI_PL_LEN] += 1

    def pop():
        """Take the head of the poll list (a local ring index)."""
        h = ci[_CI_PL_HEAD]
        ci[_CI_PL_HEAD] = h + 1 if h + 1 < nr else 0
        ci[_CI_PL_LEN] -= 1
        return poll_list[h]

    def wake(f, l):
        """The blocked core is woken by local ring ``l``'s interrupt at ``f``: idle until then and
        through the C-state exit, then IRQ and wake-up costs (overhead). An interrupt caught in
        the halt-poll window costs the spin until it and the IRQ only. An interrupt-mode core
        polls that ring next; a hybrid core turns interrupts off and polls round-robin from it.
        Returns when the core runs again."""
        idle_since = cf[_CF_IDLE_SINCE]
        t = f
        if halt_poll > 0.0 and f < idle_since:
            acc[_A_SPIN] += _clip(cf[_CF_HALT_FROM], f, lo, hi)
            fire(l, f)
            acc[_A_HALT_POLL_HITS] += 1.0
            acc[_A_OVERHEAD] += _clip(t, t + irq_cost, lo, hi)
            t += irq_cost
        else:
            if halt_poll > 0.0:
                acc[_A_SPIN] += _clip(cf[_CF_HALT_FROM], idle_since, lo, hi)
            acc[_A_IDLE] += _clip(idle_since, f, lo, hi)
            ex = menu_exit(next_timer, f - idle_since) if menu else cstate_exit(f - idle_since)
            if ex > 0.0:
                acc[_A_CSTATE_EXITS] += 1.0
            fire(l, f)
            acc[_A_WAKEUPS] += 1.0
            acc[_A_IDLE] += _clip(t, t + ex, lo, hi)
            t += ex
            cost = irq_cost + cf[_P_WAKE]
            acc[_A_OVERHEAD] += _clip(t, t + cost, lo, hi)
            t += cost
        if mode == _HYBRID:
            for k in range(nr):
                ring_i[rings[k], _RI_ARMED] = 0
            ci[_CI_EMPTY] = 0
            ci[_CI_RR] = l
            cf[_CF_LAST_BUSY] = t
        else:
            push(l)
        return t

    def poll(r, t, n, n_out, wst, kst):
        """Take the ``n > 0`` oldest packets of ring ``r`` at ``t``: departures from ``n_out`` on;
        the window's go to the wait and work histograms (stats in locals). Returns the end."""
        acc[_A_OVERHEAD] += _clip(t, t + poll_cost, lo, hi)
        head = ring_i[r, _RI_HEAD]
        d0 = t + poll_cost
        if adaptive and ring_i[r, _RI_N_LEVELS] > 0:
            taken = 0
            for k in range(n):
                j = head + k
                if j >= width:
                    j -= width
                taken += slot_i[r, j, _S_SIZE]
            ring_f[r, _RF_BYTES] += taken
            ring_i[r, _RI_PACKETS] += n
        if burst:
            d, wst, kst, window_packets = _take_burst(slot_f, slot_i, r, head, n, t, d0, n_out, out_f, out_i, out_s,
                                                      detail, lo, hi, wait_counts, work_counts, wst, kst)
        else:
            d, wst, kst, window_packets = _take_batch(slot_f, slot_i, r, head, n, t, d0, n_out, out_f, out_i,
                                                      out_s, detail, lo, hi, wait_counts, work_counts, wst, kst)
        acc[_A_USEFUL] += _clip(d0, d, lo, hi)
        acc[_A_PACKETS] += n
        ring_i[r, _RI_WINDOW_PACKETS] += window_packets
        head += n
        if head >= width:
            head -= width
        ring_i[r, _RI_HEAD] = head
        ring_i[r, _RI_COUNT] -= n
        return d, wst, kst

    def after_empty_poll(t):
        """A hybrid core after an empty poll ending at ``t``: block (every ring armed), sleep, or
        go on polling. Returns (time of the next decision, run state)."""
        e = ci[_CI_EMPTY] + 1
        ci[_CI_EMPTY] = e
        block_polls = int(cf[_P_BLOCK_POLLS])
        block_idle = cf[_P_BLOCK_IDLE]
        sleep_after = int(cf[_P_SLEEP_AFTER])
        state = _RUN
        if (block_polls > 0 and e >= block_polls) or (block_idle > 0.0 and t - cf[_CF_LAST_BUSY] >= block_idle):
            for k in range(nr):
                arm(rings[k], t)
            block(t)
            state = _BLOCKED
        elif sleep_after > 0 and e >= sleep_after:
            sleep_ns = cf[_P_SLEEP_NS]
            acc[_A_SLEEPS] += 1.0
            if cf[_P_SLEEP_SPINS] != 0.0:          # a busy-wait (DPDK's rte_delay_us): the core stays in C0
                acc[_A_SPIN] += _clip(t, t + sleep_ns, lo, hi)
                t += sleep_ns
            else:
                ex = menu_exit(sleep_ns, sleep_ns) if menu else cstate_exit(sleep_ns)
                acc[_A_IDLE] += _clip(t, t + sleep_ns + ex, lo, hi)
                if ex > 0.0:
                    acc[_A_CSTATE_EXITS] += 1.0
                t += sleep_ns + ex
                if cf[_P_SLEEP_WAKEUP] != 0.0:     # the timer interrupt and context switch after it
                    w = cf[_P_WAKE]
                    acc[_A_OVERHEAD] += _clip(t, t + w, lo, hi)
                    t += w
        return t, state

    def admit(r, a, t0, work, size, flow, pid, n_drop):
        """An arrival at ``a`` to ring ``r`` (sizes and flows as int64): tail drop if the ring is full
        (written at ``n_drop``), else appended. Returns whether it was admitted."""
        cnt = ring_i[r, _RI_COUNT]
        ok = cnt < int(ring_f[r, _RF_CAP])
        if ok:
            j = ring_i[r, _RI_HEAD] + cnt
            if j >= width:
                j -= width
            _put_slot(slot_f, slot_i, r, j, a, t0, work, size, flow, pid)
            ring_i[r, _RI_COUNT] = cnt + 1
        else:
            _put_drop(drop_f, drop_i, n_drop, a, t0, pid, r)
            ring_i[r, _RI_DROPS] += 1
            if t0 >= lo:
                ring_i[r, _RI_WINDOW_DROPS] += 1
        return ok

    if nr == 0:
        return n_out, n_drop              # a core with no rings does nothing (it stays blocked: idle)
    queued = 0                            # packets in the core's rings (is the core busy?)
    for l in range(nr):
        queued += ring_i[rings[l], _RI_COUNT]
    wst = stats_load(st.wait_stats)
    kst = stats_load(st.work_stats)
    t = cf[_CF_T]
    state = ci[_CI_STATE]
    kh, kh_end, kn, kn_end = cur[0], cur[1], cur[2], cur[3]

    while True:
        # The core's next arrival, held-over or new, by (time, packet id); held first on ties.
        if kn < kn_end:
            j = kn if direct else order[kn]
            a = t_in[j]
        else:
            j = 0
            a = np.inf
        use_held = False
        if kh < kh_end:
            th = held_f[kh, _S_T]
            use_held = not (a < th or (a == th and pid_in[j] < held_i[kh, _S_PID]))
            if use_held:
                a = th
        until = a if a < horizon_ns else horizon_ns

        # Every decision of the core before `until` (every arrival up to a decision's time is in).
        while True:
            if state == _RUN and not t < until:
                break
            if state == _BLOCKED or mode == _INTERRUPT:
                f, l = earliest_fire()
            if state == _BLOCKED:
                if not f < until:
                    break
                t = wake(f, l)
                state = _RUN
                continue
            if mode == _INTERRUPT:
                # interrupts raised while running: handler cost, the ring joins the poll list
                if f <= t:
                    fire(l, f)
                    acc[_A_OVERHEAD] += _clip(t, t + irq_cost, lo, hi)
                    t += irq_cost
                    push(l)
                    continue
                if ci[_CI_PL_LEN] == 0:
                    state = _BLOCKED
                    block(t)
                    continue
                l = pop()
            else:
                l = ci[_CI_RR]
                if mode == _POLL and queued == 0:
                    # nothing to take before `until`: the empty polls up to it in one step
                    m = np.ceil((until - t) / empty_cost)
                    if m < 1.0:
                        m = 1.0
                    t_new = t + m * empty_cost
                    acc[_A_SPIN] += _clip(t, t_new, lo, hi)
                    acc[_A_POLLS] += m
                    acc[_A_EMPTY_POLLS] += m
                    if nr > 1:
                        ci[_CI_RR] = (l + int(m)) % nr
                    t = t_new
                    continue
                ci[_CI_RR] = l + 1 if l + 1 < nr else 0

            # Poll local ring l at t.
            r = rings[l]
            cnt = ring_i[r, _RI_COUNT]
            n = cnt if cnt < batch else batch
            acc[_A_POLLS] += 1.0
            if n == 0:
                acc[_A_EMPTY_POLLS] += 1.0
                acc[_A_SPIN] += _clip(t, t + empty_cost, lo, hi)
                t += empty_cost
                if mode == _INTERRUPT:
                    arm(r, t)
                elif mode == _HYBRID:
                    t, state = after_empty_poll(t)
                continue
            t, wst, kst = poll(r, t, n, n_out, wst, kst)
            n_out += n
            queued -= n
            if mode == _INTERRUPT:
                if n == batch:
                    push(l)
                else:
                    arm(r, t)
            else:
                ci[_CI_EMPTY] = 0
                cf[_CF_LAST_BUSY] = t

        if not a < horizon_ns:
            break
        # Admit (or tail-drop) the arrival: the one place packets enter rings.
        if use_held:
            r, t0, work, pid = held_i[kh, _H_RING], held_f[kh, _S_T0], held_f[kh, _S_WORK], held_i[kh, _S_PID]
            size, flow = held_i[kh, _S_SIZE], held_i[kh, _S_FLOW]
            kh += 1
        else:
            r, t0, work, pid, size, flow = ring_in[j], t0_in[j], work_in[j], pid_in[j], size_in[j], flow_in[j]
            kn += 1
        if admit(r, a, t0, work, size, flow, pid, n_drop):
            queued += 1
        else:
            n_drop += 1

    cf[_CF_T] = t
    ci[_CI_STATE] = state
    stats_store(st.wait_stats, wst)
    stats_store(st.work_stats, kst)
    cur[0], cur[2] = kh, kn
    return n_out, n_drop


@numba.njit(cache=True, nogil=True)
def _serve_poll_ring(st, c, arr, cur, horizon_ns, out, n_out, drops, n_drop, detail):
    """``_serve_core`` for a poll-mode core with one ring (the PMD case): the same decisions and the
    same arithmetic in the same order, with the ring and the counters kept in locals."""
    ring_f, ring_i, slot_f, slot_i = st.ring_f, st.ring_i, st.slot_f, st.slot_i
    wait_counts, work_counts = st.wait_counts, st.work_counts
    t_in, ring_in, t0_in, size_in, flow_in, pid_in, work_in, order, held_f, held_i = arr
    out_f, out_i, out_s = out
    drop_f, drop_i = drops
    lo, hi = st.window_ns[0], st.window_ns[1]
    cf, ci, acc = st.core_f[c], st.core_i[c], st.counters[c]
    r = st.core_l[c, _CL_RINGS, 0]
    width = slot_f.shape[1]
    batch = int(cf[_P_BATCH])
    poll_cost = cf[_P_POLL]
    empty_cost = cf[_P_EMPTY]
    cap = int(ring_f[r, _RF_CAP])
    direct = order.shape[0] == 0
    burst = cf[_P_BURST] != 0.0
    head = ring_i[r, _RI_HEAD]
    cnt = ring_i[r, _RI_COUNT]
    drops_all = ring_i[r, _RI_DROPS]
    drops_win = ring_i[r, _RI_WINDOW_DROPS]
    win_packets = ring_i[r, _RI_WINDOW_PACKETS]
    a_useful, a_overhead, a_spin = acc[_A_USEFUL], acc[_A_OVERHEAD], acc[_A_SPIN]
    a_polls, a_empty, a_packets = acc[_A_POLLS], acc[_A_EMPTY_POLLS], acc[_A_PACKETS]
    wst = stats_load(st.wait_stats)
    kst = stats_load(st.work_stats)
    t = cf[_CF_T]
    last_busy = cf[_CF_LAST_BUSY]
    busy = False
    kh, kh_end, kn, kn_end = cur[0], cur[1], cur[2], cur[3]

    while True:
        # The next arrival, as in _serve_core (kept inline: as a helper returning a tuple it costs
        # this kernel twice its time)
        if kn < kn_end:
            j = kn if direct else order[kn]
            a = t_in[j]
        else:
            j = 0
            a = np.inf
        use_held = False
        if kh < kh_end:
            th = held_f[kh, _S_T]
            use_held = not (a < th or (a == th and pid_in[j] < held_i[kh, _S_PID]))
            if use_held:
                a = th
        until = a if a < horizon_ns else horizon_ns

        while t < until:
            if cnt == 0:
                m = np.ceil((until - t) / empty_cost)
                if m < 1.0:
                    m = 1.0
                t_new = t + m * empty_cost
                a_spin += _clip(t, t_new, lo, hi)
                a_polls += m
                a_empty += m
                t = t_new
                continue
            n = cnt if cnt < batch else batch
            a_polls += 1.0
            a_overhead += _clip(t, t + poll_cost, lo, hi)
            d0 = t + poll_cost
            if burst:
                d, wst, kst, taken = _take_burst(slot_f, slot_i, r, head, n, t, d0, n_out, out_f, out_i, out_s,
                                                 detail, lo, hi, wait_counts, work_counts, wst, kst)
            else:
                d, wst, kst, taken = _take_batch(slot_f, slot_i, r, head, n, t, d0, n_out, out_f, out_i, out_s,
                                                 detail, lo, hi, wait_counts, work_counts, wst, kst)
            win_packets += taken
            a_useful += _clip(d0, d, lo, hi)
            a_packets += n
            head += n
            if head >= width:
                head -= width
            cnt -= n
            n_out += n
            t = d
            busy = True
            last_busy = t

        if not a < horizon_ns:
            break
        if use_held:
            t0, work, pid = held_f[kh, _S_T0], held_f[kh, _S_WORK], held_i[kh, _S_PID]
            size, flow = held_i[kh, _S_SIZE], held_i[kh, _S_FLOW]
            kh += 1
        else:
            t0, work, pid, size, flow = t0_in[j], work_in[j], pid_in[j], size_in[j], flow_in[j]
            kn += 1
        if cnt < cap:
            jj = head + cnt
            if jj >= width:
                jj -= width
            _put_slot(slot_f, slot_i, r, jj, a, t0, work, size, flow, pid)
            cnt += 1
        else:
            _put_drop(drop_f, drop_i, n_drop, a, t0, pid, r)
            n_drop += 1
            drops_all += 1
            if t0 >= lo:
                drops_win += 1

    acc[_A_USEFUL], acc[_A_OVERHEAD], acc[_A_SPIN] = a_useful, a_overhead, a_spin
    acc[_A_POLLS], acc[_A_EMPTY_POLLS], acc[_A_PACKETS] = a_polls, a_empty, a_packets
    ring_i[r, _RI_HEAD], ring_i[r, _RI_COUNT] = head, cnt
    ring_i[r, _RI_DROPS], ring_i[r, _RI_WINDOW_DROPS] = drops_all, drops_win
    ring_i[r, _RI_WINDOW_PACKETS] = win_packets
    if busy:
        ci[_CI_EMPTY] = 0
        cf[_CF_LAST_BUSY] = last_busy
    cf[_CF_T] = t
    stats_store(st.wait_stats, wst)
    stats_store(st.work_stats, kst)
    cur[0], cur[2] = kh, kn
    return n_out, n_drop


@numba.njit(cache=True, nogil=True)
def _hold(arr, cur, direct):
    """What each core has not admitted (arrivals at or after the horizon), held for the next chunk:
    its held-over and new arrivals merged by (time, packet id). Returns (held_f, held_i, start)."""
    t_in, ring_in, t0_in, size_in, flow_in, pid_in, work_in, order, held_f, held_i = arr
    n_c = cur.shape[0]
    start = np.zeros(n_c + 1, np.int64)
    for c in range(n_c):
        start[c + 1] = start[c] + (cur[c, 1] - cur[c, 0]) + (cur[c, 3] - cur[c, 2])
    out_f = np.empty((start[n_c], 3))
    out_i = np.empty((start[n_c], 4), np.int64)
    for c in range(n_c):
        kh, kh_end, kn, kn_end = cur[c, 0], cur[c, 1], cur[c, 2], cur[c, 3]
        for k in range(start[c], start[c + 1]):
            use_held = kh < kh_end
            j = 0
            if kn < kn_end:
                j = kn if direct else order[kn]
                if use_held:
                    th = held_f[kh, _S_T]
                    use_held = not (t_in[j] < th or (t_in[j] == th and pid_in[j] < held_i[kh, _S_PID]))
            if use_held:
                for col in range(3):
                    out_f[k, col] = held_f[kh, col]
                for col in range(4):
                    out_i[k, col] = held_i[kh, col]
                kh += 1
            else:
                out_f[k, _S_T], out_f[k, _S_T0], out_f[k, _S_WORK] = t_in[j], t0_in[j], work_in[j]
                out_i[k, _S_SIZE], out_i[k, _S_FLOW], out_i[k, _S_PID] = size_in[j], flow_in[j], pid_in[j]
                out_i[k, _H_RING] = ring_in[j]
                kn += 1
    return out_f, out_i, start


@numba.njit(cache=True, nogil=True)
def _order_ties(stage, lo, hi):
    """Put equal departure times in ``[lo, hi)`` in packet-id order, the engine's total order.

    A core departs in service (ring) order; packets that leave at the same instant (a TX burst,
    zero work) may then be out of id order. Rare and short: an insertion sort of whole rows."""
    st_f, st_i, st_s = stage
    for i in range(lo + 1, hi):
        if st_f[_O_DEP, i] != st_f[_O_DEP, i - 1] or st_i[_O_PID, i] > st_i[_O_PID, i - 1]:
            continue
        j = i
        while j > lo and st_f[_O_DEP, j] == st_f[_O_DEP, j - 1] and st_i[_O_PID, j] < st_i[_O_PID, j - 1]:
            for row in range(st_f.shape[0]):
                x = st_f[row, j]
                st_f[row, j] = st_f[row, j - 1]
                st_f[row, j - 1] = x
            for row in range(st_i.shape[0]):
                y = st_i[row, j]
                st_i[row, j] = st_i[row, j - 1]
                st_i[row, j - 1] = y
            for row in range(st_s.shape[0]):
                z = st_s[row, j]
                st_s[row, j] = st_s[row, j - 1]
                st_s[row, j - 1] = z
            j -= 1


@numba.njit(cache=True, nogil=True)
def _merge_cores(stage, first, count, out):
    """The cores' departures (runs ``[first[c], first[c] + count[c])`` of ``stage``, each ordered by
    (time, packet id)) merged into ``out`` as one such run: a k-way merge gathering every row."""
    st_f, st_i, st_s = stage
    m_f, m_i, m_s = out
    k = first.shape[0]
    total = 0
    for c in range(k):
        total += count[c]
    pos = first.copy()
    head_t = np.empty(k)                 # each run's next (time, id); +inf once it is used up
    head_k = np.zeros(k, np.int64)
    for c in range(k):
        if count[c] > 0:
            head_t[c] = st_f[_O_DEP, pos[c]]
            head_k[c] = st_i[_O_PID, pos[c]]
        else:
            head_t[c] = np.inf
    for i in range(total):
        best = 0
        bt = head_t[0]
        bk = head_k[0]
        for c in range(1, k):
            tt = head_t[c]
            if tt < bt or (tt == bt and head_k[c] < bk):
                best = c
                bt = tt
                bk = head_k[c]
        p = pos[best]
        for row in range(st_f.shape[0]):
            m_f[row, i] = st_f[row, p]
        for row in range(st_i.shape[0]):
            m_i[row, i] = st_i[row, p]
        m_s[_O_SIZE, i] = st_s[_O_SIZE, p]
        m_s[_O_FLOW, i] = st_s[_O_FLOW, p]
        p += 1
        pos[best] = p
        if p < first[best] + count[best]:
            head_t[best] = st_f[_O_DEP, p]
            head_k[best] = st_i[_O_PID, p]
        else:
            head_t[best] = np.inf
    return total


@numba.njit(cache=True, nogil=True)
def _group_by_core(ring_i, ring, n_cores, order):
    """Each core's arrivals, in time order: a counting sort of the arrival indices into ``order``;
    returns where each core's part starts."""
    start = np.zeros(n_cores + 1, np.int64)
    for i in range(ring.shape[0]):
        start[ring_i[ring[i], _RI_CORE] + 1] += 1
    for c in range(n_cores):
        start[c + 1] += start[c]
    pos = start[:-1].copy()
    for i in range(ring.shape[0]):
        c = ring_i[ring[i], _RI_CORE]
        order[pos[c]] = i
        pos[c] += 1
    return start


# ----------------------------------------------------------------------------------------------
# Specs and the Python-side driver (one kernel call per chunk)


@dataclass(frozen=True)
class CoreSpec:
    """How one core serves its rings (all times in ns).

    The fields after ``block_after_idle_ns`` are optional mechanisms; their defaults are the
    behaviour without them (docs/models/engine.md, "Ring server"):

    - ``governor``: how a core going idle picks its C-state. "oracle" knows the idle length;
      "menu" predicts it, as Linux's menu governor does, from the last 8 idle periods (their mean
      when the spread is small) bounded by ``next_timer_ns`` (an assumed next timer event: 4 ms,
      the tick at HZ=250), and can guess too deep (``governor_misses``). "menu-corrected" also
      scales the timer by menu's correction factor for its bucket (the timer's decade), which
      learns the measured idle period over the timer (an average, 1/8 new per period, from unity).
      ``menu_max_stddev_ns``: menu's "small spread" bound (20 us, i.e. variance <= 400 us^2).
    - ``halt_poll_ns``: a core about to block spins this long first (KVM's halt_poll_ns, fixed:
      its grow/shrink adaptation is not modelled); an interrupt in that window costs no C-state
      exit and no wake-up (``halt_poll_hits``).
    - ``sleep_spins``: a hybrid core's short sleep is a busy-wait (spin, C0), as DPDK's default
      rte_delay_us; ``sleep_wakeup``: a real sleep ends with the core's ``wakeup_ns`` (overhead).
    - ``burst_departures``: the packets of one poll all depart when its work ends (one TX burst).
    """

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
    governor: str = "oracle"
    next_timer_ns: float = 4_000_000.0
    menu_max_stddev_ns: float = 20_000.0
    halt_poll_ns: float = 0.0
    sleep_spins: bool = False
    sleep_wakeup: bool = False
    burst_departures: bool = False

    def vector(self) -> np.ndarray:
        """The core's parameters as the kernel reads them (a row of the packed core parameters)."""
        p = np.zeros(_CF_T)
        p[_P_MODE] = MODES[self.mode]
        p[_P_BATCH] = self.batch
        p[_P_POLL] = self.poll_cost_ns
        p[_P_EMPTY] = self.empty_poll_cost_ns
        p[_P_IRQ] = self.irq_cost_ns
        p[_P_WAKE] = self.wakeup_ns
        p[_P_SLEEP_AFTER] = self.sleep_after_empty_polls
        p[_P_SLEEP_NS] = self.sleep_ns
        p[_P_BLOCK_POLLS] = self.block_after_empty_polls
        p[_P_BLOCK_IDLE] = self.block_after_idle_ns
        if self.governor not in GOVERNORS:
            raise ModelError("governor", f"unknown idle governor {self.governor!r}",
                             f"one of {', '.join(GOVERNORS)}")
        if not self.halt_poll_ns >= 0.0:
            raise ModelError("halt_poll_ns", f"must be >= 0, got {self.halt_poll_ns}")
        p[_P_GOVERNOR] = GOVERNORS[self.governor]
        p[_P_NEXT_TIMER] = self.next_timer_ns
        p[_P_MENU_STDDEV] = self.menu_max_stddev_ns
        p[_P_HALT_POLL] = self.halt_poll_ns
        p[_P_SLEEP_SPINS] = self.sleep_spins
        p[_P_SLEEP_WAKEUP] = self.sleep_wakeup
        p[_P_BURST] = self.burst_departures
        return p


@dataclass(frozen=True)
class RingSpec:
    """One descriptor ring: its size, the core that serves it, and its interrupt moderation.

    Adaptive moderation (ixgbe's dynamic ITR, docs/models/engine.md): ``adaptive_levels_ns`` are
    the levels' minimum interrupt intervals, lowest latency first (ixgbe: 10 us, 50 us, about
    84 us), ``adaptive_thresholds_bpus`` the bytes per microsecond between them (ixgbe: 10, 20);
    the ring starts at the middle level and moves at most one level each time it is re-armed,
    ``adaptive_smoothing`` as ixgbe_set_itr smooths. Empty levels: fixed moderation; when set,
    ``coalesce_min_interval_ns`` is replaced by the current level's interval.

    ``adaptive_algorithm = "ixgbe-itr"`` is ixgbe's packet-count dynamic ITR since Linux 4.17
    instead (no levels or thresholds): the interval, in whole microseconds from 50 us, follows the
    packets and bytes taken between updates; ``adaptive_tick_ns`` is the kernel tick (counts older
    than one or two ticks are stale: the latency mode's 10 us), ``adaptive_slow_link`` a link at
    2.5 Gb/s or below (the size formula's other scale).
    """

    capacity: int
    core: int
    coalesce_delay_ns: float = 0.0
    coalesce_frames: int = 1
    coalesce_min_interval_ns: float = 0.0
    adaptive_levels_ns: tuple[float, ...] = ()
    adaptive_thresholds_bpus: tuple[float, ...] = ()
    adaptive_smoothing: bool = False
    adaptive_algorithm: str = "levels"
    adaptive_tick_ns: float = 4_000_000.0
    adaptive_slow_link: bool = False

    def check_adaptive(self) -> None:
        """Adaptive levels must be positive and come with one threshold fewer, non-decreasing;
        the packet-count ITR takes none, and a tick > 0."""
        levels, thresholds = self.adaptive_levels_ns, self.adaptive_thresholds_bpus
        if self.adaptive_algorithm not in ADAPTIVE_KINDS:
            raise ModelError("adaptive_algorithm", f"unknown adaptive algorithm {self.adaptive_algorithm!r}",
                             f"one of {', '.join(ADAPTIVE_KINDS)}")
        if self.adaptive_algorithm == "ixgbe-itr":
            if levels or thresholds or self.adaptive_smoothing:
                raise ModelError("adaptive_levels_ns", "the packet-count ITR has no levels, thresholds or smoothing",
                                 "leave them empty with adaptive_algorithm 'ixgbe-itr'")
            if not (self.adaptive_tick_ns >= 1.0 and np.isfinite(self.adaptive_tick_ns)):
                raise ModelError("adaptive_tick_ns", f"must be a finite tick >= 1 ns, got {self.adaptive_tick_ns}")
            return
        if not levels:
            if thresholds:
                raise ModelError("adaptive_thresholds_bpus", "thresholds without adaptive levels",
                                 "give adaptive_levels_ns too, or no thresholds")
            return
        if not all(x > 0 for x in levels):
            raise ModelError("adaptive_levels_ns", f"every level's interval must be > 0 ns, got {list(levels)}")
        if len(thresholds) != len(levels) - 1:
            raise ModelError("adaptive_thresholds_bpus", f"{len(levels)} levels need {len(levels) - 1} thresholds, "
                             f"got {len(thresholds)}")
        if any(b < a for a, b in zip(thresholds, thresholds[1:])):
            raise ModelError("adaptive_thresholds_bpus", f"thresholds must not decrease, got {list(thresholds)}")

    @property
    def adaptive_start_level(self) -> int:
        """The level an adaptive ring starts at: the middle one (ixgbe starts at 20k ints/s)."""
        return (len(self.adaptive_levels_ns) - 1) // 2


@dataclass
class ServerOutput:
    """What left the rings in one chunk (ordered by time, then packet id) and what was dropped at
    them (core by core, each in arrival order).

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


def _clip_py(s: float, e: float, lo: float, hi: float) -> float:
    e, s = min(e, hi), max(s, lo)
    return e - s if e > s else 0.0


class _Buffers:
    """Departure arrays (rows of out_f, out_i, out_s) reused from chunk to chunk.

    A set is handed out again only when no view of it is alive any more (downstream is done with
    those departures): fresh memory costs a page fault per 4 KiB written, a large share of a
    chunk's time otherwise.
    """

    def __init__(self, rows_f: int, rows_i: int, keep: int = 3) -> None:
        self.rows_f, self.rows_i, self.keep = rows_f, rows_i, keep
        self.sets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def take(self, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        for k, bufs in enumerate(self.sets):
            # references: this list's tuple, the loop variable, getrefcount's argument
            if all(sys.getrefcount(a) == 3 for a in bufs):
                if bufs[0].shape[1] >= cap:
                    return bufs
                del self.sets[k]
                break
        room = cap + cap // 4 + 16
        bufs = (np.empty((self.rows_f, room)), np.empty((self.rows_i, room), np.int64), np.empty((2, room), np.int32))
        if len(self.sets) < self.keep:
            self.sets.append(bufs)
        return bufs


class RingServer:
    """Rings served by cores, advanced chunk by chunk with all state carried."""

    def __init__(self, cores: list[CoreSpec], rings: list[RingSpec], stat_lo_ns: float = 0.0,
                 stat_hi_ns: float = np.inf, detail: bool = True) -> None:
        for r in rings:
            if not 0 <= r.core < len(cores):
                raise ValueError(f"ring served by core {r.core}, but there are {len(cores)} cores")
            if r.capacity < 1:
                raise ValueError("a ring holds at least one descriptor")
            r.check_adaptive()
        self.cores = cores
        self.rings = rings
        self.stat_lo_ns = stat_lo_ns
        self.stat_hi_ns = stat_hi_ns
        self.detail = detail
        n_c, n_r = len(cores), len(rings)
        width = max((r.capacity for r in rings), default=1)
        self.rings_of_core = [np.array([k for k, r in enumerate(rings) if r.core == c], np.int64)
                              for c in range(n_c)]
        depth = max(1, max(len(c.cstates) for c in cores))
        core_f = np.zeros((n_c, _CF_CSTATES + 2 * depth))
        core_f[:, _CF_CSTATES + depth:] = np.inf          # unused C-state slots: never chosen
        core_i = np.zeros((n_c, _N_CI), np.int64)
        core_i[:, _CI_CORR:] = MENU_RESOLUTION * MENU_DECAY     # menu starts every factor at unity
        core_l = np.zeros((n_c, 2, max(1, n_r)), np.int64)
        adepth = max((len(r.adaptive_levels_ns) for r in rings), default=0)
        ring_f = np.zeros((n_r, _RF_LEVELS + 2 * adepth))
        ring_i = np.zeros((n_r, _N_RI), np.int64)
        for k, r in enumerate(rings):
            ring_f[k, :4] = r.capacity, r.coalesce_delay_ns, r.coalesce_frames, r.coalesce_min_interval_ns
            ring_i[k, _RI_CORE] = r.core
            levels = r.adaptive_levels_ns
            if levels:
                ring_f[k, _RF_LEVELS:_RF_LEVELS + len(levels)] = levels
                ring_f[k, _RF_LEVELS + adepth:_RF_LEVELS + adepth + len(levels) - 1] = r.adaptive_thresholds_bpus
                ring_i[k, _RI_LEVEL] = r.adaptive_start_level
                ring_i[k, _RI_N_LEVELS] = len(levels)
                ring_i[k, _RI_SMOOTH] = r.adaptive_smoothing
                ring_f[k, _RF_MIN_INTERVAL] = levels[r.adaptive_start_level]
            if r.adaptive_algorithm == "ixgbe-itr":
                ring_i[k, _RI_ALGO] = ADAPTIVE_KINDS["ixgbe-itr"]
                ring_i[k, _RI_N_LEVELS] = 1          # adaptive (the kernel's flag); no levels
                ring_i[k, _RI_ITR_US] = ITR_START_US
                ring_f[k, _RF_MIN_INTERVAL] = 1000.0 * ITR_START_US
                ring_i[k, _RI_RX_ITR] = ring_i[k, _RI_TX_ITR] = ITR_MAX_USECS | ITR_LATENCY
                ring_i[k, _RI_TICK_AT] = _NO_TICK
                ring_i[k, _RI_SLOW_LINK] = r.adaptive_slow_link
                ring_i[k, _RI_TICK_NS] = int(r.adaptive_tick_ns)
        ring_f[:, _RF_LAST_FIRE] = -np.inf
        for c, spec in enumerate(cores):
            core_f[c, :_CF_T] = spec.vector()
            for j, (ex, res) in enumerate(sorted(spec.cstates, key=lambda s: s[1])):
                core_f[c, _CF_CSTATES + j], core_f[c, _CF_CSTATES + depth + j] = ex, res
            own = self.rings_of_core[c]
            core_i[c, _CI_N_RINGS] = len(own)
            core_l[c, _CL_RINGS, :len(own)] = own
            interrupt = spec.mode == "interrupt"
            core_i[c, _CI_STATE] = _BLOCKED if interrupt or not len(own) else _RUN
            if interrupt:
                ring_i[own, _RI_ARMED] = 1
            if interrupt and len(own):                   # the first block starts with a halt-poll window
                core_f[c, _CF_IDLE_SINCE] = spec.halt_poll_ns
        self.wait = LogHistogram()                      # arrival at the ring -> picked by a poll
        self.work = LogHistogram()                      # picked -> departed (poll cost + batch work)
        self.state = _State(
            core_f=core_f, core_i=core_i, core_l=core_l, counters=np.zeros((n_c, _N_COUNTERS)),
            ring_f=ring_f, ring_i=ring_i, slot_f=np.zeros((n_r, width, 3)),
            slot_i=np.zeros((n_r, width, 3), np.int64), wait_counts=self.wait.counts, wait_stats=self.wait.stats,
            work_counts=self.work.counts, work_stats=self.work.stats,
            window_ns=np.array([stat_lo_ns, stat_hi_ns], np.float64))
        self._held_f = np.empty((0, 3))                # arrivals not yet admitted (at or after the
        self._held_i = np.empty((0, 4), np.int64)      # last horizon), core by core
        self._held_start = np.zeros(n_c + 1, np.int64)
        self._window_start = np.zeros((n_c, _N_COUNTERS))
        rows_f, rows_i = (4, 2) if detail else (2, 1)
        self._out = _Buffers(rows_f, rows_i)        # departures handed out (reused once released)
        self._stage = _Buffers(rows_f, rows_i)      # each core's departures, before the merge
        self._order = np.empty(0, np.int64)
        # a poll-mode core with one ring (a PMD) takes the specialised kernel
        self._kernels = [_serve_poll_ring if spec.mode == "poll" and len(own) == 1 else _serve_core
                         for spec, own in zip(cores, self.rings_of_core)]
        # equal departure times out of packet-id order need a TX burst or a packet without work
        self._ties = np.array([spec.burst_departures for spec in cores])

    def start_window(self) -> None:
        """The statistics window starts now: event counters count from here (CPU time is clipped
        to the window by the kernel already)."""
        self._window_start = self.state.counters.copy()

    def counters(self) -> np.ndarray:
        """Per core, the counters of the statistics window (a ``CORE_COUNTERS`` record array)."""
        out = self.state.counters.copy()
        out[:, len(CPU_FIELDS):] -= self._window_start[:, len(CPU_FIELDS):]
        return np.ascontiguousarray(out).view(CORE_COUNTERS)[:, 0]

    def occupancy(self) -> np.ndarray:
        """Packets held in each ring now."""
        return self.state.ring_i[:, _RI_COUNT].copy()

    def ring_pids(self, r: int) -> np.ndarray:
        """Packet ids in ring ``r`` now, oldest first."""
        head, cnt = self.state.ring_i[r, _RI_HEAD], self.state.ring_i[r, _RI_COUNT]
        width = self.state.slot_i.shape[1]
        return self.state.slot_i[r, (head + np.arange(cnt)) % width, _S_PID]

    def pending_count(self) -> int:
        """Arrivals handed in but not yet admitted (they are later than the last horizon)."""
        return len(self._held_f)

    def pending(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrivals handed in but not yet admitted: (time, global ring, packet id), core by core."""
        return self._held_f[:, _S_T].copy(), self._held_i[:, _H_RING].copy(), self._held_i[:, _S_PID].copy()

    def advance(self, arrivals: Packets, ring: np.ndarray, work_ns: np.ndarray, horizon_ns: float) -> ServerOutput:
        """Admit time-ordered ``arrivals`` to ``ring`` and serve every decision before ``horizon_ns``.

        One kernel call per core (``_serve_core``), each core's arrivals grouped first
        (``_group_by_core``), its departures then merged (``_merge_cores``), what arrived at or
        after the horizon held (``_hold``). Python drives these few calls: a kernel calling the big
        one would make numba optimize it again inside the caller (twice the compile time).
        """
        c = np.ascontiguousarray
        st, n_c = self.state, len(self.cores)
        ring = c(ring, np.int64)
        arr: tuple[np.ndarray, ...] = (c(arrivals.t_ns, np.float64), ring, c(arrivals.t0_ns, np.float64),
                                       c(arrivals.size_bytes, np.int32), c(arrivals.flow, np.int32),
                                       c(arrivals.pkt_id, np.int64), c(work_ns, np.float64))
        n = len(ring)
        held_start = self._held_start
        n_held = int(held_start[-1])
        if n_c > 1:
            if len(self._order) < n:
                self._order = np.empty(n + n // 4, np.int64)
            order = self._order[:n]
            start = _group_by_core(st.ring_i, ring, n_c, order)
            # room for each core's departures: its arrivals, held ones and the packets in its rings
            room = np.diff(start) + np.diff(held_start) + np.bincount(
                st.ring_i[:, _RI_CORE], weights=st.ring_i[:, _RI_COUNT], minlength=n_c).astype(np.int64)
            first = np.zeros(n_c, np.int64)
            np.cumsum(room[:-1], out=first[1:])
            cap = int(room.sum())
            cur = np.stack([held_start[:-1], held_start[1:], start[:-1], start[1:]], axis=1)
        else:
            order = self._order[:0]                   # a single core takes the arrivals as they are
            first = np.zeros(1, np.int64)
            cap = n + n_held + int(st.ring_i[:, _RI_COUNT].sum())
            cur = np.array([[0, n_held, 0, n]], np.int64)
        arr += (order, self._held_f, self._held_i)
        out = self._out.take(cap)
        stage = self._stage.take(cap) if n_c > 1 else out
        drops = (np.empty((2, n + n_held)), np.empty((2, n + n_held), np.int64))
        count = np.zeros(n_c, np.int64)
        n_drop = 0
        if n and not self._ties.all() and float(arr[6].min()) <= 0.0:
            self._ties[:] = True                     # from now on: a zero-work packet may be in a ring
        for k in range(n_c):
            end, n_drop = self._kernels[k](st, k, arr, cur[k], float(horizon_ns), stage, first[k], drops, n_drop,
                                           self.detail)
            count[k] = end - first[k]
            if self._ties[k]:
                _order_ties(stage, first[k], end)
        if ((cur[:, 1] - cur[:, 0]) + (cur[:, 3] - cur[:, 2])).any():
            self._held_f, self._held_i, self._held_start = _hold(arr, cur, n_c == 1)
        elif held_start[-1]:                          # every held arrival admitted (nothing new held)
            self._held_f, self._held_i = self._held_f[:0], self._held_i[:0]
            self._held_start = np.zeros(n_c + 1, np.int64)
        n_dep = _merge_cores(stage, first, count, out) if n_c > 1 else int(count[0])
        out_f, out_i, out_s = out
        drop_f, drop_i = drops
        k, detail = n_dep, self.detail
        return ServerOutput(
            departures=Packets(out_f[_O_DEP, :k], out_f[_O_T0, :k], out_s[_O_SIZE, :k], out_s[_O_FLOW, :k],
                               out_i[_O_PID, :k]),
            drop_pid=drop_i[_D_PID, :n_drop], drop_ring=drop_i[_D_RING, :n_drop], drop_t_ns=drop_f[_D_T, :n_drop],
            drop_t0_ns=drop_f[_D_T0, :n_drop], pick_ns=out_f[_O_PICK, :k] if detail else None,
            arrival_ns=out_f[_O_ARRIVAL, :k] if detail else None, ring=out_i[_O_RING, :k] if detail else None)

    def cpu_buckets(self, t_end_ns: float) -> np.ndarray:
        """CPU time per core (useful, overhead, spin, idle) in the statistics window up to ``t_end_ns``.

        The kernel books an idle period when it ends; a core still blocked at ``t_end_ns`` has been
        idle since it blocked, and that open period is added here.
        """
        st = self.state
        out = st.counters[:, :4].copy()
        hi = min(t_end_ns, self.stat_hi_ns)
        for c in range(len(self.cores)):
            if st.core_i[c, _CI_STATE] == _BLOCKED:
                idle_since = st.core_f[c, _CF_IDLE_SINCE]
                if self.cores[c].halt_poll_ns > 0.0:        # still in (or past) its halt-poll window
                    out[c, _A_SPIN] += _clip_py(st.core_f[c, _CF_HALT_FROM], min(idle_since, hi), self.stat_lo_ns, hi)
                out[c, _A_IDLE] += _clip_py(idle_since, hi, self.stat_lo_ns, hi)
        return out

    @property
    def drops(self) -> np.ndarray:
        """Tail drops per ring since the start."""
        return self.state.ring_i[:, _RI_DROPS].copy()

    @property
    def drop_acc(self) -> np.ndarray:
        """Per ring: tail drops since the start, and drops of packets offered in the window."""
        return self.state.ring_i[:, [_RI_DROPS, _RI_WINDOW_DROPS]]

    @property
    def ring_packets(self) -> np.ndarray:
        """Per ring: packets of the statistics window served (offered in it, departed by its end)."""
        return self.state.ring_i[:, _RI_WINDOW_PACKETS].copy()
