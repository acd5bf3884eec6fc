"""The results store: an embedded DuckDB database of runs, one row per result row of every point.

Tables (documented in docs/results.md, "The results store"):

- ``runs``: the run's identity (``key``, ``row``, ``design``, ``sweep``, ``kind``, ``scenario``,
  ``variant``, ``replication``, ``seed``, ``vnetsim_version``, ``wall_s``, ``cpu_s``, ``finished_at``), the
  swept values as ``param.PATH`` columns, every scalar of the result row as a column named as
  ``vnetsim.results.flat.flatten`` names it, and the row's full JSON (``result_json``). Columns are
  added (and widened) as new points bring new fields.
- ``histograms``: the latency histograms of each row (``key``, ``row``, ``metric`` = dotted path,
  ``sub_bits``, ``bucket[]``, ``count[]``, ``n``, ``min_ns``, ``max_ns``, ``mean_ns``), so that
  percentiles can be merged across replications (``merged_histogram``).
- ``meta``: the schema version.

Every point is written by one process (the sweep's parent) in **one transaction**: its runs rows
and histograms appear together or not at all, so a sweep killed at any moment leaves only whole
points, and a rerun finds their keys (``finished``) and skips them. DuckDB's write-ahead log makes a
committed transaction survive a kill; an uncommitted one is discarded when the file is next opened.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vnetsim.errors import UserError
from vnetsim.io.outputs import to_plain
from vnetsim.results.flat import cell, column_types, copy_query, flatten, histograms, quote, sql_type, wider
from vnetsim.results.histograms import histogram_from_json, histogram_to_json

SCHEMA_VERSION = "1"
PARAM_PREFIX = "param."
FIXED: dict[str, str] = {
    "key": "VARCHAR", "row": "INTEGER", "design": "VARCHAR", "sweep": "VARCHAR", "kind": "VARCHAR",
    "scenario": "VARCHAR", "variant": "VARCHAR", "replication": "INTEGER", "seed": "UBIGINT",
    "vnetsim_version": "VARCHAR", "wall_s": "DOUBLE", "cpu_s": "DOUBLE", "finished_at": "TIMESTAMP",
    "result_json": "VARCHAR",
}
EXPORT_SKIP = ("result_json",)


def _duckdb():
    import duckdb

    return duckdb


def connect(path: str | Path, option: str = "--store", read_only: bool = False) -> Any:
    """A DuckDB connection to the store, or one line saying why not."""
    duckdb = _duckdb()
    p = Path(path)
    if str(path) != ":memory:":
        if read_only and not p.exists():
            raise UserError(f"{option} {path}", "no such results store", "give the file a sweep wrote (--store)")
        if p.is_dir():
            raise UserError(f"{option} {path}", "is a directory", "name a file, e.g. results.duckdb")
        if not p.parent.is_dir() and str(p.parent):
            raise UserError(f"{option} {path}", f"folder {p.parent} does not exist", "create it first")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise UserError(f"{option} {path}", "is in use by another process (a sweep still running?)",
                            "wait for it to finish, or use another file") from None
        raise UserError(f"{option} {path}", f"cannot open: {text.splitlines()[0]}",
                        "give a DuckDB file written by vnetsim") from None
    except duckdb.Error as exc:
        raise UserError(f"{option} {path}", f"is not a DuckDB database: {str(exc).splitlines()[0]}",
                        "give a file written by vnetsim sweep --store") from None


class Store:
    """A results store open for writing (``:memory:`` for a sweep that keeps nothing)."""

    def __init__(self, path: str | Path, option: str = "--store") -> None:
        self.path = str(path)
        self.con = connect(path, option)
        self._create()
        self.columns = self._columns()

    def _create(self) -> None:
        con = self.con
        con.execute("CREATE TABLE IF NOT EXISTS meta (name VARCHAR, value VARCHAR)")
        found = con.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if found is None:
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        elif found[0] != SCHEMA_VERSION:
            raise UserError(f"--store {self.path}", f"has schema version {found[0]}, this vnetsim writes "
                            f"{SCHEMA_VERSION}", "use a new store file")
        con.execute("CREATE TABLE IF NOT EXISTS runs (" + ", ".join(f"{quote(c)} {t}" for c, t in FIXED.items())
                    + ")")
        con.execute("CREATE TABLE IF NOT EXISTS histograms (key VARCHAR, row INTEGER, metric VARCHAR, "
                    "sub_bits INTEGER, bucket BIGINT[], count BIGINT[], n BIGINT, min_ns DOUBLE, max_ns DOUBLE, "
                    "mean_ns DOUBLE)")

    def _columns(self) -> dict[str, str]:
        rows = self.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'runs' ORDER BY ordinal_position").fetchall()
        return {name: str(t) for name, t in rows}

    def finished(self, keys: Iterable[str] | None = None) -> set[str]:
        """The keys (of ``keys``, or all) whose points are in the store: they need not run again."""
        found = {k for (k,) in self.con.execute("SELECT DISTINCT key FROM runs").fetchall()}
        return found if keys is None else found & set(keys)

    def _ensure(self, types: dict[str, str]) -> None:
        """Add missing columns; widen a column whose new values need a wider type."""
        for name, t in types.items():
            have = self.columns.get(name)
            if have is None:
                self.con.execute(f"ALTER TABLE runs ADD COLUMN {quote(name)} {t}")
                self.columns[name] = t
            elif name not in FIXED:
                need = wider(have if have in ("BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR") else "VARCHAR", t)
                if need is not None and need != have:
                    self.con.execute(f"ALTER TABLE runs ALTER COLUMN {quote(name)} TYPE {need}")
                    self.columns[name] = need

    def add(self, *, key: str, design: str, sweep: str, kind: str, scenario: str, variant: str, replication: int,
            seed: int, params: dict[str, Any], rows: list[dict], wall_s: float, version: str,
            cpu_s: float | None = None) -> None:
        """Write one finished point (all its result rows and their histograms) in one transaction."""
        now = datetime.now(UTC).replace(tzinfo=None)
        records = []
        for i, row in enumerate(rows):
            rec: dict[str, Any] = {"key": key, "row": i, "design": design, "sweep": sweep, "kind": kind,
                                   "scenario": scenario, "variant": variant, "replication": replication,
                                   "seed": seed, "vnetsim_version": version, "wall_s": wall_s, "cpu_s": cpu_s,
                                   "finished_at": now,
                                   "result_json": json.dumps(to_plain(row), sort_keys=True, allow_nan=False)}
            for path, value in params.items():
                rec[PARAM_PREFIX + path] = json.dumps(to_plain(value)) if isinstance(value, list | dict) \
                    else to_plain(value)
            for name, value in flatten(row).items():
                if name in FIXED:
                    if rec[name] == value:
                        continue
                    name = "result." + name
                rec[name] = value
            records.append(rec)
        types = column_types([{k: v for k, v in r.items() if k not in FIXED} for r in records])
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            self._ensure(types)
            for rec in records:
                cols = list(rec)
                con.execute(f"INSERT INTO runs ({', '.join(quote(c) for c in cols)}) VALUES "
                            f"({', '.join('?' for _ in cols)})",
                            [rec[c] if c in FIXED else cell(rec[c], self.columns[c]) for c in cols])
            for i, row in enumerate(rows):
                for metric, h in histograms(row).items():
                    count = [int(c) for c in h["count"]]
                    con.execute("INSERT INTO histograms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [key, i, metric, int(h["sub_bits"]), [int(b) for b in h["bucket"]], count,
                                 sum(count), h.get("min_ns"), h.get("max_ns"), h.get("mean_ns")])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def rows(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The runs rows of the points ``keys`` as flat dictionaries (no pandas needed)."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        self.con.execute("CREATE OR REPLACE TEMP TABLE wanted_keys (key VARCHAR)")
        self.con.executemany("INSERT INTO wanted_keys VALUES (?)", [[k] for k in wanted])
        cur = self.con.execute("SELECT r.* EXCLUDE (result_json) FROM runs r JOIN wanted_keys w USING (key) "
                               "ORDER BY r.design, r.replication, r.row")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, values)) for values in cur.fetchall()]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _where(where: str | None) -> str:
    if where is None or not where.strip():
        return ""
    if ";" in where:
        raise UserError("--where", "one filter expression, without ';'", "write e.g. --where \"seed > 3\"")
    return f" WHERE {where}"


def _query_error(exc: Exception) -> UserError:
    first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return UserError("--where", f"not a filter on the runs table: {first}",
                     'quote dotted column names, e.g. --where \'"latency_ns.p99" < 1e4 AND variant = \'\'a\'\'\'')


def open_store(path: str | Path, where: str | None = None):
    """The ``runs`` table of a store as a pandas DataFrame (``where``: a DuckDB filter expression
    such as ``"param.host.pnic.rx_queues" >= 4``). Needs pandas."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise UserError("vnetsim.results.open", "needs pandas, which is not installed",
                        "pip install 'vnetsim[pandas]'") from None
    duckdb = _duckdb()
    con = connect(path, "store", read_only=True)
    try:
        return con.execute("SELECT * FROM runs" + _where(where) + " ORDER BY finished_at, key, row").df()
    except duckdb.Error as exc:
        raise _query_error(exc) from None
    finally:
        con.close()


def export(path: str | Path, out: str | Path, fmt: str, where: str | None = None, option: str = "--csv") -> int:
    """Write the store's runs (without ``result_json``) matching ``where`` to ``out`` (CSV or
    Parquet, whole or not at all); returns the number of rows written."""
    duckdb = _duckdb()
    con = connect(path, "results", read_only=True)
    try:
        query = f"SELECT * EXCLUDE ({', '.join(EXPORT_SKIP)}) FROM runs{_where(where)} ORDER BY finished_at, key, row"
        try:
            (count,) = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
        except duckdb.Error as exc:
            raise _query_error(exc) from None
        copy_query(con, query, out, fmt, option)
        return int(count)
    finally:
        con.close()


def read_rows(path: str | Path, where: str | None = None, command: str = "results") -> list[dict[str, Any]]:
    """The runs matching ``where`` as flat dictionaries, without ``result_json`` (no pandas needed);
    ``command`` names the command in an error line."""
    duckdb = _duckdb()
    con = connect(path, command, read_only=True)
    try:
        cur = con.execute(f"SELECT * EXCLUDE ({', '.join(EXPORT_SKIP)}) FROM runs{_where(where)} "
                          "ORDER BY finished_at, key, row")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, values)) for values in cur.fetchall()]
    except duckdb.Error as exc:
        raise _query_error(exc) from None
    finally:
        con.close()


def _merged(con: Any, pairs: list[tuple[str, int]], metric: str) -> dict:
    """One histogram of ``metric`` over the runs rows ``pairs`` (key, row): the counts of equal
    buckets added (``LogHistogram.merge``), with its percentiles under ``summary``."""
    con.execute("CREATE OR REPLACE TEMP TABLE wanted_rows (key VARCHAR, row INTEGER)")
    con.executemany("INSERT INTO wanted_rows VALUES (?, ?)", [list(p) for p in pairs])
    found = con.execute("SELECT h.sub_bits, h.bucket, h.count, h.min_ns, h.max_ns, h.mean_ns FROM histograms h "
                        "JOIN wanted_rows w USING (key, row) WHERE h.metric = ? ORDER BY h.key, h.row",
                        [metric]).fetchall()
    if not found:
        raise UserError(f"histogram {metric}", "no runs with this histogram", "check the filter and the metric name")
    if len({f[0] for f in found}) > 1:
        raise UserError(f"histogram {metric}", "runs with different bucket layouts cannot merge",
                        "select runs of one vnetsim version")
    total = None
    for sub_bits, bucket, count, lo, hi, mean in found:
        h = histogram_from_json({"sub_bits": sub_bits, "bucket": bucket, "count": count, "min_ns": lo,
                                 "max_ns": hi, "mean_ns": mean})
        if total is None:
            total = h
        else:
            total.merge(h)
    assert total is not None
    out = histogram_to_json(total)
    out["runs"] = len(found)
    out["summary"] = {k: (float(v) if math.isfinite(v) else None) for k, v in total.summary().items()}
    return out


def merged_histogram(path: str | Path, metric: str = "latency_histogram", where: str | None = None) -> dict:
    """One histogram of ``metric`` over every run matching ``where`` (replications merged by adding
    the counts of equal buckets), in the JSON form of ``vnetsim.results.histograms``, with ``runs``
    (how many histograms) and its percentiles (``summary``: mean, p50, p90, p99, p999, max in ns)."""
    duckdb = _duckdb()
    con = connect(path, "store", read_only=True)
    try:
        try:
            pairs = con.execute(f"SELECT key, row FROM runs{_where(where)}").fetchall()
        except duckdb.Error as exc:
            raise _query_error(exc) from None
        return _merged(con, pairs, metric)
    finally:
        con.close()


def merged_by_design(path: str | Path, metric: str = "latency_histogram",
                     where: str | None = None) -> list[dict[str, Any]]:
    """Per design point and result row (replications together): its identity (``design``, ``row``,
    ``variant``, ``name``, the ``param.`` values) and ``merged_histogram`` of its runs."""
    rows = read_rows(path, where)
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["design"], r["row"]), []).append(r)
    con = connect(path, "store", read_only=True)
    try:
        out = []
        for (design, row), members in groups.items():
            first = members[0]
            head = {"design": design, "row": row, "variant": first.get("variant"), "name": first.get("name"),
                    "params": {k[len(PARAM_PREFIX):]: v for k, v in first.items() if k.startswith(PARAM_PREFIX)}}
            out.append({**head, **_merged(con, [(m["key"], m["row"]) for m in members], metric)})
        return out
    finally:
        con.close()


__all__ = ["Store", "connect", "export", "merged_by_design", "merged_histogram", "open_store", "read_rows",
           "sql_type"]
