"""A run's result: one JSON-ready dictionary per variant, with JSON, pandas and terminal views."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vnetsim.errors import UserError
from vnetsim.io.outputs import to_plain


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
        names = ", ".join(str(v.get("name")) for v in self.variants[:4]) + (", ..." if len(self.variants) > 4 else "")
        return f"<Result {self.kind} {self.scenario!r}: {len(self.variants)} rows ({names})>"

    def variant(self, name: str) -> dict:
        """The row called ``name`` (KeyError if there is none)."""
        for v in self.variants:
            if v["name"] == name:
                return v
        raise KeyError(name)
