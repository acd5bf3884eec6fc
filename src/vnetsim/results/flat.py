"""Flat columns of a result row, for the results store and for CSV and Parquet exports.

One rule everywhere (``vnetsim.results.store``, ``vnetsim run --csv/--parquet``,
``vnetsim results --csv/--parquet``): nested mappings become dotted column names
(``latency_ns.p99``, ``cpu.host/core0.useful``); numbers, strings, booleans and nulls are kept as
they are; lists become their JSON text (``window_s`` -> ``"[0.001, 0.01]"``). Latency histograms
(mappings with ``sub_bits``, ``bucket`` and ``count``, see ``vnetsim.results.histograms``) are not
columns: ``histograms`` lists them by their dotted path, and the store keeps them in a table of
their own so that percentiles merge across replications.

Column types follow the values: BOOLEAN, BIGINT (integers), DOUBLE (a column with any float),
VARCHAR (text, JSON text, or a column whose values mix numbers and text).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from vnetsim.errors import UserError
from vnetsim.io.outputs import AtomicFile, to_plain

FORMATS = ("csv", "parquet")


def is_histogram(value: Any) -> bool:
    """Is ``value`` a latency histogram in its JSON form?"""
    return isinstance(value, dict) and {"sub_bits", "bucket", "count"} <= value.keys()


def flatten(row: dict) -> dict[str, Any]:
    """A result row as flat columns (dotted names; lists as JSON text; histograms left out)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if is_histogram(value):
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple):
            out[prefix] = json.dumps(to_plain(value), sort_keys=True)
        else:
            out[prefix] = to_plain(value)

    walk("", row)
    return out


def histograms(row: dict) -> dict[str, dict]:
    """The latency histograms inside a result row, by dotted path (``latency_histogram``)."""
    out: dict[str, dict] = {}

    def walk(prefix: str, value: Any) -> None:
        if is_histogram(value):
            out[prefix] = value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)

    walk("", row)
    return out


def sql_type(value: Any) -> str | None:
    """The column type one value asks for (None for a null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT" if -(1 << 63) <= value < (1 << 63) else "DOUBLE"
    if isinstance(value, float):
        return "DOUBLE"
    return "VARCHAR"


def wider(a: str | None, b: str | None) -> str | None:
    """The type a column needs to hold values of types ``a`` and ``b``."""
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    if {a, b} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    return "VARCHAR"


def column_types(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Columns in first-seen order with the type that holds all their values (VARCHAR if all null)."""
    types: dict[str, str | None] = {}
    for row in rows:
        for k, v in row.items():
            types[k] = wider(types.get(k), sql_type(v))
    return {k: (t or "VARCHAR") for k, t in types.items()}


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def cell(value: Any, column_type: str) -> Any:
    """A value as its column stores it (text in a VARCHAR column that also holds numbers)."""
    if value is None:
        return None
    if column_type == "VARCHAR" and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, bool) else str(value)
    if column_type == "DOUBLE" and not isinstance(value, bool):
        return float(value)
    return value


def check_format(fmt: str, option: str) -> str:
    if fmt not in FORMATS:
        raise UserError(option, f"unknown format {fmt!r}", f"use one of: {', '.join(FORMATS)}")
    return fmt


def _copy_options(fmt: str) -> str:
    return "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"


def copy_query(con: Any, query: str, out: str | Path, fmt: str, option: str, params: list | None = None) -> None:
    """Write a DuckDB query's rows to ``out`` as CSV (with a header) or Parquet, whole or not at all:
    DuckDB writes a temporary file, which is then copied into an ``AtomicFile`` and renamed."""
    check_format(fmt, option)
    if str(out) == "-":  # standard output
        with tempfile.TemporaryDirectory(prefix="vnetsim-export-") as tmp:
            part = os.path.join(tmp, f"out.{fmt}")
            con.execute(f"COPY ({query}) TO '{part}' ({_copy_options(fmt)})", params or [])
            with open(part, "rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer)
            sys.stdout.flush()
        return
    target = AtomicFile(out, option, binary=True)
    try:
        with tempfile.TemporaryDirectory(prefix="vnetsim-export-") as tmp:
            part = os.path.join(tmp, f"out.{fmt}")
            con.execute(f"COPY ({query}) TO '{part}' ({_copy_options(fmt)})", params or [])
            with open(part, "rb") as f:
                assert target.file is not None
                shutil.copyfileobj(f, target.file)
        target.commit()
    except BaseException:
        target.abort()
        raise


def write_rows(rows: list[dict], out: str | Path, fmt: str, option: str = "--csv") -> None:
    """Write result rows, flattened (``flatten``), to ``out`` as CSV or Parquet."""
    import duckdb

    flat = [flatten(r) for r in rows]
    types = column_types(flat)
    con = duckdb.connect(":memory:")
    try:
        cols = list(types)
        con.execute("CREATE TABLE t (" + ", ".join(f"{quote(c)} {types[c]}" for c in cols) + ")")
        if flat:
            con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in cols) + ")",
                            [[cell(r.get(c), types[c]) for c in cols] for r in flat])
        copy_query(con, "SELECT * FROM t", out, fmt, option)
    finally:
        con.close()


def result_rows(result: dict) -> list[dict]:
    """A Result's rows (``Result.to_dict()``) with ``scenario`` and ``kind`` first: what a single
    run's CSV or Parquet holds, one line per result row."""
    head = {"scenario": result.get("scenario"), "kind": result.get("kind")}
    return [{**head, **{k: v for k, v in row.items() if k not in head}} for row in result.get("variants", [])]


def write_result(result: dict, out: str | Path, fmt: str, option: str = "--csv") -> None:
    """``vnetsim run --csv/--parquet``: a Result's rows as flat columns (``flatten``)."""
    write_rows(result_rows(result), out, fmt, option)
