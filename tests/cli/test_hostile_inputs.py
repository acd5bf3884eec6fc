"""Hostile inputs through every command: exit status 2, one line on stderr that names the file (or
option) and the field, no traceback, and an output file that existed before is left byte for byte.

Each class of mistake is one case; the commands are run in-process through the real entry point
(``vnetsim.cli.main``), and Ctrl-C / SIGTERM in a real subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vnetsim.cli import main

GOOD = "name: t\nduration: 20ms\ntraffic:\n  flows: [{name: a, rate: 100kpps}]\n"
FABRIC = "name: f\nfabric: {topology: spine_leaf, racks: 2, hosts_per_rack: 2}\n"

# (case id, file content or None for a special path, expected text in the error line)
CASES = [
    ("deep-lists", "a: " + "[" * 5000 + "]" * 5000 + "\n", ""),
    ("deep-maps", "".join(f"{' ' * i}k{i}:\n" for i in range(3000)) + " " * 3000 + "v: 1\n", ""),
    ("duplicate-key", GOOD + "duration: 30ms\n", "appears twice"),
    ("not-utf8", b"name: \xff\xfe\n", "not UTF-8"),
    ("not-a-mapping", "- 1\n- 2\n", "mapping"),
    ("yaml-syntax", "name: [unclosed\n", "YAML syntax error"),
    ("unknown-field", GOOD + "host: {pnic: {ring_sise: 512}}\n", "ring_sise"),
    ("unit-typo", GOOD + "host: {pnic: {line_rate: 10Gbsp}}\n", "line_rate"),
    ("negative-rate", "traffic:\n  flows: [{name: a, rate: -5Mpps}]\n", "rate"),
    ("over-line-rate", "traffic:\n  flows: [{name: a, rate: 20Gbps}]\n", "line rate"),
    ("unknown-variant-item",
     GOOD + "host: {vms: [{name: vm0}]}\nvariants:\n  - name: v\n    host: {vms: [{name: nope}]}\n",
     "no item named 'nope'"),
    ("unknown-kind", "kind: warehouse\n", "unknown scenario kind"),
    ("fabric-unknown-host", FABRIC + "traffic: {pattern: flows, flows: [{src: host0, dst: host99, rate: 1Gbps}]}\n",
     "traffic.flows[0].dst"),
    ("fabric-unknown-field", FABRIC.replace("racks: 2", "racks: 2, colour: red"), "fabric.colour"),
    ("empty-file", "", "mapping"),
    ("zero-cpu-clock", GOOD + "host: {cpu_clock: 0}\n", "host.cpu_clock"),
    ("tiny-rate", "traffic:\n  flows: [{name: a, rate: 1e-300pps}]\n", "traffic.flows[0].rate"),
    ("nan-rate", "traffic:\n  flows: [{name: a, rate: .nan}]\n", "traffic.flows[0].rate"),
    ("hours-long-run", "duration: 1e9s\ntraffic:\n  flows: [{name: a, rate: 1Mpps}]\n", "limits.max_packets"),
    ("nan-size-weights", "traffic:\n  flows: [{name: a, rate: 1Mpps, size: {kind: empirical, sizes: [64, 1500], "
     "weights: [.nan, 1]}}]\n", "weights"),
]
SPECIAL = [("missing", "no such file"), ("directory", "is a directory"), ("device", "not a regular file")]


def vnetsim(capsys, *args) -> tuple[int, str, str]:
    try:
        main([str(a) for a in args])
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def _one_line(status: int, err: str, *expect: str) -> str:
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("vnetsim: "), err
    assert "Traceback" not in err
    for e in expect:
        assert e in lines[0], (e, lines[0])
    return lines[0]


@pytest.fixture
def prior(tmp_path) -> Path:
    out = tmp_path / "prior.json"
    out.write_bytes(b'{"an earlier result": true}\n')
    return out


COMMANDS = [("run",), ("throughput", "--duration", "5ms"), ("flows",)]


# only a run simulates the whole duration (throughput trials last --duration; flows simulates nothing)
PAIRS = [(cmd, *case) for cmd in COMMANDS for case in CASES if case[0] != "hours-long-run" or cmd[0] == "run"]


@pytest.mark.parametrize("command, case, body, expect", PAIRS, ids=[f"{p[1]}-{p[0][0]}" for p in PAIRS])
def test_hostile_scenario_files(tmp_path, capsys, prior, command, case, body, expect):
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    before = prior.read_bytes()
    status, out, err = vnetsim(capsys, *command[:1], path, *command[1:], "--json", prior)
    if status == 2 and "fabric scenarios have no" in err:   # a fabric file has no throughput/flows
        assert "fabric scenarios have no" in err
        return
    line = _one_line(status, err, expect)
    assert str(path) in line or "vnetsim " in line, line
    assert prior.read_bytes() == before, "an earlier output must survive a failed run"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".prior.json")], "no temporary file left"


@pytest.mark.parametrize("case, expect", SPECIAL, ids=[c[0] for c in SPECIAL])
def test_hostile_paths(tmp_path, capsys, case, expect):
    path = {"missing": tmp_path / "nope.yaml", "directory": tmp_path, "device": Path("/dev/zero")}[case]
    status, out, err = vnetsim(capsys, "run", path)
    _one_line(status, err, str(path), expect)


@pytest.mark.parametrize("target, expect", [("dir", "is a directory"), ("/dev/null", "not a regular file"),
                                            ("missing/out.json", "does not exist"),
                                            ("/proc/vnetsim.json", "cannot write")])
def test_hostile_output_paths(tmp_path, capsys, target, expect):
    scenario = tmp_path / "good.yaml"
    scenario.write_text(GOOD)
    (tmp_path / "dir").mkdir()
    dest = target if target.startswith("/") else tmp_path / target
    for option in ("--json", "--pcap"):
        status, out, err = vnetsim(capsys, "run", scenario, "-q", option, dest)
        _one_line(status, err, option, expect)
    status, out, err = vnetsim(capsys, "fabric", "plan", "--hosts", "100", "--json", dest)
    _one_line(status, err, "--json", expect)


@pytest.mark.parametrize("option", ["--csv", "--parquet", "--plot"])
def test_an_unwritable_output_is_refused_before_the_run(tmp_path, capsys, option):
    """Every output is checked before the simulation starts: the run's JSON, which would have been
    written first, is not written when a later output's folder is missing."""
    scenario = tmp_path / "good.yaml"
    scenario.write_text(GOOD)
    json_out = tmp_path / "result.json"
    status, out, err = vnetsim(capsys, "run", scenario, "-q", "--json", json_out, option, tmp_path / "no" / "x")
    _one_line(status, err, option, "does not exist")
    assert not json_out.exists(), "nothing was run, nothing written"


def test_outputs_keep_mode_and_follow_links(tmp_path, capsys):
    scenario = tmp_path / "good.yaml"
    scenario.write_text(GOOD)
    real = tmp_path / "real.json"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    status, out, err = vnetsim(capsys, "run", scenario, "-q", "--json", link)
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == real.name, "the link stays a link"
    assert real.read_text().startswith("{") and (real.stat().st_mode & 0o777) == 0o640


def test_set_cannot_change_variants(tmp_path, capsys):
    scenario = tmp_path / "good.yaml"
    scenario.write_text(GOOD)
    status, out, err = vnetsim(capsys, "run", scenario, "--set", "variants=[{name: x}]")
    _one_line(status, err, "--set variants", "--variant")


def test_stale_temporary_files_of_a_killed_run_are_removed(tmp_path, capsys):
    scenario = tmp_path / "good.yaml"
    scenario.write_text(GOOD)
    stale = tmp_path / ".out.json.vnetsim-999999999-x1.tmp"     # no such process
    stale.write_bytes(b"half")
    status, out, err = vnetsim(capsys, "run", scenario, "-q", "--json", tmp_path / "out.json")
    assert status == 0 and not stale.exists()


@pytest.mark.parametrize("sig, status, word", [(signal.SIGINT, 130, "interrupted"),
                                               (signal.SIGTERM, 143, "terminated")])
def test_signals_give_one_line_and_keep_earlier_outputs(tmp_path, sig, status, word):
    scenario = tmp_path / "long.yaml"
    scenario.write_text("name: long\nduration: 20s\ntraffic:\n  flows: [{name: a, rate: 2Mpps}]\n")
    prior = tmp_path / "out.json"
    prior.write_text("earlier\n")
    pcap = tmp_path / "out.pcap"
    code = "import sys; from vnetsim.cli import main; main(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "run", str(scenario), "-q", "--json", str(prior),
                             "--pcap", str(pcap), "--pcap-limit", "100000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.pcap") for p in tmp_path.iterdir()):   # the run is writing
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert err.strip() == f"vnetsim: {word}; nothing written"
    assert prior.read_text() == "earlier\n" and not pcap.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files removed"
