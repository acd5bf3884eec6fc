"""`--pcap` timestamps start at the run's wall-clock start (not 1970); epoch 0 keeps simulated time."""

from __future__ import annotations

import time
from pathlib import Path

import vnetsim
from vnetsim.io.pcap import read_pcap

SCENARIO = {"duration": "2ms", "warmup": "0ms", "traffic": {"flows": [{"name": "a", "rate": "100kpps", "size": 128}]}}


def test_pcap_times_start_at_the_run_start(tmp_path: Path):
    out = tmp_path / "a.pcap"
    before = time.time_ns()
    res = vnetsim.run(SCENARIO, pcap=str(out))
    after = time.time_ns()
    t = read_pcap(out).t_ns
    assert len(t) == res.variants[0]["packets"]["offered"] > 0
    # pcap keeps microseconds: the first packet is within its simulated offset of the run's start
    assert before - 1_000 <= t[0] <= after + 2_000_000
    assert t[-1] - t[0] <= 2_000_000


def test_epoch_zero_keeps_simulated_time(tmp_path: Path):
    from vnetsim.api import load
    from vnetsim.kinds import PcapRequest, RunOptions, get_kind

    out = tmp_path / "b.pcap"
    kind, _, variants = load(SCENARIO)
    get_kind(kind).run_variant(variants[0], RunOptions(pcap=PcapRequest(str(out), epoch_ns=0)))
    t = read_pcap(out).t_ns
    assert 0 <= t[0] < 2_000_000 and t[-1] < 2_000_000
