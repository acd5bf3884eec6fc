"""Captures replayed as traffic: the loop period is defined for every trace and every call makes
progress (traffic.arrivals.TraceArrivals); hostile captures through the real command line exit
with status 2 and one line naming the capture, never a traceback."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.traffic.arrivals import MIN_LOOP_GAP_NS, UNTIMED_LOOP_GAP_NS, TraceArrivals

FRAME = bytes.fromhex("02000000000102000000000208004500002e0000000040110000"
                      "0a0000010a000002045708ae001a0000") + bytes(18)


def _arrivals(t, loop=True, scale=1.0):
    t = np.asarray(t, np.int64)
    return TraceArrivals(t, np.arange(len(t)) % 3, np.full(len(t), 100), scale, loop)


def _drain(gen, horizons):
    parts = [gen.until(h) for h in horizons]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def test_loop_period_is_span_plus_mean_gap():
    gen = _arrivals([0, 10_000, 20_000, 40_000, 50_000])        # span 50 us, mean gap 12.5 us
    assert gen.period == 62_500.0 and gen.offered_pps == pytest.approx(5 / 62.5e-6)
    t, f, s = gen.until(130_000)
    assert t.tolist() == [0, 1e4, 2e4, 4e4, 5e4, 62_500, 72_500, 82_500, 102_500, 112_500, 125_000]
    assert f.tolist() == [0, 1, 2, 0, 1] * 2 + [0] and (s == 100).all()


def test_single_packet_and_one_timestamp_loop_at_a_documented_period():
    one = _arrivals([1_700_000_000_000_000_000])
    assert one.period == UNTIMED_LOOP_GAP_NS == 1000.0
    assert one.until(5500)[0].tolist() == [0, 1000, 2000, 3000, 4000, 5000]
    burst = _arrivals([7] * 4)
    assert burst.period == 4 * UNTIMED_LOOP_GAP_NS
    assert burst.until(4001)[0].tolist() == [0, 0, 0, 0, 4000, 4000, 4000, 4000]


@pytest.mark.parametrize("t", [[0], [0, 0, 0], [0, 10, 35], [3, 1, 2, 900]])
@pytest.mark.parametrize("scale", [1.0, 250.0, 1e-4])
def test_offered_rate_is_what_the_loop_gives(t, scale):
    """A caller sizing its chunks by ``offered_pps`` gets about that many packets (bounded memory)."""
    gen = _arrivals(t, scale=scale)
    n = len(gen.until(2e7)[0])
    assert n == pytest.approx(gen.offered_pps * 2e7 / 1e9, rel=0.01, abs=len(t))
    assert gen.period == max((1000.0 * len(t) if max(t) == min(t) else (max(t) - min(t)) * len(t) / (len(t) - 1))
                             * scale, len(t) * MIN_LOOP_GAP_NS)


def test_a_loop_never_runs_faster_than_one_packet_per_ns():
    gen = _arrivals(np.arange(1000) // 999)                     # 999 packets at 0, one at 1 ns
    assert gen.period == 1000 * MIN_LOOP_GAP_NS
    assert len(gen.until(1e6)[0]) == 1000 * 1000


def test_epoch_nanoseconds_keep_their_precision():
    t0 = 1_700_000_000_123_456_789
    gen = _arrivals([t0, t0 + 1, t0 + 3], loop=False)          # float64 would round to 256 ns steps
    assert gen.until(10)[0].tolist() == [0.0, 1.0, 3.0]


def test_times_out_of_order_are_sorted():
    gen = _arrivals([50, 10, 30, 10], loop=False)
    t, f, _ = gen.until(1e9)
    assert t.tolist() == [0, 0, 20, 40] and f.tolist() == [1, 0, 2, 0], "stable: equal times keep their order"


def test_many_passes_in_one_call_are_vectorized():
    gen = _arrivals([5])
    start = time.perf_counter()
    t, _, _ = gen.until(1e9)                                    # a million passes of a one-packet trace
    assert len(t) == 1_000_000 and (np.diff(t) == 1000).all()
    assert time.perf_counter() - start < 2.0
    assert len(gen.until(1e9)[0]) == 0 and len(gen.until(1e9 + 1)[0]) == 1


@settings(max_examples=100, deadline=None)
@given(t=st.lists(st.integers(0, 10**6), min_size=1, max_size=30), loop=st.booleans(),
       scale=st.sampled_from([1.0, 0.5, 3.0, 1e-3]),
       cuts=st.lists(st.floats(0, 5e6, allow_nan=False), max_size=8))
def test_independent_of_horizons_and_always_progressing(t, loop, scale, cuts):
    horizons = sorted(cuts) + [5e6]
    whole = _drain(_arrivals(t, loop, scale), [5e6])
    gen = _arrivals(t, loop, scale)
    prev = -np.inf
    got = []
    for h in horizons:
        tt, ff, ss = gen.until(h)
        assert ((tt >= prev) & (tt < h)).all()
        prev = max(prev, h)
        got.append((tt, ff, ss))
    for k in range(3):
        assert np.array_equal(np.concatenate([g[k] for g in got]), whole[k])
    assert (np.diff(whole[0]) >= 0).all()
    if loop:
        assert len(whole[0]) >= len(t) * int(5e6 // gen.period)
    else:
        assert len(whole[0]) == sum(1 for x in t if (x - min(t)) * scale < 5e6)


# -- through the command line --------------------------------------------------------------------

def _pcap(*records) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for sec, usec, cap, orig in records:
        out += struct.pack("<IIII", sec, usec, cap, orig) + FRAME[:cap]
    return out


def _block(btype, body):
    body += bytes(-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


_SHB = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
_IDB = _block(1, struct.pack("<HHI", 1, 0, 65535))
_EPB = _block(6, struct.pack("<IIIII", 0, 0, 1, 60, 60) + FRAME)

HOSTILE = [
    ("orig-4GB", _pcap((1, 0, 60, 60), (1, 10, 60, 2**32 - 1)), "original length 4294967295 is larger than any frame"),
    ("orig-2GB", _pcap((1, 0, 60, 2**31)), "original length 2147483648"),
    ("orig-below-cap", _pcap((1, 0, 60, 20)), "shorter than the captured length 60"),
    ("jumbo-gro", _pcap((1, 0, 60, 64000)), "larger than the largest frame the model carries"),
    ("empty", _pcap(), "has no packets"),
    ("tsresol-10^-127", _SHB + _block(1, struct.pack("<HHI", 1, 0, 65535) + struct.pack("<HHB3x", 9, 1, 0x7F)
                                      + bytes(4)) + _EPB, "if_tsresol 0x7f"),
    ("tsresol-shift-70", _SHB + _block(1, struct.pack("<HHI", 1, 0, 65535) + struct.pack("<HHB3x", 9, 1, 0xC6)
                                       + bytes(4)) + _EPB, "if_tsresol 0xc6"),
    ("empty-epb", _SHB + _IDB + _block(6, b""), "Enhanced Packet Block of 12 bytes is too short"),
    ("empty-spb", _SHB + _IDB + _block(3, b""), "Simple Packet Block of 12 bytes is too short"),
    ("1025-interfaces", _SHB + _IDB * 1025 + _EPB, "at most 1024 interfaces"),
]


def _run(tmp_path, capture: bytes, loop: bool = False, name: str = "hostile.pcap"):
    (tmp_path / name).write_bytes(capture)
    (tmp_path / "scenario.yaml").write_text(
        f"name: t\nduration: 5ms\nwarmup: 0\ntraffic:\n  flows: [{{name: cap, trace: {{pcap: {name}, "
        f"loop: {str(loop).lower()}}}}}]\n")
    return subprocess.run([sys.executable, "-m", "vnetsim.cli.app", "run", str(tmp_path / "scenario.yaml"),
                           "--json", str(tmp_path / "out.json")], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)


@pytest.mark.parametrize("case, capture, expect", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_capture_through_the_cli(tmp_path, case, capture, expect):
    res = _run(tmp_path, capture)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, res.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr[-2000:]
    assert "hostile.pcap" in lines[0] and expect in lines[0], lines[0]
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("loop", [False, True])
def test_backwards_and_repeated_timestamps_give_sane_counts(tmp_path, loop):
    """Timestamps going backwards used to give offered 0, delivered 1, in flight -1."""
    res = _run(tmp_path, _pcap((2, 0, 60, 60), (1, 0, 60, 60), (1, 0, 60, 60), (1, 500, 42, 42)), loop)
    assert res.returncode == 0, res.stderr[-2000:]
    packets = json.loads((tmp_path / "out.json").read_text())["variants"][0]["packets"]
    assert min(packets.values()) >= 0
    assert packets["offered"] == packets["delivered"] + packets["dropped"] + packets["in_flight"]
    assert packets["offered"] == 3, packets          # sorted: 0, 0, 500 us, 1 s (a loop of 4/3 s)


def test_repairs_are_reported_in_the_result(tmp_path):
    """A capture whose timestamps go backwards is replayed sorted, and the result says so."""
    import numpy as np

    import vnetsim
    from vnetsim.io import read_pcap, write_pcap
    from vnetsim.net.synth import vm_flows

    flows, _ = vm_flows(3, 1, np.random.default_rng(1))
    path = tmp_path / "backwards.pcap"
    write_pcap(path, np.array([3e6, 1e6, 2e6, 4e6]), np.array([0, 1, 2, 0]), np.full(4, 200), flows)
    assert len(read_pcap(path)) == 4
    doc = {"name": "r", "duration": "10ms", "traffic": {"flows": [{"name": "cap", "trace": {"pcap": str(path)}}]}}
    row = vnetsim.run(doc).variants[0]
    # two records (at 1 ms and 2 ms) come after a later one (3 ms) in the file
    assert row["trace_repairs"] == {"cap": {"reordered": 2, "padded": 0, "untimed": 0}}
    assert row["packets"]["offered"] == 4 and row["packets"]["in_flight"] >= 0
