"""``vnetsim storage plan``: will a workload fit, and how many hosts does it need?

The answer is solved, not searched: for each range of host counts on which the layout stays the
same (ESA's adaptive RAID-5 changes from 2+1 to 4+1 at 6 hosts per site), the free raw capacity is
linear in the number of hosts, so the smallest count that holds the workload is a ceiling of a
quotient; likewise for the components per host. The smallest count over the ranges, at least the
policy's minimum, is the answer. ``tests/storage/test_planner.py`` checks it against a brute-force
search with the full capacity and component models.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from vnetsim.errors import ModelError
from vnetsim.storage.capacity import Demand, Rules, capacity
from vnetsim.storage.components import (
    HOST_COMPONENT_LIMIT,
    WITNESS_COMPONENT_LIMIT,
    GroupObjects,
    count_components,
)
from vnetsim.storage.devices import parse_device_groups
from vnetsim.storage.limits import MAX_HOSTS, MAX_HOSTS_PER_SITE
from vnetsim.storage.policy import ESA_RAID5_WIDE_MIN_HOSTS, Layout, layout_for
from vnetsim.units import parse_bytes

FLAVOR_HOSTS = {"robo": (2, 2), "single": (3, MAX_HOSTS), "stretched": (1, MAX_HOSTS_PER_SITE)}


@dataclass(frozen=True)
class PlanRequest:
    """A plan's question in plain numbers (``request_from_options`` parses the CLI's text)."""

    vms: int
    vm_disk_bytes: float
    raid: str = "raid1"
    ftt: int | None = None
    architecture: str = "esa"
    flavor: str = "single"
    raw_per_host_bytes: float = 4 * 3.84e12
    disks_per_vm: int = 1
    vm_memory_bytes: float = 0.0
    used: float = 1.0
    free_space: Rules = Rules(reserve="auto")
    stripe_width: int = 1
    witness_size: str = "medium"
    hosts: int | None = None        # also say whether it fits on this many hosts (per site)

    @property
    def sites(self) -> int:
        return 2 if self.flavor == "stretched" else 1

    def rules(self) -> Rules:
        return self.free_space.resolved(self.flavor, 0, self.architecture)

    def layout(self, hosts_per_site: int) -> Layout:
        return layout_for(self.raid, self.ftt, self.architecture, hosts_per_site, self.flavor == "stretched")

    def demand(self, layout: Layout) -> Demand:
        return Demand("vms", float(self.vms * self.disks_per_vm * self.vm_disk_bytes), self.used,
                      float(layout.multiplier))

    def objects(self, layout: Layout) -> GroupObjects:
        return GroupObjects("vms", self.vms, self.vm_disk_bytes, self.disks_per_vm, self.vm_memory_bytes, layout,
                            self.stripe_width)

    def witness_limit(self) -> int | None:
        return WITNESS_COMPONENT_LIMIT[self.witness_size] if self.flavor in ("robo", "stretched") else None


@dataclass(frozen=True)
class Plan:
    request: PlanRequest
    hosts_per_site: int | None          # the smallest count that fits (None: none does)
    limited_by: str                     # policy minimum | capacity | components | witness components | none fits
    layout: str | None
    usable_bytes: float | None
    utilization: float | None
    components_per_host: float | None
    fits_given: bool | None = None      # on request.hosts, when given
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["total_hosts"] = None if self.hosts_per_site is None else self.hosts_per_site * self.request.sites
        return out


def _regimes(req: PlanRequest) -> list[tuple[int, int, Layout]]:
    """(first, last, layout) host counts per site on which the layout is one."""
    lo, hi = FLAVOR_HOSTS[req.flavor]
    if req.architecture == "esa" and req.raid == "raid5":
        cut = ESA_RAID5_WIDE_MIN_HOSTS
        parts = [(lo, min(hi, cut - 1)), (max(lo, cut), hi)]
    else:
        parts = [(lo, hi)]
    out = []
    for a, b in parts:
        if a <= b:
            lay = req.layout(a)
            out.append((max(a, lay.min_data_fault_domains if req.flavor == "robo" else lay.min_fault_domains), b, lay))
    return out


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-9 * max(1.0, abs(x)))


def hosts_for_capacity(req: PlanRequest, layout: Layout) -> int:
    """Smallest total host count whose free raw capacity holds the workload under ``layout``."""
    rules = req.rules()
    need = req.demand(layout).raw_bytes / rules.dedupe_ratio
    h = req.raw_per_host_bytes
    if rules.reserve == "slack":
        keep = 1 - rules.slack - rules.metadata_share
        return _ceil(need / (h * keep)) if keep > 0 else 10**9
    if rules.reserve == "reserved":
        keep = 1 - rules.operations_reserve - rules.operations_buffer - rules.metadata_share
        rebuild = 1.0 if rules.host_rebuild_reserve else 0.0
        return _ceil((need / h + rebuild) / keep) if keep > 0 else 10**9
    keep = 1 - rules.metadata_share
    return _ceil(need / (h * keep))


def plan(req: PlanRequest) -> Plan:
    """The smallest host count per site that holds ``req``'s VMs (and, given ``req.hosts``, whether it fits there)."""
    if req.vms < 1 or req.vm_disk_bytes <= 0 or req.raw_per_host_bytes <= 0:
        raise ModelError("vms", "needs at least one VM, a disk size and host devices", "e.g. --vms 300 --vm-disk 200GB")
    best: tuple[int, str, Layout] | None = None
    notes: list[str] = []
    w_limit = req.witness_limit()
    for first, last, lay in _regimes(req):
        if first > last:
            continue
        comps = count_components([req.objects(lay)], 1, req.architecture, w_limit, req.flavor == "robo")
        if w_limit is not None and comps.witness > w_limit:
            notes.append(f"{lay.label}: {comps.witness} witness components exceed the {req.witness_size} witness "
                         f"limit {w_limit}")
            continue
        by_cap = _ceil(hosts_for_capacity(req, lay) / req.sites)
        by_comp = _ceil(comps.per_host / HOST_COMPONENT_LIMIT[req.architecture] / req.sites)
        n = max(first, by_cap, by_comp)
        if n > last:
            continue
        reason = "policy minimum" if n == first else ("capacity" if by_cap >= by_comp else "components")
        if best is None or n < best[0]:
            best = (n, reason, lay)
    fits_given = None
    if req.hosts is not None:
        fits_given = check_fits(req, req.hosts)
    if best is None:
        return Plan(req, None, "none fits", None, None, None, None, fits_given,
                    notes + [f"no {req.flavor} cluster of up to {FLAVOR_HOSTS[req.flavor][1]} hosts per site holds it"])
    n, reason, lay = best
    cap = capacity(req.raw_per_host_bytes, n * req.sites, req.rules(), float(lay.multiplier), [req.demand(lay)])
    comps = count_components([req.objects(lay)], n * req.sites, req.architecture, w_limit, req.flavor == "robo")
    if n < lay.recommended_fault_domains and req.flavor == "single":
        notes.append(f"{n} hosts leave no spare fault domain for {lay.label}: {lay.recommended_fault_domains} "
                     "recommended, so a failed host can be rebuilt")
    return Plan(req, n, reason, lay.label, cap.usable_bytes, cap.utilization, comps.per_host, fits_given, notes)


def check_fits(req: PlanRequest, hosts_per_site: int) -> bool:
    """Does the workload fit on ``hosts_per_site`` hosts (per site) by the full models? (Also the
    brute-force reference of the tests.)"""
    lo, hi = FLAVOR_HOSTS[req.flavor]
    if not lo <= hosts_per_site <= hi:
        return False
    lay = req.layout(hosts_per_site)
    need = lay.min_data_fault_domains if req.flavor == "robo" else lay.min_fault_domains
    if hosts_per_site < need:
        return False
    total = hosts_per_site * req.sites
    cap = capacity(req.raw_per_host_bytes, total, req.rules(), float(lay.multiplier), [req.demand(lay)])
    comps = count_components([req.objects(lay)], total, req.architecture, req.witness_limit(), req.flavor == "robo")
    return cap.fits and comps.fits_hosts and comps.fits_witness


def request_from_options(vms: int, vm_disk: str, policy: str, ftt: int | None, host: str, flavor: str,
                         architecture: str = "esa", **kw: object) -> PlanRequest:
    """A PlanRequest from the CLI's text (``--vm-disk 200GB --host 2x3.84TB-nvme``); ValueErrors become
    one-line ModelErrors naming the option."""
    try:
        disk = parse_bytes(vm_disk)
    except ValueError as exc:
        raise ModelError("--vm-disk", str(exc), "e.g. --vm-disk 200GB") from None
    try:
        groups = parse_device_groups(host)
    except ValueError as exc:
        raise ModelError("--host", str(exc), "e.g. --host 2x3.84TB-nvme") from None
    if architecture == "esa" and any(g["kind"] != "nvme" for g in groups):
        raise ModelError("--host", "ESA needs NVMe devices", "use -nvme devices or --architecture osa")
    if flavor not in FLAVOR_HOSTS:
        raise ModelError("--flavor", f"unknown flavor {flavor!r}", "choose robo, single or stretched")
    if architecture == "osa" and len(groups) > 1:
        groups = groups[1:]           # OSA: the first group is the cache tier, which holds no capacity
    raw = float(sum(g["count"] * g["capacity"] for g in groups))
    return PlanRequest(vms=vms, vm_disk_bytes=float(disk), raid=policy, ftt=ftt, architecture=architecture,
                       flavor=flavor, raw_per_host_bytes=raw, **kw)  # type: ignore[arg-type]
