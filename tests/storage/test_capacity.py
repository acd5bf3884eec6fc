"""Capacity arithmetic against the vendors' published rules and examples (sources in each docstring)."""

from __future__ import annotations

import pytest

from vnetsim.storage.capacity import Demand, Rules, capacity, resolve_reserve
from vnetsim.storage.policy import layout_for

GB = 1e9


@pytest.mark.parametrize("raid, ftt, arch, hosts, consumed_gb", [
    ("raid1", 1, "osa", 4, 200.0), ("raid1", 2, "osa", 6, 300.0), ("raid1", 3, "osa", 8, 400.0),
    ("raid5", 1, "osa", 4, 400 / 3), ("raid6", 2, "osa", 6, 150.0),
    ("raid5", 1, "esa", 4, 150.0), ("raid5", 1, "esa", 6, 125.0), ("raid6", 2, "esa", 6, 150.0)])
def test_a_100gb_disk_consumes_what_the_vendor_says(raid, ftt, arch, hosts, consumed_gb):
    """vSAN 8.0 docs, "Planning Capacity in vSAN" (GUID-AD408FA8): a 100 GB disk takes 200 GB at
    RAID-1 FTT=1, 300 GB at FTT=2, 400 GB at FTT=3, 133.33 GB at RAID-5 and 150 GB at RAID-6;
    yellow-bricks.com 2022-11-15: ESA RAID-5 takes 150 GB (2+1, 3-5 hosts) or 125 GB (4+1, 6+ hosts)."""
    lay = layout_for(raid, ftt, arch, hosts)
    assert Demand("vm", 100 * GB, 1.0, float(lay.multiplier)).raw_bytes == pytest.approx(consumed_gb * GB, rel=1e-12)


def test_slack_space_keeps_thirty_percent_of_raw_free():
    """VMware blog "vSAN capacity: slack space" (2017-09-07): keep 25-30 % of raw capacity free;
    the model's default is 30 %. 4 hosts x 10 TB = 40 TB raw -> 28 TB free -> 14 TB at RAID-1 FTT=1."""
    cap = capacity(10e12, 4, Rules("slack", slack=0.30), 2.0)
    assert cap.slack_bytes == pytest.approx(12e12)
    assert cap.free_raw_bytes == pytest.approx(28e12)
    assert cap.usable_bytes == pytest.approx(14e12)


def test_host_rebuild_reserve_is_the_largest_host_and_operations_reserve_has_a_5_percent_buffer():
    """vSAN 7.0 docs, "About Reserved Capacity" (GUID-CD510EAE): the capacity a host failure needs
    is the total capacity of the largest host; enabling the operations reserve adds a 5 % buffer."""
    cap = capacity(10e12, 8, Rules("reserved", operations_reserve=0.10, operations_buffer=0.05), 1.25)
    assert cap.host_rebuild_reserve_bytes == pytest.approx(10e12)          # one of 8 hosts
    assert cap.operations_reserve_bytes == pytest.approx(0.15 * 80e12)
    assert cap.free_raw_bytes == pytest.approx(80e12 - 10e12 - 12e12)
    assert cap.usable_bytes == pytest.approx((80e12 - 22e12) / 1.25)


def test_dedupe_ratio_and_its_metadata_overhead():
    """vSAN 6.5 docs (GUID-2285B446): deduplication and compression take about 5 % of raw capacity
    for metadata; VMC docs (GUID-A362C4D6) plan with a 1.5x ratio on all-flash."""
    assert Rules("none", dedupe_ratio=1.5).resolved("single", 0, "esa").metadata_share == 0     # ESA: no dedupe store
    cap = capacity(10e12, 4, Rules("none", dedupe_ratio=1.5, dedupe_metadata=0.05), 2.0,
                   [Demand("vm", 10e12, 1.0, 2.0)])
    assert cap.dedupe_metadata_bytes == pytest.approx(2e12)
    assert cap.free_raw_bytes == pytest.approx(38e12)
    assert cap.usable_bytes == pytest.approx(38e12 * 1.5 / 2)
    assert cap.required_raw_bytes == pytest.approx(20e12 / 1.5)


def test_thin_disks_take_what_is_written_or_what_is_reserved():
    d = Demand("vm", 1e12, max(0.3, 0.5), 2.0)          # 30 % written, 50 % object space reservation
    assert d.raw_bytes == pytest.approx(1e12)


def test_reserve_mechanism_applies_to_single_sites_without_fault_domains_only():
    """core.vmware.com, "Understanding Reserved Capacity Concepts in vSAN" (2022-02-18): stretched,
    two-node and fault-domain clusters cannot use the reserve; size free space the old (slack) way."""
    assert resolve_reserve("auto", "single", 0) == "reserved"
    assert resolve_reserve("auto", "single", 4) == "slack"
    assert resolve_reserve("auto", "robo", 0) == "slack"
    assert resolve_reserve("auto", "stretched", 0) == "slack"
    assert resolve_reserve("none", "stretched", 0) == "none"


def test_fits_and_utilization():
    cap = capacity(1e12, 4, Rules("slack"), 2.0, [Demand("a", 1e12, 1.0, 2.0)])
    assert cap.utilization == pytest.approx(2e12 / 2.8e12) and cap.fits
    cap = capacity(1e12, 4, Rules("slack"), 2.0, [Demand("a", 1.5e12, 1.0, 2.0)])
    assert not cap.fits
