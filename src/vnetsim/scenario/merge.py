"""Variants and overrides: deep merges over plain YAML data, before validation."""

from __future__ import annotations

import copy
from typing import Any

import yaml


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(x, dict) and "name" in x for x in items)


def deep_merge(base: Any, over: Any) -> Any:
    """``over`` on top of ``base``: dicts merge key by key, lists of named dicts merge by name
    (unknown names are appended), anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if _named(base) and _named(over):
        out = [copy.deepcopy(x) for x in base]
        index = {x["name"]: i for i, x in enumerate(out)}
        for item in over:
            if item["name"] in index:
                out[index[item["name"]]] = deep_merge(out[index[item["name"]]], item)
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(over)


class OverrideError(ValueError):
    """A ``--set`` that cannot be applied; the message says why."""


def parse_assignment(text: str) -> tuple[list[str], Any]:
    """``"host.pnic.ring_size=1024"`` -> (["host", "pnic", "ring_size"], 1024)."""
    if "=" not in text:
        raise OverrideError(f"--set {text!r}: expected PATH=VALUE, e.g. host.pnic.ring_size=1024")
    path, raw = text.split("=", 1)
    keys = [k for k in path.strip().split(".")]
    if not path.strip() or any(not k for k in keys):
        raise OverrideError(f"--set {text!r}: the path must be dotted field names, e.g. host.pnic.ring_size")
    try:
        from vnetsim.scenario.loader import parse_yaml_text

        value = parse_yaml_text(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return keys, value


def set_path(doc: dict, keys: list[str], value: Any) -> dict:
    """A copy of ``doc`` with ``value`` at ``keys``; list items are addressed by index or by name."""
    out = copy.deepcopy(doc)
    node: Any = out
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            idx = None
            if key.isdigit() and int(key) < len(node):
                idx = int(key)
            else:
                for i, item in enumerate(node):
                    if isinstance(item, dict) and item.get("name") == key:
                        idx = i
                        break
            if idx is None:
                names = [str(x.get("name")) for x in node if isinstance(x, dict) and "name" in x]
                raise OverrideError(f"--set {where}: no list item {key!r} (use an index 0..{len(node) - 1}"
                                    + (f" or a name: {', '.join(names)})" if names else ")"))
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                if key not in node or node[key] is None:
                    node[key] = {}
                node = node[key]
        else:
            raise OverrideError(f"--set {where}: {'.'.join(keys[:depth])} is a value, not a section")
    return out
