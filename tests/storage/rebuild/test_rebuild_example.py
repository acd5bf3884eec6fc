"""examples/stretched-site-failure.yaml: a site fails at t = 10 min. What the VMs see (the stall, then
writes that no longer wait for the other site) and what resyncs (nothing while the site is away,
then what was written meanwhile, across the inter-site link). Figures are checked against the
scenario's own inputs, not against themselves."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import vnetsim
from vnetsim.storage.rebuild import simulate
from vnetsim.storage.rebuildmap import rebuild_spec
from vnetsim.storage.sizing import size_cluster

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "stretched-site-failure.yaml"


@functools.cache
def rows():
    return {r["name"]: r for r in vnetsim.run(str(EXAMPLE)).variants}


@functools.cache
def models():
    _, _, variants = vnetsim.load(str(EXAMPLE))
    return {v.name: v.model for v in variants}


def test_site_failure_keeps_every_object_and_resyncs_what_was_written():
    r = rows()["site back after 4 h"]
    sc = models()["site back after 4 h"]
    o = r["rebuild"]["outcomes"][0]
    assert o["semantics"] == "absent" and o["objects_inaccessible"] == 0 and o["io_stall_s"] == 6.0
    assert o["rebuild_start_s"] == pytest.approx(250 * 60)             # nothing until site b is back
    away_s = (250 - 10) * 60
    # each of site b's replicas missed the writes to its object while away (or is rewritten whole)
    writes_bytes_per_s = sum(g.vms * g.iops * (1 - g.read_fraction) * g.block_size for g in sc.workload.vm_groups)
    replicas = sc.storage.policy.ftt + 1
    per_disk = [(g.disk * g.used, g.vms * g.iops * (1 - g.read_fraction) * g.block_size / (g.vms * g.disks))
                for g in sc.workload.vm_groups for _ in range(g.vms * g.disks)]
    stale = replicas * sum(min(size, rate * away_s) for size, rate in per_disk)
    assert o["resync_bytes"] == pytest.approx(stale, rel=1e-9) and o["resync_bytes"] < replicas * writes_bytes_per_s \
        * away_s * 1.0001
    assert o["inter_site_bytes"] == pytest.approx(o["resync_bytes"])   # every source is in site a
    link_bps = sc.storage.sites.link
    assert o["resync_duration_s"] == pytest.approx(o["resync_bytes"] * 8 / link_bps, rel=1e-9)
    assert o["reprotected_s"] == pytest.approx(o["rebuild_start_s"] + o["resync_duration_s"])
    events = [e["event"] for e in r["rebuild"]["timeline"]]
    assert any("cannot be re-protected" in e for e in events)           # no site b host to rebuild on
    assert r["rebuild"]["timeline"][-1]["unprotected_objects"] == 0


def test_site_lost_for_good_runs_unprotected():
    o = rows()["site lost for good"]["rebuild"]["outcomes"][0]
    assert o["objects_inaccessible"] == 0 and o["reprotected_s"] in (None, float("inf"))
    assert o["reprotect_impossible_objects"] == o["objects_affected"] > 0


def test_what_the_vms_see_after_the_site_failure():
    """Before: every write waits for the other site's replicas (the inter-site round trip). After:
    writes go to site a's replicas only, so they are faster by at least that round trip.

    Reads never leave their site, before or after, but they can change host: a VM of site b restarts
    on a host of site a, where its object's replica may be on another host (the read now pays the
    host round trip: the sender's and the receiver's host data path, by default the host kind's, and
    the fabric hops) or on the new host itself (the read loses its network part). So a read's
    latency is not "about the same" after the failure; what must hold is exact: a read is one leg,
    so its mean latency moves by exactly what its network stages (NIC queue, fixed network delay)
    moved, its device part is the same device law (within 4 standard errors of two independent
    means of lognormal service of SCV 0.25, the example's NVMe devices), and its network part is at
    most one host round trip, never the inter-site one."""
    sc = models()["site back after 4 h"]
    spec = rebuild_spec(sc, size_cluster(sc))
    res = simulate(spec, seed=sc.seed, io_duration_s=0.3)
    before, after = res.foreground_before, res.foreground_after_failure
    assert before is not None and after is not None and spec.foreground is not None
    net = spec.foreground.network
    assert net.host_rx_ns != 5000.0                       # the host data path is the host kind's (the default)
    rtt_ns = before.groups[0].write_stages_ns["network"]
    block = max(g.block_size for g in sc.workload.vm_groups)
    host_round_trip_ns = 2 * (net.host_tx_ns + net.hops_other_rack * net.hop_ns + net.host_rx_ns) \
        + (block + net.header_bytes) * 8e9 / net.nic_bps
    moved = 0
    for b, a in zip(before.groups, after.groups):
        assert a.writes.p50 < b.writes.p50
        assert a.write_stages_ns["inter_site"] == 0 and b.write_stages_ns["network"] > a.write_stages_ns["network"]
        rb, ra = b.read_stages_ns, a.read_stages_ns
        assert rb["inter_site"] == ra["inter_site"] == 0                  # reads stay in their site
        assert max(rb["network"], ra["network"]) <= host_round_trip_ns * (1 + 1e-9) < rtt_ns
        d_network = (ra["nic"] + ra["network"]) - (rb["nic"] + rb["network"])
        assert a.reads.mean - b.reads.mean == pytest.approx(d_network + (ra["device_wait"] - rb["device_wait"])
                                                            + (ra["device_service"] - rb["device_service"]),
                                                            abs=1e-6 * b.reads.mean)
        se = rb["device_service"] * 0.5 * (1 / b.reads.count + 1 / a.reads.count) ** 0.5   # sqrt(SCV) = 0.5
        assert abs(ra["device_service"] - rb["device_service"]) <= 4 * se
        moved += abs(d_network) > 0.5 * host_round_trip_ns
    assert moved > 0                                      # some VMs' reads did change host
    assert rtt_ns > 0
    assert after.conservation.failed == 0                 # site a's copy serves every object


def test_inter_site_link_cut_keeps_the_preferred_site():
    o = rows()["inter-site link cut"]["rebuild"]["outcomes"][0]
    assert o["event"]["kind"] == "inter_site_link" and o["objects_inaccessible"] == 0
    assert 0 < o["resync_bytes"] < rows()["site back after 4 h"]["rebuild"]["outcomes"][0]["resync_bytes"]
