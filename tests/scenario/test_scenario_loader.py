"""Scenario loading: variants merge over the base, --set overrides anything, mistakes are one line."""

from pathlib import Path

import pytest

from vnetsim.api import load
from vnetsim.errors import ScenarioError
from vnetsim.scenario.merge import deep_merge, parse_assignment, set_path

BASE = {
    "name": "t",
    "duration": "10ms",
    "traffic": {"flows": [{"name": "a", "rate": "1Mpps"}]},
    "host": {"vms": [{"name": "vm1"}, {"name": "vm2", "guest": {"vcpus": 2}}]},
}


def test_deep_merge_named_lists_merge_by_name():
    merged = deep_merge(BASE, {"host": {"vms": [{"name": "vm2", "guest": {"service": {"mode": "poll"}}}]}})
    vm2 = merged["host"]["vms"][1]
    assert vm2["guest"] == {"vcpus": 2, "service": {"mode": "poll"}}
    assert merged["host"]["vms"][0] == {"name": "vm1"}
    assert BASE["host"]["vms"][1]["guest"] == {"vcpus": 2}, "the base must not change"


def test_set_paths_by_index_and_name():
    keys, value = parse_assignment("host.vms.vm2.guest.vcpus=4")
    assert value == 4
    doc = set_path(BASE, keys, value)
    assert doc["host"]["vms"][1]["guest"]["vcpus"] == 4
    doc = set_path(BASE, *parse_assignment("host.vms.0.vnic.coalescing.scheme=off"))
    assert doc["host"]["vms"][0]["vnic"]["coalescing"]["scheme"] == "off"


def test_variants_each_validated():
    doc = dict(BASE, variants=[{"name": "base"}, {"name": "poll", "host": {"service": {"mode": "poll"}}}])
    kind, _, variants = load(doc)
    assert kind == "host"
    assert [v.name for v in variants] == ["base", "poll"]
    assert variants[0].model.host.service.mode == "interrupt"
    assert variants[1].model.host.service.mode == "poll"
    assert variants[1].model.host.vms[1].guest.vcpus == 2


def test_overrides_apply_to_every_variant():
    doc = dict(BASE, variants=[{"name": "a"}, {"name": "b"}])
    _, _, variants = load(doc, overrides=["host.pnic.ring_size=2048"], seed=9, duration="5ms")
    for v in variants:
        assert v.model.host.pnic.ring_size == 2048
        assert v.model.seed == 9
        assert v.model.duration == 5e6


def _error(doc, **kw) -> str:
    with pytest.raises(ScenarioError) as err:
        load(doc, **kw)
    line = err.value.line()
    assert "\n" not in line
    return line


def test_unknown_field_names_the_path_and_the_choices():
    line = _error(deep_merge(BASE, {"host": {"pnic": {"ring_sise": 512}}}))
    assert "host.pnic.ring_sise" in line and "unknown field" in line and "ring_size" in line


def test_negative_rate():
    line = _error(deep_merge(BASE, {"traffic": {"flows": [{"name": "a", "rate": "-5Mpps"}]}}))
    assert "traffic.flows[0].rate" in line and ">= 0" in line


def test_ring_size_zero():
    line = _error(deep_merge(BASE, {"host": {"pnic": {"ring_size": 0}}}))
    assert "host.pnic.ring_size" in line and "greater than or equal to 1" in line


def test_unit_typo():
    line = _error(deep_merge(BASE, {"host": {"pnic": {"line_rate": "10Gbsp"}}}))
    assert "host.pnic.line_rate" in line and "Gbsp" in line


def test_variant_named_in_error():
    doc = dict(BASE, variants=[{"name": "ok"}, {"name": "broken", "host": {"cores": -1}}])
    line = _error(doc)
    assert "variant 'broken'" in line and "host.cores" in line


def test_bad_override():
    assert "expected PATH=VALUE" in _error(BASE, overrides=["host.pnic.ring_size"])
    assert "no list item 'vm9'" in _error(BASE, overrides=["host.vms.vm9.guest.vcpus=2"])


def test_yaml_syntax_error_has_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntraffic:\n  flows: [\n")
    line = _error(str(bad))
    assert str(bad) in line and "YAML" in line


def test_yaml_off_and_on_are_words(tmp_path: Path):
    """`scheme: off` must mean the word, not False (YAML 1.1 would say False)."""
    f = tmp_path / "s.yaml"
    f.write_text("traffic:\n  flows: [{rate: 1Mpps, arrival: {kind: onoff, on: 1ms, off: 4ms}}]\n"
                 "host:\n  vms: [{name: v, vnic: {coalescing: {scheme: off}}}]\n")
    _, _, variants = load(str(f))
    model = variants[0].model
    assert model.host.vms[0].vnic.coalescing.scheme == "off"
    assert model.traffic.flows[0].arrival.on == 1e6


def test_missing_file():
    assert "no such file" in _error("/nonexistent/scenario.yaml")


def test_pinned_queue_must_exist():
    line = _error(deep_merge(BASE, {"traffic": {"flows": [{"name": "a", "rate": "1Mpps", "queue": 3}]}}))
    assert "queue 3" in line and "RX queues" in line


# --- the one merge rule, for every kind ----------------------------------------------------------

def test_variant_naming_an_unknown_item_is_an_error_listing_the_items():
    doc = dict(BASE, variants=[{"name": "typo", "host": {"vms": [{"name": "vm3", "guest": {"vcpus": 4}}]}}])
    line = _error(doc)
    assert line == ("<scenario>: variant 'typo': host.vms[0]: no item named 'vm3' (the items are: vm1, vm2) "
                    "(to add an item, write it under 'vms+:')")


def test_adding_and_removing_named_items_takes_an_explicit_form():
    doc = dict(BASE, variants=[
        {"name": "three VMs", "host": {"vms+": [{"name": "vm3", "guest": {"vcpus": 4}}]}},
        {"name": "one VM", "host": {"vms-": ["vm1"]}},
    ])
    _, _, (three, one) = load(doc)
    assert [v.name for v in three.model.host.vms] == ["vm1", "vm2", "vm3"]
    assert three.model.host.vms[2].guest.vcpus == 4
    assert [v.name for v in one.model.host.vms] == ["vm2"] and one.model.host.vms[0].guest.vcpus == 2
    assert "vms+" not in three.doc["host"] and "vms-" not in one.doc["host"]


@pytest.mark.parametrize("over, expect", [
    ({"host": {"vms+": [{"name": "vm2"}]}}, "host.vms+: an item named 'vm2' exists already"),
    ({"host": {"vms-": ["vm9"]}}, "host.vms-: no item named 'vm9' (the items are: vm1, vm2)"),
    ({"host": {"vms": [{"guest": {"vcpus": 2}}]}}, "host.vms[0]: host.vms is a list of named items"),
    ({"host": {"vms": [{"name": {"vm1": 1}}]}}, "host.vms[0].name: a name is a string, not dict"),
    ({"host": {"vms": [{"name": ["vm1"]}]}}, "host.vms[0].name: a name is a string, not list"),
    ({"host": {"pnic": {"driver": {"ixgbe": {}}}}}, "host.pnic.driver: Input should be 'generic'"),
])
def test_merge_mistakes_name_the_field(over, expect):
    line = _error(dict(BASE, variants=[{"name": "v", **over}]))
    assert line.startswith(f"<scenario>: variant 'v': {expect}"), line


def test_unnamed_lists_are_replaced():
    doc = dict(BASE, loads=["1Mpps", "2Mpps"], variants=[{"name": "v", "loads": ["3Mpps"]}])
    _, _, (v,) = load(doc)
    assert [str(x) for x in v.model.loads] == ["3Mpps"]


def test_fabric_variants_and_set_use_the_same_rule():
    doc = {"name": "f", "fabric": {"topology": "spine_leaf", "racks": 2, "hosts_per_rack": 2,
                                   "failures": [{"switch": "spine0"}]},
           "variants": [{"name": "a"}, {"name": "b", "fabric": {"racks": 3}}]}
    kind, _, (a, b) = load(doc, overrides=["fabric.hosts_per_rack=4"])
    assert kind == "fabric"
    assert (a.model.fabric.racks, b.model.fabric.racks) == (2, 3)
    assert a.model.fabric.hosts_per_rack == b.model.fabric.hosts_per_rack == 4
    assert len(b.model.fabric.failures) == 1


def test_explicit_kind_and_unknown_kind():
    kind, _, _ = load({"kind": "fabric", "name": "f"})
    assert kind == "fabric"
    line = _error({"kind": "warehouse"})
    assert line.startswith("<scenario>: kind: unknown scenario kind 'warehouse' (choose one of:")


def test_duplicate_yaml_keys_are_an_error(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text("name: t\ntraffic:\n  flows: [{rate: 1Mpps}]\nhost:\n  cores: 2\n  cores: 4\n")
    line = _error(str(p))
    assert line.startswith(f"{p}:6:3: key 'cores' appears twice (first on line 5)"), line


@pytest.mark.parametrize("path, expect", [("/dev/zero", "is not a regular file"),
                                          ("/", "is a directory, not a scenario file")])
def test_only_regular_files_are_read(path, expect):
    assert _error(path) == f"{path}: {expect}" + (" (name a .yaml file)")


def test_deep_nesting_is_one_line(tmp_path):
    p = tmp_path / "deep.yaml"
    p.write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")
    line = _error(str(p))
    assert line.startswith(str(p)) and ("nested too deeply" in line or "YAML" in line)
