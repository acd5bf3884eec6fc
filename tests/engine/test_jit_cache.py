"""A first run knows it must compile: ``engine.jit.uncached`` against a real, empty numba cache."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import numpy as np
from vnetsim.engine.jit import uncached
print(uncached(["vnetsim.engine.fifo"]))
from vnetsim.engine.fifo import lindley_single
lindley_single(np.zeros(2), np.ones(2), 0.0)
print(uncached(["vnetsim.engine.fifo"]))
"""


def test_empty_cache_is_reported_until_a_kernel_compiles(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    res = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["['vnetsim.engine.fifo']", "[]"]
    assert any(p.suffix == ".nbi" for p in tmp_path.rglob("*")), "numba wrote its cache where we looked"
