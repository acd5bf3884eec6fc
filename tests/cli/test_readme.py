"""The README's promises: its scenario example loads, and CI runs its test command exactly."""

from __future__ import annotations

from pathlib import Path

import yaml

import vnetsim

REPO = Path(__file__).resolve().parents[2]


def _blocks(lang: str) -> list[str]:
    text = (REPO / "README.md").read_text()
    return [part.split("```", 1)[0] for part in text.split(f"```{lang}\n")[1:]]


def test_readme_scenario_loads_with_its_variants():
    doc = yaml.safe_load(_blocks("yaml")[0])
    kind, _, variants = vnetsim.load(doc)
    assert kind == "host"
    two = {v.name: v for v in variants}["two VMs"]
    assert [vm.name for vm in two.model.host.vms] == ["pgw", "dns"]


def test_ci_runs_the_readme_test_command():
    setup = _blocks("bash")[0].strip().splitlines()
    assert len(setup) == 2 and setup[0].startswith("pip install . && vnetsim run ")
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert setup[1] in ci, f"{setup[1]!r} must appear in .ci/run exactly"
