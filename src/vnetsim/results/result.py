"""A run's result: one JSON-ready dictionary per variant, with JSON, pandas and terminal views."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from vnetsim.errors import UserError
from vnetsim.io.outputs import to_plain
from vnetsim.results import cells
from vnetsim.units import format_rate

# The figures ``Result.table()`` shows when a row has them (any kind; dotted paths into a row).
HEADLINE = ("offered_pps", "delivered_pps", "packets.dropped", "latency_ns.p50", "latency_ns.p99",
            "latency_ns.p999", "latency_ns.max", "latency_ns.overall.p50", "latency_ns.overall.p99",
            "latency_ns.overall.max", "drops.total", "edge_hosts.latency_ns.p50", "edge_hosts.latency_ns.p99",
            "zero_loss_pps",
            # storage rows: what a cluster gives, how available, at what price
            "capacity.usable_bytes", "capacity.utilization", "availability.markov.nines.value",
            "availability.montecarlo.nines.value", "cost.price_total", "cost.price_per_usable_tb",
            # edge rows: what the data costs to move, and how late it arrives
            "data.latency_ns.p99", "events.latency_ns.p99", "links.uplink.bytes_per_month", "reduction_ratio",
            "cost_usd_month.total")

# Headers for headline paths whose last name says too little (``value``, ``total``).
HEADERS = {"latency_ns.overall.p50": "fabric p50", "latency_ns.overall.p99": "fabric p99",
           "latency_ns.overall.max": "fabric max",
           "edge_hosts.latency_ns.p50": "end-to-end p50", "edge_hosts.latency_ns.p99": "end-to-end p99",
           "capacity.usable_bytes": "usable", "availability.markov.nines.value": "nines",
           "availability.montecarlo.nines.value": "nines (MC)",
           "cost.price_total": "price", "cost.price_per_usable_tb": "per usable TB",
           "data.latency_ns.p99": "data p99", "events.latency_ns.p99": "event p99",
           "links.uplink.bytes_per_month": "uplink/month", "cost_usd_month.total": "USD/month",
           "reduction_ratio": "reduction"}


def _flatten(prefix: str, value: Any, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value)
    else:
        out[prefix] = value


@dataclass
class Result:
    """What ``vnetsim.run`` returns: the scenario's name and one dictionary per variant."""

    scenario: str
    kind: str
    variants: list[dict]
    source: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return to_plain({"scenario": self.scenario, "kind": self.kind, "source": self.source,
                       "variants": self.variants, **self.extra})

    def to_json(self, indent: int | None = 2) -> str:
        """Deterministic JSON: same scenario and seed give the same bytes."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False) + "\n"

    def to_dataframe(self):
        """One row per variant, nested fields flattened to dotted column names (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise UserError("Result.to_dataframe", "needs pandas, which is not installed",
                            "pip install 'vnetsim[pandas]'") from None

        rows = []
        for v in self.to_dict()["variants"]:
            row: dict = {}
            _flatten("", v, row)
            rows.append(row)
        return pd.DataFrame(rows).set_index("name")

    def __repr__(self) -> str:
        src = f" from {self.source}" if self.source else ""
        head = f"<Result {self.kind} {self.scenario!r}{src}: {len(self.variants)} rows>"
        return head if not self.variants else f"{head}\n{self.table(width=100).rstrip()}"

    def table(self, columns: list[str] | tuple[str, ...] | None = None, width: int = 80) -> str:
        """The rows as a text table ``width`` columns wide: the name and ``columns`` (dotted paths,
        e.g. ``latency_ns.p99``; default: the headline figures the rows have, ``HEADLINE``). Numbers
        are never cut: a table too wide is split into several, each repeating the name. By default
        the table leads with what differs: a figure every row gives alike is said once under it
        (``same in every row: ...``). Warnings follow the table."""
        from rich.console import Console
        from rich.table import Table

        flat = []
        for v in self.to_dict()["variants"]:
            row: dict = {}
            _flatten("", v, row)
            flat.append(row)
        cols = list(columns) if columns is not None else [c for c in HEADLINE if any(r.get(c) is not None
                                                                                   for r in flat)]
        text = [[str(r.get("name", "")), *[_cell(c, r.get(c)) + _flag(c, r) for c in cols]] for r in flat]
        same: list[str] = []
        if columns is None:
            keep, same = cells.split_constant(["name", *[_header(c) for c in cols]], text)
            cols = [cols[j - 1] for j in keep[1:]]
            text = [[r[j] for j in keep] for r in text]
        t = Table(title=self.scenario or None, title_justify="left")
        t.add_column("name", overflow="fold")
        for c in cols:
            t.add_column(_header(c), justify="right")
        for r in text:
            t.add_row(*r)
        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        cells.print_table(console, t)
        if same:
            console.print("same in every row: " + "; ".join(same), markup=False)
        if any(_flag(c, r) for c in cols for r in flat):
            console.print("* too few samples for this figure (its row's latency_ns.unsupported)", markup=False)
        for line in warning_lines(self.variants):
            console.print(line, markup=False)
        return console.export_text()

    def variant(self, name: str) -> dict:
        """The row called ``name`` (KeyError if there is none)."""
        for v in self.variants:
            if v["name"] == name:
                return v
        raise KeyError(name)



def warnings_by_text(rows: list[dict]) -> dict[str, list[str]]:
    """Each distinct warning once, with the names of the rows that give it (in row order): a
    warning every load level repeats is said once, not once a row."""
    out: dict[str, list[str]] = {}
    for v in rows:
        for w in v.get("warnings", []):
            names = out.setdefault(str(w), [])
            if str(v.get("name")) not in names:
                names.append(str(v.get("name")))
    return out


def warning_lines(rows: list[dict]) -> list[str]:
    """``warning: WHO: TEXT`` once per distinct warning; WHO is "every row" or the rows' names."""
    out = []
    for w, names in warnings_by_text(rows).items():
        who = "every row" if len(names) == len(rows) > 1 else ", ".join(names)
        out.append(f"warning: {who}: {w}")
    return out


def _header(path: str) -> str:
    """A short column header for a dotted path: ``latency_ns.p99`` -> ``p99``, ``offered_pps`` ->
    ``offered``; ``HEADERS`` where the last name says too little (``edge_hosts.latency_ns.p99`` ->
    ``end-to-end p99``: a fabric row's sender-to-application latency)."""
    if path in HEADERS:
        return HEADERS[path]
    parts = path.split(".")
    last = parts[-1] if parts[-1] != "total" or len(parts) < 2 else parts[-2]
    for suffix in ("_pps", "_bps", "_ns"):
        last = last.removesuffix(suffix)
    prefix = "edge " if parts[0] == "edge_hosts" else ""
    return prefix + last.replace("_", " ")


def _flag(path: str, row: dict) -> str:
    """``*`` when the row lists this figure among those too few samples support (``P.unsupported``
    next to ``P.K``, as host rows' ``latency_ns`` does), else empty."""
    parent, _, key = path.rpartition(".")
    listed = row.get(f"{parent}.unsupported") if parent else None
    return "*" if isinstance(listed, str) and f'"{key}"' in listed else ""


def _cell(path: str, value: Any) -> str:
    """A value as short text, its unit taken from the path (``_ns``, ``_pps``, ``_bps``)."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if "_ns" in path:
        return cells.duration(value)
    if path.endswith("_pps"):
        return format_rate(value, "pps")
    if path.endswith("_bps"):
        return cells.bitrate(value)
    last = path.rsplit(".", 1)[-1]
    if last.endswith("_bytes") or last.startswith("bytes_per_"):
        return cells.size(value)
    if last in ("utilization", "utilisation"):
        return cells.share(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"   # never 3.388e+04
