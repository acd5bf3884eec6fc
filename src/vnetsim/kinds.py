"""Scenario kinds as plug-ins: what a kind bundles, and the registry that finds them.

A kind (host, fabric, and any third-party one) is a ``Kind`` object published under the
``vnetsim.kinds`` entry-point group, e.g. in a package's pyproject.toml::

    [project.entry-points."vnetsim.kinds"]
    fifo = "mypackage.fifo_kind:KIND"

The built-in kinds register the same way (vnetsim's own pyproject.toml). A scenario file picks its
kind with a top-level ``kind: NAME``; without one, the first kind whose ``detect`` accepts the
document is used, and the kind marked ``fallback`` otherwise. Everything kind-specific lives in the
kind: its scenario model, how a variant runs, how results are shown, its CLI sub-commands and its
capabilities (throughput search, flow listing, pcap output). Nothing outside a kind branches on a
kind's name.

The boundary: mechanisms raise ``ModelError`` naming a model field; ``Kind.run_variant`` (and the
capabilities) turn it into ``file: variant: field: what (fix)``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from vnetsim import entrypoints
from vnetsim.errors import ModelError, ScenarioError, UserError

if TYPE_CHECKING:
    from rich.console import Console

    from vnetsim.results.result import Result
    from vnetsim.scenario.loader import LoadedVariant

ENTRY_POINT_GROUP = "vnetsim.kinds"


@dataclass
class PcapRequest:
    """Write the offered traffic of the first variant run (its first load level) as a pcap.

    Simulated time 0 is written as ``epoch_ns`` (ns since 1970): by default the wall-clock time the
    request was made, i.e. the run's start, so tools show real dates; ``epoch_ns=0`` writes the
    simulated time as is (1970-01-01, reproducible bytes)."""

    path: str
    limit: int = 1_000_000
    done: bool = False
    epoch_ns: int = field(default_factory=time.time_ns)


@dataclass(frozen=True)
class RunOptions:
    """What a run asks of a kind besides the scenario: optional pcap output, and an optional
    ``progress(fraction)`` that a kind may call as its run advances (0..1 of this variant; the host
    kind calls it once per chunk), for a progress bar."""

    pcap: PcapRequest | None = None
    progress: Callable[[float], None] | None = None


@dataclass(frozen=True)
class Capability:
    """An optional command a kind offers (``vnetsim throughput``, ``vnetsim flows``): one call per
    variant returning a JSON-ready row, and how to print the rows."""

    run: Callable[..., dict]
    render: Callable[[Result, Console], None]
    help: str = ""


class _ModelField:
    """``Kind.model``: a class, or ``"package.module:Class"`` imported on first use (and kept), so the
    installed kinds can all be listed and detected without importing their scenario models."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_value"

    def __get__(self, kind: Any, owner: type | None = None) -> Any:
        if kind is None:  # dataclass asks the class for a default: there is none
            raise AttributeError("model")
        value = kind.__dict__[self.slot]
        if isinstance(value, str):
            value = lazy(value, call=False)()
            kind.__dict__[self.slot] = value
        return value

    def __set__(self, kind: Any, value: type | str) -> None:
        kind.__dict__[self.slot] = value


@dataclass(frozen=True)
class Kind:
    """One kind of scenario file and everything that belongs to it.

    - ``model``: the pydantic model of a merged variant document (its JSON Schema is the kind's schema);
      a class, or ``"package.module:Class"`` to import it only when a file of this kind is loaded
      (then listing the kinds, ``vnetsim --help`` and runs of other kinds do not pay for it);
    - ``detect``: does an (unmerged) document without ``kind:`` belong to this kind?
    - ``run``: one validated variant -> result rows (one per load level, say);
    - ``render``: print a Result of this kind;
    - ``prepare``: adjust a merged document before validation, given the scenario file's folder
      (e.g. make relative capture paths relative to it);
    - ``cli``: a function returning a typer app mounted as ``vnetsim NAME ...``;
    - ``quick``: commands of ``vnetsim NAME COMMAND`` that answer without the typer CLI: each a
      function of the command's arguments that parses them itself (the standard library's
      ``argparse``) and prints plain text, so a question that must be answered at once (``vnetsim
      storage plan``) costs neither typer's nor rich's import; the kind's typer app forwards the same
      command to it, so ``vnetsim NAME --help`` lists it and ``vnetsim.cli.app.main`` runs it too;
    - ``capabilities``: named optional commands (``throughput``, ``flows``);
    - ``writes_pcap``: whether ``run`` honours ``RunOptions.pcap``;
    - ``kernels``: the modules whose compiled kernels a run needs (so a first run can say it compiles);
    - ``report``: a Result of this kind -> figure specs (``vnetsim.results.figures.Figure``) that
      ``vnetsim report`` and ``vnetsim run --plot`` draw, each with its table;
    - ``work``: a validated variant (its ``model``) -> an estimate of its run's work, in any unit
      proportional to CPU time (the host kind: offered packets); a sweep starts its largest points
      first, so that its processes run out of points together (without it, points run in order).
    """

    name: str
    summary: str
    if TYPE_CHECKING:  # a class, or "package.module:Class" (see _ModelField); reads as the class
        model: Any
    else:
        model: _ModelField = _ModelField()
    run: Callable[[LoadedVariant, RunOptions], list[dict]]
    render: Callable[[Result, Console], None]
    detect: Callable[[dict], bool] = lambda doc: False
    fallback: bool = False
    prepare: Callable[[dict, Path], dict] | None = None
    cli: Callable[[], Any] | None = None
    quick: dict[str, Callable[[list[str]], None]] = field(default_factory=dict)
    capabilities: dict[str, Capability] = field(default_factory=dict)
    writes_pcap: bool = False
    kernels: Callable[[], list[str]] | None = None
    report: Callable[[Result], list[Any]] | None = None
    work: Callable[[Any], float] | None = None

    def run_variant(self, variant: LoadedVariant, options: RunOptions | None = None) -> list[dict]:
        """Run one variant; a mechanism's ``ModelError`` becomes a one-line ScenarioError."""
        self.prepare_kernels()
        try:
            return self.run(variant, options or RunOptions())
        except ModelError as exc:
            raise exc.at(variant.where) from None

    def prepare_kernels(self) -> None:
        """A kind with compiled kernels: set numba up the quick way before its first kernel call
        (``run_variant`` and ``call`` do it; ``vnetsim.api`` does it before timing starts)."""
        if self.kernels is not None:
            from vnetsim.engine.jit import prepare_numba

            prepare_numba()

    def compile_notice(self) -> str | None:
        """What to tell the user before a run that must first compile this kind's kernels (a first
        run after install), or None when they are compiled (or the kind has none)."""
        if self.kernels is None:
            return None
        from vnetsim.engine.jit import COLD_START_S, uncached

        if not uncached(self.kernels()):
            return None
        return (f"compiling the simulation kernels for this machine (first run only, about "
                f"{COLD_START_S:.0f} s on 2 cores; later runs start at once)")

    def capability(self, name: str, where: str = "") -> Capability:
        """The named capability, or a one-line error (about ``where``, the file) saying which kinds
        offer it."""
        if name in self.capabilities:
            return self.capabilities[name]
        offering = [k.name for k in all_kinds().values() if name in k.capabilities]
        raise UserError(where or name, f"{self.name} scenarios have no {name} command",
                        f"it applies to {' and '.join(offering)} scenarios" if offering else "")

    def call(self, name: str, variant: LoadedVariant, **kw: Any) -> dict:
        """Run capability ``name`` on one variant, with the same error boundary as ``run_variant``."""
        self.prepare_kernels()
        try:
            return self.capability(name).run(variant, **kw)
        except ModelError as exc:
            raise exc.at(variant.where) from None


def lazy(target: str, *, call: bool = True) -> Callable[..., Any]:
    """``"package.module:name"`` imported on first use, so loading a kind stays cheap: with ``call``
    a function that calls it with its arguments (a renderer, a figure builder), else a function
    returning the object itself (a CLI app, for ``Kind.cli``)."""
    name = target.partition(":")[2]

    def load() -> Any:
        return entrypoints.load(target)

    if not call:
        return load

    def run(*args: Any, **kwargs: Any) -> Any:
        return load()(*args, **kwargs)

    run.__name__ = run.__qualname__ = name
    return run


@cache
def all_kinds() -> dict[str, Kind]:
    """Every installed kind, by name (entry points of the ``vnetsim.kinds`` group)."""
    found: dict[str, Kind] = {}
    for name, target in sorted(entrypoints.targets(ENTRY_POINT_GROUP), key=lambda e: e[0]):
        kind = load_kind(name, target)
        found.setdefault(kind.name, kind)
    return found


def load_kind(name: str, target: str) -> Kind:
    """The Kind an entry point names; a plug-in that fails to load is one line naming it."""
    try:
        kind = entrypoints.load(target)
    except Exception as exc:  # a broken plug-in must not take the others down
        raise UserError(f"plug-in {name} ({target})", f"cannot be loaded: {exc.__class__.__name__}: {exc}",
                        "reinstall or remove the package that provides it") from None
    if not isinstance(kind, Kind):
        raise UserError(f"plug-in {name} ({target})", "is not a vnetsim.kinds.Kind")
    return kind


def quick_command(kind_name: str, command: str) -> Callable[[list[str]], None] | None:
    """The kind's quick command (``Kind.quick``) called ``command``, loading that kind alone (not
    every installed one), or None when no installed kind of that name offers it."""
    for name, target in entrypoints.targets(ENTRY_POINT_GROUP):
        if name == kind_name:
            kind = load_kind(name, target)
            if kind.name == kind_name and command in kind.quick:
                return kind.quick[command]
    return None


def get_kind(name: str) -> Kind:
    """The kind called ``name``, or a one-line error listing the installed kinds."""
    kinds = all_kinds()
    if name not in kinds:
        raise UserError(f"kind {name!r}", "is not an installed scenario kind",
                        f"choose one of: {', '.join(kinds) or '(none installed)'}")
    return kinds[name]


def kind_of(doc: dict, source: str = "") -> Kind:
    """The kind of a scenario document: its ``kind:`` field, else detection, else the fallback."""
    kinds = all_kinds()
    named = doc.get("kind")
    if named is not None:
        if not isinstance(named, str) or named not in kinds:
            raise ScenarioError(f"{source}: kind" if source else "kind", f"unknown scenario kind {named!r}",
                                f"choose one of: {', '.join(kinds)}")
        return kinds[named]
    for kind in kinds.values():
        if not kind.fallback and kind.detect(doc):
            return kind
    for kind in kinds.values():
        if kind.fallback:
            return kind
    raise ScenarioError(source or "scenario", "matches no installed scenario kind",
                        f"add 'kind: NAME' (one of: {', '.join(kinds)})")


def summaries() -> dict[str, str]:
    """Installed scenario kinds and what each models (``vnetsim.kinds()``)."""
    return {name: k.summary for name, k in all_kinds().items()}


class _CallableModule(ModuleType):
    """This module, callable as ``summaries``.

    ``vnetsim.kinds()`` is the API's list of kinds, and ``vnetsim.kinds`` is also this module's name:
    once anything imports the module, Python sets the package's attribute ``kinds`` to it, and the
    API function would be gone. Calling the module gives the same answer, so both spellings work."""

    def __call__(self) -> dict[str, str]:
        return summaries()


sys.modules[__name__].__class__ = _CallableModule
