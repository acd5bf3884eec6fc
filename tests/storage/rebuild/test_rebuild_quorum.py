"""The quorum rule as truth tables: an object is accessible while more than half of its votes and one
copy's data (a full replica, or k fragments) survive."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vnetsim.storage.rebuild import WITNESS_HOST, accessible, object_set

# RAID-1 FTT=1: replica A, replica B, witness W (one vote each). Written out by hand.
FTT1_TABLE = {
    # (A, B, W) alive -> accessible
    (1, 1, 1): True,
    (1, 1, 0): True,     # two replicas: 2 of 3 votes
    (1, 0, 1): True,     # a replica and the witness
    (0, 1, 1): True,
    (1, 0, 0): False,    # one vote of three
    (0, 1, 0): False,
    (0, 0, 1): False,    # the witness alone holds no data
    (0, 0, 0): False,
}

# RAID-5 3+1: four fragments, one vote each: any three rebuild the data and hold 3 of 4 votes.
RAID5_TABLE = {alive: sum(alive) >= 3 for alive in itertools.product((0, 1), repeat=4)}


def _table(objs, alive_rows):
    return accessible(objs, np.array(alive_rows, bool))


def test_raid1_ftt1_truth_table():
    objs = object_set("raid1", 8, 1e9, [[0, 1, 2]], ftt=1)
    assert objs.hosts.shape[1] == 3 and list(objs.copy[0]) == [0, 0, -1] and objs.votes.sum(axis=1)[0] == 3
    rows = list(FTT1_TABLE)
    got = _table(object_set("raid1", len(rows), 1e9, [[0, 1, 2]], ftt=1), rows)
    assert list(got) == [FTT1_TABLE[r] for r in rows]


def test_raid1_ftt2_truth_table():
    """Three replicas and two witnesses: accessible with 3 of 5 votes and a replica among them."""
    rows = list(itertools.product((0, 1), repeat=5))
    objs = object_set("raid1", len(rows), 1e9, [[0, 1, 2, 3, 4]], ftt=2)
    assert list(objs.copy[0]) == [0, 0, 0, -1, -1]
    want = [sum(r) >= 3 and any(r[:3]) for r in rows]
    assert list(_table(objs, rows)) == want
    # FTT=2 survives any two failures, not every three
    assert all(w for r, w in zip(rows, want) if sum(r) >= 3)
    assert not all(w for r, w in zip(rows, want) if sum(r) == 2)


def test_raid5_truth_table():
    rows = list(RAID5_TABLE)
    objs = object_set("ec", len(rows), 3e9, [[0, 1, 2, 3]], data_fragments=3, parity_fragments=1)
    assert list(_table(objs, rows)) == [RAID5_TABLE[r] for r in rows]


def test_raid6_survives_two_failures_not_three():
    rows = list(itertools.product((0, 1), repeat=6))
    objs = object_set("ec", len(rows), 4e9, [list(range(6))], data_fragments=4, parity_fragments=2)
    assert list(_table(objs, rows)) == [sum(r) >= 4 for r in rows]


def test_stretched_object_survives_a_site_with_the_witness():
    """Site mirroring, RAID-1 FTT=1 in each site: 3 voters per site plus the witness site's vote."""
    objs = object_set("raid1", 4, 1e9, [[0, 1, 2], [3, 4, 5]], ftt=1)
    assert objs.hosts[0, -1] == WITNESS_HOST and objs.votes.sum(axis=1)[0] == 7
    site_a = [1, 1, 1, 0, 0, 0, 1]          # site B down
    both_sites_no_witness = [1, 1, 1, 1, 1, 1, 0]
    site_a_without_witness = [1, 1, 1, 0, 0, 0, 0]
    one_replica_each = [1, 0, 0, 1, 0, 0, 0]
    got = _table(objs, [site_a, both_sites_no_witness, site_a_without_witness, one_replica_each])
    assert list(got) == [True, True, False, False]


@pytest.mark.parametrize("witness_on_appliance", [True, False])
def test_two_node_witness_placement(witness_on_appliance):
    objs = object_set("raid1", 2, 1e9, [[0, 1]] if witness_on_appliance else [[0, 1, 2]], ftt=1,
                      witness_on_appliance=witness_on_appliance)
    assert (objs.hosts[:, 2] == WITNESS_HOST).all() == witness_on_appliance
    assert set(objs.hosts[0, :2]) <= {0, 1, 2} and objs.hosts[0, 0] != objs.hosts[0, 1]


def test_spread_placement_keeps_components_in_distinct_racks():
    rack_of = {h: h // 2 for h in range(8)}
    objs = object_set("raid1", 500, 1e9, [list(range(8))], ftt=1, rack_of_host=rack_of)
    racks = objs.hosts // 2
    assert all(len(set(r)) == 3 for r in racks.tolist())
    counts = np.bincount(objs.hosts.ravel(), minlength=8)
    assert counts.min() > 0.7 * counts.mean()                # spread, not piled on a few hosts
    with pytest.raises(Exception, match="fault domains"):
        object_set("raid1", 5, 1e9, [list(range(6))], ftt=2, rack_of_host={h: h // 2 for h in range(6)})
