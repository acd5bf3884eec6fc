"""Hostile values anywhere in a storage scenario: a result or one line (UserError), never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnetsim
from vnetsim.errors import UserError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-site-flavors.yaml"
PATHS = ["storage.hosts", "storage.flavor", "storage.architecture", "storage.fault_domains", "storage.host.devices",
         "storage.host.nic.speed", "storage.host.nic.active", "storage.policy.raid", "storage.policy.ftt",
         "storage.policy.stripe_width", "storage.policy.object_space_reservation", "storage.capacity.reserve",
         "storage.capacity.slack", "storage.capacity.dedupe_ratio", "storage.witness.rtt", "storage.witness.size",
         "storage.sites.distance_km", "storage.sites.rtt", "storage.sites.link", "storage.intra_site_rtt",
         "storage.direct_connect", "workload.vm_groups.erp-db.vms", "workload.vm_groups.erp-db.disk",
         "workload.vm_groups.erp-db.iops", "workload.vm_groups.erp-db.read_fraction",
         "workload.vm_groups.erp-db.block_size", "workload.vm_groups.erp-db.policy", "prices.host", "seed",
         "failures[0].target", "failures[0].component", "failures[0].at",
         "failures[0].recover", "storage.rebuild.throttle", "availability.site_events_per_year"]
VALUES = ["0", "1", "2", "3", "-1", "64", "65", "1e300", "nan", "inf", "true", "null", "''", "x", "raid5", "raid6",
          "esa", "osa", "robo", "single", "stretched", "10Gbps", "1Mbps", "0Gbps", "600ms", "2ms", "0ns", "5000",
          "4x3.84TB-nvme", "2x100GB-hdd", "1x1PB-nvme", "9KiB", "1TB", "{raid: raid6, ftt: 2}", "[1, 2]",
          "slack", "none", "reserved", "tiny", "a", "b", "site", "rack", "witness", "device", "0.1",
          "inter_site_link", "disk_group", "2.3", "10min"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(VALUES)), min_size=1, max_size=4))
def test_a_result_or_one_line(assignments):
    overrides = [f"{p}={v}" for p, v in assignments] + ["options.duration=5ms", "availability.methods=[markov]"]
    result_or_one_line(EXAMPLE, overrides)


def result_or_one_line(example: Path, overrides: list[str]) -> None:
    """A run of ``example`` with ``overrides`` gives a JSON-clean result (no NaN or infinity left)
    or one UserError line, never anything else."""
    try:
        res = vnetsim.run(str(example), overrides=overrides)
    except UserError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    res.to_json()
