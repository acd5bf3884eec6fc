"""vnetsim: fast, validated simulation of virtual data-center networks.

    import vnetsim
    result = vnetsim.run("examples/pgw-poll-vs-interrupt.yaml")
    result.to_dataframe(); result.to_json()

The API functions load on first use, so the command line starts (and handles Ctrl-C) before the
models are imported.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["run", "load", "throughput", "flows", "kinds", "__version__"]
_API = ("run", "load", "throughput", "flows", "kinds")


def __getattr__(name: str) -> Any:
    if name in _API:
        from vnetsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'vnetsim' has no attribute {name!r}")
