"""Results: JSON-ready dictionaries, pandas views and terminal tables.

``vnetsim.results.open(STORE, where=None)`` reads a results store's runs as a pandas DataFrame
(``vnetsim.results.store``; the schema is in docs/results.md)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "open":
        from vnetsim.results.store import open_store

        return open_store
    raise AttributeError(f"module 'vnetsim.results' has no attribute {name!r}")
