"""Policies become specs with the right fragments, sites and witness; more protection, more nines."""

from __future__ import annotations

import pytest

from vnetsim.storage.availability import evaluate, spec_for_layout
from vnetsim.storage.policy import layout_for


@pytest.mark.parametrize("raid,ftt,arch,hosts,k,m,width", [
    ("raid1", 1, "esa", 4, 1, 1, 3), ("raid1", 2, "osa", 6, 1, 2, 5), ("raid1", 3, "osa", 8, 1, 3, 7),
    ("raid5", 1, "osa", 4, 3, 1, 4), ("raid6", 2, "osa", 6, 4, 2, 6),
    ("raid5", 1, "esa", 3, 2, 1, 3), ("raid5", 1, "esa", 6, 4, 1, 5),
])
def test_policy_layouts_map_onto_fragments(raid, ftt, arch, hosts, k, m, width):
    spec = spec_for_layout(layout_for(raid, ftt, arch, hosts_per_site=hosts), hosts)
    assert (spec.data_fragments, spec.parity_fragments, spec.width, spec.sites) == (k, m, width, 1)


def test_two_node_and_stretched_get_their_witness():
    robo = spec_for_layout(layout_for("raid1", 1, "esa", hosts_per_site=2), 2)
    assert robo.witness and robo.width == 2
    stretched = spec_for_layout(layout_for("raid1", 1, "esa", hosts_per_site=4, site_mirroring=True), 8,
                                site_rate_per_year=0.1)
    assert stretched.sites == 2 and stretched.site_mirroring and stretched.witness
    assert evaluate(stretched).nines.value > evaluate(robo).nines.value


def test_ftt_buys_nines_and_durability():
    r = [evaluate(spec_for_layout(layout_for("raid1", f, "osa", hosts_per_site=8), 8)) for f in (1, 2, 3)]
    assert r[0].nines.value < r[1].nines.value < r[2].nines.value
    assert r[0].mttdl_years.value < r[1].mttdl_years.value < r[2].mttdl_years.value
