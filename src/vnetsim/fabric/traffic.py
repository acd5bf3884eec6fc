"""Traffic on the fabric: who sends to whom (traffic matrix patterns), as flows.

A flow is (source host, destination host, 5-tuple, offered rate on the wire, frame size). The
rate counts the 20 B of preamble and inter-frame gap per frame, so load 1.0 is line rate:
``pps = rate / ((frame + 20) * 8)`` (IEEE Std 802.3; docs/references.md, Ethernet wire overhead).
The arrival processes are the package's (``vnetsim.traffic``); ``packet_source`` puts the flows
under one of them. Patterns:
- uniform: each host opens ``flows_per_host`` flows to hosts drawn uniformly (all other hosts,
  or ``rack_local_fraction`` of them in the own rack and the rest in other racks);
- incast: ``receivers`` hosts each receive from ``fan_in`` distinct senders in other racks;
- permutation: every host sends to exactly one host and receives from exactly one
  (in another rack when ``cross_rack_only``);
- replication: each host writes ``objects_per_host`` objects, each to ``replicas`` hosts in
  distinct other racks (a write goes to every replica, so the host sends ``replicas`` copies);
- flows: an explicit list.
Source ports are drawn from 32768-60999 (the Linux local port range; docs/references.md, Linux local
port range); IPv4 addresses are 10.0.0.0 + host index + 1, UDP to a fixed port (the port only adds
hash entropy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.errors import ModelError
from vnetsim.fabric.config import FabricConfig, TrafficConfig
from vnetsim.fabric.topology import Fabric
from vnetsim.net.ethernet import WIRE_GAP_BYTES
from vnetsim.traffic.arrivals import PeriodicArrivals, SuperposedPoissonArrivals
from vnetsim.traffic.source import FlowSource

DST_PORT = 5201
PROTO_UDP = 17


@dataclass
class Flows:
    """Flows as arrays (one row per flow)."""

    src: np.ndarray
    dst: np.ndarray
    rate_bps: np.ndarray
    frame_bytes: np.ndarray
    sport: np.ndarray
    dport: np.ndarray
    proto: np.ndarray

    def __len__(self) -> int:
        return len(self.src)

    @property
    def key0(self) -> np.ndarray:
        """Source and destination IPv4 address packed in one word (hash input)."""
        sip = 0x0A000001 + self.src.astype(np.uint64)
        dip = 0x0A000001 + self.dst.astype(np.uint64)
        return (sip << np.uint64(32)) | dip

    @property
    def key1(self) -> np.ndarray:
        """Ports and protocol packed in one word (hash input)."""
        return ((self.sport.astype(np.uint64) << np.uint64(24)) | (self.dport.astype(np.uint64) << np.uint64(8))
                | self.proto.astype(np.uint64))

    @property
    def pps(self) -> np.ndarray:
        return self.rate_bps / ((self.frame_bytes + WIRE_GAP_BYTES) * 8.0)

    def take(self, index) -> Flows:
        return Flows(*(getattr(self, k)[index] for k in ("src", "dst", "rate_bps", "frame_bytes", "sport",
                                                          "dport", "proto")))


def make_flows(src, dst, rate_bps, frame_bytes, seed: int) -> Flows:
    """Flows with random ephemeral source ports (stream ``fabric.traffic.ports``)."""
    src = np.asarray(src, np.int64)
    n = len(src)
    sport = stream(seed, "fabric.traffic.ports").integers(32768, 61000, size=n)
    return Flows(src, np.asarray(dst, np.int64), np.broadcast_to(np.asarray(rate_bps, np.float64), (n,)).copy(),
                 np.broadcast_to(np.asarray(frame_bytes, np.int64), (n,)).copy(), sport.astype(np.int64),
                 np.full(n, DST_PORT, np.int64), np.full(n, PROTO_UDP, np.int64))


def host_rate_bps(fcfg: FabricConfig, tcfg: TrafficConfig) -> float:
    if tcfg.rate is not None:
        return tcfg.rate
    return tcfg.load * fcfg.host.nics * fcfg.host.nic_speed


def _host_ref(ref, fabric: Fabric, where: str) -> int:
    if isinstance(ref, int):
        idx = ref
    elif isinstance(ref, str) and ref.startswith("host") and ref[4:].isdigit():
        idx = int(ref[4:])
    else:
        raise ModelError(where, f"{ref!r} is not a host", "use a host index or a name like host12")
    if not 0 <= idx < fabric.n_hosts:
        raise ModelError(where, f"host {ref!r} does not exist: the fabric has {fabric.n_hosts} hosts",
                            f"use 0..{fabric.n_hosts - 1}")
    return idx


def _other_rack_hosts(rng, src_rack: np.ndarray, racks: int, hpr: int, exclude: np.ndarray | None = None):
    """A uniform host in a rack other than ``src_rack`` (and other than ``exclude``, rejected and redrawn)."""
    n = len(src_rack)
    rack = (src_rack + rng.integers(1, racks, size=n)) % racks
    if exclude is not None:
        bad = np.any(rack[:, None] == exclude, axis=1)
        while bad.any():
            rack[bad] = (src_rack[bad] + rng.integers(1, racks, size=int(bad.sum()))) % racks
            bad = np.any(rack[:, None] == exclude, axis=1)
    return rack * hpr + rng.integers(0, hpr, size=n), rack


def build_flows(fcfg: FabricConfig, tcfg: TrafficConfig, fabric: Fabric, seed: int) -> Flows:
    """The flows of the configured pattern (stream ``fabric.traffic.pattern``)."""
    rng = stream(seed, "fabric.traffic.pattern")
    n = fabric.n_hosts
    racks = int(fabric.host_rack.max()) + 1
    hpr = n // racks
    rate = host_rate_bps(fcfg, tcfg)
    frame = tcfg.frame_size
    hosts = np.arange(n)
    if frame < 64:
        raise ModelError("traffic.frame_size", f"{frame} B is below the 64 B Ethernet minimum", "use 64B or more")
    if tcfg.pattern == "flows":
        if not tcfg.flows:
            raise ModelError("traffic.flows", "pattern 'flows' needs a list of flows",
                                "add flows: [{src, dst, rate}]")
        srcs = [_host_ref(f.src, fabric, f"traffic.flows[{i}].src") for i, f in enumerate(tcfg.flows)]
        dsts = [_host_ref(f.dst, fabric, f"traffic.flows[{i}].dst") for i, f in enumerate(tcfg.flows)]
        for i, (a, b) in enumerate(zip(srcs, dsts)):
            if a == b:
                raise ModelError(f"traffic.flows[{i}]", "source and destination are the same host",
                                    "use two different hosts")
        rates = [f.rate for f in tcfg.flows]
        frames = [f.frame_size or frame for f in tcfg.flows]
        return make_flows(srcs, dsts, rates, frames, seed)
    if n < 2:
        raise ModelError("fabric.hosts_per_rack", "traffic needs at least 2 hosts", "add hosts or racks")
    needs_racks = (tcfg.pattern in ("incast", "replication")
                   or (tcfg.pattern == "permutation" and tcfg.cross_rack_only))
    if needs_racks and racks < 2:
        raise ModelError("fabric.racks", f"pattern {tcfg.pattern} sends to other racks, the fabric has 1",
                            "use 2 or more racks")
    if tcfg.pattern == "uniform":
        k = tcfg.flows_per_host
        src = np.repeat(hosts, k)
        frac = tcfg.rack_local_fraction
        if frac is None:
            dst = (src + rng.integers(1, n, size=len(src))) % n
        else:
            if frac > 0 and hpr < 2:
                raise ModelError("traffic.rack_local_fraction", "rack-local flows need 2+ hosts per rack",
                                    "set it to 0 or add hosts per rack")
            if frac < 1 and racks < 2:
                raise ModelError("traffic.rack_local_fraction", "remote flows need 2+ racks", "set it to 1")
            local = rng.random(len(src)) < frac
            rack = fabric.host_rack[src]
            same = rack * hpr + (src % hpr + rng.integers(1, max(hpr, 2), size=len(src))) % hpr
            other, _ = _other_rack_hosts(rng, rack, max(racks, 2), hpr)
            dst = np.where(local, same, other)
        return make_flows(src, dst, rate / k, frame, seed)
    if tcfg.pattern == "incast":
        m = tcfg.incast.receivers
        fan = tcfg.incast.fan_in
        if m > n:
            raise ModelError("traffic.incast.receivers", f"{m} receivers but {n} hosts", f"use at most {n}")
        if fan > n - hpr:
            raise ModelError("traffic.incast.fan_in", f"{fan} senders in other racks but only {n - hpr} hosts "
                                "are outside a receiver's rack", f"use at most {n - hpr}")
        recv = rng.choice(n, size=m, replace=False)
        dst = np.repeat(recv, fan)
        # distinct senders per receiver, drawn from the hosts outside its rack
        src = np.concatenate([rng.choice(np.nonzero(fabric.host_rack != fabric.host_rack[r])[0], size=fan,
                                         replace=False) for r in recv])
        return make_flows(src, dst, rate, frame, seed)
    if tcfg.pattern == "permutation":
        if tcfg.cross_rack_only:
            within = np.argsort(rng.random((racks, hpr)), axis=1) + (np.arange(racks) * hpr)[:, None]
            rack_order = rng.permutation(racks)
            cycle = within[rack_order].T.reshape(-1)  # round-robin over racks: neighbours differ in rack
        else:
            cycle = rng.permutation(n)
        dst = np.empty(n, np.int64)
        dst[cycle] = np.roll(cycle, -1)
        return make_flows(hosts, dst, rate, frame, seed)
    rep = tcfg.replication
    if rep.replicas > racks - 1:
        raise ModelError("traffic.replication.replicas", f"{rep.replicas} replicas in distinct other racks need "
                            f"{rep.replicas + 1} racks, the fabric has {racks}",
                            f"use at most {racks - 1} replicas or more racks")
    objs = rep.objects_per_host
    writer = np.repeat(hosts, objs)
    src_rack = fabric.host_rack[writer]
    chosen = np.empty((len(writer), 0), np.int64)
    targets = []
    for _ in range(rep.replicas):
        host, rack = _other_rack_hosts(rng, src_rack, racks, hpr, chosen)
        chosen = np.concatenate([chosen, rack[:, None]], axis=1)
        targets.append(host)
    src = np.repeat(writer, rep.replicas)
    dst = np.stack(targets, axis=1).reshape(-1)
    return make_flows(src, dst, rate / (objs * rep.replicas), frame, seed)


def packet_source(flows: Flows, duration_ns: float, seed: int, arrivals: str = "poisson",
                  phase: str = "random") -> FlowSource:
    """The flows' packets before ``duration_ns`` (``vnetsim.traffic.source.FlowSource``).

    Poisson: the superposition of the flows' Poisson processes, one Poisson process of the total
    rate whose packets belong to flow f with probability pps_f / total (gaps from stream
    ``fabric.traffic.arrivals``, flow picks from ``fabric.traffic.flowpick``). Constant: flow f
    sends every 1/pps_f from a uniform random phase drawn from ``fabric.traffic.flowpick`` (or from
    time 0 for every flow: ``phase="aligned"``). The packets do not depend on the chunk size.
    """
    pps = flows.pps
    process: PeriodicArrivals | SuperposedPoissonArrivals | None = None
    if float(pps.sum()) > 0 and duration_ns > 0:
        gaps, pick = stream(seed, "fabric.traffic.arrivals"), stream(seed, "fabric.traffic.flowpick")
        if arrivals == "constant":
            process = PeriodicArrivals(pps, pick.random(len(flows)) if phase == "random" else np.zeros(len(flows)))
        else:
            process = SuperposedPoissonArrivals(pps, gaps, pick)
    return FlowSource(pps, flows.frame_bytes, process, duration_ns)
