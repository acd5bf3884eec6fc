"""Memory does not grow with the run's length: the same scenario at 1x, 10x and 100x the duration
keeps the same peak RSS within 10 % (each run in its own process, measured with
``resource.getrusage(RUSAGE_SELF).ru_maxrss``), for the host path and the fabric packet level.

Rates are low and chunks small, so the 100x runs are 650 to 1000 chunks and a few seconds
long: whatever a run keeps per chunk (chunk bounds, per-chunk arrays, statistics) would show.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import Pipeline, chunk_count, iter_chunk_bounds

_MEASURE = textwrap.dedent("""
    import json, resource, sys
    import vnetsim
    doc, duration = json.loads(sys.argv[1]), sys.argv[2]
    res = vnetsim.run(doc, duration=duration)
    packets = sum(int((row.get("packets") or {}).get("offered", 0)) for row in res.variants)
    print(json.dumps({"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "packets": packets}))
""")

HOST = {"name": "memory", "chunk_packets": 1000,
        "traffic": {"flows": [{"name": "u", "count": 64, "rate": "10kpps", "arrival": "poisson"}]}}
FABRIC = {"kind": "fabric", "name": "memory", "fabric": {"topology": "spine_leaf", "racks": 2, "hosts_per_rack": 4,
                                                        "engine": {"level": "packet", "chunk_packets": 1000}},
          "traffic": {"pattern": "uniform", "rate": "100Mbps", "flows_per_host": 2}}


def _peak(doc: dict, duration: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", _MEASURE, json.dumps(doc), duration], capture_output=True,
                         text=True, timeout=300, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return got["maxrss_kib"], got["packets"]


@pytest.mark.parametrize("doc, base", [(HOST, 1.0), (FABRIC, 0.1)], ids=["host", "fabric"])
def test_peak_rss_does_not_grow_with_duration(doc, base):
    _peak(doc, f"{base}s")                      # compiles the kernels if this machine has no cache yet
    peaks = {}
    for scale in (1, 10, 100):
        peaks[scale] = _peak(doc, f"{base * scale:g}s")
    (rss1, n1), (rss10, n10), (rss100, n100) = peaks[1], peaks[10], peaks[100]
    assert n100 > 5 * n10 > 25 * n1
    assert n1 > 0                               # the long runs really carried ~10x and ~100x the packets
    assert rss10 <= 1.10 * rss1, peaks
    assert rss100 <= 1.10 * rss1, peaks


def test_chunk_bounds_are_generated_lazily():
    """1e9 s at 10 Mpps is 1.5e11 chunks: the bounds are produced one at a time, never as a list."""
    duration, pps, chunk = 1e18, 1e7, 65_536
    assert chunk_count(duration, pps, chunk) > 1e11
    tracemalloc.start()
    try:
        it = iter_chunk_bounds(duration, 1e12, pps, chunk)
        first = [next(it) for _ in range(10_000)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    assert first == sorted(first) and first[0] == chunk / pps * 1e9


class _Stop(Exception):
    pass


class _CountingSource:
    """A source that offers nothing and stops the run after a few chunks."""

    offered_pps = 1e7
    mean_frame_bytes = 64.0

    def __init__(self, chunks: int) -> None:
        self.left = chunks

    def until(self, horizon_ns: float) -> Packets:
        self.left -= 1
        if self.left < 0:
            raise _Stop
        return Packets.empty()


def test_pipeline_run_of_1e9_seconds_starts_at_once():
    """The pipeline streams its horizons: a run of 1e9 s starts its first chunks without building
    its 1.5e11 bounds first (the old list took 11 GiB)."""
    pipe = Pipeline()
    src = pipe.source(_CountingSource(5))
    pipe.connect(src, pipe.sink(lambda packets, horizon_ns: None))
    tracemalloc.start()
    try:
        with pytest.raises(_Stop):
            pipe.run(1e18, 1e7, 65_536, warmup_ns=1e9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


@pytest.mark.parametrize("pps", [1e-300, 5e-324, 0.0, 1e-3])
def test_tiny_rates_give_one_chunk(pps):
    bounds = list(iter_chunk_bounds(1e9, 1e8, pps, 65_536))
    assert bounds == [1e8, 1e9]
    assert all(np.isfinite(bounds))
