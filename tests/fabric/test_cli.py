"""The fabric CLI sub-app: plan output, JSON, one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest

from vnetsim.cli.app import main


def vnetsim(capsys, *args) -> tuple[int, str, str]:
    """Run `vnetsim ARGS` in-process: (exit status, stdout, stderr)."""
    try:
        main(list(args))
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_plan_600_hosts(tmp_path, capsys):
    out = tmp_path / "plan.json"
    status, stdout, stderr = vnetsim(capsys, "fabric", "plan", "--hosts", "600", "--leaf", "48x25G+8x100G",
                                     "--spine", "32x100G", "--json", str(out))
    assert status == 0, stderr
    assert "13" in stdout and "1.50:1" in stdout
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
def test_plan_errors_are_one_line(args, where, capsys):
    status, stdout, stderr = vnetsim(capsys, "fabric", "plan", *args)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vnetsim: {where.rstrip(':')}"), stderr
    assert "Traceback" not in stdout + stderr


def test_unknown_option_exits_2(capsys):
    status, stdout, stderr = vnetsim(capsys, "fabric", "plan", "--hosts", "600", "--colour", "red")
    assert status == 2 and "Traceback" not in stdout + stderr and "--colour" in stderr
