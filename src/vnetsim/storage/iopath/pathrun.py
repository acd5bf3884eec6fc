"""One I/O-path run: the spec's VM groups through NICs, the inter-site link and the devices, on the
engine's pipeline, to latency percentiles, where the time goes, utilisation and I/O conservation.

The default path (``pipeline``)::

    source --> path [ nic --(same site)------------------> devices --> join ] --> join (sink)
                         \\--(other site)--> inter_site --/

one source run of every leg (``ReusingSource``) into one ``PathStage`` holding the NIC queues, the
inter-site queues, the devices and the join (the sink gets nothing). The staged paths
(``pipeline-stages``, ``pipeline-sorted``), the same model stage by stage::

    source --(local legs)------------------------------------------> devices --> join (sink)
    source_remote --> nic ------------------------------------------/          (one site)
    source_remote --> network [ nic --(same site)------------------]/          (two sites)
                                 \\--(other site)--> inter_site --/

``source`` / ``source_remote``: the two sides of one ``IOSource`` (legs to the owner's own
devices, legs out through its NIC); ``nic``: one FIFO queue per host (its transmit side),
``inter_site``: one per direction (each a ``DelayedFifo`` on the engine's ``FifoStage``); with two
sites both inside one ``NetworkStage``, which hands the devices only legs due before the horizon
(two runs to merge there instead of four); ``devices``: ``DeviceStage``; ``join``: ``Join``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vnetsim.engine.pipeline import Pipeline
from vnetsim.engine.rng import stream
from vnetsim.errors import ModelError
from vnetsim.storage.iopath.device import DeviceStage
from vnetsim.storage.iopath.jitter import REPLY, REQUEST, LegJitter
from vnetsim.storage.iopath.join import Join
from vnetsim.storage.iopath.legs import MAX_LEGS, OTHER_SITE, LegTables, build_tables
from vnetsim.storage.iopath.links import DelayedFifo
from vnetsim.storage.iopath.netstage import NetworkStage
from vnetsim.storage.iopath.pathstage import PathStage
from vnetsim.storage.iopath.routes import FlowRoutes, flow_routes
from vnetsim.storage.iopath.source import IOSource, ReusingSource, SourceSide
from vnetsim.storage.iopath.spec import Conservation, GroupResult, IOPathResult, IOPathSpec, Latency

STAGE_NAMES = ("nic", "network", "inter_site", "device_wait", "device_service", "stall")


PATHS = ("pipeline", "pipeline-stages", "pipeline-sorted")

# Legs offered per chunk: each pass's columns (about 0.5 MB a column) stay small enough that the
# allocator reuses freed chunks instead of mapping fresh pages every chunk (twice this size ran
# 5-30 % slower, most of it page faults).
CHUNK_LEGS = 1 << 16


class IOPathRun:
    """A built I/O path and its parts (``simulate`` runs one; tests look inside).

    ``path``: ``pipeline`` (the default: NIC, inter-site link, devices and join in one stage,
    ``PathStage``), ``pipeline-stages`` (each its own stage: the NIC or network stage, then the
    device stage folding each leg into the join at once, no sort of its departures) or
    ``pipeline-sorted`` (as ``pipeline-stages``, the device stage's departures sorted by (time, id)
    into the join sink: the plain stage contract). All give every I/O the same latency."""

    def __init__(self, spec: IOPathSpec, seed: int, duration_s: float, warmup_s: float = 0.0,
                 path: str = "pipeline", progress: Callable[[float], None] | None = None) -> None:
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        self.path = path
        if not (np.isfinite(duration_s) and duration_s > 0):
            raise ModelError("duration", f"must be finite and > 0 seconds, got {duration_s}", "")
        if not 0 <= warmup_s < duration_s:
            raise ModelError("warmup", f"must be in [0, duration), got {warmup_s}", "")
        self.spec, self.seed = spec, seed
        self.duration_ns, self.warmup_ns = duration_s * 1e9, warmup_s * 1e9
        self.tables: LegTables = build_tables(spec)
        self.routes: FlowRoutes = flow_routes(self.tables, spec.cluster, spec.network)
        t, r = self.tables, self.routes
        lc = r.leg_class
        hosts = spec.cluster.hosts
        n_hist = 2 * len(spec.workloads)
        lo, hi = self.warmup_ns, self.duration_ns
        self.source = IOSource(spec, t, r.wire_bytes, seed, self.duration_ns, remote_flow=r.route != 0)
        out_jitter, back_jitter = self._jitters(seed)
        self.nic = DelayedFifo(np.full(hosts, spec.network.nic_bps), r.nic_queue, r.after_nic_ns, lo, hi, "nic",
                               out_jitter)
        self.link = DelayedFifo(np.full(2, spec.network.inter_site_bps), r.site_link, r.after_link_ns, lo, hi,
                                "inter_site")
        fail = np.full(hosts, np.inf)
        stall = np.zeros(hosts)
        for f in spec.failures:
            if f.t_s * 1e9 < fail[f.host]:
                fail[f.host], stall[f.host] = f.t_s * 1e9, f.stall_s * 1e9
        d = spec.devices
        key = int(stream(seed, "storage.iopath.devices").integers(0, 2**63))
        cache_p = np.where(t.lc_op[lc] == 0, t.cache_hit[t.lc_group[lc]], 1.0)
        self.join = Join(t.lc_nlegs[lc], t.lc_group[lc] * 2 + t.lc_write[lc], n_hist, lo)
        self.devices = DeviceStage(hosts, d.capacity, d.capacity_count, d.cache, d.cache_count, t.lc_target[lc],
                                   t.lc_op[lc], r.block_bytes, cache_p, r.reply_ns, key, fail, stall, lo, hi,
                                   join=self.join if path != "pipeline-sorted" else None,
                                   reply_jitter=back_jitter)
        to_link = r.route == OTHER_SITE                       # per flow: through the inter-site link
        if path == "pipeline":
            self.network = None
            self.path_stage: PathStage | None = PathStage(self.nic, self.link if to_link.any() else None,
                                                          r.route != 0, to_link, self.devices, self.join)
            self.pipe = self._one_stage(self.path_stage, progress)
        else:
            self.path_stage = None
            self.network = NetworkStage(self.nic, self.link, to_link) if to_link.any() else None
            self.pipe = self._stages(progress)
        legs_per_io = float(t.var_nlegs.mean()) if len(t.var_nlegs) else 1.0
        self.offered_legs_pps = self.source.offered_pps * max(1.0, legs_per_io)

    def _progress(self, source, progress: Callable[[float], None] | None):
        """``source`` reporting the simulated time's share of the run once a chunk (the fabric's wrapper)."""
        if progress is None:
            return source
        from vnetsim.fabric import ProgressSource

        return ProgressSource(source, self.duration_ns, progress)

    def _one_stage(self, stage: PathStage, progress: Callable[[float], None] | None) -> Pipeline:
        pipe = Pipeline()
        src = pipe.source(self._progress(ReusingSource(self.source), progress), "source")
        path = pipe.add(stage, "path")
        sink = pipe.sink(self.join, "join")
        pipe.connect(src, path)
        pipe.connect(path, sink)
        return pipe

    def _stages(self, progress: Callable[[float], None] | None) -> Pipeline:
        pipe = Pipeline()
        local = pipe.source(self._progress(SourceSide(self.source, 0), progress), "source")
        remote = pipe.source(SourceSide(self.source, 1), "source_remote")
        if self.network is not None:
            net = pipe.add(self.network, "network")
        else:
            net = pipe.add(self.nic, "nic")
        dev = pipe.add(self.devices, "devices")
        sink = pipe.sink(self.join, "join")
        pipe.connect(local, dev)
        pipe.connect(remote, net)
        pipe.connect(net, dev)
        pipe.connect(dev, sink)
        return pipe

    def _jitters(self, seed: int) -> tuple[LegJitter | None, LegJitter | None]:
        """The requests' and the replies' draws of the fabric's spread (None: fixed pair times)."""
        jit, r = self.spec.network.pair_jitter, self.routes
        if jit is None:
            return None, None
        key = int(stream(seed, "storage.iopath.fabric_jitter").integers(0, 2**63))
        out = LegJitter(r.jitter_out_row, jit.atoms_ns, key, REQUEST) if (r.jitter_out_row >= 0).any() else None
        back = LegJitter(r.jitter_back_row, jit.atoms_ns, key, REPLY) if (r.jitter_back_row >= 0).any() else None
        return out, back

    def run(self, drain: bool = True, chunk_legs: int = CHUNK_LEGS) -> None:
        self.join.end = np.inf if drain else self.duration_ns
        self.pipe.run(self.duration_ns, self.offered_legs_pps, chunk_legs, self.warmup_ns, drain=drain)
        if drain:
            self.pipe.flush()

    # -- results -------------------------------------------------------------------------------
    def conservation(self) -> Conservation:
        held = [n.inbox for n in self.pipe.nodes]
        ids = [run.pkt_id // MAX_LEGS for runs in held for run in runs]
        for stage in (self.network, self.path_stage):       # legs held inside a stage
            if stage is not None:
                ids.append(stage.held_pids() // MAX_LEGS)
        legs_in_flight = int(sum(len(x) for x in ids))
        in_flight = len(np.unique(np.concatenate(ids + [self.join.pending_ios()]))) + int(self.join.late[0])
        return Conservation(int(self.source.issued.sum()), int(self.join.done.sum() - self.join.late[0]), in_flight,
                            int(self.source.failed.sum()), int(self.source.legs_issued), int(self.join.legs),
                            legs_in_flight)

    def stage_breakdown(self, group: int, write: int) -> dict[str, float]:
        """Mean ns per leg of ``group``'s reads (0) or writes (1) in each stage."""
        return self._breakdowns()[2 * group + write]

    def _breakdowns(self) -> list[dict[str, float]]:
        """``stage_breakdown`` of every (group, read or write), index ``2 * group + write``: the flows
        sorted by it once (stably: each one's sums add the same values in the same order as a
        mask of its flows would)."""
        t, r = self.tables, self.routes
        lc = r.leg_class
        hist = t.lc_group[lc] * 2 + t.lc_write[lc]
        order = np.argsort(hist, kind="stable")
        bounds = np.searchsorted(hist[order], np.arange(2 * len(self.spec.workloads) + 1))
        dev = self.devices.stats()
        legs = dev.flow_legs[order]
        cols = {"nic": self.nic.flow_queue_ns[order], "network": r.fixed_network_ns[order] * legs,
                "inter_site": self.link.flow_queue_ns[order], "device_wait": dev.flow_wait_ns[order],
                "device_service": dev.flow_service_ns[order], "stall": dev.flow_stall_ns[order]}
        out = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            n = legs[a:b].sum()
            out.append({name: float(cols[name][a:b].sum() / n) if n else float("nan") for name in STAGE_NAMES})
        return out

    def result(self) -> IOPathResult:
        groups = []
        parts = self._breakdowns()
        for g, w in enumerate(self.spec.workloads):
            lat = []
            for write in (0, 1):
                h = self.join.histogram(2 * g + write)
                s = h.summary()
                lat.append(Latency(h.count, *(float(s[k]) for k in ("mean", "p50", "p90", "p99", "p999", "max"))))
            groups.append(GroupResult(w.name, w.background, lat[0], lat[1], parts[2 * g], parts[2 * g + 1]))
        window = self.duration_ns - self.warmup_ns
        dev = self.devices.stats()
        dev_util = dev.busy_ns / (window * dev.queue_depth)
        nic_util = self.nic.stats().queues["busy_window_ns"] / window
        link_util = self.link.stats().queues["busy_window_ns"] / window
        return IOPathResult(tuple(groups), tuple(float(x) for x in dev_util), tuple(float(x) for x in nic_util),
                            tuple(float(x) for x in link_util), self.conservation(), self.duration_ns / 1e9,
                            self.seed)


def simulate(spec: IOPathSpec, *, duration_s: float, seed: int, warmup_s: float = 0.0,
             drain: bool = True, progress: Callable[[float], None] | None = None) -> IOPathResult:
    """Run ``spec`` for ``duration_s`` of I/O issue (statistics from ``warmup_s`` on); with ``drain``
    every I/O issued finishes before the result is taken, else some are left in flight.
    ``progress(fraction)``: the simulated time reached over ``duration_s``, once a chunk (1.0 last)."""
    run = IOPathRun(spec, seed, duration_s, warmup_s, progress=progress)
    run.run(drain=drain)
    return run.result()

