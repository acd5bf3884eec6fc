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


@dataclass
class PcapRequest:
    """Write the offered traffic of the first variant (first load level) as a pcap."""

    path: str
    limit: int = 1_000_000
    done: bool = False


def _host_runner(v: LoadedVariant, pcap: PcapRequest | None = None, source: str = "") -> list[dict]:
    """One entry per load level (or one at the scenario's own rates), plus the zero-loss search."""
    from vnetsim.host.path import HostPath
    from vnetsim.host.plan import compile_host
    from vnetsim.results.host import variant_result
    from vnetsim.throughput import load_scales, zero_loss_search

    scenario: HostScenario = v.model
    where = f"{source}: variant {v.name!r}" if source else f"variant {v.name!r}"
    plan = compile_host(scenario.host, scenario.traffic.flows, scenario.seed, where=where)
    zero_loss = None
    if scenario.throughput.enabled:
        zero_loss = zero_loss_search(scenario, v.name, v.description, plan=plan)
    rows = []
    for label, scale in load_scales(scenario, plan):
        path = HostPath(scenario, rate_scale=scale, plan=plan)
        if pcap is not None and not pcap.done:
            from vnetsim.io.pcap import PcapWriter

            with PcapWriter(pcap.path, plan.catalog.flows, size_is="outer") as writer:
                path.write_pcap(writer, pcap.limit)
                run = path.run()
            pcap.done = True
        else:
            run = path.run()
        row = variant_result(v.name if label is None else f"{v.name} @ {label}", v.description, run,
                             scenario.seed, scenario.report.flow_listing, scenario.host.cpu_clock)
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
    base = Path(source).parent if not isinstance(scenario, dict) else Path(".")
    return kind, source, load_variants(doc, source, _KINDS[kind].model, extra, only=variant,
                                       prepare=lambda d: _resolve_paths(d, base))


def _resolve_paths(doc: dict, base: Path) -> dict:
    """Relative capture paths (traffic.flows[].trace.pcap) are relative to the scenario's folder."""
    flows = (doc.get("traffic") or {}).get("flows") if isinstance(doc.get("traffic"), dict) else None
    if not isinstance(flows, list):
        return doc
    out = dict(doc)
    out["traffic"] = dict(doc["traffic"])
    out["traffic"]["flows"] = []
    for g in flows:
        if isinstance(g, dict) and isinstance(g.get("trace"), dict) and isinstance(g["trace"].get("pcap"), str):
            path = Path(g["trace"]["pcap"])
            if not path.is_absolute():
                g = dict(g, trace=dict(g["trace"], pcap=str(base / path)))
        out["traffic"]["flows"].append(g)
    return out


def run(scenario: str | Path | dict, *, seed: int | None = None, duration: str | float | None = None,
        overrides: list[str] | tuple[str, ...] = (), variant: str | None = None, pcap: str | None = None,
        pcap_limit: int = 1_000_000) -> Result:
    """Run every variant of a scenario and return the Result (``to_json``, ``to_dataframe``).

    ``pcap``: also write the offered traffic of the first variant (its first load level), as it is
    on the wire (encapsulated), to this file, at most ``pcap_limit`` packets (host scenarios).
    """
    kind, source, variants = load(scenario, seed=seed, duration=duration, overrides=overrides, variant=variant)
    if pcap is not None and kind != "host":
        raise UserError("--pcap", f"writing traffic as pcap applies to host scenarios, not {kind}")
    request = PcapRequest(pcap, pcap_limit) if pcap is not None else None
    if kind == "host":
        rows = [row for v in variants for row in _host_runner(v, request, source)]
    else:
        rows = [row for v in variants for row in _KINDS[kind].runner(v)]
    name = variants[0].doc.get("name", "scenario") if variants else "scenario"
    return Result(scenario=str(name), kind=kind, variants=rows, source=source)
