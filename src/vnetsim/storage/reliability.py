"""The scenario mapped onto the availability model (``vnetsim.storage.availability``), and its
results as the row's ``availability`` section.

Mapping (docs/models/storage.md, "Availability"):
- hosts, fault domains (racks: hosts / fault_domains per rack), sites (2 for a site-mirrored
  stretched cluster, with the witness site), the layout's k data and m parity fragments (a mirror
  of FTT n: 1 + n), a witness for two-node and stretched clusters;
- device AFR: the capacity devices' (their own or their kind's default), host AFR: the host's;
- the data one failed host holds: the workload's raw bytes over the hosts (at least 1 GB);
- the bandwidth one rebuild gets: every other host of the site at its resync rate, the rebuild
  timeline's own formula (``rebuild.resync.resync_rates``: the smaller of its active NIC bandwidth
  and its devices' rebuild rate, less the foreground replication it carries, at least the adaptive
  share, at most the throttle); each rebuilt byte is read k times and written once against those
  rates (``rebuild_bytes_per_byte`` 1 + k), as the timeline counts a host's bytes. The two models
  then differ only by placement: the availability model spreads a rebuild evenly over the hosts,
  the timeline times the busiest host of its seeded placement (a few large components give some
  hosts more than their share; docs/models/storage.md, "Rebuild bandwidth: one formula").
"""

from __future__ import annotations

from math import comb, isfinite

from vnetsim.errors import ModelError
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


def resync_settings(sc: StorageScenario) -> tuple[float, bool]:
    """(throttle in bit/s per host, adaptive resync): ``storage.rebuild.throttle``, none meaning no
    throttle and adaptive resync."""
    throttle = sc.storage.rebuild.throttle
    return (float(throttle), False) if throttle is not None else (float("inf"), True)


def host_resync_bps(sc: StorageScenario, foreground_bps: float = 0.0) -> float:
    """What one host gives a resync while foreground replication uses ``foreground_bps`` of it:
    ``rebuild.resync.resync_rates`` (the rebuild timeline's own formula) of its capacity, the
    throttle and adaptive resync."""
    from vnetsim.storage.rebuild import resync_rates

    throttle, adaptive = resync_settings(sc)
    return float(resync_rates(host_resync_capacity_bps(sc), foreground_bps, throttle, adaptive))


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
    rate = host_resync_bps(sc, sz.network.replication_per_host_bps)
    if rate <= 0:
        raise ModelError("storage.rebuild.throttle", "the foreground replication uses all of a host's resync "
                         "bandwidth and a throttle turns adaptive resync off: a rebuild would never end",
                         "remove the throttle (adaptive resync), or add NIC bandwidth")
    rebuild_bps = rate * max(st.hosts - 1, 1)
    return AvailabilitySpec(
        hosts=hosts, hosts_per_fault_domain=per_fd, sites=sites, data_fragments=k, parity_fragments=m,
        site_mirroring=mirrored_sites, witness=witness,
        devices_per_host=sum(d.count for d in st.host.capacity_devices()),
        device_afr=device_afr(sc), host_afr=st.host.afr, fault_domain_rate_per_year=av.rack_events_per_year,
        site_rate_per_year=av.site_events_per_year, witness_afr=av.witness_afr if witness else 0.0,
        repair_delay_s=st.rebuild.repair_delay / 1e9, data_per_host_bytes=data_per_host,
        rebuild_bandwidth_bps=rebuild_bps, rebuild_bytes_per_byte=1.0 + k,
        intersite_bandwidth_bps=st.sites_or_default.link if mirrored_sites else 10e9,
        host_repair_s=av.host_repair / 1e9, fault_domain_repair_s=av.rack_repair / 1e9,
        site_repair_s=av.site_repair / 1e9, witness_repair_s=av.witness_repair / 1e9)


def _methods(sc: StorageScenario, spec) -> dict:
    """``{METHOD: result}`` of every method the scenario enables, on ``spec`` (each with the
    scenario's trial budget ``availability.years`` and seed; wall-clock time left out)."""
    from vnetsim.storage.availability import evaluate

    av = sc.availability
    out: dict = {}
    for method in av.methods:
        res = evaluate(spec, method=method, years=av.years, seed=sc.seed).to_dict()
        res.pop("wall_s", None)       # wall-clock time: the row stays reproducible byte for byte
        out[method] = res
    return out


def _within(exc: ModelError) -> ModelError:
    return exc if exc.field.startswith("storage.") else exc.within("availability")


def availability_section(sc: StorageScenario, sz: Sizing) -> dict:
    """``{"spec": ..., METHOD: result, "data_at_risk": ..., "what_if": [rows]}`` for the row."""
    from dataclasses import asdict

    from vnetsim.storage.availability import what_if

    av = sc.availability
    try:
        spec = availability_spec(sc, sz)
        out: dict = {"spec": asdict(spec), **_methods(sc, spec)}
        first = out[av.methods[0]] if av.methods else None
        if first is not None:
            out["data_at_risk"] = data_at_risk(sc, sz, first["loss_rate_per_year"]["value"])
        rows = []
        for n in range(1, min(av.what_if_hosts, spec.hosts) + 1):
            rows += [r.to_dict() for r in what_if(spec, n)]
        out["what_if"] = rows
    except ModelError as exc:
        raise _within(exc) from None
    return out


# per rebuild class of the availability model: the failure kinds of the rebuild model that stand
# for it, most alike first (a class nobody failed borrows the next one's stretch)
STRETCH_KINDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "device": (("device", "disk_group"), ("host",), ("rack",)),
    "host": (("host",), ("rack",), ("device", "disk_group")),
    "fault_domain": (("rack",), ("host",), ("device", "disk_group"))}


def kind_stretches(sc: StorageScenario, resyncs: list[dict | None]) -> dict:
    """Per rebuild class of the availability model (device, host, fault domain), the fabric's
    stretch of its rebuild, from the resyncs judged on the fabric (``rebuild.fabric.resyncs``):
    the largest of the failures of that class (a device or disk group; a host; a rack, or a host
    when the fault domains are hosts); a class with no such failure takes the next most alike
    class's (``STRETCH_KINDS``; ``own`` false). Never below 1 (host-bound); infinite when the
    foreground alone fills a link that resync needs. Resyncs in place (a failed part back before
    its rebuild: only its stale bytes, all into it) do not stand for a rebuild elsewhere and are
    left out. ``{class: {"stretch", "from": failure name, "own"}}``, empty when no rebuild was
    judged."""
    judged = [r for r in resyncs if r is not None and not r.get("in_place")]
    if not judged:
        return {}

    def stretch(r: dict) -> float:
        return float("inf") if r["stretch"] is None else max(1.0, float(r["stretch"]))

    out = {}
    for cls, prefs in STRETCH_KINDS.items():
        if cls == "fault_domain" and not sc.storage.fault_domains:
            prefs = (("host", "rack"),) + prefs[2:]       # a fault domain is a host
        for n, kinds in enumerate(prefs):
            mine = [r for r in judged if r["kind"] in kinds]
            if mine:
                r = max(mine, key=stretch)
                out[cls] = {"stretch": stretch(r), "from": r["name"], "own": n == 0}
                break
        else:                       # only failures of other kinds (a site, the witness) were judged
            r = max(judged, key=stretch)
            out[cls] = {"stretch": stretch(r), "from": r["name"], "own": False}
    return out


def fabric_bound_availability(sc: StorageScenario, sz: Sizing, stretches: dict) -> dict:
    """The availability again with every rebuild class's copy time times its fabric stretch
    (``kind_stretches``; the repair delays, hardware repairs and every other figure as before), by
    every method the scenario enables, with the same trial budget and seed as the host-bound
    figures: ``{"stretches", "rebuild_s": {class: seconds}, "spec", METHOD: result}``; with an
    infinite stretch (a rebuild the fabric never finishes) ``{"stretches", "not_computed": why}``."""
    from dataclasses import asdict, replace

    bad = [c for c, v in stretches.items() if not isfinite(v["stretch"])]
    if bad:
        return {"stretches": stretches, "not_computed": f"the {', '.join(bad)} rebuild never ends on the fabric "
                                                          "(the foreground alone fills a link it needs)"}
    try:
        bound = replace(availability_spec(sc, sz), device_rebuild_stretch=stretches["device"]["stretch"],
                        host_rebuild_stretch=stretches["host"]["stretch"],
                        fault_domain_rebuild_stretch=stretches["fault_domain"]["stretch"])
        res = _methods(sc, bound)
    except ModelError as exc:
        raise _within(exc) from None
    out = {"stretches": stretches, "stretch": stretches["host"]["stretch"],
           "rebuild_s": {"device": bound.device_rebuild_s, "host": bound.host_rebuild_s,
                         "fault_domain": bound.fault_domain_rebuild_s},
           "spec": asdict(bound), **res}
    if sc.availability.methods:
        out["data_at_risk"] = data_at_risk(sc, sz, res[sc.availability.methods[0]]["loss_rate_per_year"]["value"])
    return out
