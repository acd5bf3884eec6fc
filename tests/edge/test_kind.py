"""The edge kind end to end: the CLI, break-even rows, one-line errors, and run-level checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import vnetsim
from vnetsim.edge.breakeven import breakeven_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "factory-edge-vs-central.yaml"
SMALL = {"kind": "edge", "seed": 3, "duration": "20s", "sites": 2,
         "sensors": [{"name": "s", "count": 50, "sample_rate": "100Hz", "samples_per_message": 10}],
         "events": {"rate": 0.5}, "edge": {"buffer": "64KiB"},
         "uplink": {"technology": "lte", "rate": "1Mbps", "outages": {"schedule": [["5s", "4s"]]}},
         "variants": [{"name": "central"},
                      {"name": "edge", "edge": {"stages": [{"kind": "detect", "per_sample": "100ns"},
                                                           {"kind": "aggregate", "window": "1s"}]}}]}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vnetsim.cli.app", *args], capture_output=True, text=True, timeout=300)


def test_breakeven_cli_json(tmp_path):
    out = tmp_path / "be.json"
    p = cli("edge", "breakeven", str(EXAMPLE), "--json", str(out))
    assert p.returncode == 0, p.stderr
    rows = json.loads(out.read_text())
    assert [r["name"] for r in rows] == ["central ingest", "edge aggregate 1s", "edge compress only"]
    assert rows == json.loads(json.dumps(breakeven_rows(EXAMPLE)))
    for r in rows[1:]:
        assert r["pays_off"] == (r["reduction_ratio"] > r["breakeven_ratio"])


@pytest.mark.parametrize("args,needle", [
    (["edge", "breakeven", str(EXAMPLE), "--set", "sensors.vibration.count=0"], "count"),
    (["edge", "breakeven", str(EXAMPLE), "--set", "sensors.vibration.samples_per_message=1000"], "MTU"),
    (["run", str(EXAMPLE), "--set", "sensors.vibration.protocol.transport=udp"], "MQTT runs over TCP"),
    (["run", str(EXAMPLE), "--set", "duration=1000h"], "limits.max_messages"),
])
def test_bad_input_is_one_line_exit_2(args, needle):
    p = cli(*args)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in p.stderr, p.stderr


def test_small_run_outage_events_and_volumes():
    res = vnetsim.run(SMALL)
    central, edge = res.variants
    # central ingest: 2 sites x 50 sensors x 10 msg/s for 20 s, plus events, all counted at the source
    assert central["offered"]["data_messages"] == pytest.approx(2 * 50 * 10 * 20, abs=100)
    assert central["uplink"]["bytes"]["dropped"] > 0, "a 4 s outage overflows a 64 KiB buffer at ~400 kb/s"
    assert edge["uplink"]["bytes"]["dropped"] == 0 and edge["events"]["delivered"] == edge["events"]["offered"]
    assert edge["events"]["latency_ns"]["p50"] < 1e9 < central["uplink"]["wait_ns"]["max"]
    assert edge["reduction_ratio"] > 10
    assert res.to_dataframe().shape[0] == 2


@pytest.mark.parametrize("upf", [False, True])
def test_chunk_size_does_not_change_the_result(upf):
    """Same seed, other chunking: the same row, every number (message ids, queue decisions, the
    order histograms are recorded in, the UPF host)."""
    from vnetsim.edge.config import EdgeScenario
    from vnetsim.edge.simulate import run_edge_scenario

    doc = {k: v for k, v in SMALL.items() if k not in ("kind", "variants")}
    doc["uplink"] = dict(doc["uplink"], outages={"mean_up": "3s", "mean_down": "1s"}, jitter="2ms", loss=0.01)
    doc["upf"] = {"enabled": upf}
    rows = [run_edge_scenario(EdgeScenario.model_validate(dict(doc, chunk_messages=c))) for c in (1024, 50_000)]
    assert rows[0] == rows[1]
    assert rows[0]["uplink"]["messages"]["dropped"] > 0 and rows[0]["uplink"]["messages"]["in"] > 20_000
