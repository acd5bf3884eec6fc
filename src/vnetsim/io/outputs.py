"""Output files: plain JSON data, and atomic writes (a file is written whole or not at all).

Every command that writes a file goes through ``write_atomic``: the text goes to a temporary file
in the target's folder, is flushed to disk, and is renamed over the target, so a failure (a full
disk, Ctrl-C) leaves any earlier file untouched. Problems with the path become one ``UserError``
line naming the option.
"""

from __future__ import annotations

import errno
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from vnetsim.errors import UserError


def to_plain(value: Any) -> Any:
    """JSON-ready data: numpy scalars and arrays become Python numbers and lists, NaN and infinity
    become null (JSON has neither), tuples become lists and dict keys strings."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
        if isinstance(value, list):
            return [to_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(data: Any) -> str:
    """Deterministic, indented JSON text of plain data, with a final newline."""
    return json.dumps(to_plain(data), indent=2, allow_nan=False) + "\n"


def write_atomic(path: str | Path, text: str, option: str = "--json") -> None:
    """Write ``text`` to ``path`` (``-``: standard output) whole or not at all."""
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    where = f"{option} {path}"
    if target.is_dir():
        raise UserError(where, "is a directory", "name a file, e.g. out/result.json")
    if target.exists() and not target.is_file():
        raise UserError(where, "is not a regular file", "name a regular file, e.g. out/result.json")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(where, f"folder {parent} does not exist", "create it first")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(where, f"cannot write in {parent}: {exc.strerror or exc}",
                        "give a path in a writable folder") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise UserError(where, f"cannot write: {reason}", "free space or choose another path; "
                        "nothing was written") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
