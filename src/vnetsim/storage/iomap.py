"""The scenario mapped onto the I/O-path model (``vnetsim.storage.iopath``), and its result as the
row's ``io`` section: read and write latency per VM group in normal operation, where the time goes,
and how busy devices, NICs and the inter-site link are.

Mapping (docs/models/storage.md, "I/O path"):
- hosts 0..n-1, site by site; racks from ``fault_domains`` (hosts split evenly), else one rack per
  site; the hosts of a site are visited rack by rack in turn, so consecutive hosts sit in different
  racks and an object's components land on distinct fault domains;
- devices: the host's capacity devices (OSA: its cache tier too; a hybrid host reads 70 % of its
  cache capacity as read cache), each kind's figures from the scenario or the device defaults;
- network: the host's active NIC bandwidth; one switch hop inside a rack (none with direct
  connect), three across racks (leaf, spine, leaf); the inter-site link and its RTT; the hosts'
  send and receive latency from a host-kind run of ``storage.host.data_path`` at the busiest
  NIC's frame rate (``with_host_data_path``);
- each VM group's VMs are spread over the data hosts, VM by VM (the next group starts where the
  last one ended): one workload per host it runs on, with that host's VMs' I/Os over up to
  ``OBJECTS_PER_SHARD`` of their disks, each placed by the group's layout from a rotating first
  host; reads are local in two-node and stretched clusters. A group's latency is merged from its
  hosts (``io_result``);
- with ``storage.fabric``, the run's own traffic on that fabric gives each host pair's latency
  (``fabricmap.on_fabric``): the ``io`` section's ``fabric``.
"""

from __future__ import annotations

from dataclasses import asdict

from vnetsim.storage.config import Device, StorageScenario
from vnetsim.storage.devices import DEFAULTS
from vnetsim.storage.policy import Layout
from vnetsim.storage.sizing import Sizing

OBJECTS_PER_SHARD = 8       # disks a VM group addresses on each host it runs on
HYBRID_READ_CACHE_SHARE = 0.7     # OSA hybrid: 70 % of the cache device is read cache


def model_site(sc: StorageScenario, site: int) -> int:
    """The models' number of data site ``site`` (0: a, 1: b): the preferred site is the models'
    site 0, the one that keeps running with the witness when the inter-site link fails."""
    return site ^ 1 if sc.storage.flavor == "stretched" and sc.storage.sites_or_default.preferred == "b" else site


def site_hosts(sc: StorageScenario) -> list[list[int]]:
    """Host numbers of each of the models' data sites (preferred first), in rack-interleaved order.
    Hosts are numbered site by site: site a's first, then site b's."""
    st = sc.storage
    racks = st.fault_domains or 1
    per_rack = st.hosts // racks
    out: list[list[int]] = [[] for _ in range(st.data_sites)]
    for s in range(st.data_sites):
        base = s * st.hosts
        out[model_site(sc, s)] = [base + r * per_rack + i for i in range(per_rack) for r in range(racks)]
    return out


def racks_of_hosts(sc: StorageScenario) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the models' site, rack) of every host."""
    st = sc.storage
    racks = st.fault_domains or 1
    per_rack = st.hosts // racks
    site = tuple(model_site(sc, h // st.hosts) for h in range(st.total_hosts))
    rack = tuple(site[h] * racks + (h % st.hosts) // per_rack for h in range(st.total_hosts))
    return site, rack


def device_kind_of(d: Device):
    from vnetsim.storage.iopath.defaults import device_kind

    base = DEFAULTS[d.kind]
    return device_kind(d.kind, d.read_latency if d.read_latency is not None else base.read_latency_ns,
                       d.write_latency if d.write_latency is not None else base.write_latency_ns,
                       d.iops if d.iops is not None else base.iops,
                       d.throughput if d.throughput is not None else base.throughput_bps)


def host_devices(sc: StorageScenario):
    from vnetsim.storage.iopath import HostDevices

    h = sc.storage.host
    if h.disk_groups is not None:
        dg = h.disk_groups
        hybrid = dg.capacity.kind == "hdd"
        cache_bytes = HYBRID_READ_CACHE_SHARE * dg.cache.capacity * dg.count if hybrid else 0.0
        return HostDevices(device_kind_of(dg.capacity), dg.capacity.count * dg.count, device_kind_of(dg.cache),
                           dg.count, cache_bytes)
    main = max(h.devices, key=lambda d: d.count * d.capacity)      # ESA: the tier's main device group
    return HostDevices(device_kind_of(main), sum(d.count for d in h.devices))


def placement(layout: Layout, sites: list[list[int]], first: int, mirrored: bool):
    """One object of ``layout``: a copy per site (or in the first site only), from host ``first`` on."""
    from vnetsim.storage.iopath import Copy, ObjectPlacement

    copies = []
    for hosts in sites if mirrored else sites[:1]:
        n = len(hosts)
        pick = [hosts[(first + i) % n] for i in range(n)]
        if layout.mirrored:
            copies.append(Copy("raid1", tuple(pick[:layout.replicas])))
        else:
            width = layout.data_fragments + layout.parity_fragments
            perf = tuple(pick[:layout.ftt + 1]) if layout.architecture == "esa" else ()
            copies.append(Copy("ec", tuple(pick[:width]), layout.data_fragments, perf))
    return ObjectPlacement(tuple(copies))


def iopath_spec(sc: StorageScenario, sz: Sizing):
    """The ``IOPathSpec`` of a sized scenario (normal operation: no failures)."""
    from vnetsim.storage.iopath import Cluster, IOPathSpec, Network, Workload

    st = sc.storage
    sites = site_hosts(sc)
    order = [h for s in sites for h in s]
    site_of, rack_of = racks_of_hosts(sc)
    link = st.sites_or_default
    rtt = sz.network.inter_site_rtt_ns if sz.network.inter_site_rtt_ns is not None else 1e6
    net = Network(nic_bps=sz.network.host_nic_bps, hops_same_rack=0 if st.direct_connect else 1, hops_other_rack=3,
                  inter_site_bps=link.link, inter_site_rtt_ns=max(rtt, 1.0))
    workloads = []
    first = 0
    for g in sc.workload.vm_groups:
        if g.iops <= 0:
            continue
        lay = sz.group_layouts[g.name]
        shards = min(g.vms, len(order))
        for j in range(shards):
            vms = g.vms // shards + (1 if j < g.vms % shards else 0)
            owner = order[(first + j) % len(order)]
            local = [s for s in sites if owner in s][0]
            # the owner's site first, so that the owner's copy is the local one
            ordered = [local] + [s for s in sites if s is not local]
            start = local.index(owner)
            n_obj = min(vms * g.disks, OBJECTS_PER_SHARD)
            objs = tuple(placement(lay, ordered, start + k, lay.sites == 2) for k in range(n_obj))
            workloads.append(Workload(shard_name(g.name, j), owner, vms * g.iops, g.read_fraction, objs,
                                      (g.block_size,), (1.0,), g.burstiness, g.working_set * g.disk * g.disks * vms))
        first += shards
    spec = IOPathSpec(Cluster(site_of, rack_of), host_devices(sc), net, tuple(workloads), st.architecture,
                      local_reads=st.flavor in ("robo", "stretched"))
    return with_host_data_path(sc, spec)


MIN_HOST_PACKETS = 200          # a host-kind run long enough to see this many frames


def with_host_data_path(sc: StorageScenario, spec):
    """``spec`` with the hosts' send and receive latency from a host-kind run (``network_from_host``)
    at the busiest NIC's frame rate and mean frame (``nic_load``); unchanged when
    ``options.host_data_path`` is off or the NICs see under ``MIN_HOST_PACKETS`` frames a second."""
    from dataclasses import replace

    from vnetsim.errors import ModelError
    from vnetsim.storage.iopath import network_from_host, nic_load

    if not sc.options.host_data_path or not spec.workloads:
        return spec
    pps, frame = nic_load(spec)
    if pps < MIN_HOST_PACKETS:
        return spec
    duration_ns = min(max(20e6, MIN_HOST_PACKETS / pps * 1e9), 1e9)
    try:
        net = network_from_host(sc.storage.host.data_path, spec.network, packets_per_s=pps, frame_bytes=frame,
                                duration_ns=duration_ns, seed=sc.seed)
    except ModelError as exc:
        raise ModelError("storage.host.data_path", exc.what, exc.fix) from None
    return replace(spec, network=net)


def shard_name(group: str, j: int) -> str:
    return f"{group}#{j}"


def group_of_workloads(spec) -> dict[str, str]:
    """Workload name -> its VM group, for every non-background workload of ``spec``."""
    return {w.name: w.name.rsplit("#", 1)[0] for w in spec.workloads if not w.background}


def io_section(sc: StorageScenario, sz: Sizing, progress=None) -> dict | None:
    """``groups`` (per VM group: reads, writes, stages), utilisations and I/O conservation; None
    when no VM group issues I/O. ``progress(fraction)``: how far the I/O run is (``simulate``)."""
    from vnetsim.errors import ModelError
    from vnetsim.storage.iopath import simulate

    try:
        spec = iopath_spec(sc, sz)
    except ModelError as exc:
        raise exc.within("workload") from None
    if not spec.workloads:
        return None
    fabric = None
    if sc.storage.fabric is not None:
        from vnetsim.storage.fabricmap import on_fabric

        run = on_fabric(sc, spec)
        spec, fabric = run.spec, run.summary
    try:
        res = simulate(spec, duration_s=sc.options.duration / 1e9, seed=sc.seed, progress=progress)
    except ModelError as exc:
        raise exc.within("workload") from None
    out = io_result(res, group_of_workloads(spec))
    if fabric is not None:
        out["fabric"] = fabric
    return out


def _merge_latency(parts: list) -> dict:
    """One group's latency from its hosts' (``Latency`` each): count, mean and max exact; each
    percentile the largest over the hosts that saw I/O, an upper bound of the group's own (a
    mixture's quantile never exceeds the largest of its components')."""
    seen = [p for p in parts if p.count > 0]
    n = sum(p.count for p in seen)
    out = {"count": n, "mean": sum(p.count * p.mean for p in seen) / n if n else float("nan")}
    for q in ("p50", "p90", "p99", "p999", "max"):
        out[q] = max((getattr(p, q) for p in seen), default=float("nan"))
    return out


def _merge_stages(parts: list[tuple[int, dict[str, float]]]) -> dict[str, float]:
    n = sum(c for c, _ in parts)
    keys = sorted({k for _, st in parts for k in st})
    return {k: (sum(c * st.get(k, 0.0) for c, st in parts) / n if n else 0.0) for k in keys}


def io_result(res, group_of: dict[str, str]) -> dict:
    """An ``IOPathResult`` as the row's JSON-ready ``io`` fields: one entry per VM group, merged from
    the workloads it ran as (``group_of``); background workloads (resync) left out."""
    by_group: dict[str, list] = {}
    for g in res.groups:
        if not g.background and g.name in group_of:
            by_group.setdefault(group_of[g.name], []).append(g)
    groups = {name: {"hosts": len(parts),
                     "reads": _merge_latency([p.reads for p in parts]),
                     "writes": _merge_latency([p.writes for p in parts]),
                     "read_stages_ns": _merge_stages([(p.reads.count, p.read_stages_ns) for p in parts]),
                     "write_stages_ns": _merge_stages([(p.writes.count, p.write_stages_ns) for p in parts])}
              for name, parts in by_group.items()}
    dev = list(res.device_utilisation)
    nic = list(res.nic_utilisation)
    return {"duration_s": res.duration_s, "groups": groups,
            "device_utilisation": {"max": max(dev, default=0.0), "mean": sum(dev) / len(dev) if dev else 0.0},
            "nic_utilisation": {"max": max(nic, default=0.0), "mean": sum(nic) / len(nic) if nic else 0.0},
            "inter_site_utilisation": list(res.inter_site_utilisation), "conservation": asdict(res.conservation)}
