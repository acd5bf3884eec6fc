"""The end of the transmit path as one node (``vnetsim.host.tx_tail``) against the same stages run
as separate pipeline nodes: packet for packet (times, order, drops) and statistic for statistic (every
histogram count and running sum, bit for bit), with late arrivals from upstream, ties (whole-number
times, in-order device completion), full TX rings, per-flow peer delays and random chunks."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.engine.device import DeviceStage
from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import Pipeline
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.host.tx_stages import FlowDelayStage, RingWireStage
from vnetsim.host.tx_tail import TxTailStage, fuse_tail

T_END = 20_000.0


class Fixed:
    """A source of fixed packets (time-ordered), chunk by chunk."""

    def __init__(self, p: Packets) -> None:
        self.p, self.k = p, 0

    def until(self, horizon: float) -> Packets:
        j = int(np.searchsorted(self.p.t_ns, horizon, side="left"))
        out, self.k = self.p.take(slice(self.k, j)), j
        return out


class LateDelay:
    """An upstream that, like a ring server, hands on departures at or after the horizon: each
    packet leaves a whole number of ns (from its flow) after it arrived, ties in id order."""

    name = "late"
    holds_late_arrivals = True

    def __init__(self, delay_of_flow: np.ndarray) -> None:
        self.delay = delay_of_flow

    def advance(self, a: Packets, horizon_ns: float) -> StageOutput:
        out = a.with_times(a.t_ns + self.delay[a.flow])
        order = np.lexsort((out.pkt_id, out.t_ns))
        return StageOutput(out.take(order), NO_DROPS)

    def start_window(self) -> None:
        pass

    def held(self) -> int:
        return 0

    def stats(self) -> None:
        return None


def _stages(device: bool, ring: int, delays: np.ndarray):
    dev = DeviceStage(8e9, 100.0, 1.0, stat_lo_ns=500.0, stat_hi_ns=T_END, name="pnic_tx") if device else None
    wire = RingWireStage(8e9, ring, 500.0, T_END, "tx_wire")
    return [s for s in (dev, wire, FlowDelayStage(delays, 500.0, T_END)) if s is not None]


def _run(packets: Packets, horizons: list[float], up_delay: np.ndarray, stages: list, fused: bool):
    pipe = Pipeline()
    src = pipe.source(Fixed(packets))
    up = pipe.add(LateDelay(up_delay))
    pipe.connect(src, up)
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    drops: list[np.ndarray] = []
    last = up
    nodes = [TxTailStage(*(stages if len(stages) == 3 else [None, *stages]))] if fused else stages
    for st in nodes:
        node = pipe.add(st, on_drop=drops.append)
        pipe.connect(last, node)
        last = node
    sink = pipe.sink(lambda p, h: seen.append((p.pkt_id.copy(), p.t_ns.copy())), in_parts=fused)
    pipe.connect(last, sink)
    for h in horizons:
        pipe.step(h)
        if h == 500.0:
            pipe.start_window()
    pipe.flush()
    pid = np.concatenate([s[0] for s in seen]) if seen else np.empty(0, np.int64)
    t = np.concatenate([s[1] for s in seen]) if seen else np.empty(0)
    dropped = np.sort(np.concatenate(drops)) if drops else np.empty(0, np.int64)
    hists = []
    for st in stages:
        for h in (getattr(st, "latency", None), getattr(st, "sojourn", None), getattr(st, "hist", None)):
            if h is not None:
                hists.append((h.counts.copy(), h.stats.copy()))
    return pid, t, dropped, hists, [s.state.copy() for s in stages if hasattr(s, "state")]


@pytest.mark.parametrize("seed", range(40))
def test_fused_tail_is_the_separate_stages(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    t = np.sort(rng.integers(0, int(T_END * 0.9), n)).astype(float)
    flows = rng.integers(0, 4, n).astype(np.int32)
    size = rng.choice(np.array([64, 100, 1000], np.int32), n)
    packets = Packets(t, t.copy(), size, flows, np.arange(n, dtype=np.int64))
    up_delay = rng.integers(0, 300, 4).astype(float)
    peer = rng.integers(0, 3, 4).astype(float) * (rng.random() < 0.5)     # uniform (zero) or per flow
    device, ring = bool(rng.random() < 0.7), int(rng.integers(1, 6))
    k = int(rng.integers(2, 40))
    horizons = sorted(set(np.sort(rng.integers(1, int(T_END), k)).astype(float).tolist()) | {500.0, T_END})
    a = _run(packets, horizons, up_delay, _stages(device, ring, peer), fused=False)
    b = _run(packets, horizons, up_delay, _stages(device, ring, peer), fused=True)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])       # the same packets, same order
    assert np.array_equal(a[2], b[2])                                          # the same drops
    for (ca, sa), (cb, sb) in zip(a[3], b[3]):
        assert np.array_equal(ca, cb) and np.array_equal(sa, sb)              # bit for bit
    for x, y in zip(a[4], b[4]):
        assert np.array_equal(x, y)


def test_fuse_tail_finds_the_device_wire_and_peer():
    dev, wire, peer = _stages(True, 4, np.zeros(1))
    first, w, tail = fuse_tail(["answer", dev, wire, peer])
    assert (first, w) == (1, 2) and tail is not None and tail.device is dev
    first, w, tail = fuse_tail(["answer", wire, peer])
    assert (first, w) == (1, 1) and tail is not None and tail.device is None
    assert fuse_tail(["answer", dev]) == (2, -1, None)


def test_a_sink_in_parts_sees_what_a_merging_sink_sees():
    """Runs that follow one another reach an in-parts sink run by run, cut at the horizon; its
    packets in order are the merging sink's."""
    got: dict[bool, list] = {True: [], False: []}
    for parts in (True, False):
        pipe = Pipeline()
        src = pipe.source(Fixed(Packets(np.arange(10.0) * 10, np.zeros(10), np.full(10, 64, np.int32),
                                        np.zeros(10, np.int32), np.arange(10, dtype=np.int64))))
        up = pipe.add(LateDelay(np.array([15.0])))
        pipe.connect(src, up)
        sink = pipe.sink(lambda p, h, parts=parts: got[parts].extend(zip(p.pkt_id.tolist(), p.t_ns.tolist())),
                         in_parts=parts)
        pipe.connect(up, sink)
        for h in (25.0, 50.0, 77.0):
            pipe.step(h)
        assert all(t < 77.0 for _, t in got[parts])
        pipe.flush()
    assert got[True] == got[False] and len(got[True]) == 8


def test_device_in_two_parts_is_one_call():
    """One call's arrivals handed to the device in two parts (the first with ``last_part=False``):
    the same departures and, bit for bit, the same latency histogram as one call (a run of equal
    latencies spans the two parts: recorded once; with these times 13 x + 27 x is not 40 x in
    floating point, so a run recorded in two pieces would show)."""
    t = np.arange(40) * 1000.0
    p = Packets(t, t.copy(), np.full(40, 64, np.int32), np.zeros(40, np.int32), np.arange(40, dtype=np.int64))
    one, two = (DeviceStage(8e9, 123.45, 0.3, name="d") for _ in range(2))
    a = one.advance(p, 1e9).departures
    b1 = two.advance(p.take(slice(0, 13)), 1e9, last_part=False).departures
    b2 = two.advance(p.take(slice(13, None)), 1e9).departures
    assert np.array_equal(a.t_ns, np.concatenate([b1.t_ns, b2.t_ns]))
    assert np.array_equal(one.latency.counts, two.latency.counts)
    assert np.array_equal(one.latency.stats, two.latency.stats) and np.array_equal(one.state, two.state)


def test_threaded_round_trip_is_the_serial_one(monkeypatch):
    """The round-trip sink takes its runs in parts in the pipeline's waves too (runs of later
    chunks already in its inbox stay there): the threaded run is the serial run, field for field."""
    import vnetsim

    doc = {"name": "rt", "duration": "3ms", "chunk_packets": 1000,
           "traffic": {"flows": [{"name": "f", "count": 16, "rate": "2Mpps", "size": 64}]},
           "host": {"service": {"mode": "poll"},
                    "vms": [{"name": "vm", "guest": {"service": {"mode": "poll"},
                                                      "app": {"per_packet": "100cycles", "respond": {}}}}]}}
    rows = []
    for threads in ("1", "3"):
        monkeypatch.setenv("VNETSIM_THREADS", threads)
        rows.append(vnetsim.run(doc).variants)
    assert rows[0] == rows[1] and rows[0][0]["round_trip_ns"]["samples"] > 1000
