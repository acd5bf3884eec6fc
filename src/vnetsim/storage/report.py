"""A storage variant's result row: JSON-ready sections (docs/results.md, "Storage results")."""

from __future__ import annotations

from vnetsim.storage.components import object_components
from vnetsim.storage.config import StorageScenario
from vnetsim.storage.sizing import Sizing


def cluster_section(sc: StorageScenario, sz: Sizing) -> dict:
    st = sc.storage
    return {"flavor": st.flavor, "architecture": st.architecture, "data_sites": st.data_sites,
            "hosts_per_site": st.hosts, "hosts": st.total_hosts, "fault_domains_per_site": sz.fault_domains_per_site,
            "witness": (st.witness_or_default.type if st.has_witness else None),
            "direct_connect": st.direct_connect, "raw_per_host_bytes": st.host.raw_bytes(),
            "devices_per_host": [{"kind": d.kind, "count": d.count, "capacity_bytes": d.capacity}
                                 for d in st.host.all_devices()]}


def votes_section(sc: StorageScenario, sz: Sizing) -> dict:
    """Components and votes of one disk object of the first VM group (or a 100 GB disk) at the
    cluster's policy: how many votes it has and how many keep it accessible."""
    groups = sc.workload.vm_groups
    size = float(groups[0].disk) if groups else 100e9
    oc = object_components(size, sz.layout, sc.storage.policy.stripe_width,
                           witness_on_appliance=sc.storage.flavor == "robo")
    return {"disk_bytes": size, "data_components": oc.data, "witness_components": oc.site_witnesses + oc.witness_site,
            "votes": oc.votes, "quorum_votes": oc.quorum}


def sizing_row(sc: StorageScenario, sz: Sizing) -> dict:
    """The static sections of a row: cluster, policy, capacity, components, network, cost, checks."""
    return {
        "cluster": cluster_section(sc, sz),
        "policy": sz.layout.to_dict(),
        "group_policies": {name: lay.label for name, lay in sz.group_layouts.items()},
        "capacity": sz.capacity.to_dict(),
        "components": {**sz.components.to_dict(), "one_disk_object": votes_section(sc, sz)},
        "network": sz.network.to_dict(),
        "cost": sz.footprint.to_dict(),
        "checks": [c.to_dict() for c in sz.checks],
    }
