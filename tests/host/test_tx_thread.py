"""The host TX thread's stage (``vnetsim.host.tx_thread``) and the fused tail (``vnetsim.host.tx_tail``)
against the plain stages: the ring stage (``RingStage``) and the TX DMA, wire and peer as separate
pipeline nodes. Random cases, ring by ring and whole round trips: every departure, drop (and the
stage it is booked at), latency histogram, ring and CPU counter bit for bit, with full TX rings at
the TX thread and at the wire, interrupt-driven, polling and hybrid threads, one or several queues,
and random chunk horizons."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import vnetsim
from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import CoreSpec, RingServer, RingSpec
from vnetsim.engine.stage import RingStage
from vnetsim.host import tx, tx_tail
from vnetsim.host.stage_plans import RingStagePlan
from vnetsim.host.tx_thread import TxThreadPlan, TxThreadStage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.host.test_round_trip_reference import engine, round_trip_cases  # noqa: E402


def _cores(rng, n_cores: int) -> list[CoreSpec]:
    out = []
    for _ in range(n_cores):
        mode = str(rng.choice(["poll", "interrupt", "hybrid"]))
        out.append(CoreSpec(mode=mode, batch=int(rng.integers(1, 5)), poll_cost_ns=float(rng.integers(0, 30)),
                            empty_poll_cost_ns=float(rng.integers(1, 20)), irq_cost_ns=float(rng.integers(0, 50)),
                            wakeup_ns=float(rng.integers(0, 50)), sleep_after_empty_polls=int(rng.integers(1, 4)),
                            sleep_ns=float(rng.integers(1, 40)), block_after_empty_polls=int(rng.integers(2, 9))))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_tx_thread_stage_is_the_ring_stage(seed):
    """Random rings and cores, random arrivals (ties included) in random chunks: the same departures,
    drops, counters and histograms as ``RingStage``."""
    rng = np.random.default_rng(seed)
    n_cores = int(rng.integers(1, 3))
    n_rings = int(rng.integers(1, 4))
    cores = _cores(rng, n_cores)
    rings = [RingSpec(capacity=int(rng.integers(1, 6)), core=k % n_cores) for k in range(n_rings)]
    n_flows = 5
    ring_of_flow = rng.integers(0, n_rings, n_flows)
    pp, pb = rng.integers(0, 60, n_flows).astype(float), rng.integers(0, 2, n_flows) * 0.25
    n = int(rng.integers(1, 400))
    t = np.sort(rng.integers(0, 20_000, n)).astype(float)
    packets = Packets(t, t - rng.integers(0, 3, n), rng.choice(np.array([64, 100, 1500], np.int32), n),
                      rng.integers(0, n_flows, n).astype(np.int32), np.arange(n, dtype=np.int64))
    horizons = sorted(set(rng.integers(1, 25_000, int(rng.integers(1, 30))).astype(float).tolist()) | {25_000.0})
    stages = [cls(RingServer(cores, rings, 2_000.0, 22_000.0, detail=False), ring_of_flow, pp, pb, "r")
              for cls in (RingStage, TxThreadStage)]
    got = []
    for st in stages:
        seen, lo = [], 0
        for h in horizons:
            hi = int(np.searchsorted(packets.t_ns, h, side="left"))
            out = st.advance(packets.take(slice(lo, hi)), h)
            seen.append((out.departures.pkt_id.copy(), out.departures.t_ns.copy(), out.drop_pid.copy()))
            lo = hi
            if h == horizons[0]:
                st.start_window()
        s = st.stats()
        got.append((seen, s))
    (a, sa), (b, sb) = got
    for x, y in zip(a, b):
        assert all(np.array_equal(p, q) for p, q in zip(x, y))
    assert np.array_equal(sa.cores, sb.cores) and np.array_equal(sa.core_packets, sb.core_packets)
    assert np.array_equal(sa.rings, sb.rings)
    for ha, hb in ((sa.wait, sb.wait), (sa.work, sb.work)):
        assert np.array_equal(ha.counts, hb.counts) and np.array_equal(ha.stats, hb.stats)


def _plain(monkeypatch):
    """The TX thread as a plain ring stage and no fused tail: the separate stages."""
    monkeypatch.setattr(TxThreadPlan, "build", RingStagePlan.build)
    monkeypatch.setattr(tx_tail, "FUSE", False)


def _same_run(a, b) -> None:
    """Two ``HostRun``s of one case agree field for field (histograms and counters bit for bit)."""
    def same_hist(x, y):
        return np.array_equal(x.counts, y.counts) and np.array_equal(x.stats, y.stats)

    assert (a.offered, a.delivered, a.drops, a.tx_drops, a.tx_delivered) == \
        (b.offered, b.delivered, b.drops, b.tx_drops, b.tx_delivered)
    assert (a.in_flight_state, a.delivered_total, a.dropped_total) == (b.in_flight_state, b.delivered_total,
                                                                       b.dropped_total)
    assert list(a.stages) == list(b.stages) and all(same_hist(a.stages[k], b.stages[k]) for k in a.stages)
    assert same_hist(a.latency, b.latency) and same_hist(a.round_trip, b.round_trip)
    for x, y in zip(a.ring_stats + a.tx_ring_stats, b.ring_stats + b.tx_ring_stats):
        assert np.array_equal(x.cores, y.cores) and np.array_equal(x.rings, y.rings)
        assert np.array_equal(x.core_packets, y.core_packets) and same_hist(x.wait, y.wait)
        assert same_hist(x.work, y.work)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(round_trip_cases())
def test_round_trip_is_the_separate_stages(monkeypatch, case):
    """Random round trips (the reference comparison's cases: interrupt, poll and hybrid threads,
    one or two vCPUs and queues, TX rings of 1 to 4 slots, random chunks): packet for packet (back
    at the client, dropped and where) and statistic for statistic as the separate stages."""
    doc, t, size, flow, end, chunk, rings = case
    plan, run, returned, dropped = engine(doc, t, size, flow, end, chunk, rings)
    with monkeypatch.context() as m:
        _plain(m)
        plan_b, run_b, returned_b, dropped_b = engine(doc, t, size, flow, end, chunk, rings)
    assert returned == returned_b and dropped == dropped_b
    _same_run(run, run_b)


def _scenario(deployment: str, mode: str, vcpus: int, rate: str) -> dict:
    vm = {"name": "vm", "vnic": {"queues": vcpus},
          "guest": {"vcpus": vcpus, "service": {"mode": "poll"}, "app": {"per_packet": "100cycles", "respond": {}}}}
    host: dict = {"service": {"mode": mode}, "pnic": {"rx_queues": 2}, "deployment": deployment}
    if deployment == "bare-metal":
        host.update(app={"per_packet": "100cycles", "respond": {}})
    else:
        host["vms"] = [vm]
    return {"name": "rt", "duration": "2ms", "chunk_packets": 1000,
            "traffic": {"flows": [{"name": "f", "count": 64, "rate": rate, "size": 64}]}, "host": host}


@pytest.mark.parametrize("deployment,mode,vcpus,rate,tx_ring", [
    ("vswitch", "poll", 1, "3Mpps", 0), ("vswitch", "poll", 2, "5Mpps", 0), ("vswitch", "interrupt", 1, "1Mpps", 0),
    ("poll-vswitch", "poll", 1, "4Mpps", 0), ("vhost", "interrupt", 2, "1Mpps", 0),
    ("bare-metal", "poll", 1, "3Mpps", 0),
    ("vswitch", "poll", 1, "6Mpps", 2), ("vswitch", "poll", 2, "6Mpps", 3), ("vswitch", "interrupt", 2, "3Mpps", 2),
])
def test_published_results_are_the_separate_stages(monkeypatch, deployment, mode, vcpus, rate, tx_ring):
    """Whole scenarios, every published field (latencies, drops, counters, CPU shares): the TX
    thread's stage and the fused tail give the separate stages' result, on one thread and on three.
    ``tx_ring`` > 0: TX rings of that many slots (the vNIC's and the pNIC's): the TX thread drops."""
    doc = _scenario(deployment, mode, vcpus, rate)
    if tx_ring:
        monkeypatch.setattr(tx, "VNIC_TX_RING", {"vmxnet3": tx_ring, "virtio": tx_ring})
        monkeypatch.setattr(tx, "PNIC_TX_RING", tx_ring)
    rows = []
    for plain in (False, True):
        with monkeypatch.context() as m:
            if plain:
                _plain(m)
            for threads in ("1", "3"):
                m.setenv("VNETSIM_THREADS", threads)
                rows.append(vnetsim.run(doc).variants)
    assert rows[0] == rows[1] == rows[2] == rows[3]
    assert rows[0][0]["round_trip_ns"]["samples"] > 500
    drops = rows[0][0]["drops_by_stage"]
    assert not tx_ring or drops["vnic_tx_ring"] > 0            # the TX thread's full rings drop
