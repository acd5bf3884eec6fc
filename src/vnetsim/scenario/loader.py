"""Load a scenario of any kind: YAML -> variants -> overrides -> validated models, or one clear error line.

The one loader every kind uses: the kind only supplies its pydantic model (and optionally a
``prepare`` step, e.g. resolving relative paths). Variants and ``--set`` follow the one merge rule
of ``vnetsim.scenario.merge``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from vnetsim.errors import ScenarioError
from vnetsim.scenario.merge import MergeError, deep_merge, parse_assignment, set_path
from vnetsim.scenario.yamlfile import read_yaml
from vnetsim.units import parse_duration_ns

__all__ = ["LoadedVariant", "expand_variants", "load_variants", "read_yaml", "validation_error"]


@dataclass
class LoadedVariant:
    """One variant: its name, the merged document, the validated model, and where it came from."""

    name: str
    description: str
    doc: dict
    model: Any
    source: str = "<scenario>"

    @property
    def where(self) -> str:
        """``file: variant 'name'``: the prefix of every error about this variant."""
        return f"{self.source}: variant {self.name!r}"


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """Field names accepted where ``loc`` points (for 'unknown field' hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return None
        if part not in fields:
            # discriminator tags appear in loc: search the union members for the tag
            return None
        current = _model_in(fields[part].annotation)
        if current is None:
            return None
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else None


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation (list[M], M | None, Annotated[...])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        return _model_in(origin)
    return None


def _hint(err: Any, model: type[BaseModel]) -> tuple[str, str]:
    kind = err["type"]
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, "):]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, tuple(err["loc"]))
        fix = f"expected one of: {', '.join(allowed)}" if allowed else "remove it or check its spelling"
        return f"unknown field {err['loc'][-1]!r}", fix
    if kind == "missing":
        return "missing required field", "add it (see `vnetsim schema`)"
    if kind == "union_tag_invalid":
        return msg, "set 'kind' to one of the listed values"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"{msg}, got {err.get('input')!r}", "change the value"
    return msg, ""


def validation_error(source: str, variant: str | None, exc: ValidationError, model: type[BaseModel]) -> ScenarioError:
    """The first validation problem as a one-line ScenarioError."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    what, fix = _hint(err, model)
    parts = [source] + ([f"variant {variant!r}"] if variant else []) + ([format_loc(loc)] if loc else [])
    where = ": ".join(parts)
    extra = len(exc.errors()) - 1
    if extra:
        fix = (fix + "; " if fix else "") + f"{extra} more problem{'s' if extra > 1 else ''} after this one"
    return ScenarioError(where, what, fix)


def _merge_error(source: str, variant: str | None, exc: MergeError) -> ScenarioError:
    parts = [source] + ([f"variant {variant!r}"] if variant else []) + [exc.path]
    return ScenarioError(": ".join(p for p in parts if p), exc.what, exc.fix)


def expand_variants(doc: dict, source: str, overrides: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str, dict]]:
    """(name, description, merged document) for each variant; ``--set`` overrides apply to all."""
    # ``sweep:`` describes a sweep (vnetsim.sweep); a plain run runs the scenario it sweeps.
    base = {k: v for k, v in doc.items() if k not in ("variants", "kind", "sweep")}
    raw = doc.get("variants") or []
    if not isinstance(raw, list):
        raise ScenarioError(f"{source}: variants", "must be a list of mappings with a 'name'",
                            "write '- name: ...' items")
    try:
        assignments = [parse_assignment(o) for o in overrides]
    except MergeError as exc:
        raise _merge_error("", None, exc) from None
    for keys, _ in assignments:
        if keys[0] in ("variants", "kind"):
            raise ScenarioError(f"--set {'.'.join(keys)}", f"'{keys[0]}' cannot be set from the command line",
                                "use --variant NAME to run one variant" if keys[0] == "variants"
                                else "write 'kind:' in the file")
    parsed = []
    items = raw or [{"name": base.get("name", "base")}]
    seen = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ScenarioError(f"{source}: variants[{i}]", "a variant needs a 'name' (a string)",
                                "add 'name: ...' to it")
        if item["name"] in seen:
            raise ScenarioError(f"{source}: variants[{i}].name", f"repeated variant name {item['name']!r}",
                                "give every variant its own name")
        seen.add(item["name"])
        over = {k: v for k, v in item.items() if k not in ("name", "description")}
        label = item["name"] if raw else None
        try:
            merged = deep_merge(base, over)
        except MergeError as exc:
            raise _merge_error(source, label, exc) from None
        for keys, value in assignments:
            try:
                merged = set_path(merged, keys, value)
            except MergeError as exc:
                raise _merge_error("", None, exc) from None
        parsed.append((item["name"], str(item.get("description", "")), merged))
    return parsed


def option_overrides(overrides: list[str] | tuple[str, ...], seed: int | None = None,
                     duration: str | float | None = None) -> list[str]:
    """``--set`` overrides plus those of ``--seed`` and ``--duration`` (a duration such as '50ms',
    or nanoseconds as a number), checked here: one line for a bad duration."""
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={int(seed)}")
    if duration is not None:
        try:
            ns = parse_duration_ns(duration) if isinstance(duration, str) else float(duration)
        except ValueError as exc:
            raise ScenarioError("--duration", str(exc), "write e.g. --duration 50ms") from None
        if not math.isfinite(ns) or ns <= 0:
            raise ScenarioError("--duration", f"must be a positive, finite time, got {duration!r}",
                                "write e.g. --duration 50ms")
        extra.append(f"duration={ns!r}ns")
    return extra


def load_variants(doc: dict, source: str, model: type[BaseModel], overrides: list[str] | tuple[str, ...] = (),
                  only: str | None = None,
                  prepare: Callable[[dict], dict] | None = None) -> list[LoadedVariant]:
    """Validate every variant of ``doc`` with ``model``; the first problem raises ScenarioError."""
    out = []
    variants = expand_variants(doc, source, overrides)
    if only is not None:
        names = [v[0] for v in variants]
        if only not in names:
            raise ScenarioError(f"{source}", f"no variant named {only!r}", f"choose one of: {', '.join(names)}")
        variants = [v for v in variants if v[0] == only]
    multiple = len(variants) > 1 or bool(doc.get("variants"))
    for name, description, merged in variants:
        data = prepare(merged) if prepare else merged
        try:
            model_obj = model.model_validate(data)
        except ValidationError as exc:
            raise validation_error(source, name if multiple else None, exc, model) from None
        out.append(LoadedVariant(name, description, merged, model_obj, source))
    return out
