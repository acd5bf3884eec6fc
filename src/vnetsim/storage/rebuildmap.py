"""The scenario's failures mapped onto the rebuild model (``vnetsim.storage.rebuild``), and its result
as the row's ``rebuild`` section: what each failure did, the timeline of object states, the resync
volume, time and fabric load, the foreground latency before the first failure and during the
first resync, and with ``storage.fabric`` every failure's resync judged on the fabric, each with
its own packet-level foreground latency while it runs (``FabricPhases``).

Mapping (docs/models/storage.md, "Failures and rebuilds"):
- hosts, sites and racks as for the I/O path (``iomap``); fault domains are racks when
  ``fault_domains`` is set, else hosts;
- each VM group's disks are one object set of its layout (one copy per data site when
  site-mirrored; a two-node cluster's witness components on the witness), each disk its written
  size (``disk x used``), spread by the rebuild model's placer over distinct fault domains (racks
  when ``fault_domains`` is set, else hosts) with the scenario's seed;
- per host: the resync bandwidth it can give (``reliability.host_resync_capacity_bps``), the
  foreground replication it carries, and the capacity a rebuild may fill (raw less the workload,
  the operations reserve and dedupe metadata, over the hosts);
- the throttle (``storage.rebuild.throttle``; none: adaptive resync), the repair delay, the I/O
  stall, and the foreground I/O path of normal operation (``iomap.iopath_spec``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict

from vnetsim.errors import ModelError
from vnetsim.storage.config import Failure, StorageScenario
from vnetsim.storage.iomap import group_of_workloads, io_result, iopath_spec, model_site, racks_of_hosts, site_hosts
from vnetsim.storage.reliability import host_resync_capacity_bps
from vnetsim.storage.sizing import Sizing

MAX_OBJECTS_PER_GROUP = 20_000     # beyond it the set keeps this many objects of the same total size


def failure_event(f: Failure, i: int, sc: StorageScenario, devices_per_host: int):
    """One scenario failure as a ``FailureEvent``; a target outside the cluster is a one-line error."""
    from vnetsim.storage.rebuild import FailureEvent

    st = sc.storage
    field = f"failures[{i}].target"
    target = 0
    t = f.target.strip()
    if f.component == "site":
        if st.flavor != "stretched":
            raise ModelError(f"failures[{i}].component", f"a {st.flavor} cluster has one site: a site failure takes "
                             "all of it", "use a stretched cluster, or fail hosts")
        target = model_site(sc, 0 if t in ("a", "0") else 1)
    elif f.component in ("device", "disk_group"):
        host, _, dev = t.partition(".")
        h, d = int(host), int(dev or 0)
        if h >= st.total_hosts or d >= devices_per_host:
            raise ModelError(field, f"no {f.component} {t} in {st.total_hosts} hosts of {devices_per_host} devices",
                             f"use HOST.INDEX with HOST < {st.total_hosts} and INDEX < {devices_per_host}")
        target = h * devices_per_host + d
    elif f.component == "host":
        target = int(t)
        if target >= st.total_hosts:
            raise ModelError(field, f"no host {target}: the cluster has hosts 0-{st.total_hosts - 1}",
                             "use a host number in range")
    elif f.component == "rack":
        racks = (st.fault_domains or 1) * st.data_sites
        target = int(t)
        if target >= racks:
            raise ModelError(field, f"no rack {target}: the cluster has racks 0-{racks - 1}", "use a rack in range")
    elif f.component == "witness" and not st.has_witness:
        raise ModelError(f"failures[{i}].component", f"a {st.flavor} cluster has no witness",
                         "fail a host, rack or device instead")
    elif f.component == "inter_site_link" and st.flavor != "stretched":
        raise ModelError(f"failures[{i}].component", "only a stretched cluster has an inter-site link",
                         "fail a host, rack or device instead")
    recover = float("inf") if f.recover is None else f.recover / 1e9
    return FailureEvent(f.at / 1e9, f.component, target, recover)


def rebuild_spec(sc: StorageScenario, sz: Sizing):
    """The ``RebuildSpec`` of a sized scenario with failures."""
    from vnetsim.storage.rebuild import RebuildCluster, RebuildSpec, object_set

    st = sc.storage
    site_of, rack_of = racks_of_hosts(sc)
    devices = sum(d.count for d in st.host.capacity_devices())
    cap = sz.capacity
    free = max(cap.raw_bytes - cap.required_raw_bytes - cap.operations_reserve_bytes - cap.dedupe_metadata_bytes,
               0.0) / st.total_hosts
    per_host_fg = sz.network.replication_per_host_bps
    cluster = RebuildCluster(site_of, rack_of, devices, (host_resync_capacity_bps(sc),) * st.total_hosts,
                             (free,) * st.total_hosts, (per_host_fg,) * st.total_hosts,
                             "rack" if st.fault_domains else "host", st.sites_or_default.link)
    sites = site_hosts(sc)
    sets = []
    for g in sc.workload.vm_groups:
        lay = sz.group_layouts[g.name]
        n = g.vms * g.disks
        size = g.disk * g.used
        if n > MAX_OBJECTS_PER_GROUP:
            size, n = size * n / MAX_OBJECTS_PER_GROUP, MAX_OBJECTS_PER_GROUP
        if size <= 0:
            continue
        write_bps = g.vms * g.iops * (1 - g.read_fraction) * g.block_size * 8
        kind = "raid1" if lay.mirrored else "ec"
        sets.append(object_set(kind, n, size, sites if lay.sites == 2 else sites[:1], ftt=lay.ftt,
                               data_fragments=lay.data_fragments, parity_fragments=lay.parity_fragments,
                               devices_per_host=devices, witness_on_appliance=st.flavor == "robo",
                               write_bps=write_bps, seed=sc.seed,
                               rack_of_host=dict(enumerate(rack_of)) if st.fault_domains else None))
    events = tuple(failure_event(f, i, sc, devices) for i, f in enumerate(sc.failures))
    foreground = iopath_spec(sc, sz) if sc.options.io and any(g.iops > 0 for g in sc.workload.vm_groups) else None
    throttle = st.rebuild.throttle
    return RebuildSpec(cluster, tuple(sets), events, st.rebuild.repair_delay / 1e9, st.rebuild.stall / 1e9,
                       throttle if throttle is not None else float("inf"), throttle is None, foreground=foreground)


def rebuild_section(sc: StorageScenario, sz: Sizing) -> dict:
    """``outcomes`` (one per failure, each with the foreground's ``io`` fields while its own first
    resync runs, ``foreground_during_resync``), ``timeline``, ``foreground_before``,
    ``foreground_after_failure`` (right after the first failure that takes hosts away) and
    ``foreground_during_resync`` (the first resync's; the ``io`` fields each) and ``notes``."""
    from vnetsim.storage.rebuild import simulate

    spec = rebuild_spec(sc, sz)
    fabric = FabricPhases(sc) if sc.storage.fabric is not None and spec.foreground is not None else None
    try:
        res = simulate(spec, seed=sc.seed, io_duration_s=sc.options.duration / 1e9,
                       prepare=fabric.prepare if fabric is not None else None, every_resync=True)
    except ModelError as exc:
        if exc.field.startswith("storage."):
            raise
        raise exc.within("failures") from None
    # outcomes come in time order (failures at one time in the order given)
    order = sorted(range(len(spec.failures)), key=lambda i: (spec.failures[i].t_s, i))
    names = [sc.failures[i].name for i in order]
    groups = group_of_workloads(spec.foreground) if spec.foreground is not None else {}
    each = res.foreground_during_resyncs or (None,) * len(res.outcomes)
    outcomes = []
    for name, o, fg in zip(names, res.outcomes, each):
        d = asdict(o)
        d["name"] = name
        d["foreground_during_resync"] = io_result(fg, groups) if fg is not None else None
        outcomes.append(d)
    before, during = res.foreground_before, res.foreground_during_resync
    after = res.foreground_after_failure
    return {"outcomes": outcomes, "timeline": [asdict(t) for t in res.timeline],
            "foreground_before": io_result(before, groups) if before else None,
            "foreground_after_failure": io_result(after, groups) if after else None,
            "foreground_during_resync": io_result(during, groups) if during else None,
            **({"fabric": fabric.section(res, names, groups)} if fabric is not None else {}),
            "notes": list(res.notes)}


class FabricPhases:
    """``storage.fabric`` in a failure run: each foreground I/O-path spec (before, right after the
    failure, during the first resync) runs its own traffic on the fabric first (``on_fabric``).
    Every outcome's first resync is judged on the fabric (``judge``): its traffic matrix, built
    from that outcome's resync plan with the foreground of its own failure (``resync_io``), gives
    how much slower the resync must run for the fabric's links to carry it with the foreground
    (``onfabric.resync_stretch``, at most ``FABRIC_RESYNC_SHARE`` of a link); its time on the
    fabric is the host-bound resync time times that stretch. The first resync's I/O path (paced at
    the NICs, ``timeline.RESYNC_NIC_SHARE``) runs slowed to what the fabric carries of it. Link
    loads are cached by traffic pattern (equal failures, or equal foregrounds, cost one flow-level
    fabric run)."""

    def __init__(self, sc: StorageScenario) -> None:
        from vnetsim.storage.fabricmap import fabric_placements

        self.sc = sc
        self.placements = fabric_placements(sc)
        self.phases: dict[str, dict] = {}
        self.resync_phases: dict[int, dict] = {}    # outcome -> its later resync's packet-level run
        self._loads: dict[tuple[bool, bytes], dict] = {}
        self._runs: dict[bytes, object] = {}        # traffic -> its packet-level FabricRun
        self.packet_runs = 0               # packet-level runs the phases took (the cache's effect)
        self._foreground: dict[tuple[int, ...], dict] = {}   # failed hosts -> the foreground's link loads
        self.fabric_runs = 0               # flow-level runs the judging took (the cache's effect)

    def _link_loads(self, tm, background: bool) -> dict:
        from vnetsim.storage.iopath.onfabric import link_loads

        key = (background, b"".join(a.tobytes() for a in tm.frame_arrays(background)))
        if key not in self._loads:
            self._loads[key] = link_loads(tm, self.placements, background, self.sc.seed)
            self.fabric_runs += 1
        return self._loads[key]

    def judge(self, io) -> tuple[float, str | None, float]:
        """(stretch of ``io``'s background (resync) load over the fabric, its bottleneck link, the
        resync bytes/s ``io`` carries): ``onfabric.resync_stretch`` of the spec's foreground and
        resync link loads."""
        from vnetsim.storage.iopath.onfabric import resync_stretch
        from vnetsim.storage.iopath.traffic import traffic_matrix

        fab = self.sc.storage.fabric
        assert fab is not None
        background = tuple(w for w in io.workloads if w.background)
        if not background:
            return 0.0, None, 0.0
        down = tuple(sorted(f.host for f in io.failures))     # the foreground follows from it alone
        if down not in self._foreground:
            fg = dataclasses.replace(io, workloads=tuple(w for w in io.workloads if not w.background))
            self._foreground[down] = self._link_loads(traffic_matrix(fg, fab.mtu), False)
        resync = self._link_loads(traffic_matrix(dataclasses.replace(io, workloads=background), fab.mtu), True)
        stretch, where = resync_stretch(self._foreground[down], resync)
        offered = sum(w.iops * (1 - w.read_fraction) * w.block_bytes[0] for w in background)
        return float(stretch), where, float(offered)

    def prepare(self, phase: str, io):
        """The I/O-path spec of ``phase`` on the fabric: a resync's (``during_resync``, or
        ``during_resync:K`` for outcome K's later one) slowed first to what the fabric carries of
        it (``judge``); the summary of its run kept for ``section``."""
        from vnetsim.storage.iopath.onfabric import scale_background

        if phase.startswith("during_resync") and any(w.background for w in io.workloads):
            stretch, _, _ = self.judge(io)
            if stretch > 1:
                io = scale_background(io, 1.0 / stretch)
        spec, summary = self._on_fabric(io)
        if phase.startswith("during_resync:"):
            self.resync_phases[int(phase.split(":", 1)[1])] = summary
        else:
            self.phases[phase] = summary
        return spec

    def _on_fabric(self, io):
        """``fabricmap.on_fabric`` of ``io`` (spec, summary), run once per traffic pattern: the run
        depends on the spec's traffic only, so an equal one takes the same per-pair times."""
        from vnetsim.storage.fabricmap import on_fabric
        from vnetsim.storage.iopath.traffic import traffic_matrix

        fab = self.sc.storage.fabric
        assert fab is not None
        tm = traffic_matrix(io, fab.mtu)
        key = b"|".join(a.tobytes() for bg in (False, True) for a in tm.frame_arrays(bg))
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = on_fabric(self.sc, io, self.placements, traffic=tm)
            self.packet_runs += 1
            return run.spec, run.summary
        if run.summary.get("runs", 0) == 0:          # nothing between hosts: the spec as it was
            return io, run.summary
        net = run.spec.network
        return dataclasses.replace(io, network=dataclasses.replace(io.network, pair_ns=net.pair_ns,
                                                                   pair_jitter=net.pair_jitter)), run.summary

    def section(self, res, names: list[str], groups: dict[str, str] | None = None) -> dict:
        """``before``, ``after_failure``, ``during_resync`` (each the ``io.fabric`` fields, or null),
        ``resyncs`` (per outcome, in the order of ``outcomes``: its first resync on the fabric, or
        null without one; with ``groups``, the workload -> VM group map of ``iomap.io_result``,
        each with its foreground latency while it runs, ``foreground_during``) and ``resync``
        (the first of them, or null)."""
        out: dict = {k: self.phases.get(k) for k in ("before", "after_failure", "during_resync")}
        ios = res.resync_io or (None,) * len(res.outcomes)
        entries = [None if io is None or plan is None else self._resync(o, plan, io, name)
                   for o, plan, io, name in zip(res.outcomes, res.resync_plans, ios, names)]
        if groups is not None:
            first = next((k for k, e in enumerate(entries) if e is not None), None)
            for k, (e, fg) in enumerate(zip(entries, res.foreground_during_resyncs)):
                if e is not None:
                    e.update(self._during(fg, groups, self.phases.get("during_resync") if k == first
                                              else self.resync_phases.get(k)))
        out["resyncs"] = entries
        out["resync"] = next((e for e in entries if e is not None), None)
        return out

    @staticmethod
    def _during(fg, groups: dict[str, str], summary: dict | None) -> dict:
        """A resync entry's ``foreground_during`` (the ``io`` fields of the foreground while it runs,
        packet level on the fabric) and ``foreground_fabric`` (that run's level, duration, resync
        bytes, busiest links, drops, per-pair fabric times and notes), each null without one."""
        keep = ("level", "duration_s", "resync_bytes_per_s", "links", "drops", "pair_fabric_ns", "notes")
        return {"foreground_during": io_result(fg, groups) if fg is not None else None,
                "foreground_fabric": None if summary is None else {k: summary[k] for k in keep if k in summary}}

    def _resync(self, o, plan, io, name: str) -> dict | None:
        """One outcome's resync on the fabric: the stretch of its load at the plan's own rates
        (``io``: what its host-bound time assumes), the time and re-protection that follow."""
        stretch, where, nominal = self.judge(io)         # nominal: bytes/s the hosts could give
        if plan.duration_s <= 0 or nominal <= 0:
            return None
        slow = max(1.0, stretch)
        duration = o.resync_duration_s * slow
        in_place = bool(o.rebuild_start_s >= o.event.recover_s)    # back before its rebuild: stale bytes only
        return {"name": name, "kind": o.event.kind, "in_place": in_place, "offered_bps": nominal * 8.0,
                "stretch": stretch,
                "bottleneck_link": where, "fabric_bound": bool(stretch > 1),
                "host_bound_duration_s": o.resync_duration_s, "duration_s": duration,
                "reprotected_s": o.rebuild_start_s + duration if o.reprotect_impossible_objects == 0 else float("inf"),
                "rate_bps": o.resync_bytes * 8.0 / duration}
