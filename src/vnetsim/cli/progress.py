"""Progress on a terminal: a rich bar with elapsed time and ETA on stderr, nothing when stderr is
not a terminal (piped, redirected, CI) or ``VNETSIM_PROGRESS=0``.

A single run's bar appears only once the run has lasted ``DELAY_S``, so short runs print nothing;
a sweep's bar appears at once. Both go away when done (``transient``): the table follows.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any

DELAY_S = 1.0


def wanted() -> bool:
    """Is there a terminal to draw on, and no one said no?"""
    if os.environ.get("VNETSIM_PROGRESS") == "0":
        return False
    return sys.stderr.isatty() or os.environ.get("VNETSIM_PROGRESS") == "1"


class Bar:
    """``with Bar("sweep", delay_s=0) as bar: bar(done, total)``; a no-op without a terminal."""

    def __init__(self, description: str, delay_s: float = DELAY_S) -> None:
        self.description, self.delay_s = description, delay_s
        self.enabled = wanted()
        self.start = time.monotonic()
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: float, total: float = 1.0) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            if time.monotonic() - self.start < self.delay_s and done < total:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            counted = isinstance(total, int) and total > 1
            columns = [TextColumn("{task.description}"), BarColumn(),
                       MofNCompleteColumn() if counted else TaskProgressColumn(),
                       TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
            self._progress = Progress(*columns, console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=total)
        assert self._progress is not None and self._task is not None
        self._progress.update(self._task, completed=done, total=total)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
