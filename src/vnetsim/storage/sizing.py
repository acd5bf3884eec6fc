"""One cluster sized: its layouts, the documented limits, capacity, components, network and footprint.

This is the static part of a storage run (no simulation): everything follows from the scenario by
the arithmetic of policy.py, capacity.py, components.py, network.py and cost.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vnetsim.errors import ModelError
from vnetsim.storage.capacity import CapacityResult, Demand, Rules, capacity
from vnetsim.storage.components import (
    WITNESS_COMPONENT_LIMIT,
    WITNESS_HOST_COMPONENT_LIMIT,
    ComponentCounts,
    GroupObjects,
    count_components,
)
from vnetsim.storage.config import Policy, StorageScenario
from vnetsim.storage.cost import Footprint, footprint
from vnetsim.storage.limits import (
    INTER_SITE_MIN_BPS,
    INTER_SITE_RTT_MAX_NS,
    INTRA_SITE_RTT_MAX_NS,
    Check,
    check_nic,
    check_policy_hosts,
    check_rtt,
    witness_rtt_max_ns,
)
from vnetsim.storage.network import NetworkSizing, inter_site_bps, rtt_from_distance_ns, witness_bps
from vnetsim.storage.policy import Layout, layout_for


@dataclass
class Sizing:
    layout: Layout
    group_layouts: dict[str, Layout]
    fault_domains_per_site: int
    capacity: CapacityResult
    components: ComponentCounts
    network: NetworkSizing
    footprint: Footprint
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fault_domains_per_site(sc: StorageScenario) -> int:
    st = sc.storage
    return st.fault_domains if st.fault_domains else st.hosts


def layout_of(sc: StorageScenario, policy: Policy, where: str = "storage") -> Layout:
    """The layout of ``policy`` in this cluster; an impossible policy is a ModelError under ``where``
    (``storage``, or the VM group that carries the policy)."""
    st = sc.storage
    mirrored = st.flavor == "stretched" and policy.site_mirroring
    try:
        return layout_for(policy.raid, policy.ftt, st.architecture, fault_domains_per_site(sc), mirrored)
    except ModelError as exc:
        raise exc.within(where) from None


def is_hybrid(sc: StorageScenario) -> bool:
    return any(d.kind == "hdd" for d in sc.storage.host.capacity_devices())


def size_cluster(sc: StorageScenario) -> Sizing:
    """Size ``sc``: raises ModelError (one line) on a documented hard limit."""
    st = sc.storage
    fds = fault_domains_per_site(sc)
    layout = layout_of(sc, st.policy)
    robo = st.flavor == "robo"
    field_hosts = "storage.fault_domains" if st.fault_domains else "storage.hosts"
    check_policy_hosts(layout, fds, robo, field_hosts if not robo else "storage.policy")
    group_layouts: dict[str, Layout] = {}
    for i, g in enumerate(sc.workload.vm_groups):
        if g.policy is None:
            group_layouts[g.name] = layout
            continue
        lay = layout_of(sc, g.policy, f"workload.vm_groups[{i}]")
        check_policy_hosts(lay, fds, robo, f"workload.vm_groups[{i}].policy")
        group_layouts[g.name] = lay
    check_nic(st.host.nic.speed, st.architecture, is_hybrid(sc))
    check_rtt(st.intra_site_rtt, INTRA_SITE_RTT_MAX_NS, "storage.intra_site_rtt", "intra-site", "hosts of one site "
              "must be within 1 ms of each other")
    notes: list[str] = []
    checks: list[Check] = []

    # capacity
    cap_cfg = st.capacity
    rules = Rules(cap_cfg.reserve, cap_cfg.slack, cap_cfg.operations_reserve, cap_cfg.operations_buffer,
                  cap_cfg.host_rebuild_reserve, cap_cfg.dedupe_ratio,
                  cap_cfg.dedupe_metadata).resolved(st.flavor, st.fault_domains, st.architecture)
    demands = []
    for g in sc.workload.vm_groups:
        pol = g.policy or st.policy
        share = max(g.used, pol.object_space_reservation)
        demands.append(Demand(g.name, float(g.vms * g.disks * g.disk), share,
                              float(group_layouts[g.name].multiplier)))
    cap = capacity(st.host.raw_bytes(), st.total_hosts, rules, float(layout.multiplier), demands)
    checks.append(Check("capacity_utilization", cap.utilization if cap.utilization is not None else 0.0, 1.0,
                        cap.fits, "share"))

    # components
    witness = st.witness_or_default if st.has_witness else None
    w_limit = None
    if witness is not None:
        w_limit = WITNESS_COMPONENT_LIMIT[witness.size] if witness.type == "appliance" else WITNESS_HOST_COMPONENT_LIMIT
    groups = [GroupObjects(g.name, g.vms, float(g.disk), g.disks, float(g.memory), group_layouts[g.name],
                           (g.policy or st.policy).stripe_width) for g in sc.workload.vm_groups]
    comps = count_components(groups, st.total_hosts, st.architecture, w_limit, robo)
    checks.append(Check("components_per_host", comps.per_host, comps.host_limit, comps.fits_hosts))
    if w_limit is not None:
        checks.append(Check("witness_components", comps.witness, w_limit, comps.fits_witness))

    # network
    writes = sum(g.vms * g.iops * (1 - g.read_fraction) * g.block_size for g in sc.workload.vm_groups)
    reads = sum(g.vms * g.iops * g.read_fraction * g.block_size for g in sc.workload.vm_groups)
    repl = sum(g.vms * g.iops * (1 - g.read_fraction) * g.block_size * 8 * float(group_layouts[g.name].multiplier)
               for g in sc.workload.vm_groups)
    per_host = repl / st.total_hosts
    nic_bps = st.host.nic.speed * min(st.host.nic.active, st.host.nic.count)
    checks.append(Check("host_nic_load", per_host / nic_bps, 1.0, per_host <= nic_bps, "share"))
    inter_req = inter_link = inter_rtt = None
    if st.flavor == "stretched":
        sites = st.sites_or_default
        inter_rtt = sites.rtt if sites.rtt is not None else rtt_from_distance_ns(sites.distance_km)
        check_rtt(inter_rtt, INTER_SITE_RTT_MAX_NS, "storage.sites.rtt" if sites.rtt is not None
                  else "storage.sites.distance_km", "inter-site", "bring the sites closer or measure the real RTT")
        mirrored_writes = sum(g.vms * g.iops * (1 - g.read_fraction) * g.block_size
                              for g in sc.workload.vm_groups if group_layouts[g.name].sites == 2)
        inter_req = inter_site_bps(mirrored_writes)
        inter_link = sites.link
        checks.append(Check("inter_site_bandwidth", inter_req, inter_link, inter_req <= inter_link, "bps"))
        checks.append(Check("inter_site_minimum", inter_link, INTER_SITE_MIN_BPS, inter_link >= INTER_SITE_MIN_BPS,
                            "bps"))
        if inter_link < INTER_SITE_MIN_BPS:
            notes.append(f"inter-site link {inter_link / 1e9:g} Gbps is below the documented 10 Gbps minimum")
    w_req = w_link = w_rtt = None
    if witness is not None:
        w_rtt = witness.rtt
        check_rtt(w_rtt, witness_rtt_max_ns(1 if robo else st.hosts), "storage.witness.rtt", "witness",
                  "place the witness closer (or keep a stretched site at 10 hosts or fewer for 200 ms)")
        w_req = witness_bps(comps.total)
        w_link = witness.link
        checks.append(Check("witness_bandwidth", w_req, w_link, w_req <= w_link, "bps"))
    net = NetworkSizing(writes, reads, repl, per_host, nic_bps, per_host / nic_bps, inter_req, inter_link, inter_rtt,
                        w_req, w_link, w_rtt)
    if not cap.fits:
        notes.append(f"the workload needs {cap.required_raw_bytes / 1e12:.2f} TB raw, {cap.free_raw_bytes / 1e12:.2f} "
                     "TB is free after the reserve: it does not fit")
    for c in checks:
        if not c.ok and c.name not in ("capacity_utilization", "inter_site_minimum"):
            notes.append(f"{c.name}: {c.value:.4g} over the limit {c.limit:.4g}")
    if layout.recommended_fault_domains > fds and st.flavor == "single":
        notes.append(f"{layout.label} on {fds} fault domains: no spare fault domain to rebuild into "
                     f"({layout.recommended_fault_domains} recommended)")
    fabric_switches = None
    if st.fabric is not None:
        from vnetsim.storage.fabricmap import fabric_switches as count_switches

        fabric_switches = count_switches(sc)
    fp = footprint(st, cap.usable_bytes, sc.prices, fabric_switches)
    notes += fp.notes
    return Sizing(layout, group_layouts, fds, cap, comps, net, fp, checks, notes)
