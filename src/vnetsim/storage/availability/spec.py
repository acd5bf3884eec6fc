"""What the availability and durability models take and give: plain numbers, no scenario schema.

``AvailabilitySpec`` describes one cluster and one object layout in the terms a reliability model
needs (fault domains, tolerated failures, failure rates, repair times); the storage kind builds it
from its scenario, a user may build one by hand. ``AvailabilityResult`` is what every method
returns, each figure an ``Estimate`` with its 95 % confidence interval (a point for the exact
Markov solution). ``WhatIfRow`` is one row of the "what if N hosts fail" table.

The model these numbers describe (docs/models/storage-availability.md):

- A site's data hosts are grouped in fault domains of ``hosts_per_fault_domain`` hosts (1: every
  host is its own fault domain). An object's components sit on distinct fault domains; with many
  objects, any ``parity_fragments + 1`` failed fault domains of a site hold more than the tolerated
  share of some object (worst-case placement: an upper bound, tight for real clusters with
  thousands of objects).
- Three failure classes strike a fault domain: a device (AFR per device, "degraded": rebuilt at
  once), a host (AFR per host, "absent": rebuilt after the repair delay, or at once when
  ``host_semantics`` is ``degraded``), and the whole fault domain at once (a rack event, all its
  hosts, absent semantics). A failed fault domain is re-protected (rebuilt elsewhere) when the
  site still has ``width`` healthy fault domains, otherwise it waits for its hardware to return.
- A site event takes every fault domain of a site down at once (transient: back after
  ``site_repair_s``); the witness (host or appliance) fails and is replaced on its own.
- Exponential holding times throughout (a continuous-time Markov chain); the Monte Carlo method
  simulates the same chain fault domain by fault domain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from vnetsim.errors import ModelError

SECONDS_PER_YEAR = 365.25 * 86400.0          # a Julian year: rates per year, times in seconds
REPAIR_DELAY_S = 3600.0                      # vSAN absent-component repair delay (60 minutes)
HOST_AFR = 0.04                              # server hard failures per year (MTTF 25 years)
SSD_AFR = 0.008                              # SSD annual failure rate (Backblaze SSD reports)
MAX_FAULT_DOMAINS = 64                       # vSAN: at most 64 hosts in a cluster

Method = Literal["markov", "montecarlo", "importance"]
HostSemantics = Literal["absent", "degraded"]


@dataclass(frozen=True)
class AvailabilitySpec:
    """One cluster and one object layout, for the availability and durability models.

    Layout: an object is ``data_fragments`` + ``parity_fragments`` components per site (a RAID-1
    mirror of FTT n is 1 + n: n+1 replicas; RAID-5 3+1 is 3 + 1; RAID-6 4+2 is 4 + 2; ESA RAID-5
    2+1 / 4+1). ``sites`` 2 with ``site_mirroring`` keeps one such copy in each data site and a
    witness at a third site; ``sites`` 1 with ``witness`` is a two-node (ROBO) cluster whose
    witness appliance breaks the tie between the two data hosts.

    Rates are per year, times in seconds, data in bytes, bandwidth in bits per second.
    """

    hosts: int = 16                            # data hosts in the cluster (all sites together)
    hosts_per_fault_domain: int = 1            # hosts per fault domain (rack); 1: each host its own
    sites: int = 1                             # data sites: 1, or 2 (stretched, with a witness site)
    data_fragments: int = 1                    # k: 1 for a mirror
    parity_fragments: int = 1                  # m: tolerated failed fault domains per site (FTT)
    site_mirroring: bool = False               # one copy of every object in each of 2 data sites
    witness: bool = False                      # a witness host/appliance (2-node, or stretched witness site)
    devices_per_host: int = 4                  # capacity devices per host
    device_afr: float = SSD_AFR                # failures per device per year
    host_afr: float = HOST_AFR                 # hard failures per host per year
    fault_domain_rate_per_year: float = 0.0    # events taking a whole fault domain (rack) down at once
    site_rate_per_year: float = 0.0            # events taking a whole data site down at once
    witness_afr: float = HOST_AFR              # witness host/appliance failures per year
    host_semantics: HostSemantics = "absent"   # absent: rebuild after the delay; degraded: at once
    repair_delay_s: float = REPAIR_DELAY_S     # wait before rebuilding absent components
    data_per_host_bytes: float = 5e12          # used data on one host (what a host's rebuild copies)
    rebuild_bandwidth_bps: float = 10e9        # resync bandwidth the cluster gives one rebuild
    rebuild_bytes_per_byte: float = 1.0        # bytes through that bandwidth per byte rebuilt (1: sent once)
    device_rebuild_stretch: float = 1.0        # a device rebuild's copy takes this many times longer
    host_rebuild_stretch: float = 1.0          # a host's (the fabric's slow-down; 1: host-bound)
    fault_domain_rebuild_stretch: float = 1.0  # a fault domain's (rack's)
    intersite_bandwidth_bps: float = 10e9      # resync bandwidth between the data sites (stretched)
    host_repair_s: float = 3 * 86400.0         # a failed host repaired or replaced, back with its data
    fault_domain_repair_s: float = 86400.0     # a failed rack back (power, top-of-rack switch)
    site_repair_s: float = 86400.0             # a failed site back
    witness_repair_s: float = 86400.0          # a failed witness redeployed

    def __post_init__(self) -> None:
        _check(self)

    # --- derived figures ----------------------------------------------------------------------
    @property
    def hosts_per_site(self) -> int:
        return self.hosts // self.sites

    @property
    def fault_domains_per_site(self) -> int:
        return self.hosts_per_site // self.hosts_per_fault_domain

    @property
    def tolerance(self) -> int:
        """Failed fault domains a site's copy survives (the FTT inside a site)."""
        return self.parity_fragments

    @property
    def mirrored(self) -> bool:
        return self.data_fragments == 1

    @property
    def width(self) -> int:
        """Fault domains one site's copy occupies: 2*FTT+1 for a mirror (replicas and witness
        components), FTT+1 for a two-node mirror whose witness appliance votes, k+m for parity."""
        if self.mirrored:
            return self.parity_fragments + 1 if (self.witness and self.sites == 1) else 2 * self.parity_fragments + 1
        return self.data_fragments + self.parity_fragments

    def copy_s(self, data_bytes: float) -> float:
        """Time to rebuild ``data_bytes`` over the rebuild bandwidth: ``data * rebuild_bytes_per_byte
        * 8 / rebuild_bandwidth_bps`` (before any stretch)."""
        return data_bytes * self.rebuild_bytes_per_byte * 8.0 / self.rebuild_bandwidth_bps

    @property
    def device_rebuild_s(self) -> float:
        """Time to rebuild one failed device's data (degraded: at once), times its stretch."""
        return self.copy_s(self.data_per_host_bytes / self.devices_per_host) * self.device_rebuild_stretch

    @property
    def host_rebuild_s(self) -> float:
        """Time to re-protect one failed host: the repair delay (absent) plus copying its data
        (times its stretch)."""
        delay = self.repair_delay_s if self.host_semantics == "absent" else 0.0
        return delay + self.copy_s(self.data_per_host_bytes) * self.host_rebuild_stretch

    @property
    def fault_domain_rebuild_s(self) -> float:
        """Time to re-protect a failed fault domain: the repair delay plus copying all its hosts' data
        (times its stretch)."""
        fault_domain_bytes = self.hosts_per_fault_domain * self.data_per_host_bytes
        return self.repair_delay_s + self.copy_s(fault_domain_bytes) * self.fault_domain_rebuild_stretch

    @property
    def site_copy_resync_s(self) -> float:
        """Time to rebuild a site's lost copy from the other site (stretched): the repair delay plus
        the lost fault domains' data over the inter-site link."""
        lost_bytes = (self.tolerance + 1) * self.hosts_per_fault_domain * self.data_per_host_bytes
        return self.repair_delay_s + lost_bytes * 8.0 / self.intersite_bandwidth_bps


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95 % confidence interval (``low == value == high`` for an exact solution)."""

    value: float
    low: float
    high: float

    def __post_init__(self) -> None:
        for name in ("value", "low", "high"):                # numpy scalars become plain floats
            object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def exact(cls, value: float) -> Estimate:
        return cls(value, value, value)

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    @property
    def relative_half_width(self) -> float:
        return (self.high - self.low) / (2.0 * abs(self.value)) if self.value else math.inf

    def to_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class AvailabilityResult:
    """What a method finds for one spec.

    ``availability``: the steady-state fraction of time every object is accessible;
    ``nines``: -log10(1 - availability); ``downtime_s_per_year``: (1 - availability) * one year;
    ``loss_rate_per_year``: data-loss events per year in steady state;
    ``annual_loss_probability``: probability of at least one data loss within a year;
    ``mttdl_years``: mean time to data loss (from a healthy cluster for Markov, 1/rate for the
    simulations). ``cluster_years`` and ``events_per_cluster_year`` say how much a simulation did.
    """

    method: str
    availability: Estimate
    nines: Estimate
    downtime_s_per_year: Estimate
    loss_rate_per_year: Estimate
    annual_loss_probability: Estimate
    mttdl_years: Estimate
    assumptions: tuple[str, ...]
    cluster_years: float = 0.0
    events_per_cluster_year: float = 0.0
    wall_s: float = 0.0
    states: int = 0
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        out: dict = {"method": self.method}
        for name in ("availability", "nines", "downtime_s_per_year", "loss_rate_per_year",
                     "annual_loss_probability", "mttdl_years"):
            out[name] = getattr(self, name).to_dict()
        out.update(assumptions=list(self.assumptions), cluster_years=self.cluster_years,
                   events_per_cluster_year=self.events_per_cluster_year, wall_s=self.wall_s,
                   states=self.states, notes=list(self.notes))
        return out


@dataclass(frozen=True)
class WhatIfRow:
    """One row of the what-if table: ``failed_hosts`` hosts down, placed as ``placement`` says.

    ``accessible``: every object still readable and writable (quorum and a full copy);
    ``reprotectable``: the failed components can be rebuilt elsewhere at once (enough healthy
    fault domains left); ``data_at_risk``: some object is accessible with no redundancy left (one
    more failure loses it) or not accessible at all; ``remaining_tolerance``: further fault-domain
    failures the worst-hit site's copy survives.
    """

    failed_hosts: int
    placement: str
    failed_fault_domains: tuple[int, ...]
    accessible: bool
    reprotectable: bool
    data_at_risk: bool
    remaining_tolerance: int

    def to_dict(self) -> dict:
        return {"failed_hosts": self.failed_hosts, "placement": self.placement,
                "failed_fault_domains": list(self.failed_fault_domains), "accessible": self.accessible,
                "reprotectable": self.reprotectable, "data_at_risk": self.data_at_risk,
                "remaining_tolerance": self.remaining_tolerance}


def _positive(name: str, value: float, allow_zero: bool = False) -> None:
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ModelError(name, f"must be {'zero or more' if allow_zero else 'positive'} and finite, got {value}",
                         f"set {name} to a {'non-negative' if allow_zero else 'positive'} number")


def _check(s: AvailabilitySpec) -> None:
    """One-line ModelErrors for a spec the models cannot run."""
    if s.sites not in (1, 2):
        raise ModelError("sites", f"a cluster has 1 or 2 data sites, got {s.sites}", "use 1, or 2 for stretched")
    if s.sites == 2 and not (s.site_mirroring and s.witness):
        raise ModelError("sites", "two data sites need site mirroring and a witness site",
                         "set site_mirroring and witness, or use one site")
    if s.site_mirroring and s.sites != 2:
        raise ModelError("site_mirroring", "site mirroring needs two data sites", "set sites: 2")
    for name in ("hosts", "hosts_per_fault_domain", "data_fragments", "devices_per_host"):
        if getattr(s, name) < 1:
            raise ModelError(name, f"must be at least 1, got {getattr(s, name)}", f"set {name} >= 1")
    if s.parity_fragments < 0:
        raise ModelError("parity_fragments", f"must be 0 or more, got {s.parity_fragments}", "set it to the FTT")
    if s.hosts % s.sites or s.hosts_per_site % s.hosts_per_fault_domain:
        raise ModelError("hosts", f"{s.hosts} hosts do not split evenly into {s.sites} site(s) of fault domains of "
                         f"{s.hosts_per_fault_domain} host(s)",
                         "make hosts a multiple of sites x hosts_per_fault_domain")
    if s.fault_domains_per_site > MAX_FAULT_DOMAINS:
        raise ModelError("hosts", f"{s.fault_domains_per_site} fault domains per site is over {MAX_FAULT_DOMAINS}",
                         "use at most 64 hosts")
    if s.witness and s.sites == 1 and not (s.mirrored and s.parity_fragments == 1):
        raise ModelError("witness", "a two-node witness breaks the tie of a RAID-1 FTT 1 mirror only",
                         "use data_fragments 1 and parity_fragments 1, or no witness")
    if s.fault_domains_per_site < s.width:
        raise ModelError("hosts", f"the layout needs {s.width} fault domains per site, got {s.fault_domains_per_site}",
                         "add hosts or fault domains, or tolerate fewer failures")
    for name in ("device_afr", "host_afr", "fault_domain_rate_per_year", "site_rate_per_year", "witness_afr",
                 "repair_delay_s"):
        _positive(name, getattr(s, name), allow_zero=True)
    for name in ("data_per_host_bytes", "rebuild_bandwidth_bps", "intersite_bandwidth_bps", "host_repair_s",
                 "fault_domain_repair_s", "site_repair_s", "witness_repair_s"):
        _positive(name, getattr(s, name))
    for name in ("rebuild_bytes_per_byte", "device_rebuild_stretch", "host_rebuild_stretch",
                 "fault_domain_rebuild_stretch"):
        value = getattr(s, name)
        if not (math.isfinite(value) and value >= 1):
            raise ModelError(name, f"must be at least 1 and finite, got {value}", f"set {name} to 1 or more")
    if s.host_semantics not in ("absent", "degraded"):
        raise ModelError("host_semantics", f"unknown semantics {s.host_semantics!r}", "use absent or degraded")
