"""A pipeline source that reports how far a run is: ``RunOptions.progress`` for packet-level runs.

The pipeline asks its source for each chunk (``until(horizon_ns)``); this wrapper tells
``progress(fraction)`` the horizon's share of the run first, one cheap call per chunk, and leaves
everything else (the packets, ``offered_pps``, ``end_ns``) to the source it wraps. The fabric and
edge kinds use it (the edge through ``vnetsim.fabric``'s exports).
"""

from __future__ import annotations

from collections.abc import Callable


class ProgressSource:
    """``source`` with ``progress(fraction)`` called before each chunk; the fraction is the chunk's
    horizon over ``end_ns`` (1.0 for the drain chunk's infinite horizon), never decreasing."""

    def __init__(self, source, end_ns: float, progress: Callable[[float], None]) -> None:
        self._source, self._end_ns, self._progress = source, float(end_ns), progress
        self._done = 0.0

    def until(self, horizon_ns: float):
        f = 1.0 if self._end_ns <= 0 else min(1.0, float(horizon_ns) / self._end_ns)
        self._done = max(self._done, f)
        self._progress(self._done)
        return self._source.until(horizon_ns)

    def __getattr__(self, name: str):
        return getattr(self._source, name)
