"""The planner's solved answer against a brute-force search with the full capacity and component models."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.errors import ModelError
from vnetsim.storage.capacity import Rules
from vnetsim.storage.planner import FLAVOR_HOSTS, PlanRequest, check_fits, plan, request_from_options

POLICIES = [("raid1", 0), ("raid1", 1), ("raid1", 2), ("raid1", 3), ("raid5", 1), ("raid6", 2)]


def brute_force(req: PlanRequest) -> int | None:
    lo, hi = FLAVOR_HOSTS[req.flavor]
    for n in range(lo, hi + 1):
        if check_fits(req, n):
            return n
    return None


@settings(max_examples=300, deadline=None)
@given(vms=st.integers(1, 3000), disk_gb=st.integers(10, 4000), policy=st.sampled_from(POLICIES),
       arch=st.sampled_from(["osa", "esa"]), flavor=st.sampled_from(["robo", "single", "stretched"]),
       host_tb=st.floats(1.0, 200.0), reserve=st.sampled_from(["auto", "slack", "reserved", "none"]),
       dedupe=st.sampled_from([1.0, 1.5, 2.0]), memory_gb=st.sampled_from([0, 16, 512]),
       stripe=st.integers(1, 4))
def test_planner_matches_brute_force(vms, disk_gb, policy, arch, flavor, host_tb, reserve, dedupe, memory_gb, stripe):
    raid, ftt = policy
    req = PlanRequest(vms=vms, vm_disk_bytes=disk_gb * 1e9, raid=raid, ftt=ftt, architecture=arch, flavor=flavor,
                      raw_per_host_bytes=host_tb * 1e12, free_space=Rules(reserve=reserve, dedupe_ratio=dedupe),
                      vm_memory_bytes=memory_gb * 1e9, stripe_width=stripe)
    p = plan(req)
    assert p.hosts_per_site == brute_force(req)
    if p.hosts_per_site is not None:
        assert check_fits(req, p.hosts_per_site)
        assert p.utilization is not None and p.utilization <= 1 + 1e-9


def test_the_issue_example():
    """300 VMs x 200 GB at ESA RAID-5 on hosts of 2 x 3.84 TB: 75 TB raw needed (4+1 from 6 hosts on);
    each host gives 7.68 TB, less 15 % operations reserve and one host's rebuild reserve: 13 hosts."""
    req = request_from_options(300, "200GB", "raid5", 1, "2x3.84TB-nvme", "single")
    p = plan(req)
    assert p.hosts_per_site == 13 and p.layout == "RAID-5 (4+1)" and p.limited_by == "capacity"
    assert (75e12 / 7.68e12 + 1) / 0.85 == pytest.approx(12.67, abs=0.01)
    assert not check_fits(req, 12)


def test_esa_adaptive_raid5_can_make_more_hosts_cheaper():
    """5 hosts at 2+1 (1.5x) may not fit where 6 at 4+1 (1.25x) do; the planner finds the smallest."""
    req = PlanRequest(vms=100, vm_disk_bytes=400e9, raid="raid5", ftt=1, architecture="esa", raw_per_host_bytes=15e12,
                      free_space=Rules(reserve="slack"))
    assert brute_force(req) == plan(req).hosts_per_site


def test_bad_options_are_one_line():
    with pytest.raises(ModelError, match="--host"):
        request_from_options(3, "200GB", "raid1", 1, "two disks", "single")
    with pytest.raises(ModelError, match="--vm-disk"):
        request_from_options(3, "lots", "raid1", 1, "2x3.84TB-nvme", "single")
    with pytest.raises(ModelError, match="ESA needs NVMe"):
        request_from_options(3, "200GB", "raid1", 1, "2x3.84TB-hdd", "single")
