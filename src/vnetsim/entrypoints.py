"""Installed entry points of a group, remembered between commands.

``importlib.metadata`` finds entry points by reading every installed distribution's metadata, and
importing it pulls in the ``email`` and ``zipfile`` packages: 15-40 ms of every command's start
on a small machine, for an answer that changes only when a package is installed or removed. So the
answer is kept in a small JSON file (``$VNETSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/vnetsim``, else
``~/.cache/vnetsim``), under a fingerprint of what it depends on: the interpreter, ``sys.path``
and, in every folder on it, the name, size and modification time of each distribution's
``entry_points.txt`` (installing, upgrading or removing a package changes one of them; a zip
file on the path counts by its own size and time). The file keeps the last few fingerprints'
answers (a script's own folder is on ``sys.path``, so each folder a command starts in has its
own). A file that is missing, unreadable or without this fingerprint
is rebuilt through ``importlib.metadata``; a cache folder that cannot be written only costs the
saving. ``VNETSIM_CACHE_DIR=`` (empty) turns the file off.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

_FORMAT = 1
_KEEP = 8  # fingerprints remembered (a script's folder is on sys.path, so each folder has its own)
_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def targets(group: str) -> list[tuple[str, str]]:
    """``(name, "module:attr")`` of the group's installed entry points, in ``importlib.metadata``'s
    order (one entry per distribution and name, as ``importlib.metadata.entry_points`` gives them)."""
    where = cache_file()
    key = fingerprint()
    known = _read(where) if where is not None else {}
    groups = known.get(key, {})
    if group in groups:
        return groups[group]
    found = _scan(group)
    if where is not None:
        known.pop(key, None)  # the newest last: the oldest are dropped first
        known[key] = {**groups, group: found}
        _write(where, dict(list(known.items())[-_KEEP:]))
    return found


def cache_file() -> Path | None:
    """Where the remembered entry points live, or None when the cache is turned off."""
    chosen = os.environ.get("VNETSIM_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) / "entry-points.json" if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vnetsim" / "entry-points.json"


def fingerprint() -> str:
    """Everything the installed entry points depend on, as one string (see the module docstring)."""
    parts = [f"{_FORMAT}", sys.executable, sys.version]
    for entry in sys.path:
        parts.append(f"path={entry}")
        try:
            names = sorted(e.name for e in os.scandir(entry or ".") if e.name.endswith(_METADATA_SUFFIXES))
        except OSError:  # a zip file (an egg, the standard library) or a folder that is not there
            try:
                st = os.stat(entry)
                parts.append(f"file:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                pass
            continue
        for name in names:
            try:
                st = os.stat(os.path.join(entry or ".", name, "entry_points.txt"))
                parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{name}:-")
    return "\n".join(parts)


def load(target: str) -> object:
    """The object an entry point names (``"package.module:attr.sub"``), imported."""
    from importlib import import_module

    module, _, attr = target.partition(":")
    obj: object = import_module(module.strip())
    for part in filter(None, attr.split("[")[0].strip().split(".")):
        obj = getattr(obj, part)
    return obj


def _scan(group: str) -> list[tuple[str, str]]:
    from importlib.metadata import entry_points

    return [(ep.name, ep.value) for ep in entry_points(group=group)]


def _read(where: Path) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """fingerprint -> group -> entry points, as remembered; nothing when the file is unusable."""
    try:
        doc = json.loads(where.read_text())
        if doc.get("format") != _FORMAT:
            return {}
        return {key: {g: [(str(n), str(v)) for n, v in eps] for g, eps in groups.items()}
                for key, groups in doc["known"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _write(where: Path, known: dict[str, dict[str, list[tuple[str, str]]]]) -> None:
    """Replace the file whole (several processes may start at once); any failure is ignored."""
    tmp = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"format": _FORMAT, "known": known}))
        os.replace(tmp, where)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
