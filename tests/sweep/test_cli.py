"""`vnetsim sweep` and `vnetsim results` on the command line: a host sweep end to end, one line
and exit status 2 for bad input, nothing on stderr when it is not a terminal."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
import yaml

SCENARIO = {"name": "tiny host", "seed": 3, "duration": "2ms", "warmup": "0.5ms",
            "traffic": {"flows": [{"name": "udp", "count": 16, "rate": "200kpps", "size": 64}]},
            "host": {"service": {"mode": "poll"}, "vms": [{"name": "vnf", "guest": {"service": {"mode": "poll"}}}]},
            "sweep": {"replications": 2, "grid": [{"path": "host.pnic.rx_queues", "values": [1, 2]}]}}


def vnetsim(*args, cwd):
    code = "import sys; from vnetsim.cli import main; sys.argv[0] = 'vnetsim'; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def scenario(tmp_path):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(SCENARIO))
    return tmp_path


def test_host_sweep_stores_every_point_and_prints_intervals(scenario):
    res = vnetsim("sweep", "s.yaml", "--grid", "loads=[100kpps,300kpps]", "--store", "r.duckdb", "-j", "1",
                  "-m", "latency_ns.p99", "--json", "summary.json", cwd=scenario)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""                                               # no progress bar when piped
    assert "p99" in res.stdout and "±" in res.stdout and "us" in res.stdout    # headed short, in its unit
    con = duckdb.connect(str(scenario / "r.duckdb"), read_only=True)
    n, points, queues, loads = con.execute(
        'SELECT count(*), count(DISTINCT key), count(DISTINCT "param.host.pnic.rx_queues"), '
        'count(DISTINCT "param.loads") FROM runs').fetchone()
    assert (n, points, queues, loads) == (8, 8, 2, 2)
    hist = con.execute("SELECT count(*), min(n) FROM histograms WHERE metric = 'latency_histogram'").fetchone()
    assert hist[0] == 8 and hist[1] > 0
    con.close()
    summary = json.loads((scenario / "summary.json").read_text())
    assert summary["ran"] == 8 and len(summary["summary"]) == 4
    assert all(e["replications"] == 2 for e in summary["summary"])
    again = vnetsim("sweep", "s.yaml", "--grid", "loads=[100kpps,300kpps]", "--store", "r.duckdb", "-q", cwd=scenario)
    assert again.returncode == 0 and again.stderr == ""
    out = vnetsim("results", "r.duckdb", "--where", "\"param.loads\" = '100kpps'", "--csv", "-", cwd=scenario)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 1 + 4
    table = vnetsim("results", "r.duckdb", "--summary", "-m", "delivered_pps", cwd=scenario)
    assert table.returncode == 0 and "delivered" in table.stdout and "kpps" in table.stdout
    merged = vnetsim("results", "r.duckdb", "--percentiles", "latency_histogram", cwd=scenario)
    assert merged.returncode == 0 and "replications merged" in merged.stdout and "p999" in merged.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["--grid", "host.pnic.rx_queues"], "vnetsim: --grid 'host.pnic.rx_queues': expected PATH=VALUE"),
    (["--grid", "host.pnic.rx_queues=1,two"], "vnetsim: --grid host.pnic.rx_queues: host.pnic.rx_queues='two': "
                                               "Input should be a valid integer"),
    (["--grid", "kind=a,b"], "vnetsim: --grid 'kind=a,b': 'kind' cannot be swept"),
    (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "vnetsim: --dask: runs on the cluster's workers"),
])
def test_bad_sweep_options_are_one_line_and_exit_2(scenario, args, expected):
    res = vnetsim("sweep", "s.yaml", *args, cwd=scenario)
    assert res.returncode == 2
    assert res.stderr.startswith(expected) and res.stderr.count("\n") == 1, res.stderr
    assert not (scenario / "r.duckdb").exists()


def test_bad_sweep_block_is_one_line(scenario):
    (scenario / "bad.yaml").write_text(yaml.safe_dump(dict(SCENARIO, sweep={"grid": [{"path": "x", "values": 3}]})))
    res = vnetsim("sweep", "bad.yaml", cwd=scenario)
    assert res.returncode == 2
    assert res.stderr == "vnetsim: bad.yaml: sweep.grid[0].values: Input should be a valid list\n"


@pytest.mark.parametrize(("args", "expected"), [
    (["missing.duckdb"], "vnetsim: results missing.duckdb: no such results store"),
    (["s.yaml"], "vnetsim: results s.yaml: "),
])
def test_bad_store_is_one_line(scenario, args, expected):
    res = vnetsim("results", *args, cwd=scenario)
    assert res.returncode == 2 and res.stderr.startswith(expected) and res.stderr.count("\n") == 1, res.stderr


def test_run_writes_flat_csv_and_parquet_equal_to_its_json(scenario):
    import pandas as pd

    res = vnetsim("run", "s.yaml", "-q", "--json", "r.json", "--csv", "r.csv", "--parquet", "r.parquet",
                  cwd=scenario)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    row = json.loads((scenario / "r.json").read_text())["variants"][0]
    for frame in (pd.read_csv(scenario / "r.csv"), pd.read_parquet(scenario / "r.parquet")):
        assert len(frame) == 1
        got = frame.iloc[0]
        assert got["scenario"] == "tiny host" and got["kind"] == "host"
        assert got["latency_ns.p99"] == row["latency_ns"]["p99"]
        assert got["packets.delivered"] == row["packets"]["delivered"]
        assert got["cpu.host/core0.useful"] == row["cpu"]["host/core0"]["useful"]
        assert json.loads(got["window_s"]) == row["window_s"]
        assert "latency_histogram.count" not in frame.columns


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_warning_every_point_repeats_is_said_once(scenario, workers):
    """A warm-up not shorter than the run is scaled, with a warning, in each of the 4 points (in this
    process and in a started worker): the sweep says it once."""
    doc = dict(SCENARIO, warmup="5ms")
    (scenario / "w.yaml").write_text(yaml.safe_dump(doc))
    res = vnetsim("sweep", "w.yaml", "-j", workers, "-q", cwd=scenario)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vnetsim: warning: w.yaml") and "warm-up was scaled" in lines[0]


def test_warning_lines_keep_warnings_and_pass_the_rest_on():
    import io

    from vnetsim.sweep.execute import WarningLines

    real = io.StringIO()
    w = WarningLines(real)
    for part in ("\r\x1b[2Ksweep 1/4", "vnetsim: warn", "ing: a.yaml: one", "\n", "other\n", "vnetsim: warning: b"):
        w.write(part)
    assert real.getvalue() == "\r\x1b[2Ksweep 1/4other\n"
    assert w.finish() == ["vnetsim: warning: a.yaml: one", "vnetsim: warning: b"]
