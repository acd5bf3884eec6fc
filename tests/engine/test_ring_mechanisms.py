"""The ring server's optional mechanisms, each on a case computed by hand (docs/models/engine.md,
"Ring server"): the menu idle governor, halt polling, spinning and waking hybrid sleeps, adaptive
interrupt moderation, TX bursts. Every case runs the compiled kernel and the SimPy reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference.ring_server_ref import ring_server_reference  # noqa: E402

from vnetsim.engine import ring_server  # noqa: E402
from vnetsim.engine.packets import Packets  # noqa: E402
from vnetsim.engine.ring_server import CoreSpec, RingServer, RingSpec  # noqa: E402
from vnetsim.errors import ModelError  # noqa: E402

USEFUL, OVERHEAD, SPIN, IDLE = range(4)
C1 = (1_000.0, 2_000.0)            # (exit latency, target residency), ns
C6 = (100_000.0, 600_000.0)


def run(cores, rings, t, work, horizon, ring=None, size=None):
    """Kernel and reference on the same arrivals: (server, {pid: departure}, reference result)."""
    t = np.asarray(t, np.float64)
    n = len(t)
    ring = np.zeros(n, np.int64) if ring is None else np.asarray(ring, np.int64)
    size = np.full(n, 64, np.int32) if size is None else np.asarray(size, np.int32)
    work = np.asarray(work, np.float64)
    srv = RingServer(cores, rings, stat_hi_ns=horizon)
    out = srv.advance(Packets(t, t.copy(), size, np.zeros(n, np.int32), np.arange(n, dtype=np.int64)), ring, work,
                      horizon)
    dep = dict(zip(out.departures.pkt_id.tolist(), out.departures.t_ns.tolist()))
    ref = ring_server_reference(cores, rings, t, ring, np.arange(n), work, horizon, 0.0, horizon,
                                size_bytes=size.tolist())
    assert {p: d for p, (d, _, _) in ref.departed.items()} == dep
    return srv, dep, ref


def counter(srv, name, core=0):
    return int(srv.counters()[name][core])


# ---------------------------------------------------------------------------------------------
# Menu governor

def menu_history_then_short_idle():
    """Interrupt core, C1 and C6, no costs: eight arrivals each 1 ms after the core blocked, then
    one 100 us after it blocked. Returns the arrival times."""
    t = [1_000_000.0]                                  # the core blocked at 0
    for _ in range(7):
        t.append(t[-1] + 100_000.0 + 1_000_000.0)      # woken (C6 exit), blocked, idle 1 ms
    t.append(t[-1] + 100_000.0 + 100_000.0)            # idle only 100 us
    return t


def test_menu_governor_picks_c6_after_a_regular_history_and_pays_it_on_a_short_idle():
    # History empty: the prediction is the next timer (4 ms): C6 for the first eight idle periods
    # (each 1 ms >= 600 us: no miss). Then the typical interval is 1 ms (variance 0): C6 again,
    # though the idle period is only 100 us: a miss, and the 100 us exit is paid anyway.
    t = menu_history_then_short_idle()
    core = CoreSpec(mode="interrupt", batch=64, cstates=(C1, C6), governor="menu")
    srv, dep, ref = run([core], [RingSpec(capacity=8, core=0)], t, [0.0] * 9, t[-1] + 1e6)
    assert dep == {k: a + 100_000.0 for k, a in enumerate(t)}
    assert counter(srv, "governor_misses") == 1 and ref.counters[0]["governor_misses"] == 1
    assert counter(srv, "cstate_exits") == 9


def test_oracle_governor_knows_the_short_idle():
    t = menu_history_then_short_idle()
    core = CoreSpec(mode="interrupt", batch=64, cstates=(C1, C6))
    srv, dep, _ = run([core], [RingSpec(capacity=8, core=0)], t, [0.0] * 9, t[-1] + 1e6)
    assert dep[8] == t[8] + 1_000.0                   # 100 us idle: C1 (residency 2 us)
    assert counter(srv, "governor_misses") == 0


def test_menu_governor_without_history_uses_the_next_timer():
    # next timer 50 us: only C1 fits the prediction, whatever the real (1 ms) idle period.
    core = CoreSpec(mode="interrupt", batch=64, cstates=(C1, C6), governor="menu", next_timer_ns=50_000.0)
    srv, dep, _ = run([core], [RingSpec(capacity=8, core=0)], [1_000_000.0], [0.0], 2e6)
    assert dep == {0: 1_001_000.0}
    assert counter(srv, "governor_misses") == 0


def test_menu_governor_drops_the_largest_outlier():
    # Seven 100 us idle periods and one 10 ms period: the spread of all eight is large; without
    # the largest (7 of 8 remain, >= 6) the variance is 0: typical interval 100 us, so C1 is
    # chosen for the next idle period even though it lasts 1 ms (no miss: the guess is shallow).
    idles = [100_000.0] * 3 + [10_000_000.0] + [100_000.0] * 4 + [1_000_000.0]
    t, blocked = [], 0.0
    for k, idle in enumerate(idles):
        t.append(blocked + idle)
        ex = C6[0] if k < 8 else C1[0]                 # timer 4 ms: C6 for the first eight
        blocked = t[-1] + ex
    core = CoreSpec(mode="interrupt", batch=64, cstates=(C1, C6), governor="menu")
    srv, dep, _ = run([core], [RingSpec(capacity=16, core=0)], t, [0.0] * len(t), t[-1] + 1e6)
    assert dep[8] == t[8] + C1[0]
    assert counter(srv, "governor_misses") == 7        # C6 (timer) before each of the seven 100 us idles


def test_menu_correction_factor_learns_that_the_timer_overestimates():
    """Idle periods of 50-150 us and 300-500 us (mean 248 us) spread too much for a typical
    interval, so menu goes by the next timer (4 ms) scaled by its correction factor. The factor
    averages the measured period over the timer, 1/8 new each time: from unity (8192) it falls by
    7/8 a step towards 248 us / 4 ms (508 in 8192ths), and the prediction drops below C6's 600 us
    residency (1,229) once (7/8)^k (8192 - 508) + 508 plus the swing of one period (at most
    1024 x 500 us / 4 ms = 128) is below it: after 18 to 20 periods. From then on C1 only.
    Plain ``menu`` (the factor taken as 1) takes C6 for every one of the 80 periods."""
    c1, c6 = (0.0, 2_000.0), (1.0, 600_000.0)        # a 1 ns C6 exit counts the C6 choices
    short, long = (50_000.0, 100_000.0, 150_000.0), (300_000.0, 400_000.0, 500_000.0)
    idles = [(short if k % 2 == 0 else long)[(k // 2) % 3] for k in range(80)]
    t = [idles[0]]
    for idle in idles[1:]:
        t.append(t[-1] + 1.0 + idle)                   # the core blocks again 0 or 1 ns after each
    core = CoreSpec(mode="interrupt", batch=64, cstates=(c1, c6), governor="menu-corrected")
    srv, dep, ref = run([core], [RingSpec(capacity=8, core=0)], t, [0.0] * len(t), t[-1] + 1e6)
    c6_choices = counter(srv, "cstate_exits")
    assert 18 <= c6_choices <= 20, c6_choices
    assert [dep[k] - t[k] for k in range(20, 80)] == [0.0] * 60, "no C6 once the factor has learned"
    assert ref.counters[0]["cstate_exits"] == c6_choices
    plain = CoreSpec(mode="interrupt", batch=64, cstates=(c1, c6), governor="menu")
    srv, _, _ = run([plain], [RingSpec(capacity=8, core=0)], t, [0.0] * len(t), t[-1] + 1e6)
    assert counter(srv, "cstate_exits") == 80, "plain menu (factor 1): the 4 ms timer, C6 every time"


# ---------------------------------------------------------------------------------------------
# Halt polling

def test_halt_polling_catches_an_interrupt_without_cstate_exit_or_wakeup():
    # irq 1 us, wake-up 5 us, one C-state (exit 100 us, residency 0), halt_poll 50 us, work 500 ns.
    # Packet 0 at 10 us (window [0, 50 us) of the first block): caught, IRQ only, departs at 11.5 us.
    # Packet 1 10 us after the core blocked again (at 11.5 us): caught, departs at 23 us.
    # Packet 2 100 us after that block: the window ended at 73 us, the core idled from then:
    # C-state exit 100 us, IRQ + wake-up 6 us: departs at 123 + 100 + 6 + 0.5 = 229.5 us.
    core = CoreSpec(mode="interrupt", batch=64, irq_cost_ns=1_000.0, wakeup_ns=5_000.0,
                    cstates=((100_000.0, 0.0),), halt_poll_ns=50_000.0)
    t = [10_000.0, 21_500.0, 123_000.0]
    srv, dep, ref = run([core], [RingSpec(capacity=8, core=0)], t, [500.0] * 3, 300_000.0)
    assert dep == {0: 11_500.0, 1: 23_000.0, 2: 229_500.0}
    assert (counter(srv, "halt_poll_hits"), counter(srv, "wakeups"), counter(srv, "cstate_exits"),
            counter(srv, "interrupts")) == (2, 1, 1, 3)
    cpu = srv.cpu_buckets(300_000.0)[0]
    # spin: two caught windows (10 us each), a full one (50 us), the last one (open at the end)
    assert cpu.tolist() == [1_500.0, 8_000.0, 120_000.0, 170_500.0]
    assert ref.cpu[0] == {"useful": 1_500.0, "overhead": 8_000.0, "spin": 120_000.0, "idle": 170_500.0}


def test_hybrid_core_halt_polls_before_it_blocks():
    # Hybrid core, blocks after 1 empty poll (cost 1 ns): poll [0, 1), halt-poll from 1 to 21.
    # The packet at 11 is caught: IRQ 2 ns, then the core polls from 13 and takes it (work 4).
    core = CoreSpec(mode="hybrid", batch=4, empty_poll_cost_ns=1.0, irq_cost_ns=2.0, wakeup_ns=50.0,
                    cstates=((30.0, 0.0),), block_after_empty_polls=1, halt_poll_ns=20.0)
    srv, dep, _ = run([core], [RingSpec(capacity=8, core=0)], [11.0], [4.0], 14.0)
    assert dep == {0: 17.0}
    assert (counter(srv, "halt_poll_hits"), counter(srv, "wakeups")) == (1, 0)
    assert srv.cpu_buckets(14.0)[0].tolist() == [1.0, 2.0, 11.0, 0.0]


# ---------------------------------------------------------------------------------------------
# Hybrid sleep styles

def hybrid_sleeper(**kw):
    return CoreSpec(mode="hybrid", batch=1, empty_poll_cost_ns=1.0, cstates=((2.0, 0.0),),
                    sleep_after_empty_polls=1, sleep_ns=5.0, **kw)


def test_spinning_sleep_is_spin_not_idle():
    # Polls at 0 and 6 (each 1 ns), each followed by a 5 ns busy-wait: all 8 ns are spin.
    srv, _, ref = run([hybrid_sleeper(sleep_spins=True)], [RingSpec(capacity=1, core=0)], [], [], 8.0)
    assert srv.cpu_buckets(8.0)[0].tolist() == [0.0, 0.0, 8.0, 0.0]
    assert (counter(srv, "sleeps"), counter(srv, "cstate_exits")) == (2, 0)
    assert ref.cpu[0]["spin"] == 8.0


def test_real_sleep_can_pay_a_wakeup():
    # Poll [0, 1) spin, sleep [1, 6) and C-state exit [6, 8) idle, wake-up [8, 11) overhead, poll
    # [11, 12) spin (its sleep starts at the end of the window).
    srv, _, ref = run([hybrid_sleeper(sleep_wakeup=True, wakeup_ns=3.0)], [RingSpec(capacity=1, core=0)], [], [],
                      12.0)
    assert srv.cpu_buckets(12.0)[0].tolist() == [0.0, 3.0, 2.0, 7.0]
    assert ref.cpu[0] == {"useful": 0.0, "overhead": 3.0, "spin": 2.0, "idle": 7.0}


# ---------------------------------------------------------------------------------------------
# Adaptive interrupt moderation (ixgbe's levels: 10 us, 50 us, 84 us; 10 and 20 bytes/us)

IXGBE = dict(adaptive_levels_ns=(10_000.0, 50_000.0, 84_000.0), adaptive_thresholds_bpus=(10.0, 20.0))


def test_adaptive_moderation_moves_to_the_lowest_latency_at_low_byte_rates():
    # Start at 50 us. Packet 0 (64 B) fires at 0; the poll ends at 1 us: 64 B / 50 us = 1.28 B/us
    # <= 10: lowest latency, 10 us. Packet 1 at 5 us fires at last fire + 10 us = 10 us (fixed
    # 50 us moderation would hold it until 50 us).
    core = CoreSpec(mode="interrupt", batch=64)
    srv, dep, _ = run([core], [RingSpec(capacity=64, core=0, **IXGBE)], [0.0, 5_000.0], [1_000.0] * 2, 1e6)
    assert dep == {0: 1_000.0, 1: 11_000.0}
    _, fixed, _ = run([core], [RingSpec(capacity=64, core=0, coalesce_min_interval_ns=50_000.0)], [0.0, 5_000.0],
                      [1_000.0] * 2, 1e6)
    assert fixed == {0: 1_000.0, 1: 51_000.0}


def test_adaptive_moderation_moves_to_bulk_at_high_byte_rates_one_level_at_a_time():
    # 40 packets of 1500 B at 0 (work 100 ns each): 60000 B / 50 us = 1200 B/us > 20: bulk, 84 us.
    # Packet 40 at 5 us fires at 84 us; then 1500 B / 84 us = 17.9 B/us: back to 50 us (one level),
    # so packet 41 at 90 us fires at 84 + 50 = 134 us.
    t = [0.0] * 40 + [5_000.0, 90_000.0]
    core = CoreSpec(mode="interrupt", batch=64)
    srv, dep, _ = run([core], [RingSpec(capacity=64, core=0, **IXGBE)], t, [100.0] * 42, 1e6, size=[1500] * 42)
    assert dep[39] == 4_000.0
    assert dep[40] == 84_100.0
    assert dep[41] == 134_100.0


@pytest.mark.parametrize("size, second_fires_at", [(1000, 50_000.0), (500, 10_000.0), (499, 10_000.0),
                                                     (1001, 84_000.0)])
def test_adaptive_moderation_thresholds_move_up_only_when_exceeded(size, second_fires_at):
    # One packet of `size` bytes at 0 (poll ends at 1 us), over the 50 us start interval:
    # 1000 B = 20 B/us exactly: not above 20, not at or below 10: stays at 50 us;
    # 500 B = 10 B/us: at or below 10: down to 10 us; 1001 B: above 20: up to 84 us.
    core = CoreSpec(mode="interrupt", batch=64)
    _, dep, _ = run([core], [RingSpec(capacity=64, core=0, **IXGBE)], [0.0, 5_000.0], [1_000.0] * 2, 1e6,
                    size=[size, 64])
    assert dep[1] == second_fires_at + 1_000.0


def test_adaptive_moderation_smooths_as_ixgbe_set_itr():
    # As the low-rate case, smoothed: 10 x 10 x 50 / (9 x 10 + 50) us = 35.714... us.
    core = CoreSpec(mode="interrupt", batch=64)
    ring = RingSpec(capacity=64, core=0, adaptive_smoothing=True, **IXGBE)
    _, dep, _ = run([core], [ring], [0.0, 5_000.0], [1_000.0] * 2, 1e6)
    assert dep[1] == 10.0 * 10_000.0 * 50_000.0 / (9.0 * 10_000.0 + 50_000.0) + 1_000.0


def test_adaptive_moderation_settings_are_checked():
    with pytest.raises(ModelError, match="thresholds"):
        RingServer([CoreSpec()], [RingSpec(capacity=4, core=0, adaptive_levels_ns=(1.0, 2.0))])
    with pytest.raises(ModelError, match="> 0"):
        RingServer([CoreSpec()], [RingSpec(capacity=4, core=0, adaptive_levels_ns=(0.0,))])
    with pytest.raises(ModelError, match="decrease"):
        RingServer([CoreSpec()], [RingSpec(capacity=4, core=0, adaptive_levels_ns=(1.0, 2.0, 3.0),
                                           adaptive_thresholds_bpus=(5.0, 4.0))])
    with pytest.raises(ModelError, match="governor"):
        RingServer([CoreSpec(governor="ladder")], [RingSpec(capacity=4, core=0)])


# ---------------------------------------------------------------------------------------------
# TX bursts

@pytest.mark.parametrize("mode, n_rings", [("poll", 1), ("poll", 2), ("interrupt", 1), ("hybrid", 1)])
def test_burst_departures_leave_together_at_the_end_of_the_poll(mode, n_rings):
    # Three packets at 0 (work 1, 2, 3), poll cost 10: all depart at 16 (without bursts: 11, 13, 16);
    # the work histogram holds pick -> departure, 16 each.
    core = CoreSpec(mode=mode, batch=4, poll_cost_ns=10.0, empty_poll_cost_ns=1.0, burst_departures=True)
    rings = [RingSpec(capacity=4, core=0) for _ in range(n_rings)]
    srv, dep, _ = run([core], rings, [0.0] * 3, [1.0, 2.0, 3.0], 17.0)
    assert srv._kernels[0] is (ring_server._serve_poll_ring if (mode, n_rings) == ("poll", 1)
                               else ring_server._serve_core)
    assert dep == {0: 16.0, 1: 16.0, 2: 16.0}
    assert srv.work.stats[0] == 3 and srv.work.stats[1] == 48.0
    assert srv.cpu_buckets(17.0)[0][USEFUL] == 6.0
    _, apart, _ = run([CoreSpec(mode=mode, batch=4, poll_cost_ns=10.0, empty_poll_cost_ns=1.0)], rings, [0.0] * 3,
                      [1.0, 2.0, 3.0], 17.0)
    assert apart == {0: 11.0, 1: 13.0, 2: 16.0}
