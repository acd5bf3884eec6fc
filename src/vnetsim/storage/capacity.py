"""Raw to usable capacity: free-space reserves, dedupe and compression, and what the workload needs.

The arithmetic (sources in docs/models/storage.md, "Capacity"):

- raw = hosts x the capacity devices of one host (OSA cache devices do not count);
- reserve, one of
  - ``slack``: a share of raw kept free (30 %; 25-30 % for two-node clusters), the rule before
    vSAN 7 U1 and still the rule for two-node, stretched and fault-domain clusters;
  - ``reserved``: the operations reserve plus a 5 % buffer (shares of raw), plus the host-rebuild
    reserve, the capacity of the largest host (vSAN 7 U1 and later, single site, no fault domains);
  - ``none``;
- dedupe metadata: 5 % of raw on OSA when deduplication and compression are on;
- free raw = raw - reserve - metadata; usable (logical) = free raw x dedupe ratio / policy multiplier;
- a VM disk of size S written to share u (thin) or reserved to share r (object space reservation)
  takes S x max(u, r) x multiplier / dedupe ratio of raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace


def resolve_reserve(mode: str, flavor: str, fault_domains: int) -> str:
    """``auto``: the reserve mechanism on a single site without fault domains, slack elsewhere
    (vSAN's reserved capacity does not apply to two-node, stretched or fault-domain clusters)."""
    if mode != "auto":
        return mode
    return "reserved" if flavor == "single" and fault_domains == 0 else "slack"


@dataclass(frozen=True)
class Rules:
    """Free-space rules: ``reserve`` is ``slack``, ``reserved``, ``none`` or (before ``resolved``)
    ``auto``; the dedupe metadata share applies only when dedupe is on (ratio above 1)."""

    reserve: str = "slack"
    slack: float = 0.30
    operations_reserve: float = 0.10
    operations_buffer: float = 0.05
    host_rebuild_reserve: bool = True
    dedupe_ratio: float = 1.0
    dedupe_metadata: float = 0.05

    @property
    def metadata_share(self) -> float:
        """Share of raw capacity the dedupe metadata takes (0 unless dedupe is on)."""
        return self.dedupe_metadata if self.dedupe_ratio > 1 else 0.0

    def resolved(self, flavor: str, fault_domains: int, architecture: str) -> Rules:
        """These rules for one cluster: ``auto`` resolved, no dedupe metadata on ESA (compression
        only, no deduplication store)."""
        return replace(self, reserve=resolve_reserve(self.reserve, flavor, fault_domains),
                       dedupe_metadata=self.dedupe_metadata if architecture == "osa" else 0.0)


@dataclass(frozen=True)
class Demand:
    """What one VM group stores: logical bytes, the share of them that takes space, and its layout's
    raw multiplier."""

    name: str
    logical_bytes: float
    share: float          # max(used, object space reservation)
    multiplier: float

    @property
    def raw_bytes(self) -> float:
        return self.logical_bytes * self.share * self.multiplier


@dataclass(frozen=True)
class CapacityResult:
    raw_bytes: float
    reserve: str
    slack_bytes: float
    operations_reserve_bytes: float
    host_rebuild_reserve_bytes: float
    dedupe_metadata_bytes: float
    free_raw_bytes: float
    usable_bytes: float
    required_logical_bytes: float
    required_raw_bytes: float
    utilization: float | None     # required raw / free raw (None when nothing is free)
    fits: bool

    def to_dict(self) -> dict:
        return asdict(self)


def reserve_bytes(raw_bytes: float, hosts: int, rules: Rules) -> tuple[float, float, float]:
    """(slack, operations reserve incl. buffer, host-rebuild reserve) in bytes of raw capacity."""
    if rules.reserve == "slack":
        return raw_bytes * rules.slack, 0.0, 0.0
    if rules.reserve == "reserved":
        ops = raw_bytes * (rules.operations_reserve + rules.operations_buffer)
        rebuild = raw_bytes / hosts if rules.host_rebuild_reserve and hosts > 0 else 0.0
        return 0.0, ops, rebuild
    return 0.0, 0.0, 0.0


def capacity(raw_per_host_bytes: float, hosts: int, rules: Rules, multiplier: float,
             demands: Sequence[Demand] = ()) -> CapacityResult:
    """Capacity of ``hosts`` identical hosts under ``rules``; usable is given at ``multiplier`` (the
    cluster's default policy), the demands each at their own."""
    raw = raw_per_host_bytes * hosts
    slack, ops, rebuild = reserve_bytes(raw, hosts, rules)
    metadata = raw * rules.metadata_share
    free = max(raw - slack - ops - rebuild - metadata, 0.0)
    usable = free * rules.dedupe_ratio / multiplier
    need_logical = sum(d.logical_bytes * d.share for d in demands)
    need_raw = sum(d.raw_bytes for d in demands) / rules.dedupe_ratio
    util = need_raw / free if free > 0 else None
    return CapacityResult(raw, rules.reserve, slack, ops, rebuild, metadata, free, usable, need_logical, need_raw,
                          util, need_raw <= free)
