"""The local pool: this process and ``N - 1`` started workers take the points one by one.

The sweep's own process runs points too, so its CPU does not sit idle while the started workers
import vnetsim and load the compiled kernels (about a second each, benchmarks/bench_sweep.py), and
one process fewer pays for that start-up at all. A feeder thread keeps every started worker on
exactly one point: the moment one finishes, the feeder hands it the next point of the shared
queue and passes the outcome on. The parent takes the next point itself whenever it is free. Every
process thus takes a new point only when it is done with its last (self-scheduling, one point at a
time), so the sweep ends at most one point after the last process starts its last one, and no
point waits behind another in a worker's queue while a CPU is idle.

Started workers use ``spawn``: a worker inherits no threads or open databases.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from vnetsim.errors import UserError
from vnetsim.sweep.execute import Outcome, run_point, run_point_in_worker
from vnetsim.sweep.points import Point

POLL_S = 0.2    # how often the feeder looks whether the sweep has stopped


def run_here(point: Point) -> Outcome:
    """``run_point`` in this process, one thread per point like the started workers (the points
    run side by side); ``VNETSIM_THREADS`` is put back as it was afterwards."""
    before = os.environ.get("VNETSIM_THREADS")
    os.environ.setdefault("VNETSIM_THREADS", "1")
    try:
        return run_point(point)
    finally:
        if before is None:
            os.environ.pop("VNETSIM_THREADS", None)


class _Feeder:
    """Keeps each started worker on one point of ``todo``; outcomes (or the failure) into ``done``."""

    def __init__(self, todo: deque[Point], lock: threading.Lock, children: int) -> None:
        self.todo, self.lock, self.children = todo, lock, children
        self.pool = ProcessPoolExecutor(max_workers=children, mp_context=multiprocessing.get_context("spawn"))
        self.done: queue.Queue[tuple[Point, Outcome | BaseException]] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vnetsim-sweep-feeder", daemon=True)

    def _take(self) -> Point | None:
        with self.lock:
            return self.todo.popleft() if self.todo else None

    def _run(self) -> None:
        pending: dict[Future, Point] = {}
        try:
            while not self.stop.is_set():
                while len(pending) < self.children and (p := self._take()) is not None:
                    pending[self.pool.submit(run_point_in_worker, p)] = p
                if not pending:
                    return
                finished, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                for fut in finished:
                    point = pending.pop(fut)
                    try:
                        self.done.put((point, fut.result()))
                    except BaseException as exc:   # a dead worker: the sweep's thread says so
                        self.done.put((point, exc))
                        return
        finally:
            self.done.put((None, None))  # type: ignore[arg-type]   # the feeder has ended

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _outcome(point: Point, got: Outcome | BaseException) -> Outcome:
    if isinstance(got, BrokenProcessPool):
        raise UserError("--workers", f"a worker process ended abruptly (killed, or out of memory?) while running "
                        f"sweep point {point.label()}", "the finished points are kept in the store: rerun to "
                        "resume, with fewer --workers if memory is short") from None
    if isinstance(got, BaseException):
        raise got
    return got


def run_pool(points: list[Point], workers: int) -> Iterator[tuple[Point, Outcome]]:
    """``workers`` processes: this one and ``workers - 1`` started ones (see the module docstring);
    outcomes in the order they finish. Closing the iterator early (an error, Ctrl-C) cancels the
    points not started."""
    todo, lock = deque(points), threading.Lock()
    feeder = _Feeder(todo, lock, workers - 1)
    feeder.thread.start()
    feeder_done = False
    try:
        while True:
            while True:                                   # what the started workers finished
                try:
                    point, got = feeder.done.get_nowait()
                except queue.Empty:
                    break
                if point is None:
                    feeder_done = True
                    continue
                yield point, _outcome(point, got)
            with lock:
                mine = todo.popleft() if todo else None
            if mine is not None:
                yield mine, run_here(mine)
                continue
            if feeder_done:
                return
            point, got = feeder.done.get()                # nothing left to take: wait for the others
            if point is None:
                feeder_done = True
            else:
                yield point, _outcome(point, got)
    finally:
        feeder.close()
