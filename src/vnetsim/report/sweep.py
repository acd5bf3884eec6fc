"""Sweep figures from a results store: each metric against the swept parameter, mean with a
confidence band over replications (filled in once the store lands)."""

from __future__ import annotations

from pathlib import Path


def store_sections(path: Path):
    from vnetsim.errors import UserError

    raise UserError(str(path), "is not a RESULT.json and results stores are not supported yet")
