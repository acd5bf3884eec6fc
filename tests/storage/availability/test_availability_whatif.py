"""The what-if table: the vendor's rules for RAID-1 and erasure codes, and agreement with the
accessibility rule the Markov chain uses."""

from __future__ import annotations

import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.availability import AvailabilitySpec, what_if
from vnetsim.storage.availability.chain import X, accessible, rates_of


def _only(rows, placement="spread over fault domains"):
    return next(r for r in rows if r.placement == placement)


def test_raid1_ftt1_on_16_hosts():
    spec = AvailabilitySpec(hosts=16)
    one = _only(what_if(spec, failed_hosts=1))
    assert one.accessible and one.reprotectable and one.data_at_risk and one.remaining_tolerance == 0
    none = _only(what_if(spec, failed_hosts=0))
    assert none.accessible and not none.data_at_risk and none.remaining_tolerance == 1
    two = _only(what_if(spec, failed_hosts=2))
    assert not two.accessible and not two.reprotectable and two.data_at_risk


def test_racks_absorb_hosts_of_one_rack():
    spec = AvailabilitySpec(hosts=16, hosts_per_fault_domain=4)
    rows = what_if(spec, failed_hosts=4)
    packed = _only(rows, "packed into fewest fault domains")
    assert packed.failed_fault_domains == (1,) and packed.accessible and packed.reprotectable
    assert not _only(rows).accessible


def test_three_hosts_cannot_reprotect_and_raid6_needs_spares():
    assert not _only(what_if(AvailabilitySpec(hosts=3), failed_hosts=1)).reprotectable
    assert _only(what_if(AvailabilitySpec(hosts=4), failed_hosts=1)).reprotectable
    raid6 = AvailabilitySpec(hosts=6, data_fragments=4, parity_fragments=2)
    row = _only(what_if(raid6, failed_hosts=2))
    assert row.accessible and not row.reprotectable and row.remaining_tolerance == 0
    assert _only(what_if(AvailabilitySpec(hosts=8, data_fragments=4, parity_fragments=2), failed_hosts=2)).reprotectable


def test_two_node_cluster_rides_on_its_witness():
    robo = AvailabilitySpec(hosts=2, witness=True)
    row = _only(what_if(robo, failed_hosts=1))
    assert row.accessible and not row.reprotectable and row.data_at_risk
    assert not _only(what_if(robo, failed_hosts=2)).accessible


def test_stretched_survives_a_whole_site():
    spec = AvailabilitySpec(hosts=12, sites=2, site_mirroring=True, witness=True)
    rows = {r.placement: r for r in what_if(spec, failed_hosts=6)}
    site = rows["one site, spread over fault domains"]
    assert site.accessible and site.data_at_risk and site.remaining_tolerance == 0
    both = rows["both sites, spread over fault domains"]
    assert not both.accessible
    two = {r.placement: r for r in what_if(spec, failed_hosts=2)}["both sites, spread over fault domains"]
    assert two.accessible and two.remaining_tolerance == 1         # the witness, or one more host


@pytest.mark.parametrize("spec", [AvailabilitySpec(hosts=16), AvailabilitySpec(hosts=8, data_fragments=4,
                                  parity_fragments=2), AvailabilitySpec(hosts=2, witness=True),
                                  AvailabilitySpec(hosts=12, sites=2, site_mirroring=True, witness=True)])
def test_what_if_agrees_with_the_chains_accessibility_rule(spec):
    r = rates_of(spec)
    for n in range(spec.hosts + 1):
        for row in what_if(spec, failed_hosts=n):
            sites = tuple((0, k, 0) if k <= spec.tolerance else X for k in row.failed_fault_domains)
            assert row.accessible == accessible(r, sites, True), (n, row)


def test_more_failed_hosts_than_hosts_is_a_model_error():
    with pytest.raises(ModelError) as err:
        what_if(AvailabilitySpec(hosts=4), failed_hosts=5)
    assert err.value.field == "failed_hosts"
