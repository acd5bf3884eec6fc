"""Objects to components: the 255 GB split, stripes, witnesses, votes, and the limits."""

from __future__ import annotations

from vnetsim.storage.components import (
    HOST_COMPONENT_LIMIT,
    MAX_COMPONENT_BYTES,
    WITNESS_COMPONENT_LIMIT,
    GroupObjects,
    chunks,
    count_components,
    object_components,
)
from vnetsim.storage.policy import layout_for


def test_objects_over_255gb_split_into_more_components():
    """VCAT 6.2 / Dell VxRail guide: an object is split into more components when it is larger than
    255 GB or striped (stripe width); FTT multiplies them."""
    assert chunks(MAX_COMPONENT_BYTES) == 1
    assert chunks(MAX_COMPONENT_BYTES + 1) == 2
    assert chunks(10e9, stripe_width=3) == 3
    oc = object_components(600 * 2**30, layout_for("raid1", 1, "osa"))
    assert (oc.data, oc.site_witnesses, oc.witness_site) == (6, 1, 0)   # 3 chunks x 2 replicas + 1 witness


def test_raid1_votes_are_2ftt_plus_1_and_quorum_is_a_majority():
    """An RAID-1 object of FTT n has n+1 replicas and n witnesses: 2n+1 votes, accessible with n+1."""
    for ftt in (1, 2, 3):
        oc = object_components(100e9, layout_for("raid1", ftt, "osa"))
        assert oc.votes == 2 * ftt + 1 and oc.quorum == ftt + 1


def test_erasure_code_fragments_and_stretched_witness():
    oc = object_components(100e9, layout_for("raid6", 2, "osa"))
    assert (oc.data, oc.site_witnesses, oc.witness_site) == (6, 0, 0)
    # a 1.2 TB disk at RAID-5 3+1: each fragment 400 GB -> 2 chunks -> 8 components
    assert object_components(1.2e12, layout_for("raid5", 1, "osa")).data == 8
    s = object_components(100e9, layout_for("raid1", 1, "osa", 3, site_mirroring=True))
    assert (s.data, s.site_witnesses, s.witness_site) == (4, 2, 1)


def test_esa_adds_a_raid1_performance_leg():
    """ESA keeps a RAID-1 performance leg of FTT+1 copies beside the capacity leg."""
    osa = object_components(100e9, layout_for("raid5", 1, "osa"))
    esa = object_components(100e9, layout_for("raid5", 1, "esa", 6))
    assert osa.data == 4 and esa.data == 5 + 2


def test_counts_per_host_and_limits():
    """Broadcom KB 438233: 9,000 components per host (OSA), 27,000 (ESA); witness appliance sizes."""
    lay = layout_for("raid1", 1, "osa")
    g = GroupObjects("vm", 100, 100e9, 2, 8e9, lay)
    c = count_components([g], 4, "osa", None)
    # per VM: 2 disks + namespace + swap = 4 objects of 2 data + 1 witness
    assert c.objects == 400 and c.data == 800 and c.site_witnesses == 400 and c.witness == 0
    assert c.per_host == 300 and c.host_limit == HOST_COMPONENT_LIMIT["osa"] == 9000 and c.fits_hosts
    robo = count_components([g], 2, "osa", WITNESS_COMPONENT_LIMIT["tiny"], robo=True)
    assert robo.witness == 400 and robo.site_witnesses == 0 and robo.fits_witness
    big = count_components([GroupObjects("vm", 300, 100e9, 2, 8e9, lay)], 2, "osa", 750, robo=True)
    assert big.witness == 1200 and not big.fits_witness


def test_two_node_witness_sits_on_the_appliance_and_either_site_plus_witness_keeps_quorum():
    """Two-node: 2 replicas + the witness on the appliance; stretched: losing a whole site (its copy
    and its witnesses) leaves exactly a majority with the other site and the witness site."""
    robo = object_components(100e9, layout_for("raid1", 1, "osa"), witness_on_appliance=True)
    assert (robo.data, robo.site_witnesses, robo.witness_site) == (2, 0, 1)
    assert robo.votes - 1 >= robo.quorum                   # one host lost: 1 replica + witness remain
    for ftt in (0, 1, 2):
        lay = layout_for("raid1", ftt, "osa", 5, site_mirroring=True)
        oc = object_components(600e9, lay)
        one_site = (oc.data + oc.site_witnesses) // 2
        assert oc.votes - one_site >= oc.quorum, ftt
