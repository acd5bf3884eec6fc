"""Compiled kernels and their on-disk cache: is a run about to compile?

Kernels are compiled by numba on first use and cached next to their modules (or under
``NUMBA_CACHE_DIR``), so only the first run after an install or an upgrade compiles: about 15 s
on a 2-core machine for the host path. ``uncached`` tells which of some kernels have no cache
entry yet, so the command line can say so instead of sitting silent.

``prepare_numba`` sets up numba's compiler tables before a kind's first kernel call, without the
0.2-0.4 s import of ``scipy.linalg`` that numba's set-up does only to learn that BLAS exists.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from importlib import import_module
from importlib.util import find_spec

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


_prepared = False


def prepare_numba() -> None:
    """Load numba's implementation tables once per process, without importing ``scipy.linalg``.

    A process's first compiled call (a cache hit too) makes numba import its implementation modules
    (``CPUContext.refresh``). One of them, ``numba.np.arraymath``, calls ``numba.np.linalg.ensure_blas``
    at import only to set ``_HAVE_BLAS``, and that imports ``scipy.linalg.cython_blas``, so the whole
    of ``scipy.linalg`` (0.2-0.4 s on a 2-core machine, most of a warm run's start). During that one
    import ``ensure_blas`` is swapped for a probe that finds SciPy without importing it and makes
    the same integer-width check; the real function is put back right after, so ``np.dot`` and
    friends in kernels still import SciPy's BLAS when they are compiled (numba's compiled BLAS
    wrappers import it themselves when first called). The outcome, ``_HAVE_BLAS`` true when SciPy is
    installed, is the same, so compiled code is the same. It does nothing if numba is already set
    up, if ``VNETSIM_NUMBA_PROBE=0``, or if numba has no ``numba.np.linalg.ensure_blas``: then numba
    sets itself up as usual.
    """
    global _prepared
    if _prepared:
        return
    _prepared = True
    if os.environ.get("VNETSIM_NUMBA_PROBE") == "0" or "numba.np.arraymath" in sys.modules:
        return
    try:
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target
        from numba.np import linalg
        real = linalg.ensure_blas
        check = getattr(linalg, "_check_lapack_int_width", lambda: None)  # numba >= 0.68 checks the int width
    except (ImportError, AttributeError):
        return

    def probe() -> None:
        if find_spec("scipy") is None or find_spec("scipy.linalg") is None:
            raise ImportError("scipy 0.16+ is required for linear algebra")
        check()

    with global_compiler_lock:
        setattr(linalg, "ensure_blas", probe)  # noqa: B010 (numba's attribute, not ours)
        try:
            cpu_target.target_context.refresh()
        finally:
            setattr(linalg, "ensure_blas", real)  # noqa: B010
            arraymath = sys.modules.get("numba.np.arraymath")
            if arraymath is not None and getattr(arraymath, "ensure_blas", None) is probe:
                setattr(arraymath, "ensure_blas", real)  # noqa: B010
