"""An ``AvailabilitySpec`` from a storage policy's ``Layout`` (``vnetsim.storage.policy``).

The availability models take plain numbers; this is the one place that maps a policy onto them:
a RAID-1 mirror of FTT n is 1 data fragment and n tolerated failures (n + 1 replicas), an erasure
code k+m is k data and m parity fragments, and a site-mirrored layout is two data sites with a
witness site. A two-node cluster (two data hosts, RAID-1 FTT 1) gets its witness appliance.
"""

from __future__ import annotations

from typing import Any

from vnetsim.storage.availability.spec import AvailabilitySpec
from vnetsim.storage.policy import Layout


def spec_for_layout(layout: Layout, hosts: int, *, hosts_per_fault_domain: int = 1, witness: bool | None = None,
                    **figures: Any) -> AvailabilitySpec:
    """The spec of ``layout`` on ``hosts`` data hosts (all sites); ``figures``: any other spec field
    (failure rates, repair times, data per host, bandwidths)."""
    two_node = layout.sites == 1 and layout.mirrored and layout.ftt == 1 and hosts == 2
    if witness is None:
        witness = layout.sites == 2 or two_node
    parity = layout.ftt if layout.mirrored else layout.parity_fragments
    return AvailabilitySpec(hosts=hosts, hosts_per_fault_domain=hosts_per_fault_domain, sites=layout.sites,
                            data_fragments=layout.data_fragments, parity_fragments=parity,
                            site_mirroring=layout.sites == 2, witness=witness, **figures)
