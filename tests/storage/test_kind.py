"""The storage kind end to end: loading, rows, JSON, DataFrame, tables, and one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

import vnetsim
from vnetsim.errors import ScenarioError
from vnetsim.kinds import get_kind

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-site-flavors.yaml"

BASE = """
kind: storage
name: t
storage:
  flavor: single
  hosts: 4
  host: {devices: "4x3.84TB-nvme"}
  policy: {raid: raid5}
workload:
  vm_groups:
    - {name: db, vms: 10, disk: 200GB, memory: 16GB, iops: 1000, read_fraction: 0.5}
"""


def run_text(tmp_path, text: str, overrides=()):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return vnetsim.run(str(path), overrides=list(overrides))


def test_kind_is_registered_and_detected():
    kind = get_kind("storage")
    assert kind.detect({"storage": {}}) and not kind.detect({"fabric": {}})
    assert kind.cli is not None


def test_example_rows_json_and_dataframe():
    res = vnetsim.run(str(EXAMPLE))
    names = [r["name"] for r in res.variants]
    assert names == ["robo", "single site", "stretched"]
    data = json.loads(res.to_json())
    assert data["kind"] == "storage" and len(data["variants"]) == 3
    df = res.to_dataframe()
    assert df.loc["stretched", "cluster.flavor"] == "stretched"
    assert df.loc["robo", "cost.switches"] == 0
    out = io.StringIO()
    get_kind("storage").render(res, Console(file=out, width=200))
    text = out.getvalue()
    assert "usable capacity" in text and "stretched" in text


def test_row_figures_follow_from_the_scenario(tmp_path):
    """The row's capacity equals the arithmetic of docs/models/storage.md worked by hand."""
    row = run_text(tmp_path, BASE).variants[0]
    raw = 4 * 4 * 3.84e12
    assert row["capacity"]["raw_bytes"] == pytest.approx(raw)
    free = raw - 0.15 * raw - raw / 4                                   # reserve: ops 10 % + 5 %, one host
    assert row["capacity"]["free_raw_bytes"] == pytest.approx(free)
    assert row["capacity"]["usable_bytes"] == pytest.approx(free / 1.5)  # ESA RAID-5 2+1 on 4 hosts
    assert row["capacity"]["required_raw_bytes"] == pytest.approx(10 * 200e9 * 1.5)
    writes = 10 * 1000 * 0.5 * 4096
    assert row["network"]["write_bytes_per_s"] == pytest.approx(writes)
    assert row["network"]["replication_bps"] == pytest.approx(writes * 8 * 1.5)


def test_stretched_network_rows(tmp_path):
    row = run_text(tmp_path, BASE, ["storage.flavor=stretched", "storage.hosts=3", "storage.policy.raid=raid1",
                                    "storage.sites.distance_km=100"]).variants[0]
    w = row["network"]["write_bytes_per_s"]
    assert row["network"]["inter_site_required_bps"] == pytest.approx(w * 8 * 1.4 * 1.25)
    assert row["network"]["inter_site_rtt_ns"] == pytest.approx(0.98e6)
    assert row["policy"]["multiplier"] == 4


@pytest.mark.parametrize("overrides, where, what", [
    (["storage.policy.raid=raid6"], "storage.hosts", "needs at least 6 data fault domains, got 4"),
    (["storage.host.nic.speed=10Gbps"], "storage.host.nic.speed", "ESA needs storage NICs of at least 25 Gbps"),
    (["storage.flavor=stretched", "storage.hosts=3", "storage.policy.raid=raid1", "storage.sites.distance_km=600"],
     "storage.sites.distance_km", "inter-site RTT 5.88ms is over the 5ms limit"),
    (["storage.flavor=robo", "storage.hosts=2", "storage.policy.raid=raid1", "storage.witness.rtt=600ms"],
     "storage.witness.rtt", "witness RTT 600ms is over the 500ms limit"),
    (["storage.flavor=stretched", "storage.hosts=11", "storage.policy.raid=raid1", "storage.witness.rtt=150ms"],
     "storage.witness.rtt", "over the 100ms limit"),
    (["storage.flavor=robo", "storage.hosts=2", "storage.policy.ftt=2", "storage.policy.raid=raid1"],
     "storage.policy", "besides the witness"),
    (["storage.intra_site_rtt=2ms"], "storage.intra_site_rtt", "intra-site RTT 2ms is over the 1ms limit"),
])
def test_documented_limits_are_one_line_errors(tmp_path, overrides, where, what):
    with pytest.raises(ScenarioError) as info:
        run_text(tmp_path, BASE, overrides)
    line = str(info.value)
    assert "\n" not in line and where in line and what in line and line.startswith(str(tmp_path / "s.yaml"))


@pytest.mark.parametrize("overrides, what", [
    (["storage.flavor=robo"], "exactly 2 data hosts"),
    (["storage.architecture=osa"], "OSA hosts need host.disk_groups"),
    (["storage.host.devices=4x3.84TB-hdd"], "ESA needs NVMe"),
    (["storage.hosts=2"], "use flavor robo"),
])
def test_schema_errors_are_one_line(tmp_path, overrides, what):
    with pytest.raises(ScenarioError) as info:
        run_text(tmp_path, BASE, overrides)
    assert what in str(info.value) and "\n" not in str(info.value)


def test_osa_disk_groups_count_capacity_tier_only(tmp_path):
    text = BASE.replace('host: {devices: "4x3.84TB-nvme"}',
                        "host: {disk_groups: {count: 2, cache: {capacity: 800GB, kind: nvme}, "
                        "capacity: {count: 3, capacity: 1.92TB, kind: sas-ssd}}, nic: {speed: 10Gbps}}")
    text = text.replace("flavor: single", "flavor: single\n  architecture: osa")
    row = run_text(tmp_path, text).variants[0]
    assert row["cluster"]["raw_per_host_bytes"] == 2 * 3 * 1.92e12
    assert row["policy"]["label"] == "RAID-5 (3+1)"
    assert row["cost"]["devices"] == {"nvme": 8, "sas-ssd": 24}


def test_components_over_the_witness_limit_are_reported(tmp_path):
    row = run_text(tmp_path, BASE, ["storage.flavor=robo", "storage.hosts=2", "storage.policy.raid=raid1",
                                    "storage.witness.size=tiny", "workload.vm_groups.db.vms=300",
                                    "workload.vm_groups.db.disk=10GB"]).variants[0]
    assert row["components"]["witness"] == 900 and not row["components"]["fits_witness"]
    assert any("witness_components" in n for n in row["notes"])


def test_public_exports_resolve():
    import vnetsim.storage as storage

    for name in storage.__all__:
        assert getattr(storage, name) is not None, name
    assert storage.simulate_io.__module__.startswith("vnetsim.storage.iopath")


@pytest.mark.parametrize("overrides, where", [
    (["storage.policy.ftt=2"], "storage.policy.ftt: RAID-5 tolerates exactly 1 failure"),
    (["workload.vm_groups.db.policy.raid=raid6", "workload.vm_groups.db.policy.ftt=1"],
     "workload.vm_groups[0].policy.ftt: RAID-6 tolerates exactly 2 failures"),
])
def test_impossible_policies_name_their_field(tmp_path, overrides, where):
    with pytest.raises(ScenarioError) as info:
        run_text(tmp_path, BASE, overrides)
    assert where in str(info.value)


def test_same_scenario_and_seed_give_the_same_json():
    a = vnetsim.run(str(EXAMPLE)).to_json()
    assert vnetsim.run(str(EXAMPLE)).to_json() == a
    assert vnetsim.run(str(EXAMPLE), overrides=["seed=8"]).to_json() != a


def test_report_figures():
    """The kind's report hook: capacity bars stack up to the raw capacity; every figure has a table
    row per variant."""
    res = vnetsim.run(str(EXAMPLE))
    figs = {f.id: f for f in get_kind("storage").report(res)}
    assert set(figs) == {"storage-capacity", "storage-downtime", "storage-write-latency", "storage-cost"}
    cap = figs["storage-capacity"]
    for i, row in enumerate(res.variants):
        assert sum(s.y[i] for s in cap.series) == pytest.approx(row["capacity"]["raw_bytes"] / 1e12)
    for f in figs.values():
        assert f.table is not None and len(f.table.rows) == 3
    assert [s.name for s in figs["storage-downtime"].series] == ["Markov", "Monte Carlo"]
