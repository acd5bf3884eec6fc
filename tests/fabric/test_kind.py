"""`vnetsim run` dispatch: fabric scenario files go through the loader to run_fabric_scenario."""

from __future__ import annotations

import pytest
from rich.console import Console

api = pytest.importorskip("vnetsim.api")


def test_example_is_a_fabric_scenario(example_path):
    kind, _source, variants = api.load(str(example_path))
    assert kind == "fabric"
    assert [v.name for v in variants][:3] == ["l2-stp", "l2-stp-dual-core", "three-tier"]


def test_run_rows_are_named_after_variants(example_path):
    a = api.run(str(example_path), duration="100us", variant="spine-leaf")
    b = api.run(str(example_path), duration="100us", variant="spine-leaf")
    (row,) = a.variants
    assert row["name"] == "spine-leaf" and row["scenario"] == "storage-fabric" and row["duration_ns"] == 1e5
    assert a.to_json() == b.to_json()
    con = Console(record=True, width=200)
    api.render(a, con)
    assert "spine-leaf" in con.export_text()


def test_loader_reports_fabric_mistakes_in_one_line():
    from vnetsim.errors import ScenarioError
    with pytest.raises(ScenarioError) as e:
        api.load({"name": "x", "fabric": {"racks": 2, "colour": "red"}})
    assert "fabric.colour" in str(e.value) and "\n" not in str(e.value)


def test_mechanism_errors_name_file_variant_and_field(tmp_path):
    from vnetsim.errors import ScenarioError

    path = tmp_path / "f.yaml"
    path.write_text("name: f\nfabric: {topology: spine_leaf, racks: 2, hosts_per_rack: 2}\n"
                    "traffic: {pattern: flows, flows: [{src: host0, dst: host9, rate: 1Gbps}]}\n"
                    "variants:\n  - name: a\n")
    with pytest.raises(ScenarioError) as e:
        api.run(str(path))
    assert e.value.line() == (f"{path}: variant 'a': traffic.flows[0].dst: host 'host9' does not exist: "
                              "the fabric has 4 hosts (use 0..3)")


def test_fabric_offers_no_throughput_search(example_path):
    from vnetsim.errors import UserError

    with pytest.raises(UserError) as e:
        api.throughput(str(example_path))
    assert e.value.line() == (f"{example_path}: fabric scenarios have no throughput command "
                              "(it applies to host scenarios)")
