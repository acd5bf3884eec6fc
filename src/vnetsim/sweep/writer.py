"""Finished points into the store on a thread of their own, so the sweep's process keeps running.

Each point is one transaction (``Store.add``); its commit waits for the disk (DuckDB syncs its
write-ahead log: 10-40 ms on the development machine, the process idle meanwhile). The sweep's
own process runs points too (``vnetsim.sweep.pool.run_pool``), so it hands each outcome to this
writer and goes back to work; DuckDB releases the GIL while it writes. Points are written in the
order they are handed over, one at a time, by one thread (the only user of the connection until
``close``). A failed write stops the writer and is raised on the next ``add`` or at ``close``;
``close`` waits for every point handed over, so what finished is kept when a sweep stops on an
error or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

from vnetsim.results.store import Store


class StoreWriter:
    """``writer.add(**Store.add arguments)`` from the sweep's loop; ``written(n)`` after every
    commit (the points written so far); ``close()`` (or the ``with`` block's end) waits for all."""

    def __init__(self, db: Store, written: Callable[[int], None] | None = None) -> None:
        self.db, self.written = db, written
        self.count = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="vnetsim-store-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._failed:
                continue                     # a write failed: drain, write nothing more
            try:
                self.db.add(**item)
                self.count += 1
                if self.written is not None:
                    self.written(self.count)
            except BaseException as exc:     # raised in the sweep's thread (add, close)
                self._failed, self._error = True, exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def add(self, **point: Any) -> None:
        """Queue one finished point for writing (a previous write's error is raised here)."""
        self._raise()
        self._queue.put(point)

    def close(self) -> None:
        """Wait until every queued point is written; raise a write's error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
            return
        with contextlib.suppress(Exception):  # already leaving on an error: keep that one
            self.close()
