"""Every package that vnetsim imports when a module loads is a declared core dependency.

``pip install .`` (the README's first command) installs only the core dependencies, so a module-level
import of a test-only package (scipy once was) breaks the kind that imports it, and with it every
command. Optional packages (pandas, dask.distributed) may only be imported inside the functions
that need them, behind a one-line error naming the extra to install.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "vnetsim"
IMPORT_NAME = {"pyyaml": "yaml", "dask[distributed]": "dask"}   # distribution -> import name


def _core() -> set[str]:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = set()
    for dep in deps:
        name = dep.split(";")[0].split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
        names.add(IMPORT_NAME.get(name, name.replace("-", "_")))
    return names


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Top-level packages imported when the module loads (not inside functions or classes' methods)."""
    found: set[str] = set()
    def visit(body):
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)
                visit(getattr(node, "finalbody", []))
            elif isinstance(node, ast.ClassDef):
                visit(node.body)
    visit(tree.body)
    return found


def test_module_level_imports_are_core_dependencies():
    allowed = _core() | set(sys.stdlib_module_names) | {"vnetsim", "llvmlite", "typing_extensions", "pydantic_core"}
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for name in sorted(_module_level_imports(tree) - allowed):
            missing.append(f"{path.relative_to(REPO)} imports {name}")
    assert not missing, "imported at module level but not a core dependency in pyproject.toml:\n" + "\n".join(missing)
