"""ixgbe's packet-count dynamic ITR (``RingSpec.adaptive_algorithm = "ixgbe-itr"``,
docs/models/engine.md, "Adaptive interrupt moderation"): a sequence worked out by hand from the
update rule, and the kernel against the SimPy reference (tests/reference/ring_server_ref.py) on
random bursts that reach every branch: stale counts, no packets (a hybrid core arming an idle
ring), fewer than 4, 4-47, 48-95, 96-255 and 256 or more packets per update, every size band, both
link speeds, small and full batches, chunked and in one call."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.engine.test_ring_server_differential import SETTINGS, Scenario, check, core_specs  # noqa: E402

from vnetsim.engine.packets import Packets  # noqa: E402
from vnetsim.engine.ring_server import _RF_MIN_INTERVAL, CoreSpec, RingServer, RingSpec  # noqa: E402
from vnetsim.errors import ModelError  # noqa: E402

ITR = dict(adaptive_algorithm="ixgbe-itr")


def _interval_us(srv: RingServer) -> float:
    return srv.state.ring_f[0, _RF_MIN_INTERVAL] / 1000.0


def test_hand_computed_sequence():
    """Bursts of 64 B frames, 1 ms apart (all inside one 4 ms tick but the last), NAPI batch 64,
    zero costs; the interval after each burst's last poll (the ring re-armed):

    - 1 packet, the first update: its counts are stale (no earlier update) -> latency mode, 10 us;
    - 3 packets (< 4, 192 B < 9000): latency mode by size, 64 B -> 64 * 40 + 2720 = 5280, halved
      2640, ceil(2640 / 512) * 2 = 12 us (the idle TX side offers 10 + 2 = 12 as well);
    - 50 packets (48-95): keep 12 us; 100 packets (two polls, 96-255): half, 6, at least 10 us;
    - 300 packets (five polls, >= 256): bulk by size, ceil(5280 / 512) * 2 = 22 us (below the TX
      side's latency-flagged 128 + 12);
    - 20 packets (4-47): 22 + 2 = 24 us;
    - 1 packet 16.4 ms later (tick 4, the last update in tick 0): stale, 10 us."""
    srv = RingServer([CoreSpec(mode="interrupt", batch=64)], [RingSpec(capacity=512, core=0, **ITR)],
                     detail=False)
    assert _interval_us(srv) == 50.0                       # IXGBE_20K_ITR, the vector's start
    bursts = [(0.0, 1, 10.0), (1e6, 3, 12.0), (1.5e6, 50, 12.0), (2e6, 100, 10.0), (2.5e6, 300, 22.0),
              (3e6, 20, 24.0), (19.4e6, 1, 10.0)]
    pid = 0
    for start, n, want in bursts:
        t = start + np.arange(n, dtype=float) * 0.0
        pk = Packets(t, t.copy(), np.full(n, 64, np.int32), np.zeros(n, np.int32), np.arange(pid, pid + n))
        pid += n
        out = srv.advance(pk, np.zeros(n, np.int64), np.zeros(n), start + 400e3)
        assert len(out.departures) == n
        assert _interval_us(srv) == want, (start, n)


def test_slow_link_uses_the_other_scale():
    """At 2.5 Gb/s or below: 300 frames of 1500 B in bulk: 1500 * 5 + 22420 = 29920, capped at
    8064, ceil(8064 / 128) * 2 = 126 us (10G: ceil(29920 / 512) * 2 = 118 us)."""
    for slow, want in ((True, 126.0), (False, 118.0)):
        srv = RingServer([CoreSpec(mode="interrupt", batch=64)],
                         [RingSpec(capacity=512, core=0, adaptive_slow_link=slow, **ITR)], detail=False)
        t = np.zeros(1)
        srv.advance(Packets(t, t, np.full(1, 64, np.int32), np.zeros(1, np.int32), np.arange(1)),
                    np.zeros(1, np.int64), np.zeros(1), 1e5)
        t = np.full(300, 1e6)
        srv.advance(Packets(t, t.copy(), np.full(300, 1500, np.int32), np.zeros(300, np.int32), np.arange(1, 301)),
                    np.zeros(300, np.int64), np.zeros(300), 2e6)
        assert _interval_us(srv) == want


def test_settings_are_checked():
    with pytest.raises(ModelError):
        RingServer([CoreSpec()], [RingSpec(capacity=4, core=0, adaptive_levels_ns=(1.0,), **ITR)])
    with pytest.raises(ModelError):
        RingServer([CoreSpec()], [RingSpec(capacity=4, core=0, adaptive_algorithm="dim")])
    with pytest.raises(ModelError):
        RingServer([CoreSpec()], [RingSpec(capacity=4, core=0, adaptive_tick_ns=0.0, **ITR)])


@st.composite
def itr_scenarios(draw):
    n_cores = draw(st.integers(1, 2))
    n_rings = draw(st.integers(n_cores, 3))
    owner = list(range(n_cores)) + [draw(st.integers(0, n_cores - 1)) for _ in range(n_rings - n_cores)]
    cores = [dataclasses.replace(draw(core_specs(("interrupt", "hybrid"))), batch=draw(st.sampled_from([1, 4, 64])))
             for _ in range(n_cores)]
    tick = float(draw(st.sampled_from([5_000, 40_000, 200_000, 4_000_000])))
    rings = [RingSpec(capacity=draw(st.sampled_from([2, 64, 512])), core=owner[k],
                      coalesce_delay_ns=float(draw(st.sampled_from([0, 3_000]))),
                      coalesce_frames=draw(st.integers(1, 4)), adaptive_tick_ns=tick,
                      adaptive_slow_link=draw(st.booleans()), **ITR) for k in range(n_rings)]
    t, ring, size = [], [], []
    now = 0
    for _ in range(draw(st.integers(1, 6))):                 # bursts: 1 to 300 packets, us apart
        now += draw(st.integers(0, 300_000))
        n = draw(st.sampled_from([1, 2, 3, 5, 47, 60, 100, 260, 300]))
        r = draw(st.integers(0, n_rings - 1))
        sz = draw(st.sampled_from([60, 64, 316, 317, 1084, 1500, 1968, 3000]))
        gap = draw(st.sampled_from([0, 0, 10, 500]))
        for _k in range(n):
            now += gap
            t.append(now)
            ring.append(r if draw(st.integers(0, 9)) else draw(st.integers(0, n_rings - 1)))
            size.append(sz)
    t_arr = np.asarray(t, np.float64)
    n = len(t)
    work = np.asarray([draw(st.sampled_from([0, 20, 200])) for _ in range(n)], np.float64)
    horizon = float(t[-1] + draw(st.integers(2, 400_000)))
    cuts = sorted({float(draw(st.integers(1, int(horizon) - 1))) for _ in range(draw(st.integers(0, 4)))})
    feed = [int(np.searchsorted(t_arr, c, side="left")) for c in cuts]
    return Scenario(cores, rings, t_arr, np.asarray(ring, np.int64), work, horizon, cuts, feed, 0.0, np.inf,
                    np.asarray(size, np.int64))


@settings(SETTINGS, max_examples=120)
@given(itr_scenarios())
def test_ixgbe_itr_matches_reference(sc):
    check(sc)


@pytest.mark.parametrize("n", [2, 5, 50, 100, 300])
@pytest.mark.parametrize("size", [60, 317, 1500, 9000])
@pytest.mark.parametrize("slow", [False, True])
def test_every_branch_matches_reference(n, size, slow):
    """Bursts of ``n`` equal frames 100 us apart (so each update sees one burst: every packet-count
    branch and size band), then one packet three ticks later (stale counts); hybrid cores add the
    updates of rings that took nothing."""
    for mode in ("interrupt", "hybrid"):
        core = CoreSpec(mode=mode, batch=64, poll_cost_ns=50.0, empty_poll_cost_ns=20.0, block_after_empty_polls=2)
        rings = [RingSpec(capacity=512, core=0, adaptive_slow_link=slow, **ITR),
                 RingSpec(capacity=512, core=0, adaptive_slow_link=slow, **ITR)]
        t = np.concatenate([k * 100e3 + np.arange(n) * 5.0 for k in range(4)] + [np.array([12.5e6])])
        m = len(t)
        sc = Scenario([core], rings, t, np.zeros(m, np.int64), np.full(m, 30.0), 13e6, [150e3, 2e6],
                      [int(np.searchsorted(t, 150e3)), int(np.searchsorted(t, 2e6))], 0.0, np.inf,
                      np.full(m, size, np.int64))
        check(sc)
