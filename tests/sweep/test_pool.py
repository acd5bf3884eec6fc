"""The local pool: this process runs points as well as the started workers, every point once, on
one thread each, with the rows a serial sweep gives, and the caller's environment left as it was."""

from __future__ import annotations

import os

from vnetsim.sweep import sweep

from .conftest import mm1_doc


def _comparable(rows):
    drop = {"wall_s", "cpu_s", "finished_at"}
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in rows), key=lambda r: (r["key"], r["row"]))


def test_the_parent_runs_points_beside_its_workers_and_the_rows_equal_a_serial_sweep(mm1, monkeypatch):
    monkeypatch.delenv("VNETSIM_THREADS", raising=False)
    doc = mm1_doc(duration="20ms", grid=[{"path": "link.arrival_rate",
                                          "values": ["100kpps", "200kpps", "300kpps", "400kpps", "500kpps"]}],
                  replications=2)
    serial = sweep(doc, workers=1)
    pooled = sweep(doc, workers=3)
    assert "VNETSIM_THREADS" not in os.environ                  # set for the parent's points, then put back
    assert _comparable(pooled.rows) == _comparable(serial.rows) and pooled.ran == 10
    pids = [pid for pid, _, _ in pooled.timeline]
    assert len(pids) == 10 and os.getpid() in pids              # the parent ran some itself
    assert 2 <= len(set(pids)) <= 3                              # and at most two started workers ran the rest
    began, ended = pooled.span
    assert all(began <= s <= e <= ended for _, s, e in pooled.timeline)
    # each process ran its points one at a time
    for pid in set(pids):
        spans = sorted((s, e) for p, s, e in pooled.timeline if p == pid)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


CRASH_KIND = '''
import multiprocessing, os, time
from pydantic import BaseModel, ConfigDict
from vnetsim.kinds import Kind

class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "crash"
    name: str = "crash"
    seed: int = 0
    value: int = 0

def run(v, options):
    if multiprocessing.parent_process() is not None:   # a started worker dies on its point
        os._exit(3)
    time.sleep(0.3)                                    # the sweep's own process is slow but fine
    return [{"name": v.name, "value": v.model.value}]

KIND = Kind(name="crash", summary="a kind whose points kill a started worker", model=Model, run=run,
            render=lambda result, console: None, detect=lambda doc: False)
'''


def test_a_started_worker_that_dies_stops_the_sweep_in_one_line_and_keeps_what_finished(
        tmp_path, monkeypatch):
    import pytest

    from vnetsim.errors import UserError
    from vnetsim.kinds import all_kinds
    from vnetsim.results.store import read_rows

    site = tmp_path / "site"
    (site / "vnetsim_crash_kind-1.0.dist-info").mkdir(parents=True)
    (site / "vnetsim_crash_kind-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vnetsim-crash-kind\nVersion: 1.0\n")
    (site / "vnetsim_crash_kind-1.0.dist-info" / "entry_points.txt").write_text(
        "[vnetsim.kinds]\ncrash = vnetsim_crash_kind:KIND\n")
    (site / "vnetsim_crash_kind.py").write_text(CRASH_KIND)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    all_kinds.cache_clear()
    try:
        doc = {"kind": "crash", "name": "c", "sweep": {"grid": [{"path": "value", "values": list(range(6))}]}}
        store = tmp_path / "s.duckdb"
        with pytest.raises(UserError) as err:
            sweep(doc, workers=2, store=store)
        line = err.value.line()
        assert line.startswith("--workers: a worker process ended abruptly") and "\n" not in line
        assert "rerun to resume" in line
        kept = read_rows(store)
        assert 1 <= len(kept) < 6 and all(r["value"] == r["param.value"] for r in kept)   # whole points only
    finally:
        all_kinds.cache_clear()
