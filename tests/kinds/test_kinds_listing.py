"""``vnetsim.kinds()`` lists the installed kinds before and after the module ``vnetsim.kinds`` is imported
(the import sets the package attribute of that name to the module)."""

from __future__ import annotations

import subprocess
import sys


def test_kinds_listing_survives_the_module_import():
    code = ("import vnetsim; before = vnetsim.kinds(); vnetsim.load('examples/round-trip.yaml'); "
            "after = vnetsim.kinds(); import vnetsim.kinds as m; "
            "assert before == after == m() and {'host', 'fabric', 'storage', 'edge'} <= set(after), (before, after); "
            "assert m.get_kind('host').name == 'host'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=_root())
    assert out.returncode == 0, out.stderr


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])
