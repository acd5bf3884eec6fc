"""The Python API: the same things the command line does, for every installed scenario kind.

    import vnetsim
    result = vnetsim.run("examples/pgw-poll-vs-interrupt.yaml", seed=3)
    result.to_dataframe()[["latency_ns.p99", "delivered_pps"]]

Each function loads the scenario with the one loader, finds its kind (``vnetsim.kinds``) and
hands every variant to it; nothing here knows what a host or a fabric is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vnetsim.errors import UserError
from vnetsim.kinds import Kind, PcapRequest, RunOptions, get_kind, kind_of, summaries
from vnetsim.results.result import Result
from vnetsim.scenario.loader import LoadedVariant, load_variants, option_overrides, read_yaml

Scenario = str | Path | dict
Notify = Callable[[str], None]


def _announce_compile(kind: Kind, notify: Notify | None) -> None:
    """Tell ``notify`` when the kind's kernels are not compiled yet (a first run after install)."""
    message = kind.compile_notice() if notify is not None else None
    if message and notify is not None:
        notify(message)


def _start(kind: Kind, started: Callable[[], None] | None) -> None:
    kind.prepare_kernels()
    if started is not None:
        started()


def load(scenario: Scenario, *, seed: int | None = None, duration: str | float | None = None,
         overrides: list[str] | tuple[str, ...] = (),
         variant: str | None = None) -> tuple[str, str, list[LoadedVariant]]:
    """(kind name, source, validated variants) of a scenario file or an in-memory document."""
    kind, source, variants = _load(scenario, seed, duration, overrides, variant)
    return kind.name, source, variants


def _bad(argument: str, value: Any, expected: str) -> UserError:
    return UserError(f"argument {argument}", f"got {value!r} ({type(value).__name__})", f"expected {expected}")


def _check_common(scenario: Any, seed: Any, duration: Any, overrides: Any, variant: Any) -> None:
    """Every API argument is checked here, so a bad one is a UserError naming it, never a
    TypeError from deep inside."""
    if not isinstance(scenario, str | Path | dict):
        raise _bad("scenario", scenario, "a path (str or Path) or a scenario mapping (dict)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise _bad("seed", seed, "an integer >= 0")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, str | int | float)):
        raise _bad("duration", duration, "a duration such as '50ms', or nanoseconds as a number")
    if isinstance(overrides, str) or not isinstance(overrides, list | tuple) \
            or not all(isinstance(o, str) for o in overrides):
        raise _bad("overrides", overrides, "a list of 'PATH=VALUE' strings")
    if variant is not None and not isinstance(variant, str):
        raise _bad("variant", variant, "a variant name (str)")


def _load(scenario: Scenario, seed: int | None, duration: str | float | None,
          overrides: list[str] | tuple[str, ...], variant: str | None) -> tuple[Kind, str, list[LoadedVariant]]:
    _check_common(scenario, seed, duration, overrides, variant)
    if isinstance(scenario, dict):
        doc, source, base = scenario, "<scenario>", Path(".")
    else:
        doc, source, base = read_yaml(scenario), str(scenario), Path(scenario).parent
    extra = option_overrides(overrides, seed, duration)
    kind = kind_of(doc, source)
    prepare = kind.prepare
    variants = load_variants(doc, source, kind.model, extra, only=variant,
                             prepare=(lambda d: prepare(d, base)) if prepare else None)
    return kind, source, variants


def _name(variants: list[LoadedVariant]) -> str:
    return str(variants[0].doc.get("name", "scenario")) if variants else "scenario"


def run(scenario: Scenario, *, seed: int | None = None, duration: str | float | None = None,
        overrides: list[str] | tuple[str, ...] = (), variant: str | None = None, pcap: str | None = None,
        pcap_limit: int = 1_000_000, notify: Notify | None = None,
        progress: Callable[[float], None] | None = None, started: Callable[[], None] | None = None) -> Result:
    """Run every variant of a scenario and return the Result (``to_json``, ``to_dataframe``).

    ``pcap``: also write the offered traffic of the first variant (its first load level), as it is
    on the wire (encapsulated), to this file, at most ``pcap_limit`` packets (kinds that write pcaps).
    ``notify``: called with a message before a run that must first compile its kernels.
    ``progress``: called with the fraction of the run done (0..1) as it advances (kinds that report it).
    ``started``: called once the scenario is loaded and the kind set up, just before the first variant
    runs (the command line ends its start-up pause of the garbage collector there).
    """
    if pcap is not None and not isinstance(pcap, str | Path):
        raise _bad("pcap", pcap, "a file path")
    if isinstance(pcap_limit, bool) or not isinstance(pcap_limit, int) or pcap_limit < 1:
        raise _bad("pcap_limit", pcap_limit, "an integer >= 1")
    kind, source, variants = _load(scenario, seed, duration, overrides, variant)
    _announce_compile(kind, notify)
    if pcap is not None and not kind.writes_pcap:
        raise UserError("--pcap", f"{kind.name} scenarios do not write their traffic as pcap",
                        "drop --pcap for this file")
    request = PcapRequest(str(pcap), pcap_limit) if pcap is not None else None
    _start(kind, started)
    rows = []
    for i, v in enumerate(variants):
        step = None if progress is None else (lambda f, i=i: progress((i + f) / len(variants)))  # type: ignore[misc]
        rows += kind.run_variant(v, RunOptions(request, step))
    if progress is not None:
        progress(1.0)
    return Result(scenario=_name(variants), kind=kind.name, variants=rows, source=source)


def throughput(scenario: Scenario, *, seed: int | None = None, duration: str | None = None,
               overrides: list[str] | tuple[str, ...] = (), variant: str | None = None,
               resolution: float | None = None, notify: Notify | None = None,
               started: Callable[[], None] | None = None) -> Result:
    """RFC 2544-style zero-loss throughput of every variant (kinds with the ``throughput`` capability);
    ``notify`` and ``started`` as in ``run``."""
    if resolution is not None and (isinstance(resolution, bool) or not isinstance(resolution, int | float)
                                   or not 1e-4 <= resolution <= 0.5):
        raise _bad("resolution", resolution, "a fraction of line rate from 0.0001 to 0.5")
    return _capability("throughput", scenario, seed=seed, duration=duration, overrides=overrides, variant=variant,
                       notify=notify, started=started, resolution=resolution)


def flows(scenario: Scenario, *, overrides: list[str] | tuple[str, ...] = (), variant: str | None = None,
          limit: int = 50, started: Callable[[], None] | None = None) -> Result:
    """Each flow's headers and where it lands (RX queue, core, VM), without simulating: the first
    variant, or ``variant`` (kinds with the ``flows`` capability); ``started`` as in ``run``."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise _bad("limit", limit, "an integer >= 1")
    return _capability("flows", scenario, overrides=overrides, variant=variant, first_only=variant is None,
                       started=started, limit=limit)


def _capability(name: str, scenario: Scenario, *, seed: int | None = None, duration: str | None = None,
                overrides: list[str] | tuple[str, ...] = (), variant: str | None = None, first_only: bool = False,
                notify: Notify | None = None, started: Callable[[], None] | None = None, **kw) -> Result:
    kind, source, variants = _load(scenario, seed, duration, overrides, variant)
    kind.capability(name, source)
    _announce_compile(kind, notify)
    _start(kind, started)
    chosen = variants[:1] if first_only else variants
    rows = [kind.call(name, v, **kw) for v in chosen]
    return Result(scenario=_name(variants), kind=f"{kind.name}.{name}", variants=rows, source=source)


def sweep(scenario: Scenario, *, grid: list[str] | tuple[str, ...] = (), replications: int | None = None,
          workers: int | None = None, dask: str | None = None, store: str | Path | None = None,
          overrides: list[str] | tuple[str, ...] = (), variant: str | None = None, seed: int | None = None,
          duration: str | float | None = None, progress: Callable[[int, int], None] | None = None):
    """Run a parameter sweep (its ``sweep:`` block and ``grid`` axes such as ``"loads=1Mpps,2Mpps"``),
    ``replications`` seeds per point, on ``workers`` local processes or the Dask scheduler ``dask``,
    keeping finished points in ``store`` (a DuckDB file; a rerun skips them). Returns a
    ``SweepResult`` (``summary()``: confidence intervals; ``to_dataframe()``). See docs/sweeps.md."""
    from vnetsim.sweep.run import sweep as run_sweep

    _check_common(scenario, seed, duration, overrides, variant)
    return run_sweep(scenario, grid=grid, replications=replications, workers=workers, dask=dask, store=store,
                     overrides=overrides, variant=variant, seed=seed, duration=duration, progress=progress)


def schema_for(kind: str) -> dict:
    """The JSON Schema of a kind of scenario file."""
    model: Any = get_kind(kind).model
    return model.model_json_schema(mode="validation")


def kinds() -> dict[str, str]:
    """Installed scenario kinds and what each models."""
    return summaries()


def render(result: Result, console) -> None:
    """Print a result as tables, by the kind (and capability) that made it."""
    name, _, capability = result.kind.partition(".")
    kind = get_kind(name)
    if capability:
        kind.capability(capability).render(result, console)
    else:
        kind.render(result, console)
