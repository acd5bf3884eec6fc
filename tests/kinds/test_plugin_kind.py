"""A new scenario kind plugs in through the ``vnetsim.kinds`` entry points alone.

The kind lives in tests/kinds/plugin; the test installs it the way a package would be installed
(distribution metadata with an entry point, on the path), in a temporary folder, and runs it with
the real ``vnetsim`` command. The M/M/1 mean sojourn must match 1/(mu - lambda) within the
batch-means standard error of the run (5 standard errors: a false alarm about once in 10^6 runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory) -> dict:
    site = tmp_path_factory.mktemp("site")
    dist = site / "vnetsim_mm1_kind-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: vnetsim-mm1-kind\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[vnetsim.kinds]\nmm1 = vnetsim_mm1_kind:KIND\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(PLUGIN_DIR), env.get("PYTHONPATH", "")])
    return env


def vnetsim(env: dict, *args, cwd: Path) -> subprocess.CompletedProcess:
    code = "import sys; from vnetsim.cli.app import main; sys.argv[0] = 'vnetsim'; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


SCENARIO = """\
name: one link
duration: 2s
link: {arrival_rate: 400kpps, service_rate: 1Mpps}
variants:
  - name: rho 0.4
  - name: rho 0.8
    link: {arrival_rate: 800kpps}
"""


def test_plugin_kind_runs_through_vnetsim_run_and_matches_mm1(plugin_env, tmp_path):
    (tmp_path / "mm1.yaml").write_text(SCENARIO)
    res = vnetsim(plugin_env, "run", "mm1.yaml", "--json", "out.json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "rho 0.8" in res.stdout
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["kind"] == "mm1"
    mu = 1e6
    for row, lam in zip(out["variants"], (400e3, 800e3)):
        expected_ns = 1e9 / (mu - lam)
        got = row["sojourn_ns"]
        assert abs(got["mean"] - expected_ns) < 5 * got["batch_se"], (row["name"], got, expected_ns)
        assert row["utilization"] == pytest.approx(lam / mu, rel=0.02)


def test_plugin_kind_is_listed_and_has_the_loader_and_set(plugin_env, tmp_path):
    (tmp_path / "mm1.yaml").write_text(SCENARIO)
    res = vnetsim(plugin_env, "kinds", cwd=tmp_path)
    assert res.returncode == 0 and "mm1" in res.stdout and "host" in res.stdout
    # --set and the variant rules are the loader's, the same for this kind as for host and fabric
    res = vnetsim(plugin_env, "run", "mm1.yaml", "--set", "link.arrival_rate=2Mpps", "--variant", "rho 0.4",
                  cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == ("vnetsim: mm1.yaml: variant 'rho 0.4': link.arrival_rate: 2e+06/s is not below "
                                  "the service rate 1e+06/s (unstable) (lower the arrival rate)")
    res = vnetsim(plugin_env, "run", "mm1.yaml", "--set", "link.colour=red", cwd=tmp_path)
    assert res.returncode == 2 and "link.colour" in res.stderr and "unknown field" in res.stderr
    res = vnetsim(plugin_env, "throughput", "mm1.yaml", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == ("vnetsim: mm1.yaml: mm1 scenarios have no throughput command "
                                  "(it applies to host scenarios)")
    schema = vnetsim(plugin_env, "schema", "mm1", cwd=tmp_path)
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"] == "MM1Scenario"
