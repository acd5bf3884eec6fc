"""Sweep designs: which parameter values each point of a sweep sets.

A sweep is the cartesian product of its axes, in order: every ``grid`` entry is one axis (its
values one by one), the ``zip`` entries together are one axis (their k-th values together, so they
must have equal lengths), and a ``random`` design is one axis of ``samples`` draws from its own
seeded stream. No design at all is one point (only the replications vary). The first axis varies
slowest, as in ``itertools.product``.

The block in a scenario file (stripped before the kind validates the document)::

    sweep:
      name: queues vs rate            # default: the scenario's name
      replications: 5                 # independent seeds per point (default 1)
      grid:
        - {path: host.pnic.rx_queues, values: [1, 2, 4, 8]}
      zip:
        - {path: traffic.flows.udp.rate, values: [1Mpps, 2Mpps]}
        - {path: traffic.flows.udp.size, values: [64, 1500]}
      random:
        samples: 16
        seed: 7
        params:
          - {path: host.pnic.ring_size, integers: [256, 4096]}
          - {path: traffic.flows.udp.rate, log_uniform: [0.1, 4], unit: Mpps}

``--grid PATH=v1,v2`` on the command line adds a grid axis (or replaces the file's axis of the same
path). Paths address fields exactly as ``--set`` does (``vnetsim.scenario.merge``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vnetsim.engine.rng import stream
from vnetsim.errors import ScenarioError
from vnetsim.scenario.loader import validation_error
from vnetsim.scenario.merge import MergeError, parse_assignment
from vnetsim.scenario.yamlfile import parse_yaml_text

RESERVED = ("variants", "kind", "sweep", "seed")
MAX_POINTS = 100_000


def _check_path(path: str) -> str:
    keys = path.split(".")
    if not path or any(not k for k in keys):
        raise ValueError("the path must be dotted field names, e.g. host.pnic.rx_queues")
    if keys[0] in RESERVED:
        raise ValueError(f"'{keys[0]}' cannot be swept (variants are points already; replications vary the seed)")
    return path


class Axis(BaseModel):
    """One swept field and its values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="dotted scenario field, addressed as --set does (list items by index or name)")
    values: list[Any] = Field(min_length=1, description="the values, one per point along this axis")

    @model_validator(mode="after")
    def _path_ok(self) -> Axis:
        _check_path(self.path)
        return self


class RandomParam(BaseModel):
    """One field of a random design: exactly one of ``values``, ``uniform``, ``log_uniform``, ``integers``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="dotted scenario field")
    values: list[Any] | None = Field(None, min_length=1, description="choose one of these, each equally likely")
    uniform: tuple[float, float] | None = Field(None, description="[low, high): uniform")
    log_uniform: tuple[float, float] | None = Field(None, description="[low, high): uniform in the logarithm "
                                                    "(both > 0)")
    integers: tuple[int, int] | None = Field(None, description="[low, high], both included: uniform integers")
    unit: str = Field("", description="appended to a drawn number, e.g. Mpps gives '2.5Mpps'")

    @model_validator(mode="after")
    def _one(self) -> RandomParam:
        _check_path(self.path)
        given = [n for n in ("values", "uniform", "log_uniform", "integers") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of values, uniform, log_uniform, integers"
                             + (f" (got {', '.join(given)})" if given else ""))
        for name in ("uniform", "log_uniform", "integers"):
            bounds = getattr(self, name)
            if bounds is not None:
                lo, hi = bounds
                if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or (name != "integers" and lo == hi):
                    raise ValueError(f"{name} needs finite [low, high] with low < high, got [{lo}, {hi}]")
                if name == "log_uniform" and lo <= 0:
                    raise ValueError(f"log_uniform needs low > 0, got {lo}")
        return self


class RandomDesign(BaseModel):
    """``samples`` points, each field drawn independently from the design's own seeded stream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    samples: int = Field(ge=1, le=MAX_POINTS, description="how many points to draw")
    seed: int = Field(0, ge=0, description="the design's seed: the same seed draws the same points")
    params: list[RandomParam] = Field(min_length=1, description="the drawn fields")


class SweepBlock(BaseModel):
    """The ``sweep:`` block of a scenario file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="the sweep's name in the store (default: the scenario's name)")
    replications: int = Field(1, ge=1, le=10_000, description="runs per point, each with its own seed")
    confidence: float = Field(0.95, gt=0.0, lt=1.0, description="level of the confidence intervals")
    grid: list[Axis] = Field(default_factory=list, description="axes of a full factorial design")
    zip: list[Axis] = Field(default_factory=list, description="fields varied together (equal lengths)")
    random: RandomDesign | None = Field(None, description="a seeded random design")

    @model_validator(mode="after")
    def _consistent(self) -> SweepBlock:
        if self.zip and len({len(a.values) for a in self.zip}) > 1:
            lengths = ", ".join(f"{a.path}: {len(a.values)}" for a in self.zip)
            raise ValueError(f"zip fields need the same number of values (got {lengths})")
        seen: set[str] = set()
        for path in self.paths():
            if path in seen:
                raise ValueError(f"{path} is swept twice")
            seen.add(path)
        count = math.prod(len(a.values) for a in self.grid) * (len(self.zip[0].values) if self.zip else 1) \
            * (self.random.samples if self.random else 1)
        if count * self.replications > MAX_POINTS:
            raise ValueError(f"{count} points x {self.replications} replications is over {MAX_POINTS} runs")
        return self

    def paths(self) -> list[str]:
        """Every swept path, in axis order."""
        return [a.path for a in self.grid] + [a.path for a in self.zip] \
            + ([p.path for p in self.random.params] if self.random else [])


class _SweepFile(BaseModel):
    """So that validation errors are located under ``sweep.`` like any scenario field."""

    model_config = ConfigDict(extra="forbid")

    sweep: SweepBlock


def parse_block(raw: Any, source: str) -> SweepBlock:
    """The validated ``sweep:`` block (``{}`` when the file has none), or one line
    ``file: sweep.grid[0].values: what (fix)``."""
    try:
        return _SweepFile.model_validate({"sweep": raw if raw is not None else {}}).sweep
    except ValidationError as exc:
        raise validation_error(source, None, exc, _SweepFile) from None


def _split_top(text: str) -> list[str]:
    """``a,[b,c],d`` -> ``['a', '[b,c]', 'd']``: commas outside brackets and quotes."""
    parts, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return parts


def parse_grid(text: str) -> Axis:
    """``--grid PATH=v1,v2,...`` or ``--grid 'PATH=[v1, v2]'`` as an axis; one line on a mistake."""
    where = f"--grid {text!r}"
    try:
        keys, value = parse_assignment(text)
    except MergeError as exc:
        raise ScenarioError(where, exc.what, "write e.g. --grid host.pnic.rx_queues=1,2,4,8") from None
    raw = text.split("=", 1)[1].strip()
    if isinstance(value, list):
        values = value
    else:
        values = []
        for part in _split_top(raw):
            if not part.strip():
                raise ScenarioError(where, "an empty value", "separate values with single commas: 1,2,4")
            try:
                values.append(parse_yaml_text(part))
            except (yaml.YAMLError, ValueError):
                values.append(part.strip())
    if not values:
        raise ScenarioError(where, "no values", "write e.g. --grid host.pnic.rx_queues=1,2,4,8")
    try:
        return Axis(path=".".join(keys), values=values)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ScenarioError(where, msg, "sweep scenario fields, e.g. host.pnic.rx_queues") from None


def with_grid(block: SweepBlock, axes: list[Axis], replications: int | None = None) -> SweepBlock:
    """``block`` with command-line grid axes (an axis on a path the block sweeps replaces it) and,
    if given, another number of replications."""
    over = {a.path for a in axes}
    grid = [a for a in block.grid if a.path not in over] + list(axes)
    zip_ = [a for a in block.zip if a.path not in over]
    rnd = block.random
    if rnd is not None and any(p.path in over for p in rnd.params):
        kept = [p for p in rnd.params if p.path not in over]
        rnd = rnd.model_copy(update={"params": kept}) if kept else None
    data = block.model_dump()
    data.update(grid=[a.model_dump() for a in grid], zip=[a.model_dump() for a in zip_],
                random=rnd.model_dump() if rnd is not None else None)
    if replications is not None:
        data["replications"] = replications
    try:
        return SweepBlock.model_validate(data)
    except ValidationError as exc:
        raise validation_error("command line", None, exc, SweepBlock) from None


def _draw(param: RandomParam, rng) -> Any:
    if param.values is not None:
        return param.values[int(rng.integers(len(param.values)))]
    if param.integers is not None:
        return int(rng.integers(param.integers[0], param.integers[1], endpoint=True))
    if param.uniform is not None:
        x = float(rng.uniform(*param.uniform))
    else:
        lo, hi = param.log_uniform  # type: ignore[misc]
        x = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return f"{x:.6g}{param.unit}" if param.unit else x


def _random_rows(design: RandomDesign) -> list[dict[str, Any]]:
    """``samples`` rows, drawn in order (sample by sample, field by field) from one stream."""
    rng = stream(design.seed, "sweep/random")
    return [{p.path: _draw(p, rng) for p in design.params} for _ in range(design.samples)]


def expand(block: SweepBlock) -> list[dict[str, Any]]:
    """The parameter values of every point: ``{path: value}`` per point, in sweep order."""
    axes: list[list[dict[str, Any]]] = [[{a.path: v} for v in a.values] for a in block.grid]
    if block.zip:
        axes.append([{a.path: a.values[k] for a in block.zip} for k in range(len(block.zip[0].values))])
    if block.random is not None:
        axes.append(_random_rows(block.random))
    out = []
    for combo in itertools.product(*axes):
        point: dict[str, Any] = {}
        for part in combo:
            point.update(part)
        out.append(point)
    return out
