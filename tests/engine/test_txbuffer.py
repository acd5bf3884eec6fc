"""The TX buffer stage (``vnetsim.engine.txbuffer``) against its event-driven reference
(tests/reference/tx_ref.py), packet for packet, chunked at random horizons; plus l3fwd's two
regimes in closed form: at low load every packet waits for the next drain tick, at high load
packets leave in bursts of 32."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference.tx_ref import txbuffer_reference  # noqa: E402

from vnetsim.engine.packets import Packets  # noqa: E402
from vnetsim.engine.txbuffer import TxBufferStage  # noqa: E402


def run_stage(stage, t, flow, horizons):
    """Feed time-ordered arrivals chunk by chunk (each chunk's arrivals before its horizon)."""
    n = len(t)
    pid = np.arange(n, dtype=np.int64)
    out_t, out_p = [], []
    lo = 0
    previous = -np.inf
    for h in horizons:
        hi = int(np.searchsorted(t, h, side="left"))
        pk = Packets(t[lo:hi].copy(), t[lo:hi].copy(), np.full(hi - lo, 64, np.int32), flow[lo:hi].astype(np.int32),
                     pid[lo:hi])
        res = stage.advance(pk, h)
        d = res.departures
        assert (np.diff(d.t_ns) >= 0).all(), "departures in time order"
        assert all(d.t_ns[k] < d.t_ns[k + 1] or d.pkt_id[k] < d.pkt_id[k + 1] for k in range(len(d) - 1))
        assert (d.t_ns >= previous).all(), "a later call's departures are at or after the last horizon"
        previous = h
        out_t += d.t_ns.tolist()
        out_p += d.pkt_id.tolist()
        lo = hi
    return dict(zip(out_p, out_t))


@st.composite
def cases(draw):
    n_buf = draw(st.integers(1, 3))
    n_flows = 4
    buffer_of_flow = np.array(draw(st.lists(st.integers(-1, n_buf - 1), min_size=n_flows, max_size=n_flows)))
    burst = np.array(draw(st.lists(st.integers(1, 5), min_size=n_buf, max_size=n_buf)))
    drain = np.array(draw(st.lists(st.sampled_from([20.0, 50.0, 70.0]), min_size=n_buf, max_size=n_buf)))
    n = draw(st.integers(0, 60))
    t = np.cumsum(np.array(draw(st.lists(st.sampled_from([0, 10, 20, 50]), min_size=n, max_size=n)), float))
    flow = np.array(draw(st.lists(st.integers(0, n_flows - 1), min_size=n, max_size=n)), np.int64)
    end = float((t[-1] if n else 0.0) + draw(st.integers(1, 200)))
    cuts = sorted(set(draw(st.lists(st.integers(1, int(end)), max_size=6)))) + [end]
    return buffer_of_flow, burst, drain, t, flow, end, [float(c) for c in cuts]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(cases())
def test_txbuffer_matches_reference(case):
    buffer_of_flow, burst, drain, t, flow, end, horizons = case
    stage = TxBufferStage(buffer_of_flow, burst, drain)
    got = run_stage(stage, t, flow, horizons)
    ref = txbuffer_reference(t, np.arange(len(t)), flow, buffer_of_flow, burst, drain, end)
    assert got == ref
    assert stage.held() == len(t) - len(got), "what has not left is held"


def test_low_load_waits_for_the_drain_tick():
    """Packets far apart: each leaves at the first 100 us tick after it arrived (l3fwd at low load)."""
    t = np.array([1e3, 250e3, 401e3, 950e3])
    stage = TxBufferStage(np.zeros(1, np.int64), 32, 100e3)
    got = run_stage(stage, t, np.zeros(4, np.int64), [1e6, 2e6])   # the last tick is the first horizon
    assert [got[k] for k in range(4)] == [100e3, 300e3, 500e3, 1e6]
    assert stage.stats().drain_flushes == 4
    assert np.isclose(stage.stats().wait.mean, np.mean([99e3, 50e3, 99e3, 50e3]), rtol=0.01)


def test_high_load_leaves_in_bursts():
    """64 packets 10 ns apart: two full bursts of 32, each leaving with its 32nd packet."""
    t = np.arange(64) * 10.0 + 5.0
    stage = TxBufferStage(np.zeros(1, np.int64), 32, 100e3)
    got = run_stage(stage, t, np.zeros(64, np.int64), [1e6])
    assert {got[k] for k in range(32)} == {t[31]} and {got[k] for k in range(32, 64)} == {t[63]}
    assert stage.stats().full_flushes == 2 and stage.stats().drain_flushes == 0
