"""``Kind.model`` given as ``"module:Class"`` is imported on first use, once, and reads as the class."""

from __future__ import annotations

import sys

from vnetsim.kinds import Kind


def test_model_named_by_string_is_imported_on_first_use(tmp_path, monkeypatch):
    (tmp_path / "lazy_model_probe.py").write_text("class Scenario:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_model_probe", raising=False)
    kind = Kind(name="probe", summary="test", model="lazy_model_probe:Scenario", run=lambda v, o: [],
                render=lambda r, c: None)
    assert "lazy_model_probe" not in sys.modules          # making the kind imported nothing
    model = kind.model
    assert model.__name__ == "Scenario" and model is sys.modules["lazy_model_probe"].Scenario
    assert kind.model is model                             # resolved once, then kept


def test_model_given_as_a_class_is_kept_as_is():
    class Scenario:
        pass

    kind = Kind(name="probe", summary="test", model=Scenario, run=lambda v, o: [], render=lambda r, c: None)
    assert kind.model is Scenario


LISTING = """
import json, sys
from vnetsim import api
from vnetsim.kinds import all_kinds
lazy = {k.name: k.__dict__["_model_value"].partition(":")[0] for k in all_kinds().values()
        if isinstance(k.__dict__["_model_value"], str)}
listed = [m for m in lazy.values() if m in sys.modules]
kind, _, _ = api.load(sys.argv[1])
loaded = [m for name, m in lazy.items() if m in sys.modules and name != kind]
print(json.dumps([kind, sorted(lazy), listed, loaded]))
"""


def test_kinds_with_lazy_models_are_listed_and_skipped_without_importing_them():
    # every kind whose model is a "module:Class" string: listing the kinds imports none of those
    # modules, and loading a host file imports only the host's
    import json
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    res = subprocess.run([sys.executable, "-c", LISTING, str(root / "examples" / "poll-mode.yaml")],
                         capture_output=True, text=True, timeout=120, cwd=root)
    assert res.returncode == 0, res.stderr
    kind, lazy, listed, loaded = json.loads(res.stdout.strip().splitlines()[-1])
    assert kind == "host"
    assert listed == [] and loaded == [], (lazy, listed, loaded)
