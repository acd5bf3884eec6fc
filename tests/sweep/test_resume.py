"""Resumable sweeps: a rerun runs only the points the store lacks, and a sweep killed with SIGKILL
at a moment of its run leaves a store that opens, holds only whole points, and is finished by a
rerun that runs exactly the missing points."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
import yaml

from vnetsim.sweep import execute, sweep

from .conftest import mm1_doc


@pytest.fixture
def counted(monkeypatch):
    """Counts the points actually run (serial execution calls execute.run_point once per point)."""
    calls: list[str] = []
    real = execute.run_point

    def counting(point):
        calls.append(point.key)
        return real(point)

    monkeypatch.setattr(execute, "run_point", counting)
    return calls


def test_rerun_skips_finished_points_and_runs_new_ones(mm1, counted, tmp_path):
    store = tmp_path / "s.duckdb"
    doc = mm1_doc(duration="2ms", grid=[{"path": "link.arrival_rate", "values": ["100kpps", "200kpps"]}],
                  replications=2)
    first = sweep(doc, store=store, workers=1)
    assert (first.ran, first.skipped, len(counted)) == (4, 0, 4)
    again = sweep(doc, store=store, workers=1)
    assert (again.ran, again.skipped, len(counted)) == (0, 4, 4)
    assert again.rows == first.rows
    # one more grid value and one more replication: only the 2 x 3 - 4 new points run
    wider = sweep(doc, store=store, workers=1, grid=["link.arrival_rate=100kpps,200kpps,300kpps"], replications=3)
    assert (wider.ran, wider.skipped, len(counted)) == (5, 4, 9)
    assert len(set(counted)) == 9
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT key) FROM runs").fetchone() == (9, 9)
    con.close()


def _vnetsim(env, *args, cwd):
    code = "import sys; from vnetsim.cli import main; sys.argv[0] = 'vnetsim'; main(sys.argv[1:])"
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.mark.slow
def test_sigkill_mid_sweep_keeps_whole_points_and_a_rerun_finishes_the_rest(mm1, counted, tmp_path):
    rates = [f"{r}kpps" for r in range(100, 500, 25)]                     # 16 design points
    doc = mm1_doc(duration="60ms", grid=[{"path": "link.arrival_rate", "values": rates}], replications=2)
    (tmp_path / "mm1.yaml").write_text(yaml.safe_dump(doc))
    store = tmp_path / "s.duckdb"
    wal = tmp_path / "s.duckdb.wal"
    proc = _vnetsim(mm1, "sweep", "mm1.yaml", "--store", store, "--workers", "2", "-q", cwd=tmp_path)
    deadline = time.monotonic() + 120

    def wal_size() -> int:
        return wal.stat().st_size if wal.exists() else 0

    while wal_size() == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    created = wal_size()                                                  # the tables, before any point
    while wal_size() < created + 3000 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)                                                  # a few points committed

    assert proc.poll() is None, ("the sweep ended before it was killed", proc.communicate())
    os.kill(proc.pid, signal.SIGKILL)                                     # the parent, mid-sweep
    proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)                               # its orphaned workers
    except ProcessLookupError:
        pass
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute("SELECT key, row, seed, replication, \"param.link.arrival_rate\", \"sojourn_ns.mean\", "
                       "packets, result_json FROM runs").fetchall()
    con.close()
    total = 32
    assert 0 < len(rows) < total, len(rows)
    assert len({r[0] for r in rows}) == len(rows)                         # one row per point, no duplicates
    for key, row, seed, rep, rate, mean, packets, text in rows:
        assert None not in (key, row, seed, rep, rate, mean, packets, text)
        full = json.loads(text)
        assert (full["sojourn_ns"]["mean"], full["packets"]) == (mean, packets)
    done = len(rows)
    rerun = sweep(tmp_path / "mm1.yaml", store=store, workers=1)
    assert (rerun.ran, rerun.skipped) == (total - done, done)
    assert len(counted) == total - done
    assert sorted(r["key"] for r in rerun.rows) == sorted(p.key for p in rerun.points)


def test_a_value_given_twice_runs_once(mm1, counted):
    res = sweep(mm1_doc(duration="1ms"), grid=["link.arrival_rate=100kpps,100kpps,200kpps"], workers=1)
    assert len(res.points) == 3 and (res.ran, res.skipped) == (2, 0) and len(counted) == 2
    assert len(res.rows) == 2
