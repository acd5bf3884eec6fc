"""What the failure and rebuild model is given and what it returns: plain numbers, frozen dataclasses.

Model (docs/models/storage-io.md, "Failures and rebuilds"):
- Objects are sets of components on hosts (``ObjectSet``: one row per object, one column per
  component), each with a size and votes. An object is **accessible** while more than half of its
  votes are on live components and one copy still has its data: a full replica (RAID-1) or at
  least k fragments (erasure code k+m).
- A failure (``FailureEvent``) takes components away. A device or disk-group failure makes them
  **degraded**: rebuilt at once. A host, rack or site failure makes them **absent**: the cluster
  waits ``repair_delay_s`` (60 minutes) in case they come back, then rebuilds; a host that returns
  before that only resyncs what was written meanwhile. I/O to a failed host stalls ``stall_s``.
- Rebuild writes every lost component anew on a host of the same site that holds nothing of that
  object (a different rack when racks are the fault domains) and has room; when there is none the
  object stays unprotected (**re-protection impossible**). The volume to resync is the lost
  components' size; an erasure-coded component is rebuilt from k others, so k times its size is read.
- Resync runs over each host's spare bandwidth (``Host resync rate``), capped by the throttle
  (``throttle_bps``), or under adaptive resync given at least ``adaptive_share`` of the bandwidth
  while foreground I/O contends; the time to re-protect is the busiest host's bytes over its rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from vnetsim.storage.iopath.spec import IOPathResult, IOPathSpec

FailureKind = Literal["device", "disk_group", "host", "rack", "site", "witness", "inter_site_link"]
FAILURE_KINDS: tuple[str, ...] = ("device", "disk_group", "host", "rack", "site", "witness", "inter_site_link")
DEGRADED_KINDS = frozenset({"device", "disk_group"})     # rebuilt at once
WITNESS_HOST = -1                                         # the witness host / appliance in ``hosts``
ADAPTIVE_SHARE = 0.2     # adaptive resync keeps at least this share of a host's resync bandwidth (assumption)


@dataclass(frozen=True)
class FailureEvent:
    """``kind`` fails at ``t_s``; ``target`` is the device (``host * devices_per_host + d``), disk
    group (same numbering), host, rack or site; ignored for ``witness`` and ``inter_site_link``.
    ``recover_s``: when it comes back (infinity: never)."""

    t_s: float
    kind: FailureKind
    target: int = 0
    recover_s: float = float("inf")


@dataclass(frozen=True, eq=False)
class ObjectSet:
    """Objects of one layout. Arrays of shape (objects, components):

    ``hosts`` (int: the host of each component, ``WITNESS_HOST`` for the witness appliance),
    ``devices`` (int: device index within its host), ``size_bytes`` (float: 0 for witnesses),
    ``votes`` (int), ``copy`` (int: which copy, 0 or 1, -1 for a witness component).
    ``kind``: "raid1" or "ec" (each copy), ``data_fragments``: k (1 for RAID-1).
    ``write_bps``: the rate objects of this set are written, bits/s in all (for the resync of a host
    that comes back).
    """

    kind: str
    data_fragments: int
    hosts: np.ndarray
    devices: np.ndarray
    size_bytes: np.ndarray
    votes: np.ndarray
    copy: np.ndarray
    write_bps: float = 0.0

    @property
    def objects(self) -> int:
        return int(self.hosts.shape[0])


@dataclass(frozen=True)
class RebuildCluster:
    """Hosts, where they are, and what each can give a resync.

    ``resync_bps``: per host, the bandwidth its devices and NIC can give resync when nothing else
    runs (the smaller of the two); ``foreground_bps``: per host, what foreground I/O uses of it;
    ``free_bytes``: per host, capacity a rebuild may fill; ``fault_domain``: "host" or "rack".
    ``inter_site_bps``: the inter-site link (a resync between sites crosses it).
    """

    site_of_host: tuple[int, ...]
    rack_of_host: tuple[int, ...]
    devices_per_host: int
    resync_bps: tuple[float, ...]
    free_bytes: tuple[float, ...]
    foreground_bps: tuple[float, ...] = ()
    fault_domain: Literal["host", "rack"] = "host"
    inter_site_bps: float = 10e9

    @property
    def hosts(self) -> int:
        return len(self.site_of_host)


@dataclass(frozen=True)
class RebuildSpec:
    """One failure scenario: the cluster, its objects, the failures, the resync settings, and
    (optionally) the foreground I/O path whose latency during the resync is wanted."""

    cluster: RebuildCluster
    objects: tuple[ObjectSet, ...]
    failures: tuple[FailureEvent, ...]
    repair_delay_s: float = 3600.0
    stall_s: float = 6.0
    throttle_bps: float = float("inf")     # per host; vSAN's manual throttle is 0-512 Mbps
    adaptive: bool = True
    adaptive_share: float = ADAPTIVE_SHARE
    foreground: IOPathSpec | None = None


# ----------------------------------------------------------------------------------------------
# Results

@dataclass(frozen=True)
class TimelineEntry:
    """One moment of the run: ``t_s``, what happened, and the objects' state right after it."""

    t_s: float
    event: str
    accessible_objects: int
    inaccessible_objects: int
    unprotected_objects: int      # accessible, but one more failure of the same kind loses them


@dataclass(frozen=True)
class FailureOutcome:
    """What one failure did and what it took to re-protect."""

    event: FailureEvent
    semantics: Literal["degraded", "absent", "none"]
    components_lost: int
    objects_affected: int
    objects_inaccessible: int
    io_stall_s: float
    rebuild_start_s: float           # when resync starts (infinity: never)
    resync_bytes: float              # written: the lost (or, after a return, the stale) components' size
    resync_read_bytes: float         # read to rebuild them (k times the size for an erasure code)
    resync_rate_bps: float           # the cluster's aggregate resync rate
    resync_duration_s: float
    reprotected_s: float             # infinity when re-protection is impossible
    reprotect_impossible_objects: int
    fabric_bps: float                # resync bits per second crossing the fabric
    inter_site_bytes: float


@dataclass
class ResyncPlan:
    """One resync: the components to (re)write, bytes per host and pair, and its timing."""

    moves: list[tuple[int, int, int, int]] = field(default_factory=list)   # (set, object, component, host)
    written_bytes: float = 0.0
    read_bytes: float = 0.0
    inter_site_bytes: float = 0.0
    impossible: set[tuple[int, int]] = field(default_factory=set)         # (set, object)
    pair_bytes: dict[tuple[int, int], float] = field(default_factory=dict)  # (source, target) -> bytes
    host_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    duration_s: float = 0.0
    rate_bps: float = 0.0


@dataclass(frozen=True)
class RebuildResult:
    """What ``simulate`` returns: the timeline, one outcome per failure, and the foreground latency
    before the failures, right after the first that takes hosts away (``foreground_after_failure``)
    and during the first resync, when a foreground I/O path was given.

    Per outcome (in the order of ``outcomes``): ``resync_plans``, its first resync (a
    ``ResyncPlan``: bytes per host and per source-target pair; None when it had none), and
    ``resync_io``, the foreground I/O-path spec while that resync runs with the resync as
    background load at the plan's own rates (not paced at the NICs as ``foreground_during_resync``
    is: the load its host-bound time assumes; None without a resync or a foreground; empty
    without a foreground); with ``every_resync``, ``foreground_during_resyncs``: the foreground's
    result while that resync runs (paced as ``foreground_during_resync``, which is the first
    resync's entry; None without a resync; empty without ``every_resync`` or a foreground)."""

    timeline: tuple[TimelineEntry, ...]
    outcomes: tuple[FailureOutcome, ...]
    foreground_before: IOPathResult | None = None
    foreground_during_resync: IOPathResult | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    foreground_after_failure: IOPathResult | None = None
    resync_plans: tuple[ResyncPlan | None, ...] = ()
    resync_io: tuple[IOPathSpec | None, ...] = ()
    foreground_during_resyncs: tuple[IOPathResult | None, ...] = ()
