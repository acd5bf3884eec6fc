"""The same sweep on a Dask distributed LocalCluster (two worker processes) and on the local
process pool gives the same rows for the same seeds, bit for bit."""

from __future__ import annotations

import pytest

from vnetsim.errors import UserError
from vnetsim.sweep import execute, sweep

from .conftest import mm1_doc

distributed = pytest.importorskip("distributed")

IDENTITY = ("key", "design", "variant", "replication", "seed", "row", "param.link.arrival_rate")


def _comparable(rows):
    drop = {"wall_s", "cpu_s", "finished_at"}
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in rows), key=lambda r: r["key"])


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_pools_results(mm1, tmp_path):
    doc = mm1_doc(duration="5ms", grid=[{"path": "link.arrival_rate", "values": ["200kpps", "400kpps", "600kpps"]}],
                  replications=2)
    local = sweep(doc, store=tmp_path / "local.duckdb", workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster:
        remote = sweep(doc, store=tmp_path / "dask.duckdb", dask=cluster.scheduler_address)
        assert (remote.ran, remote.skipped) == (6, 0)
        again = sweep(doc, store=tmp_path / "dask.duckdb", dask=cluster.scheduler_address)
        assert (again.ran, again.skipped) == (0, 6)
    assert _comparable(remote.rows) == _comparable(local.rows)
    assert len({r["seed"] for r in remote.rows}) == 2


def test_unreachable_scheduler_is_one_line(mm1, monkeypatch):
    monkeypatch.setattr(execute, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(UserError) as err:
        sweep(mm1_doc(duration="1ms"), dask="tcp://127.0.0.1:1")
    line = err.value.line()
    assert line.startswith("--dask tcp://127.0.0.1:1: cannot reach the Dask scheduler") and "\n" not in line


def test_workers_undo_a_small_malloc_trim_threshold_once(monkeypatch):
    import ctypes.util

    if ctypes.util.find_library("c") is None:
        pytest.skip("no C library to tune")
    monkeypatch.setattr(execute, "_MALLOC_TUNED", False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert execute.tune_malloc() is False                     # no variable: malloc left alone
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")     # as Dask's nanny starts its workers
    assert execute.tune_malloc() is True
    assert execute.tune_malloc() is False                     # once per process
