"""Variants and overrides: the one merge rule for every scenario kind, over plain YAML data.

- Mappings merge key by key.
- A list of named items (mappings with a ``name``) merges item by item, by name: a variant that
  names an item the base does not have is an error naming the items it has. To add items, write
  ``KEY+: [...]``; to remove items, ``KEY-: [name, ...]``.
- Anything else (numbers, strings, unnamed lists) is replaced.

``--set PATH=VALUE`` addresses list items by index or by name, the same way for every kind.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml


class MergeError(ValueError):
    """A variant or override that cannot be applied: ``path`` (dotted) and what is wrong."""

    def __init__(self, path: str, what: str, fix: str = "") -> None:
        self.path, self.what, self.fix = path, what, fix
        super().__init__(f"{path}: {what}")


OverrideError = MergeError


def _named(items: Any) -> bool:
    return isinstance(items, list) and bool(items) and all(isinstance(x, dict) and "name" in x for x in items)


def _names(items: list) -> list[str]:
    return [str(x["name"]) for x in items]


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _name_key(item: dict, where: str) -> Any:
    """An item's name as a lookup key: a name is a string or a number, never a mapping or a list."""
    name = item["name"]
    if isinstance(name, (dict, list)):
        raise MergeError(f"{where}.name", f"a name is a string, not {type(name).__name__} {name!r}",
                         "write the item's name as plain text, e.g. 'name: vm1'")
    return name


def _merge_named(base: list, over: list, path: str) -> list:
    out = [copy.deepcopy(x) for x in base]
    index = {_name_key(x, f"{path}[{i}]"): i for i, x in enumerate(out)}
    for k, item in enumerate(over):
        if not isinstance(item, dict) or "name" not in item:
            raise MergeError(f"{path}[{k}]", f"{path} is a list of named items: this one has no name",
                             "give it the name of the item to change")
        if _name_key(item, f"{path}[{k}]") not in index:
            raise MergeError(f"{path}[{k}]", f"no item named {item['name']!r} (the items are: "
                             f"{', '.join(_names(base))})",
                             f"to add an item, write it under '{path.rsplit('.', 1)[-1]}+:'")
        i = index[item["name"]]
        out[i] = deep_merge(out[i], item, f"{path}[{item['name']}]")
    return out


def _add(base: Any, items: Any, path: str) -> list:
    if not isinstance(items, list) or not all(isinstance(x, dict) and "name" in x for x in items):
        raise MergeError(f"{path}+", "expects a list of named items to add", "write e.g. '- name: vm3'")
    have = _names(base) if isinstance(base, list) and all(isinstance(x, dict) and "name" in x for x in base) else []
    if base is not None and not isinstance(base, list):
        raise MergeError(f"{path}+", f"{path} is not a list", "use plain 'KEY:' to replace it")
    for item in items:
        if item["name"] in have:
            raise MergeError(f"{path}+", f"an item named {item['name']!r} exists already",
                             f"to change it, write it under '{path.rsplit('.', 1)[-1]}:'")
        have.append(item["name"])
    return [copy.deepcopy(x) for x in (base or [])] + [copy.deepcopy(x) for x in items]


def _remove(base: Any, names: Any, path: str) -> list:
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        raise MergeError(f"{path}-", "expects a list of item names to remove", "write e.g. [vm2]")
    if not isinstance(base, list):
        raise MergeError(f"{path}-", f"there is no list {path} to remove items from")
    have = [x.get("name") if isinstance(x, dict) else None for x in base]
    for n in names:
        if n not in have:
            raise MergeError(f"{path}-", f"no item named {n!r} (the items are: {', '.join(map(str, have))})")
    return [copy.deepcopy(x) for x in base if not (isinstance(x, dict) and x.get("name") in names)]


def deep_merge(base: Any, over: Any, path: str = "") -> Any:
    """``over`` on top of ``base`` by the rule of this module; ``path`` names where, for errors."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for k, v in over.items():
            key = str(k)
            if key.endswith(("+", "-")) and len(key) > 1:
                name = key[:-1]
                where = _join(path, name)
                out[name] = _add(out.get(name), v, where) if key.endswith("+") else _remove(out.get(name), v, where)
            elif k in out:
                out[k] = deep_merge(out[k], v, _join(path, k))
            else:
                out[k] = copy.deepcopy(v)
        return out
    if _named(base) and isinstance(over, list) and over:
        return _merge_named(base, over, path)
    return copy.deepcopy(over)


def parse_assignment(text: str) -> tuple[list[str], Any]:
    """``"host.pnic.ring_size=1024"`` -> (["host", "pnic", "ring_size"], 1024)."""
    if "=" not in text:
        raise MergeError(f"--set {text!r}", "expected PATH=VALUE", "write e.g. host.pnic.ring_size=1024")
    path, raw = text.split("=", 1)
    keys = [k for k in path.strip().split(".")]
    if not path.strip() or any(not k for k in keys):
        raise MergeError(f"--set {text!r}", "the path must be dotted field names", "write e.g. host.pnic.ring_size")
    from vnetsim.scenario.yamlfile import parse_yaml_text

    try:
        value = parse_yaml_text(raw) if raw.strip() else ""
    except (yaml.YAMLError, ValueError):
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
                fix = f"use an index 0..{len(node) - 1}" + (f" or a name: {', '.join(names)}" if names else "")
                raise MergeError(f"--set {where}", f"no list item {key!r}", fix)
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
            raise MergeError(f"--set {where}", f"{'.'.join(keys[:depth])} is a value, not a section")
    return out
