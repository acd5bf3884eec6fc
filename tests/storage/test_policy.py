"""Policy layouts against the vendors' published tables (sources in each docstring)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.policy import check_fault_domains, layout_for


@pytest.mark.parametrize("ftt, copies, hosts", [(0, 1, 1), (1, 2, 3), (2, 3, 5), (3, 4, 7)])
def test_raid1_copies_and_minimum_hosts(ftt, copies, hosts):
    """vSAN 8.0 docs, "Using vSAN Policies" / "Planning Capacity" (GUID-AD408FA8, GUID-57575456):
    RAID-1 with FTT=n keeps n+1 copies (overhead (n+1)x) and needs 2n+1 hosts."""
    lay = layout_for("raid1", ftt, "osa")
    assert lay.replicas == copies and lay.multiplier == copies
    assert lay.min_fault_domains == hosts
    assert lay.witnesses_per_site == ftt          # n+1 copies + n witnesses = 2n+1 voters
    assert lay.recommended_fault_domains == hosts + 1


def test_osa_erasure_codes():
    """vSAN 8.0 docs (GUID-AD408FA8): OSA RAID-5 is 3+1 on 4 hosts at 1.33x, RAID-6 4+2 on 6 hosts at 1.5x."""
    r5, r6 = layout_for("raid5", 1, "osa", 8), layout_for("raid6", 2, "osa", 8)
    assert (r5.data_fragments, r5.parity_fragments, r5.min_fault_domains) == (3, 1, 4)
    assert r5.multiplier == Fraction(4, 3)
    assert (r6.data_fragments, r6.parity_fragments, r6.min_fault_domains) == (4, 2, 6)
    assert r6.multiplier == Fraction(3, 2)


@pytest.mark.parametrize("hosts, k, mult, need", [(3, 2, Fraction(3, 2), 3), (5, 2, Fraction(3, 2), 3),
                                                  (6, 4, Fraction(5, 4), 6), (20, 4, Fraction(5, 4), 6)])
def test_esa_adaptive_raid5(hosts, k, mult, need):
    """yellow-bricks.com 2022-11-15 (ESA adaptive RAID-5): 2+1 at 1.5x on 3-5 hosts, 4+1 at 1.25x from 6."""
    lay = layout_for("raid5", 1, "esa", hosts)
    assert (lay.data_fragments, lay.parity_fragments) == (k, 1)
    assert lay.multiplier == mult and lay.min_fault_domains == need


def test_stretched_site_mirroring_doubles_the_in_site_policy():
    """Stretched clusters mirror across the two sites, times the in-site policy (vSAN stretched cluster guide)."""
    lay = layout_for("raid5", 1, "esa", 6, site_mirroring=True)
    assert lay.multiplier == Fraction(5, 2) and lay.sites == 2 and lay.label == "2 sites x RAID-5 (4+1)"
    assert layout_for("raid1", 1, "esa", 3, site_mirroring=True).multiplier == 4


def test_policy_errors_are_one_line():
    with pytest.raises(ModelError, match="tolerates exactly 1 failure"):
        layout_for("raid5", 2)
    with pytest.raises(ModelError, match="0 to 3"):
        layout_for("raid1", 4)
    with pytest.raises(ModelError, match="unknown RAID"):
        layout_for("raid10", 1)
    with pytest.raises(ModelError, match="needs at least 6 data fault domains, got 5"):
        check_fault_domains(layout_for("raid6", 2, "esa", 5), 5)
    with pytest.raises(ModelError, match="needs at least 3 data fault domains, got 2"):
        check_fault_domains(layout_for("raid1", 1), 2)


def test_two_node_witness_counts_as_the_third_fault_domain():
    """A two-node cluster: 2 data hosts + a witness host hold RAID-1 FTT=1 (2 copies + 1 witness)."""
    check_fault_domains(layout_for("raid1", 1), 2, witness_fault_domain=True)
    with pytest.raises(ModelError, match="besides the witness"):
        check_fault_domains(layout_for("raid1", 2), 2, witness_fault_domain=True)
