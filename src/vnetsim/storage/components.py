"""Objects to components: the 255 GB split, stripes, witness components, votes, and the limits on them.

Each VM has a namespace object, a swap object (sized like its memory; none when memory is 0) and
one object per virtual disk. An object's copy (RAID-1) or fragment (erasure code: size / k) is cut
into chunks of at most 255 GB, and into at least ``stripe_width`` chunks; every chunk is one
component. RAID-1 adds FTT witness components per site so that 2*FTT+1 fault domains vote (on a
two-node cluster they sit on the witness appliance); a site-mirrored (stretched) object adds one
witness component on the witness site. ESA keeps a
RAID-1 performance leg (FTT+1 copies) beside the capacity leg, which adds FTT+1 components per
stripe. Every component carries one vote; an object stays accessible while more than half of its
votes remain (the quorum rule), together with a full copy or k fragments.

Limits: 9,000 components per host on OSA, 27,000 on ESA; a witness appliance holds 750 (tiny),
21,833 (medium), 45,000 (large) or 64,000 (extra-large) components. Sources in
docs/models/storage.md, "Components".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from vnetsim.storage.policy import Layout

MAX_COMPONENT_BYTES = 255 * 2**30         # 255 GB (binary, as the vendor's tools show sizes)
HOST_COMPONENT_LIMIT = {"osa": 9_000, "esa": 27_000}
WITNESS_COMPONENT_LIMIT = {"tiny": 750, "medium": 21_833, "large": 45_000, "extra-large": 64_000}
WITNESS_HOST_COMPONENT_LIMIT = 45_000     # a physical witness host: as the large appliance


@dataclass(frozen=True)
class ObjectComponents:
    """Components of one object: data components in the sites, witness components inside the sites,
    and witness components on the witness (site)."""

    data: int
    site_witnesses: int
    witness_site: int

    @property
    def total(self) -> int:
        return self.data + self.site_witnesses + self.witness_site

    @property
    def votes(self) -> int:
        return self.total

    @property
    def quorum(self) -> int:
        """Votes needed to stay accessible: more than half."""
        return self.votes // 2 + 1


def chunks(size_bytes: float, stripe_width: int = 1) -> int:
    """Components one copy (or fragment) of ``size_bytes`` is cut into."""
    return max(stripe_width, math.ceil(size_bytes / MAX_COMPONENT_BYTES), 1)


def object_components(size_bytes: float, layout: Layout, stripe_width: int = 1,
                      witness_on_appliance: bool = False) -> ObjectComponents:
    """Components of one object of ``size_bytes`` laid out as ``layout``.

    A site-mirrored object puts one tie-breaking witness component on the witness site;
    ``witness_on_appliance`` (a two-node cluster, whose two hosts act as the two sites) puts the
    RAID-1 witness components on the witness appliance instead of a third host.
    """
    sites = layout.sites
    if layout.mirrored:
        per_site = layout.replicas * chunks(size_bytes, stripe_width)
    else:
        per_site = (layout.data_fragments + layout.parity_fragments) * chunks(size_bytes / layout.data_fragments,
                                                                               stripe_width)
    if layout.architecture == "esa":
        per_site += (layout.ftt + 1) * stripe_width      # the RAID-1 performance leg
    if witness_on_appliance:
        return ObjectComponents(per_site * sites, 0, layout.witnesses_per_site * sites)
    return ObjectComponents(per_site * sites, layout.witnesses_per_site * sites, 1 if sites == 2 else 0)


@dataclass(frozen=True)
class GroupObjects:
    """One VM group's objects under one layout."""

    name: str
    vms: int
    disk_bytes: float
    disks: int
    memory_bytes: float
    layout: Layout
    stripe_width: int = 1


@dataclass(frozen=True)
class ComponentCounts:
    objects: int
    data: int
    site_witnesses: int
    witness: int
    per_host: float
    host_limit: int
    witness_limit: int | None

    @property
    def total(self) -> int:
        return self.data + self.site_witnesses + self.witness

    @property
    def fits_hosts(self) -> bool:
        return self.per_host <= self.host_limit

    @property
    def fits_witness(self) -> bool:
        return self.witness_limit is None or self.witness <= self.witness_limit

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(total=self.total, fits_hosts=self.fits_hosts, fits_witness=self.fits_witness)
        return out


def count_components(groups: Sequence[GroupObjects], data_hosts: int, architecture: str,
                     witness_limit: int | None, robo: bool = False) -> ComponentCounts:
    """Totals over every VM's namespace, swap and disk objects; spread evenly over the data hosts.

    ``robo``: a two-node cluster, whose RAID-1 witness components sit on the witness appliance.
    """
    objects = data = site_w = wit = 0
    for g in groups:
        sizes = [(g.disk_bytes, g.disks), (MAX_COMPONENT_BYTES / 2, 1)]   # disks, namespace (thin, < 255 GB)
        if g.memory_bytes > 0:
            sizes.append((g.memory_bytes, 1))
        for size, n in sizes:
            oc = object_components(size, g.layout, g.stripe_width, witness_on_appliance=robo)
            objects += g.vms * n
            data += g.vms * n * oc.data
            site_w += g.vms * n * oc.site_witnesses
            wit += g.vms * n * oc.witness_site
    per_host = (data + site_w) / data_hosts if data_hosts else float(data + site_w)
    return ComponentCounts(objects, data, site_w, wit, per_host, HOST_COMPONENT_LIMIT[architecture], witness_limit)
