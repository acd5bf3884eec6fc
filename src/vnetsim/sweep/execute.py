"""Running the points of a sweep: in this process, on a local process pool, or on a Dask cluster.

Every point is a full run of its kind (``Kind.run_variant``), in a worker that validates the
point's document again (so a worker needs only the plain data of a ``Point``) and returns plain
data: the result rows, the wall time, and the worker's vnetsim version (a Dask worker with another
version would make keys lie, so it is refused). A kind's one-line error comes back as data, not as
an exception (an exception with our constructor does not always survive pickling).

The parent takes outcomes as they finish and hands each to the store's writer at once. The local
pool (this process and ``N - 1`` started ones) is ``vnetsim.sweep.pool``. Dask uses
``distributed.Client(address)``: the scheduler there places the points; nothing here schedules
anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vnetsim import __version__
from vnetsim.errors import UserError
from vnetsim.io.outputs import to_plain
from vnetsim.kinds import get_kind
from vnetsim.scenario.loader import LoadedVariant
from vnetsim.sweep.points import Point

Outcome = dict[str, Any]
CONNECT_TIMEOUT_S = 20.0  # how long to wait for a Dask scheduler before saying it cannot be reached


_MALLOC_TUNED = False
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # mallopt parameters (glibc malloc.h)


def tune_malloc() -> bool:
    """Undo a small ``MALLOC_TRIM_THRESHOLD_`` for this worker process (once), on glibc.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (distributed's
    ``nanny.pre-spawn-environ``). Setting it turns off glibc's dynamic mmap threshold, so every
    array over 128 KiB is mapped from the kernel and unmapped when freed; a simulation allocates
    and frees its chunk arrays continually, and the page faults doubled the CPU time of a host
    point (benchmarks/bench_sweep.py). Raising the mmap threshold to glibc's maximum (32 MiB) and
    the trim threshold to 128 MiB lets freed chunks be reused; memory stays bounded by the chunk
    size. Nothing happens without the variable or off glibc."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    _MALLOC_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(_M_TRIM_THRESHOLD, 128 << 20))
    except (OSError, AttributeError):
        return False


WARNING = "vnetsim: warning: "


class WarningLines:
    """A stand-in for ``sys.stderr`` while a point runs: lines a kind writes starting with
    ``WARNING`` are kept (``lines``) for the sweep's parent to say once, since every point of a sweep
    repeats them (and a Dask worker's stderr is not the user's terminal); anything else goes on to
    the real stderr at once (a progress bar drawn there)."""

    def __init__(self, stream: Any) -> None:
        self.stream, self._pending = stream, ""
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self._pending += text
        while self._pending:
            if self._pending.startswith(WARNING):
                line, sep, rest = self._pending.partition("\n")
                if not sep:
                    break                                    # the rest of the line comes next
                self.lines.append(line)
                self._pending = rest
            elif WARNING.startswith(self._pending):
                break                                        # may become a warning
            else:
                self.stream.write(self._pending)
                self._pending = ""
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> list[str]:
        """The warnings kept; an unfinished line is kept as it is."""
        if self._pending.startswith(WARNING):
            self.lines.append(self._pending)
        elif self._pending:
            self.stream.write(self._pending)
        self._pending = ""
        return self.lines

    def __getattr__(self, name: str) -> Any:   # isatty, fileno, encoding: the real stream's
        return getattr(self.stream, name)


def run_point(point: Point) -> Outcome:
    """Run one point; ``{"key", "rows", "wall_s", "cpu_s", "version", "span", "warnings"}`` or
    ``{"key", "error": (where, what, fix)}``. ``cpu_s`` is this process's CPU time for the run (user
    and system, all its threads); ``span``: (process id, start, end) on the machine's monotonic clock
    (``time.perf_counter``, comparable between the processes of one machine), for
    ``SweepResult.timeline``; ``warnings``: the ``vnetsim: warning:`` lines the kind wrote on stderr
    (``WarningLines``)."""
    import contextlib
    import sys

    tune_malloc()
    start, cpu = time.perf_counter(), time.process_time()
    said = WarningLines(sys.stderr)
    try:
        with contextlib.redirect_stderr(said):  # type: ignore[type-var,unused-ignore]
            kind = get_kind(point.kind)
            data = kind.prepare(point.doc, Path(point.folder)) if kind.prepare else point.doc
            model: Any = kind.model
            variant = LoadedVariant(point.variant, point.description, point.doc, model.model_validate(data),
                                    point.source)
            rows = to_plain(kind.run_variant(variant))
    except UserError as exc:
        return {"key": point.key, "error": (exc.where, exc.what, exc.fix), "warnings": said.finish()}
    end = time.perf_counter()
    return {"key": point.key, "rows": rows, "wall_s": end - start, "cpu_s": time.process_time() - cpu,
            "version": __version__, "span": (os.getpid(), start, end), "warnings": said.finish()}


def run_point_in_worker(point: Point) -> Outcome:
    """``run_point`` in a pool or Dask worker: one thread per point (``VNETSIM_THREADS=1`` unless
    the user set it), since the points already run side by side."""
    os.environ.setdefault("VNETSIM_THREADS", "1")
    return run_point(point)


def run_serial(points: list[Point]) -> Iterator[tuple[Point, Outcome]]:
    """One point after the other, in this process."""
    for p in points:
        yield p, run_point(p)


def run_dask(points: list[Point], address: str) -> Iterator[tuple[Point, Outcome]]:
    """The points on the Dask distributed cluster whose scheduler is at ``address``."""
    try:
        from distributed import Client, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise UserError("--dask", "needs dask.distributed, which is not installed",
                        "pip install 'vnetsim[dask]'") from None
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UserError(f"--dask {address}", f"cannot reach the Dask scheduler: {exc}",
                        "start one (dask scheduler) or check the address, e.g. tcp://host:8786") from None
    try:
        futures = {client.submit(run_point_in_worker, p, pure=False,
                                 key=f"vnetsim-point-{p.key}-{os.getpid()}-{time.time_ns()}"): p for p in points}
        for fut in as_completed(list(futures)):
            point = futures[fut]
            try:
                outcome = fut.result()
            except KilledWorker:
                raise UserError(f"--dask {address}", f"Dask workers died running sweep point {point.label()} "
                                "(out of memory?)", "the finished points are kept in the store: rerun to "
                                "resume") from None
            yield point, outcome
    finally:
        client.close()
