"""The failure and rebuild timeline: events in time order, objects' state after each, one outcome per
failure, and (optionally) foreground I/O latency before and during the resync.

Events (a heap, in time order; at equal times failures first, then recoveries, rebuild starts and
ends): a failure takes its components away (``quorum.accessible`` decides what stays readable);
degraded components are planned for rebuild at once, absent ones when ``repair_delay_s`` has passed
and the failure has not recovered; a recovery before that brings the components back and resyncs
only what was written meanwhile (each stale component: ``min(size, object write rate * absent
time)``; they count as live again when that resync ends); a rebuild's end moves its components
to their new hosts and makes them live again.
Overlapping resyncs are timed independently (each gets the hosts' full resync rates).
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable

import numpy as np

from vnetsim.storage.iopath import Copy, HostFailure, IOPathResult, IOPathSpec, ObjectPlacement, Workload
from vnetsim.storage.iopath import simulate as _io_simulate
from vnetsim.storage.rebuild.quorum import accessible, fully_protected
from vnetsim.storage.rebuild.resync import ResyncPlan, host_rates, plan_resync
from vnetsim.storage.rebuild.spec import (
    DEGRADED_KINDS,
    FAILURE_KINDS,
    WITNESS_HOST,
    FailureEvent,
    FailureOutcome,
    RebuildResult,
    RebuildSpec,
    TimelineEntry,
)

FAIL, RECOVER, START, DONE = 0, 1, 2, 3
STALL_KINDS = frozenset({"host", "rack", "site", "inter_site_link"})
HOSTS_DOWN_KINDS = STALL_KINDS          # hosts the I/O path loses (cut off, for the inter-site link)
RESYNC_BLOCK_BYTES = 256 * 1024      # resync I/O size (an assumption: large sequential copies)
RESYNC_NIC_SHARE = 0.9               # at most this share of a NIC for resync plus foreground in the I/O path
# I/Os (foreground and resync) a later resync's foreground run issues at most (``every_resync``): its
# run lasts ``io_duration_s`` or less (a p99 from at least 2,000 I/Os beyond it; the first resync's
# run keeps ``io_duration_s``)
LATER_RESYNC_IOS = 200_000


class _Timeline:
    def __init__(self, spec: RebuildSpec) -> None:
        from vnetsim.errors import ModelError

        self.spec = spec
        cl = spec.cluster
        n = cl.hosts
        for i, f in enumerate(spec.failures):
            if f.kind not in FAILURE_KINDS:
                raise ModelError(f"failures[{i}].kind", f"unknown failure {f.kind!r}", ", ".join(FAILURE_KINDS))
            if not (np.isfinite(f.t_s) and f.t_s >= 0 and f.recover_s > f.t_s):
                raise ModelError(f"failures[{i}]", "a failure needs a time >= 0 and a recovery after it", "")
        if len(cl.rack_of_host) != n or len(cl.resync_bps) != n or len(cl.free_bytes) != n \
                or len(cl.foreground_bps) not in (0, n):
            raise ModelError("cluster", "rack_of_host, resync_bps, free_bytes (and foreground_bps) need one entry "
                             "per host", "")
        limits = {"host": n, "device": n * cl.devices_per_host, "disk_group": n * cl.devices_per_host,
                  "rack": max(cl.rack_of_host, default=-1) + 1, "site": 2}
        for i, f in enumerate(spec.failures):
            top = limits.get(f.kind)
            if top is not None and not 0 <= f.target < top:
                raise ModelError(f"failures[{i}].target", f"no {f.kind} {f.target} (0-{top - 1})", "")
        for si, o in enumerate(spec.objects):
            if o.hosts.shape != o.size_bytes.shape or o.hosts.shape != o.votes.shape or o.hosts.shape != o.copy.shape \
                    or o.hosts.shape != o.devices.shape or (o.hosts >= n).any() or (o.hosts < WITNESS_HOST).any():
                raise ModelError(f"objects[{si}]", "hosts, devices, size_bytes, votes and copy need one shape and "
                                 "hosts in the cluster (or WITNESS_HOST)", "")
        self.site = np.asarray(cl.site_of_host, np.int64)
        self.rack = np.asarray(cl.rack_of_host, np.int64)
        self.hosts = [o.hosts.copy() for o in spec.objects]
        self.devices = [o.devices.copy() for o in spec.objects]
        self.alive = [np.ones(o.hosts.shape, bool) for o in spec.objects]
        self.moving = [np.zeros(o.hosts.shape, bool) for o in spec.objects]   # a rebuild is writing it
        self.host_up = np.ones(n, bool)
        self.free = np.asarray(cl.free_bytes, np.float64).copy()
        self.timeline: list[TimelineEntry] = []
        self.outcomes: list[dict] = []
        self.lost: list[list[np.ndarray]] = []
        self.outcome_of: dict[int, int] = {}          # failure index -> its outcome (time order)
        self.plans: list[ResyncPlan | None] = []       # per outcome: its first resync
        self.extra: list[ResyncPlan] = []              # every resync, in the order booked (DONE events)
        self.heap: list[tuple[float, int, int]] = []
        for i, f in enumerate(spec.failures):
            heapq.heappush(self.heap, (f.t_s, FAIL, i))
            if np.isfinite(f.recover_s):
                heapq.heappush(self.heap, (f.recover_s, RECOVER, i))

    # -- what a failure reaches ----------------------------------------------------------------
    def _hosts_of(self, f: FailureEvent) -> np.ndarray:
        if f.kind == "host":
            return np.array([f.target])
        if f.kind == "rack":
            return np.flatnonzero(self.rack == f.target)
        if f.kind == "site":
            return np.flatnonzero(self.site == f.target)
        if f.kind == "inter_site_link":          # the secondary site is cut off from the witness's side
            return np.flatnonzero(self.site == 1)
        if f.kind in DEGRADED_KINDS:
            return np.array([f.target // self.spec.cluster.devices_per_host])
        return np.zeros(0, np.int64)

    def _reached(self, si: int, f: FailureEvent) -> np.ndarray:
        h = self.hosts[si]
        if f.kind == "witness":
            return h == WITNESS_HOST
        if f.kind in DEGRADED_KINDS:
            dpd = self.spec.cluster.devices_per_host
            return (h == f.target // dpd) & (self.devices[si] == f.target % dpd)
        return np.isin(h, self._hosts_of(f))

    def _snapshot(self, t: float, what: str) -> None:
        acc = inacc = unprot = 0
        for si, objs in enumerate(self.spec.objects):
            a = accessible(objs, self.alive[si])
            full = fully_protected(objs, self.alive[si])
            acc += int(a.sum())
            inacc += int((~a).sum())
            unprot += int((a & ~full).sum())
        self.timeline.append(TimelineEntry(t, what, acc, inacc, unprot))

    # -- events --------------------------------------------------------------------------------
    def fail(self, t: float, i: int) -> None:
        f = self.spec.failures[i]
        lost = [self._reached(si, f) & self.alive[si] for si in range(len(self.spec.objects))]
        for si, m in enumerate(lost):
            self.alive[si] &= ~m
        if f.kind not in DEGRADED_KINDS and f.kind != "witness" and f.kind != "inter_site_link":
            self.host_up[self._hosts_of(f)] = False
        components = int(sum(m.sum() for m in lost))
        affected = int(sum(m.any(axis=1).sum() for m in lost))
        inaccessible = int(sum((~accessible(o, self.alive[si])).sum() for si, o in enumerate(self.spec.objects)))
        semantics = "none" if components == 0 else ("degraded" if f.kind in DEGRADED_KINDS else "absent")
        stall = self.spec.stall_s if (components and f.kind in STALL_KINDS) else 0.0
        self.outcome_of[i] = len(self.outcomes)
        self.lost.append(lost)
        self.plans.append(None)
        self.outcomes.append(dict(event=f, semantics=semantics, components_lost=components, objects_affected=affected,
                                  objects_inaccessible=inaccessible, io_stall_s=stall, rebuild_start_s=np.inf,
                                  resync_bytes=0.0, resync_read_bytes=0.0, resync_rate_bps=0.0,
                                  resync_duration_s=0.0, reprotected_s=np.inf if components else t,
                                  reprotect_impossible_objects=0, fabric_bps=0.0, inter_site_bytes=0.0))
        self._snapshot(t, f"{f.kind} {f.target if f.kind not in ('witness', 'inter_site_link') else ''} fails".replace(
            "  ", " "))
        if components:
            start = t if semantics == "degraded" else t + self.spec.repair_delay_s
            heapq.heappush(self.heap, (start, START, len(self.outcomes) - 1))

    def _record(self, k: int, start: float, plan: ResyncPlan, after_return: bool = False) -> None:
        """Book a resync for outcome ``k``; one after the failed part came back (``after_return``)
        adds to a rebuild that already ran and re-protects what that one could not."""
        out = self.outcomes[k]
        prior = self.plans[k] if after_return else None
        if prior is not None and prior.written_bytes > 0:
            out.update(resync_bytes=out["resync_bytes"] + plan.written_bytes,
                       resync_read_bytes=out["resync_read_bytes"] + plan.read_bytes,
                       inter_site_bytes=out["inter_site_bytes"] + plan.inter_site_bytes,
                       reprotected_s=start + plan.duration_s if not plan.impossible else np.inf,
                       reprotect_impossible_objects=len(plan.impossible))
        else:
            out.update(rebuild_start_s=start, resync_bytes=plan.written_bytes, resync_read_bytes=plan.read_bytes,
                       resync_rate_bps=plan.rate_bps, resync_duration_s=plan.duration_s,
                       reprotected_s=np.inf if plan.impossible else start + plan.duration_s,
                       reprotect_impossible_objects=len(plan.impossible),
                       fabric_bps=plan.read_bytes * 8.0 / plan.duration_s if plan.duration_s > 0 else 0.0,
                       inter_site_bytes=plan.inter_site_bytes)
            self.plans[k] = plan
        self.extra.append(plan)
        heapq.heappush(self.heap, (start + plan.duration_s, DONE, len(self.extra) - 1))

    def start(self, t: float, k: int) -> None:
        if self.outcomes[k].get("recovered_at") is not None:
            return                                  # it came back before the repair delay ran out
        todo = [m & ~self.alive[si] & ~self.moving[si] for si, m in enumerate(self.lost[k])]
        plan = plan_resync(self.spec, self.hosts, self.alive, todo, self.host_up, self.free)
        for si, o, c, _ in plan.moves:
            self.moving[si][o, c] = True
        self._record(k, t, plan)
        what = f"resync starts for the {self.outcomes[k]['event'].kind} failure ({plan.written_bytes / 1e9:.1f} GB)"
        if plan.impossible:
            what += f"; {len(plan.impossible)} objects cannot be re-protected (no eligible host)"
        self._snapshot(t, what)

    def done(self, t: float, k: int) -> None:
        plan = self.extra[k]
        if not plan.moves:
            return                                      # nothing was (re)written
        for si, o, c, h in plan.moves:      # the old copy's space is not given back (conservative)
            self.hosts[si][o, c] = h
            self.devices[si][o, c] = 0
            self.alive[si][o, c] = True
            self.moving[si][o, c] = False
        self._snapshot(t, "resync done" + (f" ({plan.written_bytes / 1e9:.1f} GB)" if plan.written_bytes else ""))

    def recover(self, t: float, i: int) -> None:
        f = self.spec.failures[i]
        k = self.outcome_of[i]
        out = self.outcomes[k]
        if f.kind not in DEGRADED_KINDS and f.kind not in ("witness", "inter_site_link"):
            self.host_up[self._hosts_of(f)] = True
        # what was neither rebuilt elsewhere nor is being rebuilt: back in place, stale since the failure
        back = [self.lost[k][si] & ~self.alive[si] & ~self.moving[si] & (self.hosts[si] == self.spec.objects[si].hosts)
                for si in range(len(self.spec.objects))]
        out["recovered_at"] = t
        if not any(m.any() for m in back):
            self._snapshot(t, f"{f.kind} back (already rebuilt elsewhere)")
            return
        away = t - f.t_s
        stale = []
        for si, objs in enumerate(self.spec.objects):
            per_obj_bytes = objs.write_bps / 8.0 / max(1, objs.objects) * away
            stale.append(np.where(back[si], np.minimum(objs.size_bytes, per_obj_bytes), 0.0))
        plan = plan_resync(self.spec, self.hosts, self.alive, back, self.host_up, self.free, in_place=True,
                           stale_bytes=stale)
        for si, o, c, _ in plan.moves:          # live again once their stale bytes are rewritten
            self.moving[si][o, c] = True
        self._record(k, t, plan, after_return=True)
        self._snapshot(t, f"{f.kind} back after {away:.0f} s: resync of {plan.written_bytes / 1e9:.2f} GB written "
                          "meanwhile")

    def run(self) -> None:
        handlers = {FAIL: self.fail, RECOVER: self.recover, START: self.start, DONE: self.done}
        if self.spec.failures:
            self._snapshot(0.0, "healthy")
        while self.heap:
            t, what, k = heapq.heappop(self.heap)
            handlers[what](t, k)


def _during_resync(spec: RebuildSpec, plan: ResyncPlan, down: np.ndarray, paced: bool = True) -> IOPathSpec:
    """The foreground I/O path while ``plan`` runs: failed hosts gone (their VMs restarted on a live
    host of their site), plus the resync as background load: per (source, target) pair, writes
    issued by the source to the target and reads at the source, at the resync's rates, paced so that
    no source's NIC carries more than ``RESYNC_NIC_SHARE`` of its rate with the foreground, nor the
    inter-site link more than that share of its rate with resync (TCP paces a resync; a FIFO queue
    fed above its rate would grow without bound). ``paced=False``: at the plan's own rates (what
    its host-bound time assumes), for judging its load rather than running it."""
    fg = spec.foreground
    assert fg is not None
    site = np.asarray(fg.cluster.site_of_host)
    live = np.flatnonzero(~down)

    def rehome(h: int) -> int:
        if not down[h]:
            return h
        same = live[site[live] == site[h]]
        return int(same[0]) if len(same) else int(live[0])

    work = [dataclasses.replace(w, host=rehome(w.host)) for w in fg.workloads]
    dur = plan.duration_s
    if dur > 0:
        fg_bps = np.asarray(spec.cluster.foreground_bps or (0.0,) * spec.cluster.hosts, np.float64)
        out_bps = np.zeros(spec.cluster.hosts)
        for (src, _), b in plan.pair_bytes.items():
            out_bps[src] += b * 8.0 / dur
        room = np.maximum(RESYNC_NIC_SHARE * fg.network.nic_bps - fg_bps, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            pace = np.where(out_bps > room, room / out_bps, 1.0) if paced else np.ones_like(out_bps)
        cross = np.zeros(2)                   # resync bits/s over the inter-site link, per direction
        for (src, dst), b in plan.pair_bytes.items():
            if site[src] != site[dst]:
                cross[min(int(site[src]), 1)] += b * 8.0 / dur * pace[src]
        link_room = RESYNC_NIC_SHARE * fg.network.inter_site_bps
        link_pace = np.ones(2)
        np.divide(link_room, cross, out=link_pace, where=(cross > link_room) & paced)
        reads: dict[int, float] = {}
        for (src, dst), b in sorted(plan.pair_bytes.items()):
            iops = b / dur / RESYNC_BLOCK_BYTES * pace[src]
            if site[src] != site[dst]:
                iops *= link_pace[min(int(site[src]), 1)]
            if iops <= 0:
                continue
            reads[src] = reads.get(src, 0.0) + iops
            target = (ObjectPlacement((Copy("raid1", (dst,)),)),)
            work.append(Workload(f"resync-write-{src}-{dst}", src, iops, 0.0, target, (RESYNC_BLOCK_BYTES,), (1.0,),
                                 background=True))
        for src, iops in sorted(reads.items()):
            here = (ObjectPlacement((Copy("raid1", (src,)),)),)
            work.append(Workload(f"resync-read-{src}", src, iops, 1.0, here, (RESYNC_BLOCK_BYTES,), (1.0,),
                                 background=True))
    failures = tuple(HostFailure(0.0, int(h), 0.0) for h in np.flatnonzero(down))
    return dataclasses.replace(fg, workloads=tuple(work), failures=failures)


def resync_io_duration_s(io: IOPathSpec, io_duration_s: float, ios: int = LATER_RESYNC_IOS) -> float:
    """How long a later resync's foreground runs: ``io_duration_s``, or shorter so that its
    workloads (foreground and resync, at the rates given: a fabric's slowing only lowers them)
    issue at most ``ios`` I/Os."""
    iops = sum(w.iops for w in io.workloads)
    return min(io_duration_s, ios / iops) if iops > 0 else io_duration_s


def simulate(spec: RebuildSpec, *, seed: int = 1, io_duration_s: float = 1.0,
             prepare: Callable[[str, IOPathSpec], IOPathSpec] | None = None,
             every_resync: bool = False) -> RebuildResult:
    """Run the failures of ``spec`` (see the module docstring); with ``spec.foreground``, the
    foreground I/O path for ``io_duration_s`` before the first failure, right after the first one
    that takes hosts away (their VMs restarted in their site, I/O on the components left), and
    during the first resync. ``prepare(phase, io_spec)``, when given, turns each of those I/O-path
    specs (``phase``: ``before``, ``after_failure``, ``during_resync``) into the one that runs (the
    storage kind puts its traffic on a fabric there). Every outcome's first resync plan, and with a
    foreground the I/O-path spec while it runs at the plan's own rates (``resync_io``, unpaced,
    built but not run: the storage kind judges each on its fabric), are in the result. With
    ``every_resync``, every outcome's first resync also gets its own foreground run while it runs
    (``foreground_during_resyncs``, per outcome: the first resync's is ``foreground_during_resync``
    itself; each later one, built as that one is, has the phase ``during_resync:K``, K its
    outcome's index, and lasts ``resync_io_duration_s``)."""

    def io_simulate(io: IOPathSpec, phase: str, **kw) -> IOPathResult:
        return _io_simulate(prepare(phase, io) if prepare is not None else io, **kw)

    tl = _Timeline(spec)
    tl.run()
    outcomes = tuple(FailureOutcome(**{k: v for k, v in o.items() if k != "recovered_at"}) for o in tl.outcomes)
    notes = []
    if np.any(host_rates(spec.cluster, spec) <= 0):
        notes.append("some hosts give resync no bandwidth (foreground uses it all and adaptive resync is off)")
    before: IOPathResult | None = None
    after: IOPathResult | None = None
    during: IOPathResult | None = None
    resync_io: tuple[IOPathSpec | None, ...] = ()
    during_each: tuple[IOPathResult | None, ...] = ()
    if spec.foreground is not None:
        before = io_simulate(spec.foreground, "before", duration_s=io_duration_s, seed=seed)
        hit = next((o.event for o in outcomes if o.components_lost and o.event.kind in HOSTS_DOWN_KINDS), None)
        if hit is not None:
            down = np.zeros(spec.cluster.hosts, bool)
            down[tl._hosts_of(hit)] = True
            after = io_simulate(_during_resync(spec, ResyncPlan(), down), "after_failure", duration_s=io_duration_s,
                                seed=seed)
        resync_io = tuple(None if p is None or p.duration_s <= 0 else
                          _during_resync(spec, p, _down_during(tl, outcomes[k]), paced=False)
                          for k, p in enumerate(tl.plans))
        first = next((k for k, io in enumerate(resync_io) if io is not None), None)
        if first is not None:
            plan = tl.plans[first]
            assert plan is not None
            during = io_simulate(_during_resync(spec, plan, _down_during(tl, outcomes[first])), "during_resync",
                                 duration_s=io_duration_s, seed=seed)
            if every_resync:
                each = []
                for k, (io, p) in enumerate(zip(resync_io, tl.plans)):
                    if io is None or p is None or k == first:
                        each.append(during if k == first else None)
                        continue
                    paced = _during_resync(spec, p, _down_during(tl, outcomes[k]))
                    each.append(io_simulate(paced, f"during_resync:{k}", seed=seed,
                                            duration_s=resync_io_duration_s(paced, io_duration_s)))
                during_each = tuple(each)
        else:
            notes.append("no resync ran, so there is no foreground latency during one")
    return RebuildResult(tuple(tl.timeline), outcomes, before, during, tuple(notes), after,
                         tuple(tl.plans), resync_io, during_each)


def _down_during(tl: _Timeline, outcome: FailureOutcome) -> np.ndarray:
    """Per host, whether it is down while ``outcome``'s first resync runs: the failure's hosts, when
    the rebuild starts before they come back (a device, witness or link failure takes none)."""
    f = outcome.event
    down = np.zeros(tl.spec.cluster.hosts, bool)
    if f.kind not in DEGRADED_KINDS and f.kind not in ("witness", "inter_site_link"):
        down[tl._hosts_of(f)] = outcome.rebuild_start_s < f.recover_s
    return down
