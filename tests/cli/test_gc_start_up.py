"""The collector is paused while a command loads and back on for the simulation; a command that
runs no variant ends the pause as its arguments are parsed; nothing stays paused after ``main``."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import vnetsim.api
from vnetsim.cli import startup
from vnetsim.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "poll-mode.yaml")


def test_begin_pauses_and_settled_freezes_and_resumes():
    assert gc.isenabled()
    startup.begin(own_process=True)
    try:
        assert not gc.isenabled()
        startup.begin(own_process=False)      # a second begin changes nothing
        startup.settled()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        startup.end()                         # already ended: still on
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        startup.end()


def test_run_loads_paused_then_simulates_with_the_collector_on(monkeypatch, tmp_path):
    seen: list[tuple[str, bool]] = []
    real_run = vnetsim.api.run

    def spy(*args, **kw):
        started = kw["started"]
        kw["started"] = lambda: (seen.append(("started", gc.isenabled())), started())
        kw["progress"] = lambda f: seen.append(("progress", gc.isenabled()))
        return real_run(*args, **kw)

    monkeypatch.setattr(vnetsim.api, "run", spy)
    frozen = gc.get_freeze_count()
    main(["run", EXAMPLE, "-q", "--duration", "1ms", "--json", str(tmp_path / "out.json")])
    assert gc.get_freeze_count() == frozen    # a caller's process (main(argv)) is never frozen
    assert seen[0] == ("started", False)      # paused while the file and the kind loaded
    assert [s for s in seen if s[0] == "started"] == [("started", False)]
    assert seen[1:] and all(on for what, on in seen[1:])     # on for every step of the simulation
    assert gc.isenabled()


def test_a_command_without_variants_ends_the_pause_when_parsed(monkeypatch, tmp_path):
    seen = []
    real = vnetsim.api.schema_for
    monkeypatch.setattr(vnetsim.api, "schema_for", lambda kind: (seen.append(gc.isenabled()), real(kind))[1])
    main(["schema", "host", "--json", str(tmp_path / "schema.json")])
    assert seen == [True] and gc.isenabled()
    assert json.loads((tmp_path / "schema.json").read_text())["title"]


def test_the_console_entry_freezes_before_exit():
    code = ("import gc, sys; from vnetsim.cli import main; sys.argv = ['vnetsim', 'kinds']\n"
            "main()\nprint(gc.isenabled(), gc.get_freeze_count() > 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "True True"
