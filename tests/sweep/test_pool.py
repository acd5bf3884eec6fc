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
