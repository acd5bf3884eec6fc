"""The scenario's ``storage.fabric`` mapped onto the fabric runs of the I/O path
(``vnetsim.storage.iopath.onfabric``): where each cluster host sits on the fabric, and the run of
an I/O-path spec's traffic on it.

Mapping (docs/models/storage-io.md, "The fabric under the cluster"):
- every data site has the fabric ``storage.fabric.layout`` (a stretched cluster: one each, alike;
  the inter-site link stays the I/O path's);
- with ``storage.fault_domains`` F, fault domain (rack) f of a site is fabric rack f and its hosts
  take that rack's first host slots; without, the site's hosts fill the fabric's racks in order
  (``hosts_per_rack`` each: host i in rack ``i // hosts_per_rack``);
- each host has one active storage port: the fabric's ``host.nics`` is 1 and ``host.nic_speed``
  the storage NIC's speed (a layout that says otherwise is refused);
- impossible layouts are one-line errors naming the field: too few racks for the fault domains,
  too few host slots in a rack or in the fabric, a direct-connected two-node cluster (no fabric),
  more than one active port.
"""

from __future__ import annotations

from vnetsim.errors import ModelError
from vnetsim.storage.config import StorageScenario

FIELD = "storage.fabric"


def _speed_text(bps: float) -> str:
    return f"{bps / 1e6:.6g}Mbps"


def fabric_layout(sc: StorageScenario) -> dict:
    """The fabric-kind ``fabric:`` document of every site: the scenario's layout with the hosts'
    storage port (``host.nics`` 1, ``host.nic_speed`` the storage NIC's)."""
    from vnetsim.fabric import FabricConfig

    st = sc.storage
    assert st.fabric is not None
    layout = dict(st.fabric.layout)
    given = dict(layout.get("host") or {})
    speed = st.host.nic.speed
    cfg = FabricConfig.model_validate(layout)
    if "nic_speed" in given and abs(cfg.host.nic_speed - speed) > 1e-6 * speed:
        raise ModelError(f"{FIELD}.layout.host.nic_speed", f"{given['nic_speed']} differs from the storage NIC "
                         f"(storage.host.nic.speed {_speed_text(speed)})", "leave it out: it comes from "
                         "storage.host.nic")
    if cfg.host.nics != 1:
        raise ModelError(f"{FIELD}.layout.host.nics", f"{cfg.host.nics} NICs per host: the storage run puts one "
                         "active storage port per host on the fabric", "leave it out")
    layout["host"] = {"nics": 1, "nic_speed": _speed_text(speed)}
    FabricConfig.model_validate(layout)      # validated at load; the port speed may not fit its leaves
    return layout


def fabric_placements(sc: StorageScenario):
    """One ``FabricPlacement`` per data site (see the module docstring); ModelError on a layout the
    cluster does not fit."""
    from vnetsim.fabric import FabricConfig
    from vnetsim.storage.iopath.onfabric import FabricPlacement

    st = sc.storage
    if st.fabric is None:
        return []
    if st.direct_connect:
        raise ModelError(FIELD, "a direct-connected two-node cluster has no fabric between its hosts",
                         "remove storage.fabric or storage.direct_connect")
    if st.host.nic.active != 1:
        raise ModelError("storage.host.nic.active", f"{st.host.nic.active} active storage ports: a run on "
                         "storage.fabric models one active port per host", "set active: 1")
    layout = fabric_layout(sc)
    cfg = FabricConfig.model_validate(layout)
    racks, per_rack_slots = cfg.racks, cfg.hosts_per_rack
    where = "per site" if st.data_sites == 2 else "in the cluster"
    if st.fault_domains:
        per_fd = st.hosts // st.fault_domains
        if st.fault_domains > racks:
            raise ModelError(f"{FIELD}.layout.racks", f"{st.fault_domains} fault domains (racks) need "
                             f"{st.fault_domains} fabric racks, the fabric has {racks}",
                             f"set racks: {st.fault_domains} or more")
        if per_fd > per_rack_slots:
            raise ModelError(f"{FIELD}.layout.hosts_per_rack", f"{per_fd} hosts per fault domain do not fit "
                             f"{per_rack_slots} host slots per fabric rack", f"set hosts_per_rack: {per_fd} or more")
    elif st.hosts > racks * per_rack_slots:
        raise ModelError(f"{FIELD}.layout", f"too few fabric hosts: {st.hosts} hosts {where} on {racks} racks x "
                         f"{per_rack_slots} hosts", "add racks or hosts_per_rack")
    out = []
    for s in range(st.data_sites):
        host_of = [-1] * st.total_hosts
        for i in range(st.hosts):
            if st.fault_domains:
                per_fd = st.hosts // st.fault_domains
                slot = (i // per_fd) * per_rack_slots + i % per_fd
            else:
                slot = i
            host_of[s * st.hosts + i] = slot
        out.append(FabricPlacement(layout, tuple(host_of)))
    return out


def fabric_switches(sc: StorageScenario) -> int:
    """The switches of every data site's fabric (the fabric kind builds it: a flow-level run of
    one small flow)."""
    from vnetsim.storage.iopath.onfabric import fabric_topology

    try:
        return int(fabric_topology(fabric_layout(sc))["switches"]["total"]) * sc.storage.data_sites
    except ModelError as exc:
        if exc.field.startswith("fabric."):
            raise ModelError("storage." + exc.field, exc.what, exc.fix) from None
        raise


def on_fabric(sc: StorageScenario, spec, placements=None, traffic=None):
    """``spec`` run on the scenario's fabric: a ``FabricRun`` (the spec with ``network.pair_ns``
    set, the section, the traffic matrix; ``traffic``: that matrix when the caller has it already);
    errors name ``storage.fabric...`` fields."""
    from vnetsim.storage.iopath.onfabric import run_on_fabric

    fab = sc.storage.fabric
    assert fab is not None
    placements = fabric_placements(sc) if placements is None else placements
    try:
        return run_on_fabric(spec, placements, seed=sc.seed, mtu_bytes=fab.mtu, level=fab.level,
                             target_packets=fab.packets, traffic=traffic)
    except ModelError as exc:
        if exc.field.startswith("fabric."):
            raise ModelError("storage." + exc.field, exc.what, exc.fix) from None
        raise
