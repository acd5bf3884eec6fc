"""The scenario mapped onto the availability model (``vnetsim.storage.availability``), and its
results as the row's ``availability`` section.

Mapping (docs/models/storage.md, "Availability"):
- hosts, fault domains (racks: hosts / fault_domains per rack), sites (2 for a site-mirrored
  stretched cluster, with the witness site), the layout's k data and m parity fragments (a mirror
  of FTT n: 1 + n), a witness for two-node and stretched clusters;
- device AFR: the capacity devices' (their own or their kind's default), host AFR: the host's;
- the data one failed host holds: the workload's raw bytes over the hosts (at least 1 GB);
- the bandwidth one rebuild gets: every other host of the site sending at its resync rate, the
  smaller of its active NIC bandwidth and its devices' rebuild rate, capped by the throttle.
"""

from __future__ import annotations

from math import comb

from vnetsim.storage.config import StorageScenario
from vnetsim.storage.devices import DEFAULTS
from vnetsim.storage.policy import Layout
from vnetsim.storage.sizing import Sizing


def device_afr(sc: StorageScenario) -> float:
    """Mean AFR of a host's capacity devices."""
    devs = sc.storage.host.capacity_devices()
    n = sum(d.count for d in devs)
    return sum(d.count * (d.afr if d.afr is not None else DEFAULTS[d.kind].afr) for d in devs) / n


def host_resync_capacity_bps(sc: StorageScenario) -> float:
    """What one host can give a resync when nothing else runs: min(active NIC bandwidth, its devices'
    rebuild rate)."""
    st = sc.storage
    devs = st.host.capacity_devices()
    device_rate = sum(d.count * DEFAULTS[d.kind].rebuild_rate_bps for d in devs)
    nic = st.host.nic.speed * min(st.host.nic.active, st.host.nic.count)
    return min(nic, device_rate)


def host_resync_bps(sc: StorageScenario) -> float:
    """The same, capped by the throttle when one is set."""
    rate = host_resync_capacity_bps(sc)
    throttle = sc.storage.rebuild.throttle
    return min(rate, throttle) if throttle is not None else rate


def lost_fraction(layout: Layout, fault_domains: int) -> float:
    """Share of the objects one data-loss event destroys: the event is the smallest set of failed
    fault domains that loses data (m+1 of a site's; both sites' for a site-mirrored object), and
    each object's components sit on fault domains drawn uniformly at random. A mirror of FTT n is
    lost when its n+1 replicas are all in the failed set: 1 / C(F, n+1); a k+m stripe when the m+1
    failed ones are among its k+m: C(F-m-1, k-1) / C(F, k+m); site mirroring squares it."""
    f = fault_domains
    if layout.mirrored:
        share = 1 / comb(f, layout.replicas)
    else:
        k, m = layout.data_fragments, layout.parity_fragments
        share = comb(f - m - 1, k - 1) / comb(f, k + m)
    return share ** layout.sites


def data_at_risk(sc: StorageScenario, sz: Sizing, loss_rate_per_year: float) -> dict:
    """Bytes one loss event destroys and the expected bytes lost per year (``lost_fraction`` of the
    workload's logical bytes, times the loss rate)."""
    share = lost_fraction(sz.layout, sz.fault_domains_per_site)
    per_event = sz.capacity.required_logical_bytes * share
    return {"lost_share_per_event": share, "bytes_lost_per_event": per_event,
            "expected_bytes_lost_per_year": per_event * loss_rate_per_year}


def availability_spec(sc: StorageScenario, sz: Sizing):
    """The ``AvailabilitySpec`` of a sized scenario."""
    from vnetsim.storage.availability import AvailabilitySpec

    st, av, lay = sc.storage, sc.availability, sz.layout
    mirrored_sites = st.flavor == "stretched" and lay.sites == 2
    sites = 2 if mirrored_sites else 1
    hosts = st.total_hosts if mirrored_sites else st.hosts
    per_fd = st.hosts // st.fault_domains if st.fault_domains else 1
    k, m = (1, lay.ftt) if lay.mirrored else (lay.data_fragments, lay.parity_fragments)
    witness = mirrored_sites or (st.flavor == "robo" and lay.mirrored and lay.ftt == 1)
    data_per_host = max(sz.capacity.required_raw_bytes / st.total_hosts, 1e9)
    rebuild_bps = host_resync_bps(sc) * max(st.hosts - 1, 1)
    return AvailabilitySpec(
        hosts=hosts, hosts_per_fault_domain=per_fd, sites=sites, data_fragments=k, parity_fragments=m,
        site_mirroring=mirrored_sites, witness=witness,
        devices_per_host=sum(d.count for d in st.host.capacity_devices()),
        device_afr=device_afr(sc), host_afr=st.host.afr, fault_domain_rate_per_year=av.rack_events_per_year,
        site_rate_per_year=av.site_events_per_year, witness_afr=av.witness_afr if witness else 0.0,
        repair_delay_s=st.rebuild.repair_delay / 1e9, data_per_host_bytes=data_per_host,
        rebuild_bandwidth_bps=rebuild_bps,
        intersite_bandwidth_bps=st.sites_or_default.link if mirrored_sites else 10e9,
        host_repair_s=av.host_repair / 1e9, fault_domain_repair_s=av.rack_repair / 1e9,
        site_repair_s=av.site_repair / 1e9, witness_repair_s=av.witness_repair / 1e9)


def availability_section(sc: StorageScenario, sz: Sizing) -> dict:
    """``{"spec": ..., METHOD: result, "data_at_risk": ..., "what_if": [rows]}`` for the row."""
    from dataclasses import asdict

    from vnetsim.errors import ModelError
    from vnetsim.storage.availability import evaluate, what_if

    av = sc.availability
    try:
        spec = availability_spec(sc, sz)
        out: dict = {"spec": asdict(spec)}
        for method in av.methods:
            res = evaluate(spec, method=method, years=av.years, seed=sc.seed).to_dict()
            res.pop("wall_s", None)       # wall-clock time: the row stays reproducible byte for byte
            out[method] = res
        first = out[av.methods[0]] if av.methods else None
        if first is not None:
            out["data_at_risk"] = data_at_risk(sc, sz, first["loss_rate_per_year"]["value"])
        rows = []
        for n in range(1, min(av.what_if_hosts, spec.hosts) + 1):
            rows += [r.to_dict() for r in what_if(spec, n)]
        out["what_if"] = rows
    except ModelError as exc:
        raise exc.within("availability") from None
    return out


def fabric_bound_availability(sc: StorageScenario, sz: Sizing, stretch: float) -> dict:
    """The Markov result again with the rebuild bandwidth the fabric leaves (``storage.fabric``):
    ``rebuild_bandwidth_bps / stretch``, ``stretch`` the first host rebuild's on the fabric
    (``rebuild.fabric.resync``); the repair delays and every other figure as before."""
    from dataclasses import replace

    from vnetsim.errors import ModelError
    from vnetsim.storage.availability import evaluate

    try:
        spec = availability_spec(sc, sz)
        bound = replace(spec, rebuild_bandwidth_bps=spec.rebuild_bandwidth_bps / stretch)
        res = evaluate(bound, method="markov", years=sc.availability.years, seed=sc.seed).to_dict()
    except ModelError as exc:
        raise exc.within("availability") from None
    res.pop("wall_s", None)
    keep = ("availability", "nines", "downtime_s_per_year", "annual_loss_probability", "mttdl_years")
    return {"stretch": stretch, "rebuild_bandwidth_bps": bound.rebuild_bandwidth_bps,
            "markov": {k: res[k] for k in keep if k in res}}

