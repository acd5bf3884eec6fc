"""The points of a sweep: resolved scenario documents, their seeds and their keys.

A point is one variant of the scenario with one set of swept values and one replication. Its
document is the variant merged by the one merge rule, the swept values set as ``--set`` sets them,
and ``seed`` set to the replication's seed. Replications of a point differ only in the seed;
replication ``r``'s seed is the ``r``-th output of a splitmix64 stream started at the scenario's
seed (``vnetsim.engine.rng.splitmix64``), cut to 32 bits, so every point of a replication shares
its seed (common random numbers: differences between points are not seed noise).

A point's **key** is a SHA-256 of the kind, the variant's name, the resolved document, the seed and
the vnetsim version (canonical JSON). Any change to any of them is a new point; a rerun of the same
sweep finds every finished key in the store and skips it. ``design`` is the same hash without the
seed: the replications of one design point share it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from vnetsim import __version__
from vnetsim.errors import ScenarioError
from vnetsim.kinds import Kind
from vnetsim.results.ci import replication_seed  # one layer down: the host kind's --replications uses it too
from vnetsim.scenario.loader import expand_variants, format_loc, validation_error
from vnetsim.scenario.merge import MergeError, set_path
from vnetsim.sweep.design import SweepBlock, expand


def canonical(data: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False, default=str)


def point_key(kind: str, variant: str, doc: dict, seed: int, version: str = __version__) -> str:
    """The key of a run: SHA-256 of kind, variant, resolved document, seed and version (hex)."""
    material = canonical({"kind": kind, "variant": variant, "doc": doc, "seed": int(seed), "version": version})
    return hashlib.sha256(material.encode()).hexdigest()


def design_key(kind: str, variant: str, doc: dict, version: str = __version__) -> str:
    """What the replications of one design point share: the key without the seed (first 16 hex)."""
    without = {k: v for k, v in doc.items() if k != "seed"}
    material = canonical({"kind": kind, "variant": variant, "doc": without, "version": version})
    return hashlib.sha256(material.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Point:
    """One run of a sweep: everything a worker needs (plain, picklable data)."""

    key: str
    design: str
    index: int                     # position in the sweep (design order, then replication)
    kind: str
    source: str
    folder: str
    variant: str
    description: str
    replication: int
    seed: int
    params: dict[str, Any] = field(default_factory=dict)
    doc: dict = field(default_factory=dict)
    work: float = 0.0              # the kind's estimate of the run's work (``Kind.work``), 0 if none

    def label(self) -> str:
        """``variant 'v', host.pnic.rx_queues=4, replication 2``: the point in messages."""
        bits = [f"variant {self.variant!r}"] + [f"{k}={v}" for k, v in self.params.items()]
        return ", ".join(bits + [f"replication {self.replication}"])


def _origin(block: SweepBlock, path: str, cli_paths: frozenset[str] = frozenset()) -> str:
    """Where ``path`` is swept: ``--grid PATH`` (command line), ``sweep.grid[0]``, ``sweep.zip[1]``, ..."""
    if path in cli_paths:
        return f"--grid {path}"
    for name, axes in (("grid", block.grid), ("zip", block.zip)):
        for i, a in enumerate(axes):
            if a.path == path:
                return f"sweep.{name}[{i}]"
    if block.random is not None:
        for i, p in enumerate(block.random.params):
            if p.path == path:
                return f"sweep.random.params[{i}]"
    return "sweep"


def _apply(doc: dict, params: dict[str, Any], block: SweepBlock, source: str, model: type,
           cli_paths: frozenset[str]) -> dict:
    for path, value in params.items():
        try:
            doc = set_path(doc, path.split("."), list_if_needed(model, path, value))
        except MergeError as exc:
            where = _origin(block, path, cli_paths)
            raise ScenarioError(where if where.startswith("--") else f"{source}: {where}", f"{path}: {exc.what}",
                                exc.fix) from None
    return doc


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside ``list[M]``, ``M | None`` or ``M`` (None if there is none)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is list:
        return True
    if origin is Annotated:
        return _is_list(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return any(_is_list(a) for a in get_args(annotation) if a is not type(None))
    return False


def list_if_needed(model: Any, path: str, value: Any) -> Any:
    """A scalar swept into a list field becomes a one-item list (``loads=1Mpps,2Mpps`` runs each
    load on its own): the field is found by walking the kind's model along ``path``; anything the
    walk cannot follow is left as given."""
    if isinstance(value, list):
        return value
    keys = path.split(".")
    current, item_key_next = model, False
    for i, key in enumerate(keys):
        fields = getattr(current, "model_fields", None) or {}
        if key not in fields:
            if item_key_next:      # a list item addressed by index or name
                item_key_next = False
                continue
            return value
        annotation = fields[key].annotation
        if i == len(keys) - 1:
            return [value] if _is_list(annotation) else value
        item_key_next = _is_list(annotation)
        current = _inner_model(annotation)
        if current is None:
            return value
    return value


def build_points(doc: dict, source: str, kind: Kind, block: SweepBlock, *, overrides: list[str] | tuple = (),
                 variant: str | None = None, cli_paths: frozenset[str] = frozenset()) -> list[Point]:
    """Every point of the sweep, validated by the kind's model (the first problem is one line;
    ``cli_paths``: the paths swept by ``--grid``, named so in messages)."""
    folder = str(Path(source).parent) if source != "<scenario>" else "."
    base = {k: v for k, v in doc.items() if k != "sweep"}
    variants = expand_variants(base, source, overrides)
    if variant is not None:
        names = [v[0] for v in variants]
        if variant not in names:
            raise ScenarioError(source, f"no variant named {variant!r}", f"choose one of: {', '.join(names)}")
        variants = [v for v in variants if v[0] == variant]
    multiple = bool(base.get("variants"))
    model: Any = kind.model
    points: list[Point] = []
    designs = expand(block)
    for params in designs:
        for name, description, merged in variants:
            resolved = _apply(merged, params, block, source, model, cli_paths)
            base_seed = resolved.get("seed", model.model_fields["seed"].default if "seed" in getattr(
                model, "model_fields", {}) else 1)
            if isinstance(base_seed, bool) or not isinstance(base_seed, int) or base_seed < 0:
                raise ScenarioError(f"{source}: seed", f"must be an integer >= 0 for a sweep, got {base_seed!r}")
            design = design_key(kind.name, name, resolved)
            for r in range(block.replications):
                seed = replication_seed(base_seed, r)
                run_doc = dict(resolved, seed=seed)
                if r == 0:
                    valid = _validate(kind, run_doc, source, name if multiple else None, params, block, folder,
                                      cli_paths)
                    work = float(kind.work(valid)) if kind.work is not None else 0.0
                points.append(Point(point_key(kind.name, name, run_doc, seed), design, len(points), kind.name,
                                    source, folder, name, description, r, seed, dict(params), run_doc, work))
    return points


def _validate(kind: Kind, doc: dict, source: str, variant: str | None, params: dict, block: SweepBlock,
              folder: str, cli_paths: frozenset[str]) -> Any:
    """The point's document, validated (the kind's model); a problem names the sweep entry that set
    the field."""
    model: Any = kind.model
    data = kind.prepare(doc, Path(folder)) if kind.prepare else doc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = validation_error(source, variant, exc, model)
        loc = format_loc(tuple(exc.errors()[0]["loc"]))
        for path, value in params.items():
            if loc == path or loc.startswith((path + ".", path + "[")) or path.startswith(loc + "."):
                where = _origin(block, path, cli_paths)
                at = "" if loc == path else f"{loc}: "
                raise ScenarioError(where if where.startswith("--") else f"{source}: {where}",
                                    f"{path}={value!r}: {at}{err.what}", err.fix) from None
        raise err from None


def largest_first(points: list[Point]) -> list[Point]:
    """The points by decreasing ``work``, in sweep order among equals: run on several processes
    that each take the next point when free, the last points to start are the smallest, so the
    processes finish close together (longest processing time first). Without estimates (all 0),
    the order is the sweep's."""
    return sorted(points, key=lambda p: -p.work)
