"""`vnetsim storage plan` as the storage kind's quick command: the console entry answers it without
importing typer, rich or importlib.metadata, and gives what the typer application gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vnetsim.storage.plan_command import parser

ROOT = Path(__file__).resolve().parents[2]
QUESTION = ["--vms", "300", "--vm-disk", "200GB", "--policy", "raid5", "--ftt", "1", "--host", "2x3.84TB-nvme",
            "--flavor", "single"]
HEAVY = ("typer", "click", "rich", "importlib.metadata", "numpy", "pydantic")
PROBE = """
import json, sys
from {module} import main
try:
    main(sys.argv[1:])
    status = 0
except SystemExit as exc:
    status = exc.code
heavy = sorted(m for m in sys.modules if m in {heavy!r} or m.split(".")[0] in {heavy!r})
print(json.dumps({{"status": status, "heavy": heavy}}), file=sys.stderr)
"""


def run(module: str, *args: str, env: dict) -> tuple[dict, str, str]:
    res = subprocess.run([sys.executable, "-c", PROBE.format(module=module, heavy=HEAVY), *args],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    *err, probe = res.stderr.strip().splitlines()
    return json.loads(probe), res.stdout, "\n".join(err)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    return {**os.environ, "VNETSIM_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


def test_console_entry_answers_without_typer_rich_or_metadata(env, tmp_path):
    run("vnetsim.cli", "storage", "plan", *QUESTION, env=env)            # fills the entry-point cache
    quick, out, err = run("vnetsim.cli", "storage", "plan", *QUESTION, "--json", str(tmp_path / "q.json"), env=env)
    assert quick == {"status": 0, "heavy": []}, err
    full, out_full, err_full = run("vnetsim.cli.app", "storage", "plan", *QUESTION, "--json",
                                   str(tmp_path / "f.json"), env=env)
    assert full["status"] == 0 and "typer" in full["heavy"], err_full
    assert out == out_full and "hosts needed" in out and "13" in out and "RAID-5 (4+1)" in out
    assert json.loads((tmp_path / "q.json").read_text()) == json.loads((tmp_path / "f.json").read_text())


@pytest.mark.parametrize("args, where", [
    (["--vms", "x"], "storage plan: --vms: expected a whole number at least 1, not 'x'"),
    (["--vms", "0"], "storage plan: --vms: expected a whole number at least 1"),
    (["--used", "1.5"], "storage plan: --used: expected a number between 0 and 1"),
    (["--slack", "0.99"], "storage plan: --slack: expected a number between 0 and 0.95"),
    (["--bogus", "1"], "storage plan: unrecognized arguments: --bogus 1"),
    (["--vm-memory", "lots"], "storage plan: --vm-memory:"),
])
@pytest.mark.parametrize("module", ["vnetsim.cli", "vnetsim.cli.app"])
def test_mistakes_are_one_line_with_status_2(env, module, args, where):
    base = {"--vms": "10", "--vm-disk": "100GB"}
    base.update(zip(args[::2], args[1::2]))
    flat = [x for kv in base.items() for x in kv]
    probe, out, err = run(module, "storage", "plan", *flat, env=env)
    assert probe["status"] == 2 and out == ""
    assert len(err.splitlines()) == 1 and where in err and "Traceback" not in err, err


def test_missing_required_option_is_one_line(env):
    probe, _, err = run("vnetsim.cli", "storage", "plan", "--vms", "3", env=env)
    assert probe["status"] == 2 and err == ("vnetsim: storage plan: the following arguments are required: --vm-disk "
                                            "(see `vnetsim storage plan --help`)")


def test_help_lists_every_option_through_both_entries(env):
    options = {a.option_strings[0] for a in parser()._actions}
    for module in ("vnetsim.cli", "vnetsim.cli.app"):
        probe, out, _ = run(module, "storage", "plan", "--help", env=env)
        assert probe["status"] == 0
        assert all(o in out for o in options), module
    _, listing, _ = run("vnetsim.cli.app", "storage", "--help", env=env)
    assert "plan" in listing and "Will the VMs fit" in listing
