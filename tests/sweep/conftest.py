"""The M/M/1 plug-in kind (tests/kinds/plugin) installed for the sweep tests, in this process and in
every worker process they start (local pools and Dask workers inherit PYTHONPATH), the way a
package would be installed: distribution metadata with a ``vnetsim.kinds`` entry point."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from vnetsim.kinds import all_kinds

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "kinds" / "plugin"


@pytest.fixture(scope="session")
def mm1_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("mm1site")
    dist = site / "vnetsim_mm1_kind-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: vnetsim-mm1-kind\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[vnetsim.kinds]\nmm1 = vnetsim_mm1_kind:KIND\n")
    return site


@pytest.fixture
def mm1(mm1_site, monkeypatch) -> dict:
    """The M/M/1 kind is installed; returns the environment for subprocesses."""
    paths = [str(mm1_site), str(PLUGIN_DIR)]
    for p in reversed(paths):
        monkeypatch.syspath_prepend(p)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths + [os.environ.get("PYTHONPATH", "")]))
    all_kinds.cache_clear()
    assert "mm1" in all_kinds()
    yield dict(os.environ)
    all_kinds.cache_clear()
    sys.modules.pop("vnetsim_mm1_kind", None)


def mm1_doc(duration: str = "10ms", arrival: str = "500kpps", **sweep) -> dict:
    """An M/M/1 scenario (service 1 Mpps) with an optional sweep block."""
    doc: dict = {"name": "mm1", "duration": duration,
                 "link": {"arrival_rate": arrival, "service_rate": "1Mpps"}}
    if sweep:
        doc["sweep"] = sweep
    return doc
