"""The storage CLI: `vnetsim storage plan` output and JSON, `vnetsim run` of a storage file, and
one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vnetsim.cli.app import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-site-flavors.yaml"


def vnetsim(capsys, *args) -> tuple[int, str, str]:
    """Run `vnetsim ARGS` in-process: (exit status, stdout, stderr)."""
    try:
        main(list(args))
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_plan_the_issue_example(tmp_path, capsys):
    out = tmp_path / "plan.json"
    status, stdout, stderr = vnetsim(capsys, "storage", "plan", "--vms", "300", "--vm-disk", "200GB", "--policy",
                                     "raid5", "--ftt", "1", "--host", "2x3.84TB-nvme", "--flavor", "single",
                                     "--hosts", "12", "--json", str(out))
    assert status == 0, stderr
    assert "13" in stdout and "RAID-5 (4+1)" in stdout
    d = json.loads(out.read_text())
    assert d["hosts_per_site"] == 13 and d["total_hosts"] == 13 and d["fits_given"] is False
    assert d["limited_by"] == "capacity" and d["request"]["vms"] == 300


@pytest.mark.parametrize("args, where", [
    (["--policy", "raid5", "--ftt", "2"], "--policy:"),
    (["--vm-disk", "big"], "--vm-disk:"),
    (["--host", "3 disks"], "--host:"),
    (["--flavor", "metro"], "--flavor:"),
    (["--reserve", "lots"], "--reserve:"),
    (["--architecture", "zsa"], "--architecture:"),
])
def test_plan_errors_are_one_line(capsys, args, where):
    base = {"--vms": "10", "--vm-disk": "100GB"}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    flat = [x for kv in base.items() for x in kv]
    status, stdout, stderr = vnetsim(capsys, "storage", "plan", *flat)
    assert status == 2
    assert len(stderr.strip().splitlines()) == 1 and where in stderr and "Traceback" not in stderr


def test_run_prints_the_flavors_side_by_side(tmp_path, capsys):
    out = tmp_path / "r.json"
    status, stdout, stderr = vnetsim(capsys, "run", str(EXAMPLE), "--json", str(out))
    assert status == 0, stderr
    for label in ("robo", "single site", "stretched", "usable capacity", "availability (nines)", "price"):
        assert label in stdout
    assert [v["name"] for v in json.loads(out.read_text())["variants"]] == ["robo", "single site", "stretched"]


def test_run_limit_error_is_one_line(tmp_path, capsys):
    status, _, stderr = vnetsim(capsys, "run", str(EXAMPLE), "--set", "storage.host.nic.speed=10Gbps")
    assert status == 2
    line = stderr.strip()
    assert "\n" not in line and "variant 'robo': storage.host.nic.speed: ESA needs storage NICs" in line
