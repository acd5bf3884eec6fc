"""What a warm start skips: scipy.linalg during numba's set-up, the kinds' CLIs on built-in commands,
a kind's scenario model until a file of that kind is loaded. Each check runs in a fresh process,
since what matters is what a process imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, *args: str, env: dict | None = None) -> list:
    """Run ``code`` in a fresh interpreter; it prints one JSON value on its last line."""
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                         cwd=ROOT, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


NUMBA_STATE = """
import json, sys
from vnetsim.engine.jit import prepare_numba
from numba.np import linalg
real = linalg.ensure_blas
prepare_numba()
from numba.np import arraymath
scipy_before = "scipy.linalg" in sys.modules
import numpy as np
from numba import njit

@njit
def dot(a, b):
    return np.dot(a, b)

a = np.arange(6.0).reshape(2, 3); b = np.arange(12.0).reshape(3, 4)
print(json.dumps([scipy_before, bool(arraymath._HAVE_BLAS), linalg.ensure_blas is real,
                  arraymath.ensure_blas is real, bool((dot(a, b) == a @ b).all())]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("probe", ["1", "0"])
def test_numba_set_up_skips_scipy_linalg_and_blas_still_works(probe):
    # with the probe scipy.linalg is not imported; without it (numba's own set-up) it is. Either
    # way numba knows BLAS is there, its functions are numba's own again, and np.dot compiles right.
    env = dict(os.environ, VNETSIM_NUMBA_PROBE=probe)
    scipy_imported, have_blas, linalg_restored, arraymath_restored, dot_right = python(NUMBA_STATE, env=env)
    assert scipy_imported is (probe == "0")
    assert have_blas and linalg_restored and arraymath_restored and dot_right


RUN_MODULES = """
import json, sys
from vnetsim.cli.app import main
main(["run", "examples/poll-mode.yaml", "-q", "--duration", "2ms", "--json", sys.argv[1]])
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("vnetsim.", "scipy")))))
"""


def test_a_run_imports_no_kind_cli_and_no_scipy_linalg(tmp_path):
    modules = python(RUN_MODULES, str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text())["kind"] == "host"
    assert not [m for m in modules if m.endswith(".cli") and m != "vnetsim.cli"], modules
    assert "scipy.linalg" not in modules


HELP_THEN_KIND = """
import contextlib, io, json
from vnetsim.cli.app import main, app
out = []
for argv in (["--help"], ["fabric", "--help"], ["--help"]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        main(argv)
    out.append(buf.getvalue())
print(json.dumps(out + [sorted(g.name for g in app.registered_groups)]))
"""


def test_help_lists_every_kind_and_a_kind_command_gets_its_own_cli():
    top, fabric, top_again, groups = python(HELP_THEN_KIND)
    for name in ("fabric", "storage", "edge"):
        assert name in top
    assert "plan" in fabric                  # the real fabric CLI replaced its placeholder
    assert top_again == top                  # and the help did not change
    assert groups == sorted(set(groups))     # one group per kind, not two
