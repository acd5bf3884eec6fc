"""The scenario mapped onto the availability model: the spec's numbers, and the row it gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import vnetsim
from vnetsim.storage.availability import AvailabilitySpec, evaluate
from vnetsim.storage.config import StorageScenario
from vnetsim.storage.reliability import availability_spec, host_resync_bps
from vnetsim.storage.sizing import size_cluster

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-site-flavors.yaml"
BASE = {"storage": {"flavor": "single", "hosts": 6, "host": {"devices": "4x3.84TB-nvme"}, "policy": {"raid": "raid6"}},
        "workload": {"vm_groups": [{"name": "db", "vms": 20, "disk": "500GB"}]}}


def spec_of(doc: dict) -> AvailabilitySpec:
    sc = StorageScenario.model_validate(doc)
    return availability_spec(sc, size_cluster(sc))


def with_storage(**kw) -> dict:
    return {**BASE, "storage": {**BASE["storage"], **kw}}


def test_single_site_erasure_code():
    s = spec_of(BASE)
    assert (s.hosts, s.sites, s.data_fragments, s.parity_fragments, s.witness) == (6, 1, 4, 2, False)
    assert s.devices_per_host == 4 and s.device_afr == 0.008 and s.host_afr == 0.04
    assert s.data_per_host_bytes == pytest.approx(20 * 500e9 * 1.5 / 6)
    # five other hosts each give min(25 Gb/s NIC, 4 x 8 Gb/s devices)
    assert s.rebuild_bandwidth_bps == pytest.approx(5 * 25e9)


def test_two_node_and_stretched():
    robo = spec_of(with_storage(flavor="robo", hosts=2, policy={"raid": "raid1"}))
    assert (robo.hosts, robo.sites, robo.data_fragments, robo.parity_fragments, robo.witness) == (2, 1, 1, 1, True)
    st = spec_of(with_storage(flavor="stretched", hosts=3, policy={"raid": "raid1"}, sites={"link": "25Gbps"}))
    assert (st.hosts, st.sites, st.site_mirroring, st.witness, st.parity_fragments) == (6, 2, True, True, 1)
    assert st.intersite_bandwidth_bps == 25e9


def test_racks_and_throttle():
    s = spec_of(with_storage(hosts=12, fault_domains=6, rebuild={"throttle": "512Mbps"}))
    assert s.hosts_per_fault_domain == 2
    sc = StorageScenario.model_validate(with_storage(rebuild={"throttle": "512Mbps"}))
    assert host_resync_bps(sc) == 512e6


def test_row_carries_the_models_result(tmp_path):
    path = tmp_path / "s.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"kind": "storage", **BASE}))
    row = vnetsim.run(str(path)).variants[0]
    direct = evaluate(spec_of(BASE)).to_dict()
    assert row["availability"]["markov"]["nines"] == direct["nines"]
    assert [r["failed_hosts"] for r in row["availability"]["what_if"]][:1] == [1]


def test_stretched_rides_through_site_outages_the_others_do_not():
    """The blueprint's claim, in the example: a site-wide outage takes a ROBO or single-site cluster
    down for its whole repair; the stretched cluster keeps serving from the other site."""
    rows = {r["name"]: r for r in vnetsim.run(str(EXAMPLE)).variants}
    site_downtime_s = 0.2 * 8 * 3600          # the example's site events x their repair time
    for name in ("robo", "single site"):
        assert rows[name]["availability"]["markov"]["downtime_s_per_year"]["value"] >= site_downtime_s
    assert rows["stretched"]["availability"]["markov"]["downtime_s_per_year"]["value"] < site_downtime_s / 100


def test_example_monte_carlo_agrees_with_markov():
    """Where both methods apply, the Markov figure lies within the simulation's interval (the
    example's seed; tested at 99.9 %: three comparisons)."""
    for row in vnetsim.run(str(EXAMPLE)).variants:
        markov = row["availability"]["markov"]["downtime_s_per_year"]["value"]
        mc = row["availability"]["montecarlo"]["downtime_s_per_year"]
        se = (mc["high"] - mc["low"]) / (2 * 1.96)
        assert abs(mc["value"] - markov) <= 3.29 * se, row["name"]
        assert row["availability"]["montecarlo"]["cluster_years"] >= 2e5


@pytest.mark.parametrize("raid, ftt, arch, f, share", [
    ("raid1", 1, "osa", 4, 1 / 6), ("raid1", 2, "osa", 5, 1 / 10), ("raid1", 0, "osa", 4, 1 / 4),
    ("raid5", 1, "osa", 4, 1.0), ("raid6", 2, "osa", 8, 10 / 28), ("raid5", 1, "esa", 4, 0.5)])
def test_lost_share_closed_form_and_a_random_placement(raid, ftt, arch, f, share):
    """The share of objects a minimal loss event destroys, against the closed form and against
    objects placed at random (binomial interval)."""
    import numpy as np

    from vnetsim.storage.policy import layout_for
    from vnetsim.storage.reliability import lost_fraction

    lay = layout_for(raid, ftt, arch, f)
    assert lost_fraction(lay, f) == pytest.approx(share)
    rng = np.random.default_rng(1)
    width = lay.replicas if lay.mirrored else lay.data_fragments + lay.parity_fragments
    need = lay.replicas if lay.mirrored else lay.parity_fragments + 1
    failed = set(range(need))                                  # the first m+1 (or n+1) fault domains
    n = 20_000
    hits = sum(len(failed & set(rng.choice(f, width, replace=False))) >= need for _ in range(n))
    sd = (share * (1 - share) / n) ** 0.5
    assert abs(hits / n - share) <= 4 * sd + 1e-12


def test_expected_data_lost_per_year_in_the_row():
    row = {r["name"]: r for r in vnetsim.run(str(EXAMPLE)).variants}["single site"]
    risk = row["availability"]["data_at_risk"]
    assert risk["lost_share_per_event"] == pytest.approx(0.5)          # ESA 2+1 on 4 hosts
    assert risk["bytes_lost_per_event"] == pytest.approx(0.5 * row["capacity"]["required_logical_bytes"])
    assert risk["expected_bytes_lost_per_year"] == pytest.approx(
        risk["bytes_lost_per_event"] * row["availability"]["markov"]["loss_rate_per_year"]["value"])
