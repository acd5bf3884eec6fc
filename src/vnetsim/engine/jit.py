"""Compiled kernels and their on-disk cache: is a run about to compile?

Kernels are compiled by numba on first use and cached next to their modules (or under
``NUMBA_CACHE_DIR``), so only the first run after an install or an upgrade compiles: about 15 s
on a 2-core machine for the host path. ``uncached`` tells which of some kernels have no cache
entry yet, so the command line can say so instead of sitting silent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import import_module

COLD_START_S = 15.0  # measured: `vnetsim run examples/poll-mode.yaml` with an empty cache, 2 cores


def uncached(modules: Iterable[str]) -> list[str]:
    """The modules none of whose cached kernels (numba dispatchers with ``cache=True``) has a cache
    entry on disk yet: a run that uses them compiles first. (Helpers inlined into other kernels are
    never cached on their own, so one cached kernel marks a module as compiled.)"""
    out = []
    for name in modules:
        indexes = []
        for k in vars(import_module(name)).values():
            try:
                indexes.append(k._cache._cache_file._index_path)  # numba's cache layout (numba >= 0.59)
            except AttributeError:
                continue
        if indexes and not any(os.path.exists(p) for p in indexes):
            out.append(name)
    return out
