"""The fabric CLI sub-app: plan output, JSON, one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vnetsim.fabric.cli import app

runner = CliRunner()


def test_plan_600_hosts(tmp_path):
    out = tmp_path / "plan.json"
    res = runner.invoke(app, ["plan", "--hosts", "600", "--leaf", "48x25G+8x100G", "--spine", "32x100G",
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "13" in res.stdout and "1.50:1" in res.stdout
    d = json.loads(out.read_text())
    assert (d["leaves"], d["spines"], d["oversubscription"]) == (13, 8, 1.5)
    assert d["largest_two_tier"]["hosts"] == 1536 and d["largest_three_tier"]["hosts"] == 24576
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan.json")]


@pytest.mark.parametrize("args, where", [
    (["--hosts", "600", "--spines", "10"], "--spines:"),
    (["--hosts", "30000"], "--hosts:"),
    (["--hosts", "2000", "--max-tiers", "2"], "--hosts:"),
    (["--hosts", "600", "--leaf", "48 ports"], "--leaf:"),
    (["--hosts", "600", "--json", "/nonexistent-dir/plan.json"], "--json:"),
])
def test_plan_errors_are_one_line(args, where):
    res = runner.invoke(app, ["plan", *args])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(where), res.stderr
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)


def test_unknown_option_exits_2():
    res = runner.invoke(app, ["plan", "--hosts", "600", "--colour", "red"])
    assert res.exit_code == 2 and "Traceback" not in res.output
