"""Storage policies: how an object is laid out, how many hosts it needs, what it costs in raw capacity.

A policy is a RAID scheme and a number of failures to tolerate (FTT) on one storage architecture:

- ``raid1`` (mirroring), FTT 0-3: FTT+1 full copies on distinct fault domains, plus witness
  components so that 2*FTT+1 fault domains vote; it needs 2*FTT+1 fault domains.
- ``raid5`` (FTT 1) and ``raid6`` (FTT 2), erasure coding:
  OSA (original storage architecture, disk groups): RAID-5 is 3 data + 1 parity (4 fault domains,
  4/3 = 1.33x), RAID-6 is 4+2 (6 fault domains, 1.5x).
  ESA (express storage architecture, single tier): RAID-5 is adaptive, 2+1 on clusters of 3-5 hosts
  (1.5x) and 4+1 on 6 hosts or more (1.25x); RAID-6 is 4+2 (6 fault domains, 1.5x).
- A stretched cluster mirrors every object across its two data sites (site mirroring, one copy per
  site) and lays each site's copy out with the in-site policy above; the witness site holds the
  witness component that breaks the tie. Capacity is then 2x the in-site multiplier. Without site
  mirroring an object lives in one site only (site affinity).

Sources (docs/models/storage.md, docs/references.md): vSAN 8.0 documentation on RAID-1 overhead
and minimum hosts; yellow-bricks.com 2022-11-15 on ESA adaptive RAID-5.

Everything here is plain arithmetic on frozen dataclasses, so the availability, I/O-path and rebuild
models import it without the scenario schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from vnetsim.errors import ModelError

Raid = Literal["raid1", "raid5", "raid6"]
Architecture = Literal["osa", "esa"]

RAIDS: tuple[str, ...] = ("raid1", "raid5", "raid6")
ARCHITECTURES: tuple[str, ...] = ("osa", "esa")
MAX_FTT = 3                      # vSAN: failures to tolerate 0..3 (RAID-1)
ESA_RAID5_WIDE_MIN_HOSTS = 6     # ESA adaptive RAID-5: 4+1 from 6 hosts on, 2+1 below
FTT_OF_RAID = {"raid5": 1, "raid6": 2}


@dataclass(frozen=True)
class Layout:
    """One object's layout: fragments, copies, sites, and the fault domains it needs.

    ``data_fragments`` / ``parity_fragments``: k and m of an erasure code (1 and 0 for a mirror);
    ``replicas``: full copies inside one site (FTT+1 for RAID-1, 1 for erasure coding);
    ``sites``: 2 when the object is mirrored across two data sites, else 1;
    ``witnesses``: witness components inside one site (RAID-1 only: FTT of them, so that 2*FTT+1
    fault domains vote); a site-mirrored object has one more, at the witness site.
    """

    raid: str
    architecture: str
    ftt: int
    data_fragments: int
    parity_fragments: int
    replicas: int
    sites: int = 1

    @property
    def mirrored(self) -> bool:
        return self.raid == "raid1"

    @property
    def label(self) -> str:
        """``RAID-1 FTT=1``, ``RAID-5 (4+1)``, prefixed ``2 sites x`` when site-mirrored."""
        inner = (f"RAID-1 FTT={self.ftt}" if self.mirrored
                 else f"RAID-{5 if self.raid == 'raid5' else 6} ({self.data_fragments}+{self.parity_fragments})")
        return f"2 sites x {inner}" if self.sites == 2 else inner

    @property
    def site_multiplier(self) -> Fraction:
        """Raw bytes per usable byte inside one site: FTT+1 (mirror) or (k+m)/k (erasure code)."""
        if self.mirrored:
            return Fraction(self.replicas)
        return Fraction(self.data_fragments + self.parity_fragments, self.data_fragments)

    @property
    def multiplier(self) -> Fraction:
        """Raw bytes per usable byte in the whole cluster (site mirroring doubles it)."""
        return self.site_multiplier * self.sites

    @property
    def data_components_per_site(self) -> int:
        """Data components of one object copy per site (before stripes and the 255 GB split)."""
        return self.replicas if self.mirrored else self.data_fragments + self.parity_fragments

    @property
    def witnesses_per_site(self) -> int:
        """Witness components inside a site: FTT for RAID-1 (2*FTT+1 voters), none for erasure codes."""
        return self.ftt if self.mirrored else 0

    @property
    def min_fault_domains(self) -> int:
        """Fault domains (hosts, or racks when configured) one site needs: 2*FTT+1 for RAID-1,
        k+m for erasure codes (ESA RAID-5 2+1 needs 3, 4+1 needs 6: adaptive RAID-5 switches at 6)."""
        if self.mirrored:
            return 2 * self.ftt + 1
        if self.architecture == "esa" and self.raid == "raid5" and self.data_fragments == 4:
            return ESA_RAID5_WIDE_MIN_HOSTS
        return self.data_fragments + self.parity_fragments

    @property
    def min_data_fault_domains(self) -> int:
        """Fault domains that must hold data: FTT+1 for RAID-1 (witnesses may sit on a witness host
        or appliance, as in a two-node cluster), k+m for erasure codes."""
        return self.ftt + 1 if self.mirrored else self.min_fault_domains

    @property
    def recommended_fault_domains(self) -> int:
        """One more than the minimum, so a failed fault domain can be rebuilt elsewhere."""
        return self.min_fault_domains + 1

    @property
    def tolerated_site_failures(self) -> int:
        return 1 if self.sites == 2 else 0

    def to_dict(self) -> dict:
        return {"label": self.label, "raid": self.raid, "architecture": self.architecture, "ftt": self.ftt,
                "data_fragments": self.data_fragments, "parity_fragments": self.parity_fragments,
                "replicas": self.replicas, "sites": self.sites, "multiplier": float(self.multiplier),
                "site_multiplier": float(self.site_multiplier),
                "min_fault_domains_per_site": self.min_fault_domains,
                "witness_components_per_site": self.witnesses_per_site}


def ftt_for(raid: str, ftt: int | None) -> int:
    """The FTT a RAID scheme implies, checking one given with it (RAID-5 is FTT 1, RAID-6 FTT 2)."""
    if raid not in RAIDS:
        raise ModelError("policy.raid", f"unknown RAID scheme {raid!r}", f"choose one of: {', '.join(RAIDS)}")
    if raid == "raid1":
        value = 1 if ftt is None else ftt
        if not 0 <= value <= MAX_FTT:
            raise ModelError("policy.ftt", f"RAID-1 tolerates 0 to {MAX_FTT} failures, got {value}",
                             "set ftt between 0 and 3")
        return value
    need = FTT_OF_RAID[raid]
    if ftt is not None and ftt != need:
        raise ModelError("policy.ftt", f"{raid.upper().replace('RAID', 'RAID-')} tolerates exactly {need} "
                         f"failure{'s' if need > 1 else ''}, got ftt {ftt}",
                         f"use ftt {need}, or raid1 for ftt {ftt}")
    return need


def layout_for(raid: str, ftt: int | None = None, architecture: str = "esa", hosts_per_site: int = 3,
               site_mirroring: bool = False) -> Layout:
    """The layout of ``raid``/``ftt`` on ``architecture`` with ``hosts_per_site`` data hosts (ESA's
    adaptive RAID-5 depends on it). Raises ModelError for a policy that does not exist."""
    if architecture not in ARCHITECTURES:
        raise ModelError("architecture", f"unknown storage architecture {architecture!r}", "choose osa or esa")
    value = ftt_for(raid, ftt)
    sites = 2 if site_mirroring else 1
    if raid == "raid1":
        return Layout("raid1", architecture, value, 1, 0, value + 1, sites)
    if raid == "raid6":
        return Layout("raid6", architecture, 2, 4, 2, 1, sites)
    if architecture == "osa":
        return Layout("raid5", "osa", 1, 3, 1, 1, sites)
    k = 4 if hosts_per_site >= ESA_RAID5_WIDE_MIN_HOSTS else 2
    return Layout("raid5", "esa", 1, k, 1, 1, sites)


def check_fault_domains(layout: Layout, data_fault_domains: int, witness_fault_domain: bool = False,
                        field: str = "hosts") -> None:
    """Raise a one-line ModelError when a site has too few fault domains for ``layout``.

    ``witness_fault_domain``: a witness host or appliance can hold the RAID-1 witness components (a
    two-node cluster: 2 data hosts + the witness = 3 fault domains for FTT 1).
    """
    have = data_fault_domains + (1 if witness_fault_domain and layout.mirrored else 0)
    if data_fault_domains < layout.min_data_fault_domains or have < layout.min_fault_domains:
        need = layout.min_fault_domains - (1 if witness_fault_domain and layout.mirrored else 0)
        need = max(need, layout.min_data_fault_domains)
        where = " per site" if layout.sites == 2 else ""
        raise ModelError(field, f"{layout.label} needs at least {need} data fault domains{where}"
                         f"{' besides the witness' if witness_fault_domain and layout.mirrored else ''}, "
                         f"got {data_fault_domains}",
                         "add hosts (or fault domains), or choose a policy with a lower FTT")
