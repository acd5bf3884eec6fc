"""The compiled FIFO queues agree packet for packet with the SimPy reference model.

Random small scenarios (hypothesis): 1-3 queues, packet caps 0 (unbounded) to 8, byte caps,
0-60 packets on an integer-nanosecond grid (so float sums are exact and ties are frequent:
arrivals at a departure time, equal arrival times, zero service times). The kernel is fed in one
call and in random chunks; departures (NaN for drops) must be identical to the reference, and
so must the per-queue counters.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference.fifo_ref import fifo_reference  # noqa: E402

from vnetsim.engine.fifo import LINK_COUNTERS, FifoQueues, lindley_single  # noqa: E402

SETTINGS = settings(max_examples=500, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def scenarios(draw):
    nq = draw(st.integers(1, 3))
    cap_pkts = [draw(st.one_of(st.just(0), st.integers(1, 8))) for _ in range(nq)]
    cap_bytes = [float(draw(st.one_of(st.just(0), st.integers(1, 400)))) for _ in range(nq)]
    bpn = [float(draw(st.sampled_from([0.5, 1.0, 2.0, 4.0]))) for _ in range(nq)]
    n = draw(st.integers(0, 60))
    gaps = draw(st.lists(st.one_of(st.just(0), st.integers(0, 10), st.integers(0, 60)), min_size=n, max_size=n))
    t = np.cumsum(np.asarray(gaps, np.int64)).astype(np.float64)
    q = np.asarray(draw(st.lists(st.integers(0, nq - 1), min_size=n, max_size=n)), np.int64)
    s = np.asarray(draw(st.lists(st.one_of(st.just(0), st.integers(0, 40)), min_size=n, max_size=n)), np.float64)
    size = np.asarray(draw(st.lists(st.integers(1, 100), min_size=n, max_size=n)), np.int64)
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=1, max_size=5)))
    return nq, np.asarray(cap_pkts), np.asarray(cap_bytes), np.asarray(bpn), t, q, s, size, cuts


def run_kernel(nq, cap_pkts, cap_bytes, bpn, t, q, s, size, cuts):
    fq = FifoQueues(nq, cap_pkts, cap_bytes, bpn)
    parts, lo = [], 0
    for hi in [*cuts, len(t)]:
        parts.append(fq.advance(t[lo:hi], q[lo:hi], s[lo:hi], size[lo:hi]))
        lo = hi
    return fq, np.concatenate(parts) if parts else np.empty(0)


@SETTINGS
@given(scenarios())
def test_fifo_matches_reference(sc):
    nq, cap_pkts, cap_bytes, bpn, t, q, s, size, cuts = sc
    end = float(t[-1]) if len(t) else 0.0
    ref = fifo_reference(t, q, s, size, nq, cap_pkts, cap_bytes, bpn, end=end)
    want = np.asarray(ref.departure, np.float64)
    for chunks in ([], cuts):
        fq, dep = run_kernel(nq, cap_pkts, cap_bytes, bpn, t, q, s, size, chunks)
        assert np.array_equal(dep, want, equal_nan=True), (chunks, dep, want)
        counters = fq.counters()             # LINK_COUNTERS, since the start (no window started)
        assert counters.dtype == LINK_COUNTERS
        assert counters["accepted"].tolist() == fq.accepted.tolist() == ref.accepted
        assert counters["dropped"].tolist() == fq.dropped.tolist() == ref.dropped
        assert np.allclose(counters["sojourn_ns"], ref.sojourn_sum, rtol=1e-12, atol=0)
        assert np.allclose(counters["busy_ns"], ref.busy, rtol=1e-12, atol=0)
        tracked = cap_pkts > 0              # in_system() tracks packet-capacity queues only
        assert fq.in_system(end)[tracked].tolist() == np.asarray(ref.in_system_at_end)[tracked].tolist()


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=60), st.integers(0, 50))
def test_lindley_single_matches_reference(pairs, last):
    """The unbounded single-queue recursion, with a carried last departure."""
    gaps = np.asarray([g for g, _ in pairs], np.int64)
    t = np.cumsum(gaps).astype(np.float64)
    s = np.asarray([x for _, x in pairs], np.float64)
    dep, carried = lindley_single(t, s, float(last))
    # the reference: a packet arriving at 0 with service `last` (it departs at `last`), then the arrivals
    ref = fifo_reference(np.r_[0.0, t], np.zeros(len(t) + 1, np.int64), np.r_[float(last), s],
                         np.ones(len(t) + 1, np.int64), 1)
    want = np.asarray(ref.departure[1:])
    assert np.array_equal(dep, want)
    assert carried == (want[-1] if len(want) else float(last))


def test_counters_count_from_the_window_start():
    fq = FifoQueues(2, cap_pkts=[1, 0])
    fq.advance([0.0, 0.5, 1.0], [0, 0, 1], [2.0, 2.0, 1.0], [64, 64, 64])   # packet 1 finds queue 0 full
    fq.start_window()
    fq.advance([3.0, 4.0], [0, 1], [1.0, 1.0], [64, 64])
    c = fq.counters()
    assert c["accepted"].tolist() == [1, 1] and c["dropped"].tolist() == [0, 0]
    assert c["sojourn_ns"].tolist() == [1.0, 1.0] and c["busy_ns"].tolist() == [1.0, 1.0]
    assert fq.accepted.tolist() == [2, 2] and fq.dropped.tolist() == [1, 0]     # since the start
