"""What the storage I/O path is given: plain numbers in frozen dataclasses, no scenario schema.

The storage kind (``vnetsim.storage.kind``) builds an ``IOPathSpec`` from a validated scenario; tests
and benchmarks build one by hand. Every time is in ns unless the name says otherwise, every rate in
bits or I/Os per second, every size in bytes. Hosts are numbered 0..n-1; ``Cluster`` says which site
and rack each is in.

Model (docs/models/storage-io.md):
- A VM group (``Workload``) runs on one host (its *owner*, where the object's I/O is coordinated) and
  issues I/Os at ``iops`` with interarrival gaps of squared coefficient of variation
  ``interarrival_scv`` (1: Poisson; above 1: burstier; gamma-distributed gaps). Each I/O is a read
  with probability ``read_fraction``; its size is drawn from ``block_bytes`` / ``block_weights``; it
  addresses one of the group's objects (``objects``) uniformly.
- An object (``ObjectPlacement``) is one or two copies (two: a stretched cluster's site mirroring);
  a copy is RAID-1 replicas or an erasure-coded stripe, each component on a host.
- A write goes to every replica of every copy and completes when the slowest leg has come back (a
  k-way max). OSA erasure coding does a read-modify-write per small write: the data fragment's host
  and every parity host read the old block and write the new one. ESA erasure coding writes first to
  a RAID-1 performance leg (``perf_leg`` hosts) and acknowledges from there.
- A read goes to one replica (``local_reads``: one on the owner's site, the owner itself when it has
  one, as in two-node and stretched clusters) or, for erasure codes, the data fragment's host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

CopyKind = Literal["raid1", "ec"]
Architecture = Literal["osa", "esa"]


@dataclass(frozen=True)
class ServiceTime:
    """A device's time to serve one I/O: a lognormal of mean ``mean_ns`` and squared coefficient of
    variation ``scv`` (0: constant), plus ``size_bytes * 8e9 / transfer_bps`` for the transfer."""

    mean_ns: float
    scv: float = 0.25
    transfer_bps: float = float("inf")


@dataclass(frozen=True)
class DeviceKind:
    """One kind of device (NVMe, SAS SSD, HDD): read and write service and its parallelism.

    ``queue_depth``: I/Os the device serves at once (its internal parallelism: flash channels, one
    head for a disk); more wait in FIFO order. Peak IOPS is about ``queue_depth / mean_ns * 1e9``.
    """

    name: str
    read: ServiceTime
    write: ServiceTime
    queue_depth: int = 1


@dataclass(frozen=True)
class HostDevices:
    """The devices of every host (the cluster is homogeneous).

    OSA: ``cache`` is the cache tier of the disk groups (writes land there; reads hit it with the
    probability ``min(1, read_cache_bytes / working set)``, 0 for all-flash where the cache tier is
    a write buffer only) and ``capacity`` serves the other reads. ESA is single-tier: ``cache`` is
    None and every I/O goes to a ``capacity`` device. An I/O picks one device of its tier uniformly.
    """

    capacity: DeviceKind
    capacity_count: int = 1
    cache: DeviceKind | None = None
    cache_count: int = 0
    read_cache_bytes: float = 0.0


@dataclass(frozen=True)
class Cluster:
    """Where each host is: ``site_of_host[h]`` (0 or 1 for data sites) and ``rack_of_host[h]``."""

    site_of_host: tuple[int, ...]
    rack_of_host: tuple[int, ...]

    @property
    def hosts(self) -> int:
        return len(self.site_of_host)


JITTER_ATOMS = 64          # atoms per pair of a PairJitter (their cells: jitter.cell_edges)


@dataclass(frozen=True)
class PairJitter:
    """Per host pair, the spread of its fabric time around ``Network.pair_ns``: ``row[a, b]`` the
    row of ``atoms_ns`` for pair (a, b) (-1: none, the pair's time is fixed), each row
    ``JITTER_ATOMS`` deviations (ns, float32: the draws use them as float32) from ``pair_ns[a, b]``,
    each as likely as its probability cell (``jitter.cell_edges``), never below ``-pair_ns[a, b]``
    (``vnetsim.storage.iopath.jitter``)."""

    row: np.ndarray
    atoms_ns: np.ndarray


@dataclass(frozen=True)
class Network:
    """The network between hosts, per message (a leg's request or its reply).

    ``host_tx_ns`` / ``host_rx_ns``: the sending / receiving host's data path (kernel stack, vSwitch,
    NIC), e.g. the host kind's per-packet latency; ``nic_bps``: the host NIC rate (each host's
    transmit side is a FIFO queue at that rate); ``hop_ns``: one fabric hop (switch latency plus
    propagation, e.g. from a fabric run), ``hops_same_rack`` / ``hops_other_rack`` switches between
    two hosts; ``inter_site_bps`` / ``inter_site_rtt_ns``: the inter-site link, a FIFO queue per
    direction at that rate plus half the round-trip time each way; ``header_bytes``: a read request
    or a write acknowledgement on the wire.

    ``pair_ns`` (optional, hosts x hosts): the fabric's one-way time from host a's NIC to host b
    (``pair_ns[a, b]``: switches, links and their queues, after a's own NIC has sent the message),
    measured by a fabric run carrying this cluster's traffic (``vnetsim.storage.iopath.onfabric``);
    where given and finite it replaces ``hops * hop_ns`` between two hosts of one site (a request
    takes ``pair_ns[owner, target]``, its reply ``pair_ns[target, owner]``). ``pair_jitter``
    (optional, with ``pair_ns``): each such request and reply draws its deviation from the pair's
    mean from the fabric's measured distribution instead (``PairJitter``).
    """

    nic_bps: float = 25e9
    host_tx_ns: float = 5_000.0
    host_rx_ns: float = 5_000.0
    hop_ns: float = 500.0
    hops_same_rack: int = 1
    hops_other_rack: int = 3
    inter_site_bps: float = 10e9
    inter_site_rtt_ns: float = 1e6
    header_bytes: int = 128
    pair_ns: np.ndarray | None = field(default=None, compare=False, repr=False)
    pair_jitter: PairJitter | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Copy:
    """One copy of an object in one site: RAID-1 replicas (``kind="raid1"``, ``hosts`` = one host per
    replica) or an erasure-coded stripe (``kind="ec"``, ``hosts`` = the k data then the m parity
    fragments' hosts). ``perf_leg``: ESA's RAID-1 performance leg hosts (empty for OSA)."""

    kind: CopyKind
    hosts: tuple[int, ...]
    data_fragments: int = 1
    perf_leg: tuple[int, ...] = ()

    @property
    def parity_fragments(self) -> int:
        return len(self.hosts) - self.data_fragments if self.kind == "ec" else 0


@dataclass(frozen=True)
class ObjectPlacement:
    """One object (a VM disk): its copies (one, or two with site mirroring)."""

    copies: tuple[Copy, ...]


@dataclass(frozen=True)
class Workload:
    """One VM group: where it runs, what it asks for, which objects it addresses."""

    name: str
    host: int
    iops: float
    read_fraction: float
    objects: tuple[ObjectPlacement, ...]
    block_bytes: tuple[int, ...] = (4096,)
    block_weights: tuple[float, ...] = (1.0,)
    interarrival_scv: float = 1.0
    working_set_bytes: float = 100e9
    background: bool = False     # resync or other load: queued like the rest, reported apart


@dataclass(frozen=True)
class HostFailure:
    """Host ``host`` fails at ``t_s``: I/Os that reach it stall until ``t_s + stall_s`` (the cluster
    declares it absent), then complete on the other components; later I/Os skip it."""

    t_s: float
    host: int
    stall_s: float = 6.0


@dataclass(frozen=True)
class IOPathSpec:
    """Everything one I/O-path run needs."""

    cluster: Cluster
    devices: HostDevices
    network: Network
    workloads: tuple[Workload, ...]
    architecture: Architecture = "esa"
    local_reads: bool = False
    failures: tuple[HostFailure, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------------------------
# Results

@dataclass(frozen=True)
class Latency:
    """Latency percentiles of one VM group's reads or writes, ns (``LogHistogram.summary``)."""

    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    p999: float
    max: float


@dataclass(frozen=True)
class GroupResult:
    """One VM group: read and write latency and where the time goes (mean ns per leg per stage:
    ``nic`` queue and serialization at the sender, ``network`` fixed hops there and back,
    ``inter_site`` queue, ``device_wait``, ``device_service``, ``stall``)."""

    name: str
    background: bool
    reads: Latency
    writes: Latency
    read_stages_ns: dict[str, float]
    write_stages_ns: dict[str, float]


@dataclass(frozen=True)
class Conservation:
    """I/O accounting at the end of the run: ``issued == completed + in_flight + failed``, and the
    same for legs (``legs_issued == legs_done + legs_in_flight``). ``in_flight``: I/Os not complete
    at the end (a leg still on its way, or the last leg back after the end of an undrained run);
    ``failed``: I/Os with nothing left to read or write (every component they need is down)."""

    issued: int
    completed: int
    in_flight: int
    failed: int
    legs_issued: int
    legs_done: int
    legs_in_flight: int


@dataclass(frozen=True)
class IOPathResult:
    """What ``simulate`` returns: per group latency, per device and link utilisation, conservation."""

    groups: tuple[GroupResult, ...]
    device_utilisation: tuple[float, ...]      # busy fraction per device (servers busy / queue depth)
    nic_utilisation: tuple[float, ...]         # per host transmit side
    inter_site_utilisation: tuple[float, ...]  # per direction (site 0 -> 1, 1 -> 0)
    conservation: Conservation
    duration_s: float
    seed: int
