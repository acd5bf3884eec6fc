"""The Python API: the same things the command line does.

    import vnetsim
    result = vnetsim.run("examples/pgw-poll-vs-interrupt.yaml", seed=3)
    result.to_dataframe()[["latency_ns.p99", "delivered_pps"]]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from vnetsim.errors import ScenarioError, UserError
from vnetsim.results.result import Result
from vnetsim.scenario.loader import LoadedVariant, load_variants, read_yaml
from vnetsim.scenario.schema import HostScenario
from vnetsim.units import parse_duration_ns

@dataclass(frozen=True)
class Kind:
    """A kind of scenario file: how to recognise it, its schema, how to run and show a variant."""

    detect: Callable[[dict], bool]
    model: Any
    runner: Callable[[LoadedVariant], list[dict]]
    render: Callable[[Result, Any], None]


_KINDS: dict[str, Kind] = {}


def register_kind(name: str, kind: Kind) -> None:
    """Let a domain package (fabric, ...) run its own scenario files through ``vnetsim run``."""
    _KINDS[name] = kind


def _host_runner(v: LoadedVariant) -> list[dict]:
    """One entry per load level (or one at the scenario's own rates), plus the zero-loss search."""
    from vnetsim.host.path import run_host
    from vnetsim.host.plan import compile_host
    from vnetsim.results.host import variant_result
    from vnetsim.throughput import load_scales, zero_loss_search

    scenario: HostScenario = v.model
    plan = compile_host(scenario.host, scenario.traffic.flows, scenario.seed)
    zero_loss = None
    if scenario.throughput.enabled:
        zero_loss = zero_loss_search(scenario, v.name, v.description, plan=plan)
    rows = []
    for label, scale in load_scales(scenario, plan):
        row = variant_result(v.name if label is None else f"{v.name} @ {label}", v.description,
                             run_host(scenario, rate_scale=scale, plan=plan), scenario.seed,
                             scenario.report.flow_listing, scenario.host.cpu_clock)
        row["variant"] = v.name
        row["load"] = label
        if zero_loss is not None:
            row["zero_loss"] = {k: zero_loss[k] for k in ("zero_loss_pps", "zero_loss_bps", "line_rate_fraction",
                                                          "resolution", "trial_s", "at_zero_loss")}
        rows.append(row)
    return rows


def _host_render(result: Result, console) -> None:
    from vnetsim.results.table import render_host

    render_host(result, console)


register_kind("host", Kind(lambda doc: True, HostScenario, _host_runner, _host_render))


def _builtin_kinds() -> None:
    """Domain packages register their scenario kinds when imported."""
    import importlib

    for module in ("vnetsim.fabric.kind",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def scenario_kind(doc: dict) -> str:
    _builtin_kinds()
    for name, kind in _KINDS.items():
        if name != "host" and kind.detect(doc):
            return name
    return "host"


def schema_for(kind: str) -> dict:
    """The JSON Schema of a kind of scenario file."""
    _builtin_kinds()
    if kind not in _KINDS:
        raise UserError(f"schema {kind}", "unknown scenario kind", f"choose one of: {', '.join(_KINDS)}")
    return _KINDS[kind].model.model_json_schema(mode="validation")


def render(result: Result, console) -> None:
    """Print a result as tables."""
    if result.kind == "throughput":
        from vnetsim.results.table import render_throughput

        render_throughput(result, console)
    else:
        _KINDS[result.kind].render(result, console)


def load(scenario: str | Path | dict, *, seed: int | None = None, duration: str | float | None = None,
         overrides: list[str] | tuple[str, ...] = (), variant: str | None = None) -> tuple[str, str, list[LoadedVariant]]:
    """(kind, source, validated variants) for a scenario file or an in-memory document."""
    if isinstance(scenario, dict):
        doc, source = scenario, "<scenario>"
    else:
        doc, source = read_yaml(scenario), str(scenario)
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={int(seed)}")
    if duration is not None:
        try:
            ns = parse_duration_ns(duration) if isinstance(duration, str) else float(duration)
        except ValueError as exc:
            raise ScenarioError("--duration", str(exc), "write e.g. --duration 50ms") from None
        extra.append(f"duration={ns!r}ns")
    kind = scenario_kind(doc)
    return kind, source, load_variants(doc, source, _KINDS[kind].model, extra, only=variant)


def run(scenario: str | Path | dict, *, seed: int | None = None, duration: str | float | None = None,
        overrides: list[str] | tuple[str, ...] = (), variant: str | None = None) -> Result:
    """Run every variant of a scenario and return the Result (``to_json``, ``to_dataframe``)."""
    kind, source, variants = load(scenario, seed=seed, duration=duration, overrides=overrides, variant=variant)
    rows = [row for v in variants for row in _KINDS[kind].runner(v)]
    name = variants[0].doc.get("name", "scenario") if variants else "scenario"
    return Result(scenario=str(name), kind=kind, variants=rows, source=source)
