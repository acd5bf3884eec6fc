"""Reference model of the ring server (docs/models/engine.md, "Ring server"), on SimPy.

Written from the spec only. One SimPy process per core; each ring is a plain list of packets.
Arrivals are events of priority FIRST scheduled up front (input order); every decision of a core
(poll, interrupt fire, block, sleep) is an event of priority THEN, so a decision at ``t`` sees every
arrival with time ``<= t`` (and an arrival at the very time a poll frees slots is checked before).

Horizon: a core takes only decisions at times ``< horizon``; every arrival before the horizon is
admitted or dropped, arrivals at ``>= horizon`` are not (they are reported as pending). A poll
taken before the horizon emits all its packets (their departures may lie beyond it). CPU
intervals are clipped to ``[stat_lo, stat_hi]``; a core still blocked at the horizon is idle from
``idle_since`` up to the horizon (reported apart as ``open_idle`` too, so that a test can tell it
from the closed intervals).

Counters per core (names): interrupts (fires, including the one that wakes a blocked core),
polls (empty ones included), empty_polls, wakeups (a blocked core woken), cstate_exits (C-state
exits with a non-zero latency, on wake-up or after a hybrid sleep), packets (taken by polls),
sleeps (hybrid sleeps), governor_misses (the menu governor chose a state whose target residency
is longer than the idle period), halt_poll_hits (an interrupt caught while halt-polling).

The menu governor's statistics are exact here (``fractions.Fraction``): the mean and variance of
the idle history as the spec writes them, with no rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import simpy

from . import FIRST, THEN, At

INF = math.inf
COUNTERS = ("interrupts", "polls", "empty_polls", "wakeups", "cstate_exits", "packets", "sleeps",
            "governor_misses", "halt_poll_hits")
MENU_HISTORY = 8
MENU_RESOLUTION, MENU_DECAY = 1024, 8        # menu.c: RESOLUTION, DECAY (unity = 8192)
BUCKETS = ("useful", "overhead", "spin", "idle")


@dataclass
class Pkt:
    t: float
    pid: int
    work: float
    size: int = 64


@dataclass
class Ring:
    index: int          # global ring index
    local: int          # position among its core's rings
    cap: int
    delay: float
    frames: int
    min_interval: float
    levels: tuple = ()          # adaptive moderation: each level's min_interval, lowest latency first
    thresholds: tuple = ()      # bytes per microsecond between levels
    smoothing: bool = False
    pkts: list = field(default_factory=list)
    armed: bool = False
    arm_time: float = 0.0
    last_fire: float = -INF
    level: int = 0
    bytes_taken: int = 0        # since the last adaptive update
    pkts_taken: int = 0
    algorithm: str = "levels"   # or "ixgbe-itr": the packet-count dynamic ITR
    tick_ns: float = 4e6
    slow_link: bool = False
    itr_us: int = 50            # ixgbe-itr: the interval (us), its containers' values, the last update's tick
    rx_itr: int = 126 + 128
    tx_itr: int = 126 + 128
    last_tick: int | None = None

    def __post_init__(self):
        if self.levels:
            self.level = (len(self.levels) - 1) // 2          # the middle level
            self.min_interval = self.levels[self.level]
        if self.algorithm == "ixgbe-itr":
            self.min_interval = 1000.0 * self.itr_us

    def itr(self, t):
        """The packet-count ITR (docs/models/engine.md, "Adaptive interrupt moderation"), as the
        driver's two ring containers: the receive ring's and an idle transmit one."""
        LAT = 128
        cur, n, b = self.itr_us, self.pkts_taken, self.bytes_taken
        tick = math.floor(t / self.tick_ns)
        plus2 = min(cur + 2, 126)
        if self.last_tick is None or tick - self.last_tick >= 2:
            rx = tx = 10 + LAT
        else:
            tx = plus2 + (LAT if self.tx_itr >= LAT else 0)
            if n == 0:
                rx = plus2 + (LAT if self.rx_itr >= LAT else 0)
            elif n < 4 and b < 9000:
                rx = LAT + self.by_size(b // n, latency=True)
            elif n < 48:
                rx = plus2
            elif n < 96:
                rx = cur
            elif n < 256:
                rx = max(cur // 2, 10)
            else:
                rx = self.by_size(b // n, latency=False)
        self.rx_itr, self.tx_itr, self.last_tick = rx, tx, tick
        self.itr_us = min(rx, tx) % LAT
        self.min_interval = 1000.0 * self.itr_us
        self.bytes_taken = self.pkts_taken = 0

    def by_size(self, avg, latency):
        """Microseconds from the average frame size: a line through each of four size bands."""
        if avg <= 60:
            x = 5120
        elif avg <= 316:
            x = 40 * avg + 2720
        elif avg <= 1084:
            x = 15 * avg + 11452
        elif avg < 1968:
            x = 5 * avg + 22420
        else:
            x = 32256
        if latency:
            x = x // 2
        unit = 128 if self.slow_link else 512
        if self.slow_link:
            x = min(x, 8064)
        return 2 * -(-x // unit)

    def arm(self, t, start=False):
        """Arm the interrupt at ``t``; an adaptive ring first updates its moderation (re-armed after
        polls: not the interrupt enabled at the start)."""
        self.armed, self.arm_time = True, t
        if start:
            return
        if self.algorithm == "ixgbe-itr":
            self.itr(t)
        elif self.levels and self.pkts_taken > 0:
            rate = 1000.0 * self.bytes_taken / self.min_interval      # bytes per microsecond
            if self.level + 1 < len(self.levels) and rate > self.thresholds[self.level]:
                self.level += 1
            elif self.level > 0 and rate <= self.thresholds[self.level - 1]:
                self.level -= 1
            target = self.levels[self.level]
            if target != self.min_interval:
                cur = self.min_interval
                self.min_interval = 10.0 * target * cur / (9.0 * target + cur) if self.smoothing else target
            self.bytes_taken = self.pkts_taken = 0

    def fire_time(self) -> float:
        """max(arm_time, last_fire + min_interval, min(oldest + delay, arrival of the frames-th))."""
        if not self.armed or not self.pkts:
            return INF
        oldest = self.pkts[0].t
        frames_th = self.pkts[self.frames - 1].t if len(self.pkts) >= self.frames else INF
        return max(self.arm_time, self.last_fire + self.min_interval, min(oldest + self.delay, frames_th))


@dataclass
class RefResult:
    departed: dict            # pid -> (departure, pick, ring)
    dropped: dict             # pid -> (ring, arrival time)
    held: dict                # ring -> [pid, ...] still in the ring at the end (oldest first)
    pending: list             # pids of arrivals at or after the horizon (never admitted)
    counters: list            # per core: {name: int}
    cpu: list                 # per core: {bucket: ns}, the spec's accounting over the whole window
    open_idle: list           # per core: the part of cpu["idle"] still open at the horizon (blocked core)
    exit_ns: list             # per core: the part of cpu["idle"] that is C-state exit latency


class Core:
    def __init__(self, env, spec, rings, horizon, lo, hi, departed, strict_after_poll=True):
        self.env = env
        self.mode = spec.mode
        self.batch = int(spec.batch)
        self.poll_cost = float(spec.poll_cost_ns)
        self.empty_cost = float(spec.empty_poll_cost_ns)
        self.irq = float(spec.irq_cost_ns)
        self.wakeup = float(spec.wakeup_ns)
        self.cstates = [(float(ex), float(res)) for ex, res in spec.cstates]
        self.sleep_after = int(spec.sleep_after_empty_polls)
        self.sleep_ns = float(spec.sleep_ns)
        self.block_polls = int(spec.block_after_empty_polls)
        self.block_idle = float(spec.block_after_idle_ns)
        self.governor = spec.governor
        self.next_timer = float(spec.next_timer_ns)
        self.max_stddev = float(spec.menu_max_stddev_ns)
        self.halt_poll = float(spec.halt_poll_ns)
        self.sleep_spins = bool(spec.sleep_spins)
        self.sleep_wakeup = bool(spec.sleep_wakeup)
        self.burst = bool(spec.burst_departures)
        self.history = []              # idle periods, for the menu governor
        self.correction = [MENU_RESOLUTION * MENU_DECAY] * 6     # menu's factors per timer bucket, unity
        self.halt_from = 0.0
        self.rings = rings
        self.H, self.lo, self.hi = horizon, lo, hi
        self.departed = departed
        self.blocked = False
        self.idle_since = 0.0
        self.signal = None
        self.count = dict.fromkeys(COUNTERS, 0)
        self.cpu = dict.fromkeys(BUCKETS, 0.0)
        self.exit_ns = 0.0             # the part of cpu["idle"] that is C-state exit latency
        self.open_idle = 0.0
        self.strict_after_poll = strict_after_poll

    # -- bookkeeping ---------------------------------------------------------------------------
    def spend(self, bucket, s, e):
        s, e = max(s, self.lo), min(e, self.hi)
        if e > s:
            self.cpu[bucket] += e - s
            return e - s
        return 0.0

    def exit_latency(self, s, ex):
        """Pay a C-state exit of ``ex`` from ``s``: idle (the core waits, executing nothing)."""
        if ex > 0:
            self.count["cstate_exits"] += 1
        self.exit_ns += self.spend("idle", s, s + ex)

    def cstate_exit(self, idle_ns):
        """Exit latency of the deepest C-state (largest target residency) whose residency <= idle."""
        fit = [(res, ex) for ex, res in self.cstates if res <= idle_ns]
        return max(fit)[1] if fit else 0.0

    def typical_interval(self):
        """menu's repeating-interval detector on the last 8 idle periods (inf: none)."""
        if len(self.history) < MENU_HISTORY:
            return INF
        samples = [Fraction(v) for v in self.history[-MENU_HISTORY:]]
        while True:
            n = len(samples)
            avg = sum(samples) / n
            var = sum((v - avg) ** 2 for v in samples) / n
            if (avg * avg > 36 * var and 4 * n >= 3 * MENU_HISTORY) or var <= Fraction(self.max_stddev) ** 2:
                return float(avg)
            if 4 * n <= 3 * MENU_HISTORY:
                return INF
            top = max(samples)
            samples = [v for v in samples if v < top]

    def governed_exit(self, timer, idle_ns):
        """The exit latency paid after an idle period of ``idle_ns``: the oracle's, or the menu
        governor's choice: the next timer (``timer`` away; ``menu-corrected``: times its bucket's
        correction factor), bounded by the typical interval; then the factor learns (menu_update: an exponential
        average, 1/8 new, of the measured period over the timer, in 1/8192ths)."""
        if self.governor == "oracle":
            return self.cstate_exit(idle_ns)
        predicted, bucket = timer, None
        if self.governor == "menu-corrected" and 0 < timer < INF:
            bucket = sum(timer >= x for x in (10e3, 100e3, 1e6, 10e6, 100e6))
            unity = MENU_RESOLUTION * MENU_DECAY
            predicted = float((int(timer) * self.correction[bucket] + unity // 2) // unity)
        predicted = min(predicted, self.typical_interval())
        fit = [(res, ex) for ex, res in self.cstates if res <= predicted]
        res, ex = max(fit) if fit else (0.0, 0.0)
        if res > idle_ns:
            self.count["governor_misses"] += 1
        if bucket is not None:
            measured = min(idle_ns if idle_ns > ex else (idle_ns + ex) / 2, timer)
            factor = self.correction[bucket]
            factor -= factor // MENU_DECAY
            factor += (MENU_RESOLUTION * int(measured)) // int(timer) if measured < 50e6 else MENU_RESOLUTION
            self.correction[bucket] = factor
        self.history.append(idle_ns)
        return ex

    def on_arrival(self):
        if self.blocked and self.signal is not None and not self.signal.triggered:
            self.signal.succeed()      # priority NORMAL == THEN, after all arrivals at this time

    # -- one poll ------------------------------------------------------------------------------
    def poll(self, ring, t):
        n = min(self.batch, len(ring.pkts))
        taken, ring.pkts[:n] = ring.pkts[:n], []
        self.count["polls"] += 1
        if n == 0:
            self.count["empty_polls"] += 1
            self.spend("spin", t, t + self.empty_cost)
            return 0, t + self.empty_cost
        self.spend("overhead", t, t + self.poll_cost)
        x = t + self.poll_cost
        for p in taken:
            self.spend("useful", x, x + p.work)
            x += p.work
            self.departed[p.pid] = (x, t, ring.index)
        if self.burst:                                   # one TX burst when the poll's work ends
            for p in taken:
                self.departed[p.pid] = (x, t, ring.index)
        ring.bytes_taken += sum(p.size for p in taken)
        ring.pkts_taken += n
        self.count["packets"] += n
        return n, x

    def earliest_fire(self):
        best, which = INF, None
        for r in self.rings:             # in index order: ties go to the lower index
            f = r.fire_time()
            if f < best:
                best, which = f, r
        return best, which

    # -- blocked: wait for an interrupt, then wake ---------------------------------------------
    def block(self, t):
        """Generator: blocks at ``t`` (halt-polling until ``t + halt_poll``, then idle); returns
        (ring that fired, wake-up end) or None at the horizon."""
        env = self.env
        self.blocked, self.halt_from, self.idle_since = True, t, t + self.halt_poll
        while True:
            f, ring = self.earliest_fire()
            assert f >= env.now, (f, env.now)
            if f <= env.now:
                break
            self.signal = env.event()
            yield (At(env, f, THEN) | self.signal) if f < self.H else self.signal
        f = env.now
        if f >= self.H:
            return None
        self.blocked = False
        ring.armed, ring.last_fire = False, f
        self.count["interrupts"] += 1
        if f < self.idle_since:                          # caught while halt-polling
            self.count["halt_poll_hits"] += 1
            self.spend("spin", self.halt_from, f)
            self.spend("overhead", f, f + self.irq)
            return ring, f + self.irq
        self.count["wakeups"] += 1
        self.spend("spin", self.halt_from, self.idle_since)
        self.spend("idle", self.idle_since, f)
        ex = self.governed_exit(self.next_timer, f - self.idle_since)
        self.exit_latency(f, ex)
        end = f + ex + self.irq + self.wakeup
        self.spend("overhead", f + ex, end)
        return ring, end

    # -- the core's process ----------------------------------------------------------------------
    def run(self):
        if self.mode == "interrupt":
            yield from self.run_interrupt()
        elif self.mode == "poll":
            yield from self.run_poll()
        elif self.mode == "hybrid":
            yield from self.run_hybrid()
        else:
            raise ValueError(self.mode)

    def at(self, t):
        """Move to decision time ``t`` (after arrivals <= t); False when ``t`` is at the horizon."""
        yield At(self.env, t, THEN)
        return t < self.H

    def run_interrupt(self):
        for r in self.rings:
            r.arm(0.0, start=True)
        woke = yield from self.block(0.0)
        if woke is None:
            return
        ring, t = woke
        poll_list = [ring]
        while True:
            if not (yield from self.at(t)):
                return
            f, ring = self.earliest_fire()
            if f <= t:                                   # an interrupt fired while running
                ring.armed, ring.last_fire = False, f
                self.count["interrupts"] += 1
                self.spend("overhead", t, t + self.irq)
                t += self.irq
                poll_list.append(ring)
                continue
            if not poll_list:
                woke = yield from self.block(t)
                if woke is None:
                    return
                ring, t = woke
                poll_list = [ring]
                continue
            ring = poll_list.pop(0)
            n, end = self.poll(ring, t)
            if n == self.batch:
                poll_list.append(ring)
            else:
                ring.arm(end)
            t = end

    def run_poll(self):
        assert self.empty_cost > 0
        t, rr = 0.0, 0
        while True:
            if not (yield from self.at(t)):
                return
            ring = self.rings[rr]
            rr = (rr + 1) % len(self.rings)
            _, t = self.poll(ring, t)

    def run_hybrid(self):
        t, rr, empties, last_busy = 0.0, 0, 0, 0.0
        while True:
            if not (yield from self.at(t)):
                return
            ring = self.rings[rr]
            rr = (rr + 1) % len(self.rings)
            n, t = self.poll(ring, t)
            if n > 0:
                empties, last_busy = 0, t
                continue
            empties += 1
            if not (yield from self.at(t)) and self.strict_after_poll:
                return                                   # the decision after an empty poll ending at t
            if ((self.block_polls > 0 and empties >= self.block_polls)
                    or (self.block_idle > 0 and t - last_busy >= self.block_idle)):
                for r in self.rings:
                    r.arm(t)
                woke = yield from self.block(t)
                if woke is None:
                    return
                fired, t = woke
                for r in self.rings:
                    r.armed = False
                empties, last_busy, rr = 0, t, fired.local
            elif self.sleep_after > 0 and empties >= self.sleep_after:
                self.count["sleeps"] += 1
                if self.sleep_spins:                     # a busy-wait: the core stays in C0
                    self.spend("spin", t, t + self.sleep_ns)
                    t = t + self.sleep_ns
                    continue
                self.spend("idle", t, t + self.sleep_ns)
                ex = self.governed_exit(self.sleep_ns, self.sleep_ns)
                self.exit_latency(t + self.sleep_ns, ex)
                t = t + self.sleep_ns + ex
                if self.sleep_wakeup:                    # the timer interrupt and context switch
                    self.spend("overhead", t, t + self.wakeup)
                    t = t + self.wakeup

    def finish(self):
        """A core still blocked at the horizon has been idle since ``idle_since``."""
        before = self.cpu["idle"]
        if self.blocked:
            self.spend("spin", self.halt_from, min(self.idle_since, self.H))
            self.spend("idle", self.idle_since, min(self.H, self.hi))
        self.open_idle = self.cpu["idle"] - before


def ring_server_reference(cores, rings, t_ns, ring_of, pkt_id, work_ns, horizon_ns,
                          stat_lo_ns=0.0, stat_hi_ns=INF, strict_after_poll=False, size_bytes=None) -> RefResult:
    """Run arrivals (time-ordered; ties keep input order) through the rings up to ``horizon_ns``.
    ``size_bytes``: each packet's size (adaptive moderation counts bytes); 64 each if not given.

    ``cores`` / ``rings`` are ``CoreSpec`` / ``RingSpec``-like objects (plain attributes only).

    ``strict_after_poll``: False (the spec) - the hybrid step "after each empty poll ending at t"
    (sleep or block) belongs to the poll and is taken with it; True reads it as a decision at ``t``,
    not taken when ``t >= horizon`` (kept to show the tests can tell the two apart).
    """
    env = simpy.Environment()
    departed, dropped = {}, {}
    per_core = [[] for _ in cores]
    ring_objs = []
    for k, rs in enumerate(rings):
        r = Ring(k, len(per_core[rs.core]), int(rs.capacity), float(rs.coalesce_delay_ns),
                 int(rs.coalesce_frames), float(rs.coalesce_min_interval_ns),
                 tuple(float(x) for x in rs.adaptive_levels_ns), tuple(float(x) for x in rs.adaptive_thresholds_bpus),
                 bool(rs.adaptive_smoothing), algorithm=getattr(rs, "adaptive_algorithm", "levels"),
                 tick_ns=float(getattr(rs, "adaptive_tick_ns", 4e6)),
                 slow_link=bool(getattr(rs, "adaptive_slow_link", False)))
        per_core[rs.core].append(r)
        ring_objs.append(r)
    core_objs = [Core(env, spec, per_core[c], float(horizon_ns), float(stat_lo_ns), float(stat_hi_ns), departed,
                      strict_after_poll) for c, spec in enumerate(cores)]
    owner = [core_objs[rs.core] for rs in rings]

    def arrive(k, t, pid, work, size):
        r = ring_objs[k]
        if len(r.pkts) >= r.cap:
            dropped[pid] = (k, t)                       # tail drop
        else:
            r.pkts.append(Pkt(t, pid, work, size))
            owner[k].on_arrival()

    pending = []
    sizes = [64] * len(t_ns) if size_bytes is None else size_bytes
    for t, k, pid, w, size in zip(t_ns, ring_of, pkt_id, work_ns, sizes):
        t, k, pid, w, size = float(t), int(k), int(pid), float(w), int(size)
        if t >= horizon_ns:
            pending.append(pid)
            continue
        ev = At(env, t, FIRST)
        ev.callbacks.append(lambda _e, a=(k, t, pid, w, size): arrive(*a))
    for c in core_objs:
        if c.rings or c.mode == "interrupt":
            env.process(c.run())
    env.run()
    for c in core_objs:
        c.finish()
    return RefResult(departed, dropped, {r.index: [p.pid for p in r.pkts] for r in ring_objs}, pending,
                     [c.count for c in core_objs], [c.cpu for c in core_objs],
                     [c.open_idle for c in core_objs], [c.exit_ns for c in core_objs])
