"""Scenario files as plain data: safe YAML 1.2 booleans, no duplicate keys, bounded size.

Only ``true``/``false`` are booleans (YAML 1.2), so ``scheme: off`` and ``on: 2ms`` mean the words.
A key written twice in one mapping is an error (YAML itself keeps the last silently). Files are read
only if they are regular files of at most ``MAX_SCENARIO_BYTES``, so a device or an endless stream
cannot exhaust memory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from vnetsim.errors import ScenarioError

MAX_SCENARIO_BYTES = 8 * 1024 * 1024


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names one key twice."""


class _Yaml12Loader(yaml.SafeLoader):
    """Safe YAML with YAML 1.2 booleans and duplicate keys refused."""

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: PyYAML reports it itself
                duplicate = False
            if duplicate:
                raise DuplicateKeyError("while reading a mapping", node.start_mark,
                                        f"key {key!r} appears twice (first on line {seen[key].line + 1})",
                                        key_node.start_mark)
            try:
                seen[key] = key_node.start_mark
            except TypeError:
                pass
        return super().construct_mapping(node, deep=deep)


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))
_Yaml12Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Yaml12Loader.construct_mapping)


def parse_yaml_text(text: str) -> Any:
    """YAML text to plain data (YAML 1.2 booleans, duplicate keys refused)."""
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(path: str | Path) -> dict:
    """Parse a scenario file into a mapping; every problem is one ScenarioError line."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(str(p), "no such file", "check the path")
    if p.is_dir():
        raise ScenarioError(str(p), "is a directory, not a scenario file", "name a .yaml file")
    if not p.is_file():
        raise ScenarioError(str(p), "is not a regular file", "name a .yaml file")
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(str(p), f"cannot be read ({exc.strerror or exc.__class__.__name__})",
                            "check its permissions") from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ScenarioError(str(p), f"is larger than {MAX_SCENARIO_BYTES // (1024 * 1024)} MiB",
                            "a scenario is a short YAML file; put traffic in a capture (trace: {pcap: ...})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(p), "is not UTF-8 text", "is it a YAML file?") from None
    doc = parse_document(text, str(p))
    if not isinstance(doc, dict):
        raise ScenarioError(str(p), "a scenario must be a mapping of fields at the top level",
                            "start with e.g. 'name: ...' and 'traffic: ...'")
    return doc


def parse_document(text: str, source: str) -> Any:
    """Parse YAML text, reporting syntax errors at their line and column in ``source``."""
    try:
        return parse_yaml_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or "invalid YAML"
        fix = "write each key once" if isinstance(exc, DuplicateKeyError) else "fix the indentation or quoting there"
        raise ScenarioError(where, f"YAML syntax error: {problem}" if not isinstance(exc, DuplicateKeyError)
                            else problem, fix) from None
    except RecursionError:
        raise ScenarioError(source, "is nested too deeply", "a scenario needs only a few levels of nesting") from None
