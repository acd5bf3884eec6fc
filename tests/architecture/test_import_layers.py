"""The import graph: no cycles between packages, and every edge points down the layers.

Layers, bottom to top (a package may import its own layer's lower neighbours listed before it and
anything in lower layers, never above):

    units, errors, entrypoints -> net -> engine, io -> traffic, scenario, results, kinds -> nic -> host -> fabric
    -> storage -> edge -> inspect -> calibrate -> sweep -> report -> api -> cli

Domain packages (nic, host, fabric, storage, edge, inspect, calibrate) sit on the engine; a domain
uses another only through that package's public exports (its ``__init__``), so fabric's edge hosts
use ``vnetsim.host``, never ``vnetsim.host.path``. Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[2] / "src" / "vnetsim"
ORDER = ["units", "errors", "entrypoints", "net", "engine", "io", "traffic", "scenario", "results", "kinds", "nic",
         "host", "fabric", "storage", "edge", "inspect", "calibrate", "sweep", "report", "api", "cli"]
RANK = {name: k for k, name in enumerate(ORDER)}
DOMAINS = {"nic", "host", "fabric", "storage", "edge", "inspect", "calibrate"}


def _component(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "vnetsim" or len(parts) == 1:
        return None
    return parts[1]


def _imports(path: Path) -> list[str]:
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + "." + "__init__"
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: -node.level]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from vnetsim import api`` imports the package vnetsim.api
            out += [f"{mod}.{a.name}" for a in node.names] if mod == "vnetsim" else [mod]
    return out


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        me = rel.parts[0].removesuffix(".py")
        yield path, rel, me


def test_every_package_has_a_layer():
    names = {me for _, _, me in _modules()} - {"__init__"}
    assert names <= set(ORDER), f"add these to the layer list: {sorted(names - set(ORDER))}"


def test_package_graph_has_no_cycles_and_points_down():
    graph = nx.DiGraph()
    upward = []
    for path, rel, me in _modules():
        if me == "__init__":
            continue
        for imported in _imports(path):
            other = _component(imported)
            if other is None or other == me or other == "__init__" or other not in RANK:
                continue
            graph.add_edge(me, other)
            if RANK[other] > RANK[me]:
                upward.append(f"{rel} imports {imported}")
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"package cycles: {cycles}"


def test_module_graph_has_no_cycles():
    graph = nx.DiGraph()
    modules = {".".join(("vnetsim",) + p.relative_to(SRC).with_suffix("").parts): p for p in SRC.rglob("*.py")}
    for name, path in modules.items():
        for imported in _imports(path):
            target = imported if imported in modules else (imported.rsplit(".", 1)[0] if "." in imported else "")
            if target in modules and target != name and not target.endswith("__init__"):
                graph.add_edge(name, target)
    cycles = [c for c in nx.simple_cycles(graph)]
    assert not cycles, f"module cycles: {cycles[:5]}"


def test_domains_use_each_other_only_through_public_exports():
    leaks = []
    for path, rel, me in _modules():
        if me not in DOMAINS:
            continue
        for imported in _imports(path):
            parts = imported.split(".")
            if len(parts) > 2 and parts[0] == "vnetsim" and parts[1] in DOMAINS and parts[1] != me:
                leaks.append(f"{rel} imports {imported}")
    assert not leaks, "domain internals used by another domain:\n" + "\n".join(leaks)
