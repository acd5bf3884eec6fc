"""``storage.fabric``: where the cluster's hosts sit on the fabric, the run's own traffic on it (its
bytes are the workload's, its loads the offered bytes over the link rates), what an oversubscribed
fabric does to write latency and to a rebuild (examples/storage-on-fabric.yaml), and one-line
errors with exit status 2 for layouts the cluster cannot have."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnetsim
from vnetsim.cli.app import main
from vnetsim.storage.config import StorageScenario
from vnetsim.storage.fabricmap import fabric_placements
from vnetsim.storage.iomap import iopath_spec
from vnetsim.storage.sizing import size_cluster

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.storage.test_hostile_inputs import result_or_one_line  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "storage-on-fabric.yaml"
HDR = 128

BASE = {
    "kind": "storage", "name": "t", "seed": 2,
    "storage": {"flavor": "single", "hosts": 8, "fault_domains": 4,
                "host": {"devices": "4x3.84TB-nvme", "nic": {"speed": "25Gbps", "count": 2, "active": 1}},
                "fabric": {"layout": {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 4,
                                      "leaf": {"ports": "48x25G+8x100G"}, "spine": {"ports": "32x100G", "count": 2}},
                           "packets": 20000}},
    "workload": {"vm_groups": [{"name": "erp", "vms": 40, "disk": "100GB", "iops": 800, "read_fraction": 0.3,
                                "block_size": "32KB"}]},
    "availability": {"enabled": False},
    "options": {"duration": "20ms", "host_data_path": False},
}


def scenario(**storage) -> StorageScenario:
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    doc["storage"].update(storage)
    doc.pop("kind")
    return StorageScenario.model_validate(doc)


def test_fault_domains_are_fabric_racks_and_hosts_fill_racks_in_order():
    sc = scenario()
    (p,) = fabric_placements(sc)
    assert p.host_of == (0, 1, 4, 5, 8, 9, 12, 13)          # two hosts per fault domain, one rack each
    assert p.layout["host"] == {"nics": 1, "nic_speed": "25000Mbps"}
    (p,) = fabric_placements(scenario(fault_domains=0, hosts=6))
    assert p.host_of == (0, 1, 2, 3, 4, 5)                  # rack 0 full, then rack 1
    st = scenario(flavor="stretched", hosts=3, fault_domains=0)
    a, b = fabric_placements(st)
    assert a.host_of == (0, 1, 2, -1, -1, -1) and b.host_of == (-1, -1, -1, 0, 1, 2)


def remote_write_bytes(spec) -> float:
    """Write data crossing the network, from the placements alone: per I/O-issuing workload,
    writes/s x (block + header) x the mean number of replicas not on the owner."""
    total = 0.0
    for w in spec.workloads:
        remote = np.mean([sum(h != w.host for c in o.copies for h in c.hosts) for o in w.objects])
        block = sum(b * p for b, p in zip(w.block_bytes, w.block_weights)) / sum(w.block_weights)
        total += w.iops * (1 - w.read_fraction) * (block + HDR) * remote
    return total


def test_the_runs_traffic_is_the_workloads_and_loads_the_fabric_by_its_bytes():
    sc = scenario()
    from vnetsim.storage.run import run_scenario

    row = run_scenario(sc)
    fab = row["io"]["fabric"]
    spec = iopath_spec(sc, size_cluster(sc))
    assert fab["write_bytes_per_s"] == pytest.approx(remote_write_bytes(spec), rel=1e-9)
    # every pair of hosts in different racks (fault domains: hosts 2f and 2f + 1) crosses one leaf
    # uplink: the leaf->spine tier carries all cross-rack wire bytes, mean = bytes / (links x rate)
    tier = fab["links"]["tiers"]["leaf->spine"]
    assert tier["links"] == 4 * 2
    cross = sum(o for s, d, o in zip(fab["pairs"]["src"], fab["pairs"]["dst"], fab["pairs"]["offered_bps"])
                if s // 2 != d // 2)
    assert 0.5 * fab["offered_bps"] < cross <= fab["offered_bps"]
    assert tier["mean"] == pytest.approx(cross / (8 * 100e9), rel=1e-9)
    assert fab["level"] == "packet" and fab["drops"]["frames"] == 0
    assert all(f > 0 for f in fab["pairs"]["fabric_ns"])


def test_a_fabric_without_io_says_it_did_not_run():
    from vnetsim.storage.run import run_scenario

    sc = scenario().model_copy(update={"options": scenario().options.model_copy(update={"io": False})})
    row = run_scenario(sc)
    assert "io" not in row and any("storage.fabric did not run" in n for n in row["notes"])


def test_without_a_fabric_nothing_changes():
    sc = scenario(fabric=None)
    from vnetsim.storage.run import run_scenario

    row = run_scenario(sc)
    assert "fabric" not in row["io"]
    assert iopath_spec(sc, size_cluster(sc)).network.pair_ns is None


@functools.cache
def example_result():
    return vnetsim.run(str(EXAMPLE))


def example_rows() -> dict:
    return {r["name"]: r for r in example_result().variants}


def test_example_oversubscription_slows_writes_and_the_rebuild():
    rows = example_rows()
    nb, over = rows["non-blocking (3 spines)"], rows["3:1 (1 spine)"]
    assert nb["io"]["fabric"]["oversubscription"]["leaf"]["built"]["max"] == pytest.approx(1.0)
    assert over["io"]["fabric"]["oversubscription"]["leaf"]["built"]["max"] == pytest.approx(3.0)
    # one uplink instead of three: the tier carries the same bytes, three times the utilisation
    u_nb = nb["io"]["fabric"]["links"]["tiers"]["leaf->spine"]["mean"]
    u_over = over["io"]["fabric"]["links"]["tiers"]["leaf->spine"]["mean"]
    assert u_over == pytest.approx(3 * u_nb, rel=1e-9)
    assert over["io"]["fabric"]["pair_fabric_ns"]["mean"] > nb["io"]["fabric"]["pair_fabric_ns"]["mean"]
    assert over["io"]["groups"]["erp"]["writes"]["mean"] > nb["io"]["groups"]["erp"]["writes"]["mean"]
    # the footprint counts the fabric's switches: 4 leaves and 3 spines, or 4 leaves and one spine
    assert (nb["cost"]["switches"], over["cost"]["switches"]) == (7, 5)
    assert nb["cost"]["rack_units"] - over["cost"]["rack_units"] == 2
    assert nb["io"]["fabric"]["switches"]["total"] == 7
    r_nb, r_over = nb["rebuild"]["fabric"]["resync"], over["rebuild"]["fabric"]["resync"]
    assert r_nb["host_bound_duration_s"] == pytest.approx(r_over["host_bound_duration_s"])
    assert r_over["fabric_bound"] and r_over["duration_s"] > 2 * r_nb["duration_s"]
    assert r_over["duration_s"] == pytest.approx(r_over["host_bound_duration_s"] * r_over["stretch"])
    out = over["rebuild"]["outcomes"][0]
    assert r_over["reprotected_s"] == pytest.approx(out["rebuild_start_s"] + r_over["duration_s"])
    assert r_nb["reprotected_s"] == pytest.approx(nb["rebuild"]["outcomes"][0]["reprotected_s"])   # host-bound
    # paced to what the fabric carries: the busiest uplink in the resync at the resync share
    assert over["rebuild"]["fabric"]["during_resync"]["links"]["tiers"]["leaf->spine"]["max"] <= 0.9 + 1e-6


def vnetsim_cli(capsys, *args) -> tuple[int, str]:
    try:
        main(list(args))
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


@pytest.mark.parametrize("change, where", [
    ({"hosts": 24, "fault_domains": 0}, "storage.fabric.layout: too few fabric hosts"),
    ({"hosts": 10, "fault_domains": 5}, "storage.fabric.layout.racks"),
    ({"hosts": 20, "fault_domains": 4}, "storage.fabric.layout.hosts_per_rack"),
    ({"fabric": {"layout": {"topology": "fat_tree"}}}, "storage.fabric.layout"),
    ({"fabric": {"layout": {"racks": 4, "spines": 2}}}, "storage.fabric.layout"),
    ({"fabric": {"layout": {"racks": 4, "hosts_per_rack": 4, "host": {"nic_speed": "10Gbps"}}}},
     "storage.fabric.layout.host.nic_speed"),
    ({"fabric": {"layout": {"racks": 4, "hosts_per_rack": 4}, "mtu": 100}}, "storage.fabric.mtu"),
    ({"host": {"devices": "4x3.84TB-nvme", "nic": {"speed": "25Gbps", "count": 2, "active": 2}}},
     "storage.host.nic.active"),
    ({"flavor": "robo", "hosts": 2, "fault_domains": 0, "direct_connect": True}, "storage.fabric:"),
    ({"fabric": {"layout": {"racks": 4, "hosts_per_rack": 4, "spine": {"count": 1},
                            "failures": [{"switch": "spine0"}]}}}, "storage.fabric.layout.failures: "),
])
def test_bad_fabric_input_is_one_line_and_exit_2(tmp_path, capsys, change, where):
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    doc["storage"].update(change)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    status, err = vnetsim_cli(capsys, "run", str(path))
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert where in lines[0], lines[0]


def test_example_table_and_figure_show_the_fabric():
    import io

    from rich.console import Console

    from vnetsim.storage.figures import fabric_figure
    from vnetsim.storage.render import render_rows

    res = example_result()
    buf = io.StringIO()
    render_rows(res, Console(file=buf, width=200))
    text = buf.getvalue()
    assert "fabric busiest link" in text and "fabric-bound: leaf" in text and "host-bound" in text
    rows = list(example_rows().values())
    fig = fabric_figure(rows)
    assert fig is not None
    assert fig.series[0].y == pytest.approx([r["io"]["fabric"]["links"]["max_utilisation"] * 100 for r in rows])
    df = res.to_dataframe()
    assert list(df["rebuild.fabric.resync.duration_s"]) == [r["rebuild"]["fabric"]["resync"]["duration_s"]
                                                             for r in rows]
    assert list(df["io.fabric.links.tiers.leaf->spine.mean"]) == [
        r["io"]["fabric"]["links"]["tiers"]["leaf->spine"]["mean"] for r in rows]


def test_a_stretched_cluster_runs_one_fabric_per_site():
    from vnetsim.storage.run import run_scenario

    sc = scenario(flavor="stretched", hosts=4, fault_domains=0,
                  fabric={"layout": {"topology": "spine_leaf", "racks": 2, "hosts_per_rack": 2,
                                     "spine": {"count": 1}}, "packets": 10000})
    row = run_scenario(sc)
    fab = row["io"]["fabric"]
    assert fab["runs"] == 2 and fab["fabric_hosts"] == 8
    site = [h // 4 for h in range(8)]
    assert fab["pairs"]["src"] and all(site[s] == site[d] for s, d in zip(fab["pairs"]["src"], fab["pairs"]["dst"]))
    # writes to the other site's replicas cross the inter-site link, not this fabric
    assert row["io"]["inter_site_utilisation"][0] > 0


def test_a_layer_2_fabric_and_a_failed_spine():
    """A ring of ToRs under spanning tree carries the cluster's traffic over ToR-to-ToR links; a
    spine-leaf with one of two spines failed puts all cross-rack traffic on the other: twice the
    uplink load of the healthy fabric."""
    from vnetsim.storage.run import run_scenario

    l2 = run_scenario(scenario(fabric={"layout": {"topology": "l2_stp", "racks": 4, "hosts_per_rack": 4},
                                       "packets": 10000}))["io"]["fabric"]
    assert "tor->tor" in l2["links"]["tiers"] and l2["switches"]["tor"] == 4 and l2["drops"]["frames"] == 0
    spine = {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 4, "spine": {"count": 2}}
    healthy = run_scenario(scenario(fabric={"layout": spine, "packets": 10000}))["io"]["fabric"]
    failed = run_scenario(scenario(fabric={"layout": {**spine, "failures": [{"switch": "spine0"}]},
                                           "packets": 10000}))["io"]["fabric"]
    up_h, up_f = healthy["links"]["tiers"]["leaf->spine"], failed["links"]["tiers"]["leaf->spine"]
    assert up_h["links"] == 8 and up_f["links"] == 4
    assert up_f["mean"] == pytest.approx(2 * up_h["mean"], rel=1e-9)


def test_drops_at_small_switch_buffers_are_counted_and_said():
    """Four hosts per leaf into one 25G uplink (4:1) behind 10 kB port buffers (one jumbo frame and
    a bit): the uplinks drop; the count and its share of the offered frames are in the section and
    the variant's notes; the table (no failures) has no resync rows."""
    import io

    from rich.console import Console

    from vnetsim.results.result import Result
    from vnetsim.storage.render import render_rows
    from vnetsim.storage.run import run_scenario

    layout = {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 4, "spine": {"count": 1},
              "leaf": {"ports": "48x25G+8x25G"}, "switch": {"buffer": {"kind": "per_port", "per_port": "10000B"}}}
    sc = scenario(fabric={"layout": layout, "packets": 20000})
    sc = sc.model_copy(update={"workload": sc.workload.model_copy(update={"vm_groups": [
        sc.workload.vm_groups[0].model_copy(update={"iops": 3000.0})]})})
    row = run_scenario(sc)
    drops = row["io"]["fabric"]["drops"]
    assert drops["frames"] > 0 and 0 < drops["fraction"] < 1
    assert any(n.startswith("storage.fabric: the fabric dropped") for n in row["notes"])
    buf = io.StringIO()
    render_rows(Result("t", "storage", [{"name": "v", **row}]), Console(file=buf, width=200))
    assert "fabric drops" in buf.getvalue() and "in resync" not in buf.getvalue()


FABRIC_PATHS = ["storage.fabric.layout.racks", "storage.fabric.layout.hosts_per_rack", "storage.fabric.layout.topology",
                "storage.fabric.layout.spine.count", "storage.fabric.layout.leaf.ports", "storage.fabric.mtu",
                "storage.fabric.level", "storage.fabric.layout.switch.buffer.size", "storage.fabric.layout.host",
                "storage.fabric.layout.failures", "storage.fault_domains", "storage.hosts", "storage.flavor",
                "storage.host.nic.speed", "storage.fabric.layout", "storage.fabric"]
FABRIC_VALUES = ["0", "1", "2", "3", "4", "12", "-1", "1e9", "nan", "null", "x", "l2_stp", "fat_tree", "single_switch",
                 "three_tier", "flow", "packet", "1500", "9000", "48x25G+8x100G", "48x10G+4x40G", "1kB", "64MB",
                 "[{switch: spine0}]", "[{link: [leaf0, spine0]}]", "{nics: 2}", "{}", "stretched", "robo", "10Gbps",
                 "100Gbps"]


@settings(max_examples=int(os.environ.get("VNETSIM_FUZZ_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FABRIC_PATHS), st.sampled_from(FABRIC_VALUES)), min_size=1, max_size=3))
def test_hostile_fabric_values_give_a_result_or_one_line(assignments):
    overrides = [f"{p}={v}" for p, v in assignments] + ["options.duration=2ms", "storage.fabric.packets=2000"]
    result_or_one_line(EXAMPLE, overrides)


def test_same_scenario_and_seed_give_the_same_json_on_a_fabric():
    sc = scenario()
    from vnetsim.io.outputs import to_plain
    from vnetsim.storage.run import run_scenario

    assert json.dumps(to_plain(run_scenario(sc)), sort_keys=True) == json.dumps(to_plain(run_scenario(sc)),
                                                                                 sort_keys=True)


def test_a_fabric_bound_host_rebuild_costs_durability():
    """Two hosts per leaf behind one 25G uplink (2:1): host 0's rebuild is bound by the uplinks; the
    Markov chain again with the rebuild bandwidth divided by that stretch loses data more often
    (the repair delay and host repair unchanged); a non-blocking fabric adds no such entry."""
    from vnetsim.storage.run import run_scenario

    def row(leaf: str):
        sc = scenario(fabric={"layout": {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 4,
                                         "leaf": {"ports": leaf}, "spine": {"ports": "32x100G", "count": 1}},
                              "packets": 10000})
        from vnetsim.storage.config import Availability, Failure

        return run_scenario(sc.model_copy(update={"failures": [Failure(component="host", target="0")],
                                                  "availability": Availability(enabled=True)}))

    bound, free = row("48x25G+1x25G"), row("48x25G+8x100G")
    fb = bound["availability"]["fabric_bound"]
    assert fb["stretch"] == pytest.approx(bound["rebuild"]["fabric"]["resync"]["stretch"]) and fb["stretch"] > 1
    # only a host failed: every class takes the host's stretch, the host's own
    assert [fb["stretches"][c]["own"] for c in ("device", "host", "fault_domain")] == [False, True, False]
    assert all(fb["stretches"][c]["stretch"] == fb["stretch"] for c in ("device", "fault_domain"))
    spec = bound["availability"]["spec"]
    copy_s = spec["data_per_host_bytes"] * spec["rebuild_bytes_per_byte"] * 8 / spec["rebuild_bandwidth_bps"]
    assert fb["rebuild_s"]["host"] == pytest.approx(spec["repair_delay_s"] + copy_s * fb["stretch"])
    host_bound = bound["availability"]["markov"]["annual_loss_probability"]["value"]
    assert fb["markov"]["annual_loss_probability"]["value"] > host_bound
    assert not free["rebuild"]["fabric"]["resync"]["fabric_bound"] and "fabric_bound" not in free["availability"]


OVERSUBSCRIBED = {"layout": {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 4,
                             "leaf": {"ports": "48x25G+1x25G"}, "spine": {"ports": "32x100G", "count": 1}},
                  "packets": 10000}


def _with_failures(sc: StorageScenario, failures: list[dict]) -> StorageScenario:
    from vnetsim.storage.config import Failure

    return sc.model_copy(update={"failures": [Failure(**f) for f in failures]})


def test_every_resync_is_judged_on_the_fabric_as_in_its_own_run():
    """Host 0 away for 30 minutes (back before the repair delay: its stale components are resynced
    in place, all into host 0), then rack 1 away for 30 minutes (the same, into hosts 2 and 3),
    then a device of host 5 (its components rebuilt elsewhere at once): three resyncs that move
    other bytes between other hosts. Each is judged on the fabric from its own plan, and each gets
    exactly the figures of a run with that failure alone (the in-place resyncs leave the placement
    as it was)."""
    from vnetsim.storage.run import run_scenario

    base = scenario(fabric=OVERSUBSCRIBED)
    host = {"name": "host 0 away", "component": "host", "target": "0", "at": "0s", "recover": "30min"}
    rack = {"name": "rack 1 away", "component": "rack", "target": "1", "at": "12h", "recover": "12.5h"}
    device = {"name": "device 5.1", "component": "device", "target": "5.1", "at": "24h"}
    every = run_scenario(_with_failures(base, [device, rack, host]))["rebuild"]     # listed out of time order
    alone = [run_scenario(_with_failures(base, [f]))["rebuild"]["fabric"]["resyncs"][0] for f in (
        host, {**rack, "at": "0s", "recover": "30min"}, {**device, "at": "0s"})]
    got = every["fabric"]["resyncs"]
    assert every["fabric"]["resync"] == got[0]
    assert [r["name"] for r in got] == [o["name"] for o in every["outcomes"]] == ["host 0 away", "rack 1 away",
                                                                                   "device 5.1"]
    assert [r["kind"] for r in got] == ["host", "rack", "device"]
    assert [r["in_place"] for r in got] == [True, True, False]
    for mine, its_own in zip(got, alone):
        for key in ("stretch", "offered_bps", "host_bound_duration_s", "duration_s"):
            assert mine[key] == pytest.approx(its_own[key], rel=1e-12), key
        assert mine["bottleneck_link"] == its_own["bottleneck_link"]
    assert got[2]["reprotected_s"] == pytest.approx(alone[2]["reprotected_s"] + 86400)
    # different bytes between different hosts: different traffic, different stretches
    assert all(r["fabric_bound"] for r in got)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert abs(got[a]["offered_bps"] / got[b]["offered_bps"] - 1) > 0.05, (a, b)
        assert abs(got[a]["stretch"] / got[b]["stretch"] - 1) > 1e-4, (a, b)
    for r, o in zip(got, every["outcomes"]):
        assert r["duration_s"] == pytest.approx(o["resync_duration_s"] * r["stretch"])


def test_every_resync_has_its_own_packet_level_foreground():
    """The three resyncs above (host 0 and rack 1 back in place, then a device of host 5 rebuilt
    elsewhere), 100 ms of I/O: each resync entry has its own foreground latency, from its own
    packet-level fabric run. The first's is ``foreground_during_resync`` (and its fabric run
    ``fabric.during_resync``); each later one is exactly what a run with that failure alone gives
    as its ``foreground_during_resync``; the device's resync, which loads the leaf uplinks harder
    (twice the resync bytes, so leaf->spine links busier on average), gives the VMs a higher write
    p99 than either in-place one."""
    from vnetsim.storage.run import run_scenario

    base = scenario(fabric=OVERSUBSCRIBED)
    base = base.model_copy(update={"options": base.options.model_copy(update={"duration": 100e6})})
    host = {"name": "host 0 away", "component": "host", "target": "0", "at": "0s", "recover": "30min"}
    rack = {"name": "rack 1 away", "component": "rack", "target": "1", "at": "12h", "recover": "12.5h"}
    device = {"name": "device 5.1", "component": "device", "target": "5.1", "at": "24h"}
    rb = run_scenario(_with_failures(base, [host, rack, device]))["rebuild"]
    got = rb["fabric"]["resyncs"]
    assert got[0]["foreground_during"] == rb["foreground_during_resync"]
    during = rb["fabric"]["during_resync"]
    assert got[0]["foreground_fabric"] == {k: during[k] for k in got[0]["foreground_fabric"]}
    for e in got:
        assert e["foreground_fabric"]["level"] == "packet" and e["foreground_fabric"]["resync_bytes_per_s"] > 0
        assert e["foreground_during"]["groups"]["erp"]["writes"]["count"] > 1000
    for k, f in ((1, {**rack, "at": "0s", "recover": "30min"}), (2, {**device, "at": "0s"})):
        alone = run_scenario(_with_failures(base, [f]))["rebuild"]
        assert got[k]["foreground_during"] == alone["foreground_during_resync"], k
    uplinks = [e["foreground_fabric"]["links"]["tiers"]["leaf->spine"]["mean"] for e in got]
    p99 = [e["foreground_during"]["groups"]["erp"]["writes"]["p99"] for e in got]
    assert uplinks[2] > 1.3 * max(uplinks[:2])
    assert p99[2] > 1.5 * max(p99[:2])


def test_equal_resyncs_are_judged_once():
    """The same host away for 30 minutes three times: three equal resync patterns over an equal
    foreground: one flow-level fabric run for the foreground and one for the resync."""
    from vnetsim.storage.rebuild import simulate
    from vnetsim.storage.rebuildmap import FabricPhases, rebuild_spec

    sc = _with_failures(scenario(fabric=OVERSUBSCRIBED), [
        {"component": "host", "target": "2", "at": f"{d}h", "recover": f"{d}.5h"} for d in (0, 24, 48)])
    phases = FabricPhases(sc)
    res = simulate(rebuild_spec(sc, size_cluster(sc)), seed=sc.seed, io_duration_s=1e-3, prepare=phases.prepare)
    entries = phases.section(res, ["a", "b", "c"])["resyncs"]
    assert all(e is not None and e["stretch"] == entries[0]["stretch"] for e in entries)
    assert phases.fabric_runs == 2


def test_the_example_judges_each_resync_on_its_fabric():
    """examples/storage-on-fabric.yaml: host 0, then a device of host 7. Non-blocking: neither
    resync is bound by the fabric, the availability has no fabric-bound entry. 3:1: both are, by
    different stretches; the availability again by Markov and Monte Carlo with the device's and
    the host's own stretch (the racks borrow the host's), the Monte Carlo figures within their
    interval of the Markov ones."""
    rows = example_rows()
    nb, over = rows["non-blocking (3 spines)"], rows["3:1 (1 spine)"]
    for row in (nb, over):
        fab = row["rebuild"]["fabric"]
        assert len(fab["resyncs"]) == len(row["rebuild"]["outcomes"]) == 2 and fab["resync"] == fab["resyncs"][0]
        assert [r["kind"] for r in fab["resyncs"]] == ["host", "device"]
    assert all(not r["fabric_bound"] and r["stretch"] <= 1 for r in nb["rebuild"]["fabric"]["resyncs"])
    assert "fabric_bound" not in nb["availability"]
    host, device = over["rebuild"]["fabric"]["resyncs"]
    assert host["fabric_bound"] and device["fabric_bound"] and abs(host["stretch"] / device["stretch"] - 1) > 0.1
    for row in (nb, over):         # each resync with its own packet-level foreground, the first's unchanged
        first, later = row["rebuild"]["fabric"]["resyncs"]
        assert first["foreground_during"] == row["rebuild"]["foreground_during_resync"]
        assert later["foreground_during"]["groups"]["erp"]["writes"]["count"] > 0
        assert later["foreground_fabric"]["level"] == "packet"
    fb = over["availability"]["fabric_bound"]
    st_ = fb["stretches"]
    assert (st_["device"]["stretch"], st_["device"]["from"], st_["device"]["own"]) == (
        pytest.approx(device["stretch"]), "device 7.1 fails", True)
    assert (st_["host"]["stretch"], st_["host"]["own"]) == (pytest.approx(host["stretch"]), True)
    assert st_["fault_domain"] == {**st_["host"], "own": False}
    spec = fb["spec"]
    assert fb["rebuild_s"]["device"] == pytest.approx(
        over["availability"]["spec"]["data_per_host_bytes"] / spec["devices_per_host"]
        * spec["rebuild_bytes_per_byte"] * 8 / spec["rebuild_bandwidth_bps"] * device["stretch"])
    for method in ("markov", "montecarlo"):
        assert (fb[method]["annual_loss_probability"]["value"]
                >= over["availability"][method]["annual_loss_probability"]["value"])
    for figure in ("availability", "loss_rate_per_year", "annual_loss_probability"):
        mc = fb["montecarlo"][figure]
        assert mc["low"] <= fb["markov"][figure]["value"] <= mc["high"], figure
    assert fb["montecarlo"]["cluster_years"] == over["availability"]["montecarlo"]["cluster_years"]
    # the report's downtime figure: Markov with the rebuilds on the fabric beside the host-bound bars
    from vnetsim.storage.figures import downtime_figure

    fig = downtime_figure([nb, over])
    assert fig is not None
    on_fabric = next(x for x in fig.series if x.name == "Markov, rebuilds on the fabric")
    assert list(on_fabric.y) == [nb["availability"]["markov"]["downtime_s_per_year"]["value"],
                                 fb["markov"]["downtime_s_per_year"]["value"]]
    assert fig.table is not None and fig.table.columns[-1] == "annual loss probability, rebuilds on the fabric"


def test_a_resync_the_fabric_never_carries():
    """7,500 IOPS a VM on the 2:1 leaves: the foreground alone takes over 90 % of an uplink the
    resync needs: the resync never ends on the fabric, the fabric-bound availability is not
    computed and says why, the table says never."""
    import io

    from rich.console import Console

    from vnetsim.io.outputs import to_plain
    from vnetsim.results.result import Result
    from vnetsim.storage.config import Availability
    from vnetsim.storage.render import render_rows
    from vnetsim.storage.run import run_scenario

    sc = scenario(fabric=OVERSUBSCRIBED)
    sc = sc.model_copy(update={"availability": Availability(enabled=True), "workload": sc.workload.model_copy(
        update={"vm_groups": [sc.workload.vm_groups[0].model_copy(update={"iops": 7500.0})]})})
    row = run_scenario(_with_failures(sc, [{"component": "host", "target": "0"}]))
    (rs,) = row["rebuild"]["fabric"]["resyncs"]
    assert rs["stretch"] == float("inf") and rs["fabric_bound"] and rs["duration_s"] == float("inf")
    fb = row["availability"]["fabric_bound"]
    assert "never ends" in fb["not_computed"] and "markov" not in fb
    assert all(v["stretch"] == float("inf") for v in fb["stretches"].values())
    plain = to_plain(row)
    buf = io.StringIO()
    render_rows(Result("t", "storage", [{"name": "v", **plain}]), Console(file=buf, width=250))
    text = buf.getvalue()
    assert "never (the foreground fills" in text and "never / never / never" in text
