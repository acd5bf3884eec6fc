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
