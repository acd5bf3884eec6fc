"""Errors that reach the command line become one line on stderr and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from vnetsim.errors import ModelError, UserError


@contextmanager
def one_line_errors() -> Iterator[None]:
    """A user's mistake (``UserError``) or a mechanism's error no kind boundary caught
    (``ModelError``): its line on stderr, exit status 2, never a traceback."""
    try:
        yield
    except ModelError as exc:
        print(f"vnetsim: {exc.at('')}", file=sys.stderr)
        sys.exit(2)
    except UserError as exc:
        print(f"vnetsim: {exc.line()}", file=sys.stderr)
        sys.exit(2)
