"""`vnetsim report` and `vnetsim run --plot` from the command line: files written whole, bad input
in one line with exit status 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pytest
from tests.report.conftest import HOST

from vnetsim.report import write_report


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI in this process (as `vnetsim ARGS`): exit status and what it printed."""
    import contextlib
    import io

    from vnetsim.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            status = int(exc.code or 0)
    return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())


def test_run_plot_and_report(tmp_path: Path):
    scen = tmp_path / "s.yaml"
    scen.write_text(json.dumps(HOST), encoding="utf-8")          # JSON is YAML
    res = _cli("run", str(scen), "-q", "--json", str(tmp_path / "r.json"), "--plot", str(tmp_path / "r.png"))
    assert res.returncode == 0, res.stderr
    img = mpimg.imread(tmp_path / "r.png")
    assert img.shape[0] > 300 and img[..., :3].std() > 0.05
    res = _cli("report", str(tmp_path / "r.json"), "-o", str(tmp_path / "r.html"))
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count('class="figure"') == 5
    assert "5 figures" in res.stderr


@pytest.mark.parametrize("content, what", [
    ('{"not": "a result"}', "is not a vnetsim result"),
    ("{broken", "cannot be read as a result"),
])
def test_bad_inputs_are_one_line(tmp_path: Path, content: str, what: str):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out.html"
    res = _cli("report", str(bad), "-o", str(out))
    assert res.returncode == 2 and what in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr and not out.exists()


def test_missing_input_and_unwritable_output(tmp_path: Path):
    res = _cli("report", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o.html"))
    assert res.returncode == 2 and "does not exist" in res.stderr
    good = tmp_path / "r.json"
    good.write_text(json.dumps({"scenario": "s", "kind": "host", "variants": []}), encoding="utf-8")
    res = _cli("report", str(good), "-o", str(tmp_path / "no-such-dir" / "o.html"))
    assert res.returncode == 2 and "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_a_capability_result_and_an_unknown_kind_still_give_a_page(tmp_path: Path, host_result):
    rows = [{"name": "v", "zero_loss_pps": 1e6, "trials": []}]
    for kind in ("host.throughput", "some-plugin"):
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps({"scenario": "s", "kind": kind, "variants": rows}), encoding="utf-8")
        assert write_report(path, tmp_path / f"{kind}.html") == 0
        assert "<h1>s</h1>" in (tmp_path / f"{kind}.html").read_text(encoding="utf-8")
