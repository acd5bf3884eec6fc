"""The ``storage`` scenario schema: a hyper-converged cluster, its policy, capacity rules, workload,
failures and prices.

Every default names its source in docs/models/storage.md. Flavors:

- ``robo``: two data hosts and a witness (appliance or host) at a third place, optionally with the
  two hosts cabled back to back (direct connect);
- ``single``: one site of 3 to 64 hosts, optionally grouped into fault domains (racks);
- ``stretched``: two data sites of ``hosts`` each, a witness site, an inter-site link whose RTT
  follows from the distance unless given.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vnetsim.scenario.base import VariantsField
from vnetsim.storage.devices import DEVICE_KINDS, parse_device_groups
from vnetsim.storage.limits import MAX_HOSTS, MAX_HOSTS_PER_SITE
from vnetsim.units.fields import BitRateBps, Bytes, DurationNs

MAX_DISK_GROUPS = 5             # OSA: up to 5 disk groups per host
MAX_CAPACITY_DEVICES_PER_GROUP = 7   # OSA: 1 cache + up to 7 capacity devices per disk group


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


DeviceKind = Literal["nvme", "sas-ssd", "sata-ssd", "hdd"]


class Device(Strict):
    """A group of identical devices in a host. Figures left out come from the kind's defaults."""

    count: int = Field(1, ge=1, le=64, description="devices of this group in each host")
    capacity: Bytes = Field(description="capacity of one device, e.g. 3.84TB (decimal units, as sold)")
    kind: DeviceKind = Field("nvme", description=f"one of {', '.join(DEVICE_KINDS)}")
    read_latency: DurationNs | None = Field(None, description="service time of a 4 KiB read (default per kind)")
    write_latency: DurationNs | None = Field(None, description="service time of a 4 KiB write (default per kind)")
    iops: float | None = Field(None, gt=0, le=1e8, description="4 KiB random IOPS of one device (default per kind)")
    throughput: BitRateBps | None = Field(None, description="sequential throughput (default per kind)")
    afr: float | None = Field(None, ge=0, le=1, description="annual failure rate (HDD 0.015, SSD 0.008)")
    price: float | None = Field(None, ge=0, description="price of one device (else from prices.device_per_tb)")

    @field_validator("capacity")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 10**9:
            raise ValueError("a device holds at least 1 GB")
        return v


def _device_groups(value: Any) -> Any:
    """Accept ``"2x3.84TB-nvme"`` (the planner's notation) as well as a list of device groups."""
    return parse_device_groups(value) if isinstance(value, str) else value


class DiskGroup(Strict):
    """OSA: one cache device in front of 1-7 capacity devices; a host has 1-5 such groups."""

    count: int = Field(1, ge=1, le=MAX_DISK_GROUPS, description="disk groups per host")
    cache: Device = Field(description="the cache device of each group (its capacity is not counted)")
    capacity: Device = Field(description="the capacity devices of each group (count: 1-7)")

    @model_validator(mode="after")
    def _check(self) -> DiskGroup:
        if self.capacity.count > MAX_CAPACITY_DEVICES_PER_GROUP:
            raise ValueError(f"a disk group has at most {MAX_CAPACITY_DEVICES_PER_GROUP} capacity devices")
        if self.cache.count != 1:
            raise ValueError("a disk group has exactly one cache device")
        return self


def _positive_rate(v: float, what: str) -> float:
    if v <= 0:
        raise ValueError(f"{what} needs a bandwidth above 0, e.g. 10Gbps")
    return v


class Nic(Strict):
    speed: BitRateBps = Field(25e9, description="speed of one storage NIC port (ESA needs 25 GbE, OSA all-flash 10)")
    count: int = Field(2, ge=1, le=8, description="storage NIC ports per host (active/standby counts one)")
    active: int = Field(1, ge=1, le=8, description="ports carrying storage traffic at once")

    @field_validator("speed")
    @classmethod
    def _speed(cls, v: float) -> float:
        return _positive_rate(v, "a storage NIC")


class HostModel(Strict):
    """One data host (all data hosts of a cluster are alike)."""

    devices: list[Device] = Field(default_factory=list, description="ESA: the single tier of devices "
                                  "(or a string like '4x3.84TB-nvme')")
    disk_groups: DiskGroup | None = Field(None, description="OSA: cache + capacity disk groups")
    nic: Nic = Field(default_factory=Nic)
    rack_units: int = Field(1, ge=1, le=8, description="rack units of one host")
    afr: float = Field(0.04, ge=0, le=1, description="hard failures of a host per year (MTTF 25 years)")
    price: float | None = Field(None, ge=0, description="price of one host without devices")
    data_path: dict[str, Any] | None = Field(None, description="the hosts' data path as a host-kind 'host:' "
                                             "section (pNIC, steering, service); default the host kind's defaults")

    @field_validator("devices", mode="before")
    @classmethod
    def _devices(cls, v: Any) -> Any:
        return _device_groups(v)

    def capacity_devices(self) -> list[Device]:
        """The devices whose capacity counts (ESA: all; OSA: the capacity tier of every disk group)."""
        if self.disk_groups is not None:
            dg = self.disk_groups
            return [dg.capacity.model_copy(update={"count": dg.capacity.count * dg.count})]
        return list(self.devices)

    def all_devices(self) -> list[Device]:
        if self.disk_groups is not None:
            dg = self.disk_groups
            return [dg.cache.model_copy(update={"count": dg.count}),
                    dg.capacity.model_copy(update={"count": dg.capacity.count * dg.count})]
        return list(self.devices)

    def raw_bytes(self) -> int:
        return sum(d.count * d.capacity for d in self.capacity_devices())


class Witness(Strict):
    """The witness of a two-node or stretched cluster: a virtual appliance or a physical host."""

    type: Literal["appliance", "host"] = "appliance"
    size: Literal["tiny", "medium", "large", "extra-large"] = Field(
        "medium", description="appliance size: its component limit (tiny 750, medium 21,833, large 45,000, "
        "extra-large 64,000)")
    rtt: DurationNs = Field(50e6, description="round trip from the data sites to the witness")
    link: BitRateBps = Field(100e6, description="bandwidth from each data site to the witness")
    rack_units: int = Field(1, ge=0, le=8, description="rack units of a witness host (an appliance takes 0)")
    price: float | None = Field(None, ge=0, description="price of a witness host or appliance licence")

    @field_validator("link")
    @classmethod
    def _link(cls, v: float) -> float:
        return _positive_rate(v, "the witness link")


class Sites(Strict):
    """Stretched clusters: the two data sites and the link between them."""

    distance_km: float = Field(10.0, ge=0, le=5000, description="fibre distance between the data sites")
    rtt: DurationNs | None = Field(None, description="measured RTT between the sites (default: 2 x 4.9 us/km "
                                   "x distance + switching)")
    link: BitRateBps = Field(10e9, description="inter-site link bandwidth (documented minimum 10 Gbps)")
    preferred: Literal["a", "b"] = Field("a", description="the site that keeps running when the sites split")

    @field_validator("link")
    @classmethod
    def _link(cls, v: float) -> float:
        return _positive_rate(v, "the inter-site link")


class Policy(Strict):
    raid: Literal["raid1", "raid5", "raid6"] = "raid1"
    ftt: int | None = Field(None, ge=0, le=3, description="failures to tolerate inside a site (RAID-5: 1, RAID-6: 2)")
    site_mirroring: bool = Field(True, description="stretched: mirror every object across both sites")
    stripe_width: int = Field(1, ge=1, le=12, description="capacity devices each replica is striped over")
    object_space_reservation: float = Field(0.0, ge=0, le=1, description="share of each disk reserved up front "
                                            "(thick provisioning)")


class Capacity(Strict):
    """Free space rules (docs/models/storage.md, "Capacity")."""

    reserve: Literal["auto", "slack", "reserved", "none"] = Field(
        "auto", description="auto: operations + host-rebuild reserve on a single site without fault domains, "
        "slack elsewhere (the reserve mechanism does not apply to 2-node, stretched or fault-domain clusters)")
    slack: float = Field(0.30, ge=0, lt=1, description="free share of raw capacity kept as slack")
    operations_reserve: float = Field(0.10, ge=0, lt=1, description="operations reserve, share of raw capacity")
    operations_buffer: float = Field(0.05, ge=0, lt=1, description="extra buffer added to the operations reserve")
    host_rebuild_reserve: bool = Field(True, description="keep one host's capacity free to rebuild a failed host")
    dedupe_ratio: float = Field(1.0, ge=1, le=10, description="logical / physical bytes after dedupe+compression")
    dedupe_metadata: float = Field(0.05, ge=0, lt=1, description="share of raw capacity dedupe metadata takes "
                                   "(OSA, when dedupe_ratio > 1)")


class VmGroup(Strict):
    """VMs alike in size and I/O."""

    name: str
    vms: int = Field(1, ge=1, le=100_000)
    disk: Bytes = Field(description="size of each virtual disk, e.g. 200GB")
    disks: int = Field(1, ge=1, le=64, description="virtual disks per VM")
    memory: Bytes = Field(0, description="VM memory: the swap object's size (thin: counted as components only)")
    iops: float = Field(0.0, ge=0, le=1e7, description="I/Os per second of one VM")
    read_fraction: float = Field(0.7, ge=0, le=1, description="share of reads")
    block_size: Bytes = Field(4096, description="I/O size (the vendor's bandwidth examples use 4 KB)")
    burstiness: float = Field(1.0, gt=0, le=100, description="squared coefficient of variation of the gaps "
                              "between the group's I/Os (1: Poisson; above 1: burstier)")
    working_set: float = Field(0.1, gt=0, le=1, description="share of the disk the I/Os touch")
    used: float = Field(1.0, ge=0, le=1, description="share of each disk written (thin disks use only that)")
    policy: Policy | None = Field(None, description="this group's policy (default: the cluster's)")


class Failure(Strict):
    """A failure injected into the rebuild model (docs/models/storage-io.md, "Failures and rebuilds").

    A device or disk-group failure makes its components degraded (rebuilt at once); a host, rack or
    site failure makes them absent (rebuilt after ``storage.rebuild.repair_delay`` unless the
    failed part is back before); the witness and the inter-site link hold no data.
    """

    name: str = "failure"
    component: Literal["device", "disk_group", "host", "rack", "site", "witness", "inter_site_link"] = "host"
    at: DurationNs = Field(0.0, description="when it fails, after the start")
    target: str = Field("0", description="which one: a host or rack number (0, 1, ...), a site 'a' or 'b', a "
                        "device or disk group as HOST.INDEX (e.g. '2.0'); ignored for witness and inter_site_link")
    recover: DurationNs | None = Field(None, description="when it comes back, after the start (None: never)")

    @model_validator(mode="after")
    def _check(self) -> Failure:
        t = self.target.strip()
        ok = {"site": t in ("a", "b", "0", "1"), "device": _dotted(t), "disk_group": _dotted(t),
              "host": t.isdigit(), "rack": t.isdigit()}.get(self.component, True)
        if not ok:
            raise ValueError(f"target {self.target!r} does not name a {self.component}: use a number for a host or "
                             "rack, 'a' or 'b' for a site, HOST.INDEX for a device or disk group")
        if self.recover is not None and self.recover <= self.at:
            raise ValueError("recover must come after the failure ('at')")
        return self


def _dotted(text: str) -> bool:
    parts = text.split(".")
    return 1 <= len(parts) <= 2 and all(p.isdigit() for p in parts)


class Rebuild(Strict):
    repair_delay: DurationNs = Field(3600e9, description="wait before rebuilding absent components (60 min)")
    throttle: BitRateBps | None = Field(None, description="resync bandwidth cap per host (None: adaptive resync)")
    stall: DurationNs = Field(6e9, description="I/O stall when a host fails, until it is declared absent (5-7 s)")

    @field_validator("throttle")
    @classmethod
    def _throttle(cls, v: float | None) -> float | None:
        return None if v is None else _positive_rate(v, "the resync throttle")


class Prices(Strict):
    currency: str = "USD"
    host: float = Field(0.0, ge=0, description="one data host without devices")
    device_per_tb: dict[str, float] = Field(default_factory=dict, description="price per TB by device kind")
    switch: float = Field(0.0, ge=0, description="one top-of-rack switch")
    witness: float = Field(0.0, ge=0, description="a witness host (or appliance licence)")
    per_rack_unit_year: float = Field(0.0, ge=0, description="rack space per unit and year")


FABRIC_TOPOLOGIES = ("spine_leaf", "l2_stp", "three_tier", "single_switch")   # laid out as racks x hosts


class StorageFabric(Strict):
    """The fabric under the cluster (docs/models/storage-io.md, "The fabric under the cluster"): the
    storage run puts its own replication, read and resync traffic on it and feeds the latency each
    host pair sees under that load back into the I/O path."""

    layout: dict[str, Any] = Field(description="the fabric kind's 'fabric:' section (docs/models/fabric.md): "
                                   "topology (spine_leaf, l2_stp, three_tier or single_switch), racks, "
                                   "hosts_per_rack, leaf, spine, l2, switch, ...; host.nic_speed and host.nics come "
                                   "from storage.host.nic")
    mtu: int = Field(9000, ge=1500, le=9000, description="IP MTU of the storage network: 9000 (jumbo frames, "
                     "as vSAN networks are usually set up) or 1500")
    level: Literal["auto", "packet", "flow"] = Field("auto", description="packet: every frame through the "
                                                     "fabric's queues; flow: link loads only (no queueing); auto: "
                                                     "packet unless the fabric kind picks flow for its size")
    packets: int = Field(150_000, ge=1000, le=5_000_000, description="frames a packet-level run simulates (its "
                         "fabric time is this many frames at the offered rate, 1-200 ms)")

    @field_validator("layout")
    @classmethod
    def _layout(cls, v: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        from vnetsim.fabric import FabricConfig

        try:
            cfg = FabricConfig.model_validate(v)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ValueError(f"{where}: {err['msg']}" if where else err["msg"]) from None
        if cfg.topology not in FABRIC_TOPOLOGIES:
            raise ValueError(f"topology {cfg.topology} is not laid out as racks of hosts; use one of "
                             f"{', '.join(FABRIC_TOPOLOGIES)}")
        return v


class Storage(Strict):
    flavor: Literal["robo", "single", "stretched"] = "single"
    architecture: Literal["esa", "osa"] = "esa"
    hosts: int = Field(4, ge=1, le=MAX_HOSTS, description="data hosts (per site when stretched; robo: 2)")
    host: HostModel
    fault_domains: int = Field(0, ge=0, le=MAX_HOSTS, description="single: racks as fault domains (0: each host "
                               "is its own)")
    switches_per_site: int = Field(2, ge=0, le=64, description="top-of-rack switches per site (robo direct "
                                   "connect: 0)")
    switch_rack_units: int = Field(1, ge=0, le=8)
    direct_connect: bool = Field(False, description="robo: the two hosts cabled back to back")
    witness: Witness | None = Field(None, description="robo and stretched: the witness (default an appliance)")
    sites: Sites | None = Field(None, description="stretched: the sites and the link between them")
    intra_site_rtt: DurationNs = Field(0.2e6, description="RTT between hosts of one site (limit 1 ms)")
    policy: Policy = Field(default_factory=Policy)
    capacity: Capacity = Field(default_factory=Capacity)
    rebuild: Rebuild = Field(default_factory=Rebuild)
    fabric: StorageFabric | None = Field(None, description="the fabric under the cluster: its replication "
                                         "traffic runs on it (default none: fixed switch hops)")

    @model_validator(mode="after")
    def _check(self) -> Storage:
        h = self.host
        if self.architecture == "esa" and (h.disk_groups is not None or not h.devices):
            raise ValueError("ESA hosts have a single tier: give host.devices (e.g. '4x3.84TB-nvme'), not disk_groups")
        if self.architecture == "osa" and h.disk_groups is None:
            raise ValueError("OSA hosts need host.disk_groups (cache + capacity devices)")
        if self.architecture == "esa" and any(d.kind != "nvme" for d in h.devices):
            raise ValueError("ESA needs NVMe devices (kind: nvme)")
        if self.flavor == "robo" and self.hosts != 2:
            raise ValueError(f"a robo (two-node) cluster has exactly 2 data hosts, got hosts: {self.hosts}")
        if self.flavor == "single" and self.hosts < 3:
            raise ValueError(f"a single-site cluster has at least 3 hosts, got {self.hosts} (use flavor robo for 2)")
        if self.flavor == "stretched" and self.hosts > MAX_HOSTS_PER_SITE:
            raise ValueError(f"a stretched cluster has at most {MAX_HOSTS_PER_SITE} hosts per site, got {self.hosts}")
        if self.direct_connect and self.flavor != "robo":
            raise ValueError("direct_connect applies to robo (two-node) clusters only")
        if self.fault_domains and self.flavor != "single":
            raise ValueError("fault_domains applies to single-site clusters (the sites are the fault domains)")
        if self.fault_domains > self.hosts:
            raise ValueError(f"{self.fault_domains} fault domains for {self.hosts} hosts: at most one per host")
        if self.fault_domains and self.hosts % self.fault_domains:
            raise ValueError(f"{self.hosts} hosts do not split evenly over {self.fault_domains} fault domains")
        return self

    @property
    def data_sites(self) -> int:
        return 2 if self.flavor == "stretched" else 1

    @property
    def total_hosts(self) -> int:
        return self.hosts * self.data_sites

    @property
    def has_witness(self) -> bool:
        return self.flavor in ("robo", "stretched")

    @property
    def witness_or_default(self) -> Witness:
        return self.witness or Witness()

    @property
    def sites_or_default(self) -> Sites:
        return self.sites or Sites()


class Workload(Strict):
    vm_groups: list[VmGroup] = Field(default_factory=list)

    @field_validator("vm_groups")
    @classmethod
    def _unique(cls, v: list[VmGroup]) -> list[VmGroup]:
        names = [g.name for g in v]
        if len(set(names)) != len(names):
            raise ValueError("VM group names must be unique")
        return v


AvailabilityMethod = Literal["markov", "montecarlo", "importance"]


def _markov_only() -> list[AvailabilityMethod]:
    return ["markov"]


class Availability(Strict):
    """Availability and durability: which methods, and the failure figures beyond the devices' and
    hosts' AFR (docs/models/storage-availability.md)."""

    enabled: bool = Field(True, description="compute availability and durability")
    methods: list[AvailabilityMethod] = Field(
        default_factory=_markov_only, description="markov (exact), montecarlo (simulated cluster-years), "
        "importance (rare-event simulation)")
    years: float = Field(2e5, ge=1e3, le=1e9, description="simulated cluster-years of the Monte Carlo method")
    rack_events_per_year: float = Field(0.0, ge=0, le=100, description="events taking a whole rack down at once")
    site_events_per_year: float = Field(0.0, ge=0, le=100, description="events taking a whole site down at once")
    host_repair: DurationNs = Field(72 * 3600e9, description="a failed host repaired or replaced")
    rack_repair: DurationNs = Field(24 * 3600e9, description="a failed rack back")
    site_repair: DurationNs = Field(24 * 3600e9, description="a failed site back")
    witness_afr: float = Field(0.04, ge=0, le=1, description="witness failures per year")
    witness_repair: DurationNs = Field(24 * 3600e9, description="a failed witness redeployed")
    what_if_hosts: int = Field(3, ge=0, le=8, description="rows of the what-if table: 1..N hosts failed")


class Options(Strict):
    """How hard the I/O simulation works."""

    io: bool = Field(True, description="simulate the I/O path")
    host_data_path: bool = Field(True, description="derive the hosts' send and receive latency from a host-kind "
                                 "run at the busiest NIC's frame rate (off: 5 us each)")
    duration: DurationNs = Field(1e9, description="simulated time of the I/O path")


class StorageScenario(Strict):
    name: str = "storage cluster"
    description: str = ""
    seed: int = Field(1, ge=0, le=2**63 - 1)
    storage: Storage
    workload: Workload = Field(default_factory=Workload)
    failures: list[Failure] = Field(default_factory=list)
    prices: Prices | None = None
    availability: Availability = Field(default_factory=Availability)
    options: Options = Field(default_factory=Options)
    variants: list[dict] = VariantsField
