"""``sweep()``: every point of a sweep run once, each finished point stored as it finishes.

Load the scenario (the one loader's YAML reader and merge rule), read its ``sweep:`` block and the
command line's ``--grid`` axes, build the points (``vnetsim.sweep.points``), drop those whose key
the store already holds, run the rest (``vnetsim.sweep.execute``: serial, local pool or Dask) and
write each to the store in one transaction. The result carries the rows of every point of the
sweep (finished now or before) and their confidence intervals across replications.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vnetsim import __version__
from vnetsim.engine.pipeline import usable_cpus
from vnetsim.errors import ScenarioError, UserError
from vnetsim.io import outputs
from vnetsim.kinds import get_kind, kind_of
from vnetsim.results.store import Store
from vnetsim.scenario.loader import option_overrides, read_yaml
from vnetsim.sweep.ci import summarize
from vnetsim.sweep.design import Axis, SweepBlock, parse_block, parse_grid, with_grid
from vnetsim.sweep.execute import run_dask, run_serial
from vnetsim.sweep.points import Point, build_points, largest_first
from vnetsim.sweep.pool import run_pool
from vnetsim.sweep.writer import StoreWriter

Progress = Callable[[int, int], None]


@dataclass
class SweepResult:
    """What a sweep gives back: its points, how many ran now, and the stored rows of all of them."""

    name: str
    kind: str
    source: str
    store: str
    block: SweepBlock
    points: list[Point]
    ran: int
    skipped: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    # where the time went: (process id, start, end) of every point run now, and the sweep's own
    # (start, end), all on time.perf_counter's clock (benchmarks/bench_sweep.py reads them)
    timeline: list[tuple[int, float, float]] = field(default_factory=list)
    span: tuple[float, float] = (0.0, 0.0)

    def summary(self) -> list[dict[str, Any]]:
        """Per design point and result row: the parameters and every numeric metric's confidence
        interval across the replications (``vnetsim.sweep.ci.summarize``)."""
        return summarize(self.rows, self.block.confidence)

    def to_dataframe(self):
        """The runs rows as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise UserError("SweepResult.to_dataframe", "needs pandas, which is not installed",
                            "pip install 'vnetsim[pandas]'") from None
        return pd.DataFrame(self.rows)

    def __repr__(self) -> str:
        return (f"<SweepResult {self.kind} {self.name!r}: {len(self.points)} runs ({self.ran} ran, "
                f"{self.skipped} already in {self.store})>")


def _overrides(overrides: list[str] | tuple[str, ...], seed: int | None, duration: str | float | None) -> list[str]:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise UserError("--seed", f"got {seed!r}", "expected an integer >= 0")
    return option_overrides(overrides, seed, duration)


def plan(scenario: str | Path | dict, *, grid: list[str] | tuple[str, ...] = (), replications: int | None = None,
         overrides: list[str] | tuple[str, ...] = (), variant: str | None = None, seed: int | None = None,
         duration: str | float | None = None) -> tuple[str, str, SweepBlock, list[Point]]:
    """(sweep name, kind name, sweep block, points) of a scenario and command-line axes; every
    problem is one line (nothing runs)."""
    if isinstance(scenario, dict):
        doc, source = scenario, "<scenario>"
    else:
        doc, source = read_yaml(scenario), str(scenario)
    if replications is not None and (isinstance(replications, bool) or not isinstance(replications, int)
                                     or replications < 1):
        raise UserError("--replications", f"got {replications!r}", "expected an integer >= 1")
    block = parse_block(doc.get("sweep"), source)
    axes: list[Axis] = [parse_grid(g) for g in grid]
    if axes or replications is not None:
        block = with_grid(block, axes, replications)
    body = {k: v for k, v in doc.items() if k != "sweep"}
    kind = kind_of(body, source)
    points = build_points(body, source, kind, block, overrides=_overrides(overrides, seed, duration),
                          variant=variant, cli_paths=frozenset(a.path for a in axes))
    name = block.name or str(doc.get("name") or Path(source).stem)
    return name, kind.name, block, points


def sweep(scenario: str | Path | dict, *, grid: list[str] | tuple[str, ...] = (), replications: int | None = None,
          workers: int | None = None, dask: str | None = None, store: str | Path | None = None,
          overrides: list[str] | tuple[str, ...] = (), variant: str | None = None, seed: int | None = None,
          duration: str | float | None = None, progress: Progress | None = None,
          notify: Callable[[str], None] | None = None) -> SweepResult:
    """Run a sweep (see the module docstring); ``store``: a DuckDB file (None keeps results in
    memory only); ``workers``: local processes (default: every CPU); ``dask``: a scheduler address
    instead of the local pool; ``progress(done, total)`` after every finished point; ``notify``:
    called with a message before a sweep whose kernels must first be compiled."""
    began = time.perf_counter()
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise UserError("--workers", f"got {workers!r}", "expected an integer >= 1")
    if dask is not None and workers is not None:
        raise UserError("--dask", "runs on the cluster's workers", "drop --workers, or drop --dask")
    name, kind, block, points = plan(scenario, grid=grid, replications=replications, overrides=overrides,
                                     variant=variant, seed=seed, duration=duration)
    where = str(store) if store is not None else ":memory:"
    with Store(where) as db:
        done_keys = db.finished(p.key for p in points)
        todo = list({p.key: p for p in reversed(points) if p.key not in done_keys}.values())[::-1]  # once each
        finished = len({p.key for p in points} & done_keys)
        total = finished + len(todo)
        if progress is not None:
            progress(finished, total)
        notice = get_kind(kind).compile_notice() if notify is not None and todo and dask is None else None
        if notice and notify is not None:
            notify(notice)
        if dask is not None:
            outcomes = run_dask(largest_first(todo), dask) if todo else iter(())
        else:
            n = min(workers or usable_cpus(), len(todo))
            outcomes = run_serial(todo) if n <= 1 else run_pool(largest_first(todo), n)
        timeline: list[tuple[int, float, float]] = []
        said: set[str] = set()

        def written(n: int) -> None:
            if n == 1 and store is not None and where not in outputs.written:
                outputs.written.append(where)
            if progress is not None:
                progress(finished + n, total)

        # every point handed to the writer is written before the block ends; a write's error is
        # raised unless the sweep is already stopping on another one
        with StoreWriter(db, written) as writer:
            try:
                for point, out in outcomes:
                    for line in out.get("warnings", ()):     # said once for the sweep, not once a point
                        if line not in said:
                            said.add(line)
                            print(line, file=sys.stderr, flush=True)
                    if "error" in out:
                        writer.close()
                        w, what, fix = out["error"]
                        kept = f"; the {writer.count + finished} finished points are kept in {where}" \
                            if store is not None else ""
                        raise ScenarioError(f"{w} (sweep point {point.label()})", what, (fix or "") + kept)
                    if out["version"] != __version__:
                        raise UserError("--dask", f"a worker runs vnetsim {out['version']}, this is {__version__}",
                                        "install the same vnetsim on every worker")
                    writer.add(key=point.key, design=point.design, sweep=name, kind=point.kind,
                               scenario=point.source, variant=point.variant, replication=point.replication,
                               seed=point.seed, params=point.params, rows=out["rows"], wall_s=out["wall_s"],
                               cpu_s=out.get("cpu_s"), version=out["version"])
                    if "span" in out:
                        timeline.append(tuple(out["span"]))  # type: ignore[arg-type]
            finally:
                close = getattr(outcomes, "close", None)
                if close is not None:
                    close()
        ran = writer.count
        order = {p.key: p.index for p in points}
        rows = sorted(db.rows(order), key=lambda r: (order[r["key"]], r["row"]))
    return SweepResult(name, kind, points[0].source if points else "", where, block, points, ran, finished, rows,
                       timeline, (began, time.perf_counter()))


def store_summary(path: str | Path, where: str | None = None, confidence: float = 0.95) -> list[dict[str, Any]]:
    """The confidence-interval summary (``vnetsim.sweep.ci.summarize``) of a store's runs matching
    ``where``, one entry per design point and result row."""
    from vnetsim.results.store import read_rows

    return summarize(read_rows(path, where), confidence)
