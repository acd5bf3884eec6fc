"""The results store: whole points per transaction, columns that follow the data, histograms that
merge across replications exactly, and exports (CSV, Parquet) that read back equal to the JSON."""

from __future__ import annotations

import json
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

import vnetsim.results
from vnetsim.engine.histogram import LogHistogram
from vnetsim.errors import UserError
from vnetsim.results.flat import flatten
from vnetsim.results.histograms import histogram_to_json
from vnetsim.results.store import Store, export, merged_by_design, merged_histogram, read_rows


def _hist(values) -> dict:
    h = LogHistogram()
    h.record(np.asarray(values, float))
    return histogram_to_json(h)


def _row(i: int, rng) -> dict:
    lat = rng.exponential(2000.0, 500) + 100
    return {"name": f"r{i}", "packets": {"offered": 100 + i, "dropped": i % 2}, "rate_pps": 1e6 * (i + 0.5),
            "ok": i % 2 == 0, "mode": "poll", "window_s": [0.001, 0.01], "p99_ns": float(np.quantile(lat, 0.99)),
            "latency_histogram": _hist(lat), "_samples": lat}


def _add(store: Store, i: int, row: dict, **kw) -> None:
    clean = {k: v for k, v in row.items() if k != "_samples"}
    store.add(key=f"k{i}", design=f"d{i // 2}", sweep="s", kind="test", scenario="f.yaml", variant="v",
              replication=i % 2, seed=1000 + i, params={"a.b": i // 2, "loads": ["1Mpps"]}, rows=[clean],
              wall_s=0.5, version="0.1.0", **kw)


def test_rows_read_back_equal_to_their_json(tmp_path):
    rng = np.random.default_rng(1)
    rows = [_row(i, rng) for i in range(4)]
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        for i, r in enumerate(rows):
            _add(store, i, r)
        assert store.finished() == {"k0", "k1", "k2", "k3"}
    got = read_rows(path)
    assert len(got) == 4
    for g in got:
        i = int(g["key"][1:])
        expected = flatten({k: v for k, v in rows[i].items() if k != "_samples"})
        for name, value in expected.items():
            assert g[name] == value, name
        assert (g["param.a.b"], g["param.loads"], g["seed"], g["replication"]) == (i // 2, '["1Mpps"]', 1000 + i,
                                                                                   i % 2)
    frame = vnetsim.results.open(path, where='"param.a.b" = 1')
    assert sorted(frame["key"]) == ["k2", "k3"]
    full = json.loads(frame["result_json"].iloc[0])
    assert full["packets"]["offered"] == frame["packets.offered"].iloc[0]


def test_columns_are_added_and_widened_as_points_bring_them(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        points = [{"name": "a", "x": 1}, {"name": "b", "x": 2.5, "y": "new"}, {"name": "c", "x": "n/a"}]
        for i, row in enumerate(points):
            store.add(key=f"k{i}", design="d", sweep="s", kind="t", scenario="f", variant="v", replication=i,
                      seed=i, params={}, rows=[row], wall_s=0.0, version="0")
    got = {r["key"]: r for r in read_rows(path)}
    assert (got["k0"]["x"], got["k1"]["x"], got["k2"]["x"]) == ("1.0", "2.5", "n/a")  # BIGINT, DOUBLE, VARCHAR
    assert got["k0"]["y"] is None and got["k1"]["y"] == "new"


def test_a_failing_point_leaves_nothing_behind(tmp_path):
    path = tmp_path / "s.duckdb"
    rng = np.random.default_rng(2)
    with Store(path) as store:
        _add(store, 0, _row(0, rng))
        bad = _row(1, rng)
        bad["latency_histogram"] = dict(bad["latency_histogram"], count="not a list of counts")
        with pytest.raises(Exception):  # noqa: B017 - whatever DuckDB raises, the transaction is rolled back
            _add(store, 1, bad)
        assert store.finished() == {"k0"}
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM histograms").fetchone() == (1,)
    con.close()


def test_merged_histogram_is_the_histogram_of_all_samples(tmp_path):
    rng = np.random.default_rng(3)
    rows = [_row(i, rng) for i in range(4)]
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        for i, r in enumerate(rows):
            _add(store, i, r)
    merged = merged_histogram(path, where='"param.a.b" = 1')
    direct = LogHistogram()
    direct.record(np.concatenate([rows[2]["_samples"], rows[3]["_samples"]]))
    expected = histogram_to_json(direct)
    assert (merged["bucket"], merged["count"]) == (expected["bucket"], expected["count"])
    assert merged["min_ns"] == expected["min_ns"] and merged["max_ns"] == expected["max_ns"]
    assert merged["mean_ns"] == pytest.approx(expected["mean_ns"], rel=1e-12)
    assert merged["summary"]["p99"] == direct.quantile(0.99)
    with pytest.raises(UserError, match="no runs with this histogram"):
        merged_histogram(path, metric="nope")
    # per design point: designs d0 (runs 0, 1) and d1 (runs 2, 3), each its replications merged
    by_design = {e["design"]: e for e in merged_by_design(path)}
    assert sorted(by_design) == ["d0", "d1"] and by_design["d1"]["params"] == {"a.b": 1, "loads": '["1Mpps"]'}
    assert by_design["d1"]["runs"] == 2 and by_design["d1"]["count"] == merged["count"]
    assert by_design["d1"]["summary"] == merged["summary"]


def test_exports_read_back_equal_and_replace_whole(tmp_path):
    rng = np.random.default_rng(4)
    rows = [_row(i, rng) for i in range(3)]
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        for i, r in enumerate(rows):
            _add(store, i, r)
    csv, parquet = tmp_path / "o.csv", tmp_path / "o.parquet"
    assert export(path, csv, "csv") == 3
    assert export(path, parquet, "parquet", option="--parquet") == 3
    for frame in (pd.read_csv(csv), pd.read_parquet(parquet),
                  duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')").df()):
        frame = frame.set_index("key")
        for i, r in enumerate(rows):
            got = frame.loc[f"k{i}"]
            assert got["p99_ns"] == r["p99_ns"] and got["packets.offered"] == r["packets"]["offered"]
            assert bool(got["ok"]) == r["ok"] and json.loads(got["window_s"]) == r["window_s"]
        assert "result_json" not in frame.columns
    before = csv.read_bytes()
    with pytest.raises(UserError) as err:
        export(path, csv, "csv", where="no_such_column > 1")
    assert err.value.line().startswith("--where: not a filter on the runs table")
    assert csv.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "o.csv", "o.parquet", "s.duckdb"]
    with pytest.raises(UserError, match="without ';'"):
        export(path, csv, "csv", where="1=1; DROP TABLE runs")


def test_open_needs_pandas_and_says_so(tmp_path, monkeypatch):
    with Store(tmp_path / "s.duckdb"):
        pass
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UserError) as err:
        vnetsim.results.open(tmp_path / "s.duckdb")
    assert err.value.line() == ("vnetsim.results.open: needs pandas, which is not installed "
                                "(pip install 'vnetsim[pandas]')")


def test_a_store_in_use_or_not_a_store_is_one_line(tmp_path):
    (tmp_path / "x.duckdb").write_text("not a database")
    with pytest.raises(UserError) as err:
        read_rows(tmp_path / "x.duckdb")
    assert err.value.line().startswith(f"results {tmp_path / 'x.duckdb'}: ")
    with pytest.raises(UserError, match="no such results store"):
        read_rows(tmp_path / "missing.duckdb")
