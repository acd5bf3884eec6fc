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
from typing import IO, Any

from vnetsim.errors import UserError

# Files this process has written (committed) so far: what an interrupted command reports.
written: list[str] = []
# Files being written now: an interrupted command removes them (``abort_all``).
_open: set[AtomicFile] = set()


def abort_all() -> None:
    """Remove every output still being written (on Ctrl-C or SIGTERM, wherever it struck)."""
    for f in list(_open):
        f.abort()


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path, name: str) -> None:
    """Temporary files a killed vnetsim left next to ``name`` (their writer's process is gone)."""
    for old in parent.glob(f".{name}.vnetsim-*.tmp"):
        try:
            pid = int(old.name[len(name) + 1:].split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _alive(pid):
            old.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicFile:
    """A file that appears under its name only when ``commit`` is called: written to a temporary
    file in the same folder, flushed to disk, then renamed over the target. ``abort`` (or an
    error while writing) removes the temporary file and leaves any earlier file untouched.

    Only regular files are written: a directory, a device, a FIFO or a socket is refused (standard
    output is ``-``). A symbolic link is followed: its target file is replaced and the link stays.
    An existing file keeps its permission bits; a new one gets the umask's (as ``open`` would).
    Temporary files carry the writer's process id, so those a killed run left behind are removed
    by the next write to the same name. Path problems are one ``UserError`` line naming ``option``.
    """

    def __init__(self, path: str | Path, option: str, binary: bool = False) -> None:
        where = f"{option} {path}"
        self.option = option
        self.path, parent = _output_path(path, option)
        mode = (self.path.stat().st_mode & 0o7777) if self.path.exists() else (0o666 & ~_umask())
        try:
            _remove_stale(parent, self.path.name)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{self.path.name}.vnetsim-{os.getpid()}-",
                                       suffix=".tmp")
        except OSError as exc:
            raise UserError(where, f"cannot write in {parent}: {exc.strerror or exc}",
                            "give a path in a writable folder") from None
        self._tmp = Path(tmp)
        _open.add(self)
        try:
            os.chmod(fd, mode)
        except OSError:
            pass
        self.file: IO[Any] | None = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")

    def write(self, data: Any) -> None:
        """Write text (or bytes, for a binary file); a failure removes the temporary file."""
        assert self.file is not None, "write after commit or abort"
        try:
            self.file.write(data)
        except OSError as exc:
            self.abort()
            raise self._error(exc) from None

    def commit(self) -> None:
        """Flush, sync and rename the file into place."""
        if self.file is None:
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            self.file = None
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self.abort()
            raise self._error(exc) from None
        _open.discard(self)
        written.append(str(self.path))

    def abort(self) -> None:
        """Forget what was written: the target stays as it was."""
        _open.discard(self)
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None
        self._tmp.unlink(missing_ok=True)

    def _error(self, exc: OSError) -> UserError:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        return UserError(f"{self.option} {self.path}", f"cannot write: {reason}",
                         "free space or choose another path; nothing was written")


def _output_path(path: str | Path, option: str) -> tuple[Path, Path]:
    """The file an output will replace (a symbolic link's target) and its folder, or the one
    ``UserError`` line saying why it cannot be written there."""
    where = f"{option} {path}"
    target = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
    if target.is_dir():
        raise UserError(where, "is a directory", "name a file in it")
    if target.exists() and not target.is_file():
        raise UserError(where, "is not a regular file (a device, FIFO or socket)",
                        "name a regular file, or '-' for standard output")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(where, f"folder {parent} does not exist", "create it first")
    return target, parent


def check_output(path: str | Path | None, option: str) -> None:
    """Refuse, before any work is done, an output that could not be written later (``-`` is
    standard output; ``None``: no output asked for). Writing still goes through ``AtomicFile``."""
    if path is None or str(path) == "-":
        return
    _, parent = _output_path(path, option)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}", f"cannot write in {parent}", "give a path in a writable folder")


def write_atomic(path: str | Path, text: str, option: str = "--json") -> None:
    """Write ``text`` to ``path`` (``-``: standard output) whole or not at all."""
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out = AtomicFile(path, option)
    try:
        out.write(text)
        out.commit()
    except BaseException:
        out.abort()
        raise
