"""Traffic on the fabric: flows from a traffic matrix pattern, and packet sources for them.

A flow is (source host, destination host, 5-tuple, offered rate on the wire, frame size). The
rate counts the 20 B of preamble and inter-frame gap per frame, so load 1.0 is line rate:
``pps = rate / ((frame + 20) * 8)`` (facts.md, wire and line rate). Patterns:
- uniform: each host opens ``flows_per_host`` flows to hosts drawn uniformly (all other hosts,
  or ``rack_local_fraction`` of them in the own rack and the rest in other racks);
- incast: ``receivers`` hosts each receive from ``fan_in`` distinct senders in other racks;
- permutation: every host sends to exactly one host and receives from exactly one
  (in another rack when ``cross_rack_only``);
- replication: each host writes ``objects_per_host`` objects, each to ``replicas`` hosts in
  distinct other racks (a write goes to every replica, so the host sends ``replicas`` copies);
- flows: an explicit list.
Source ports are drawn from 32768-60999 (the Linux local port range, facts.md); IPv4 addresses
are 10.0.0.0 + host index + 1, UDP to a fixed port (the port only adds hash entropy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.errors import ScenarioError
from vnetsim.fabric.config import FabricConfig, TrafficConfig
from vnetsim.fabric.topology import Fabric

WIRE_OVERHEAD_BYTES = 20
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
        return self.rate_bps / ((self.frame_bytes + WIRE_OVERHEAD_BYTES) * 8.0)

    def take(self, index) -> "Flows":
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
        raise ScenarioError(where, f"{ref!r} is not a host", "use a host index or a name like host12")
    if not 0 <= idx < fabric.n_hosts:
        raise ScenarioError(where, f"host {ref!r} does not exist: the fabric has {fabric.n_hosts} hosts",
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
        raise ScenarioError("traffic.frame_size", f"{frame} B is below the 64 B Ethernet minimum", "use 64B or more")
    if tcfg.pattern == "flows":
        if not tcfg.flows:
            raise ScenarioError("traffic.flows", "pattern 'flows' needs a list of flows",
                                "add flows: [{src, dst, rate}]")
        src = [_host_ref(f.src, fabric, f"traffic.flows[{i}].src") for i, f in enumerate(tcfg.flows)]
        dst = [_host_ref(f.dst, fabric, f"traffic.flows[{i}].dst") for i, f in enumerate(tcfg.flows)]
        for i, (a, b) in enumerate(zip(src, dst)):
            if a == b:
                raise ScenarioError(f"traffic.flows[{i}]", "source and destination are the same host",
                                    "use two different hosts")
        rates = [f.rate for f in tcfg.flows]
        frames = [f.frame_size or frame for f in tcfg.flows]
        return make_flows(src, dst, rates, frames, seed)
    if n < 2:
        raise ScenarioError("fabric.hosts_per_rack", "traffic needs at least 2 hosts", "add hosts or racks")
    needs_racks = (tcfg.pattern in ("incast", "replication")
                   or (tcfg.pattern == "permutation" and tcfg.cross_rack_only))
    if needs_racks and racks < 2:
        raise ScenarioError("fabric.racks", f"pattern {tcfg.pattern} sends to other racks, the fabric has 1",
                            "use 2 or more racks")
    if tcfg.pattern == "uniform":
        k = tcfg.flows_per_host
        src = np.repeat(hosts, k)
        frac = tcfg.rack_local_fraction
        if frac is None:
            dst = (src + rng.integers(1, n, size=len(src))) % n
        else:
            if frac > 0 and hpr < 2:
                raise ScenarioError("traffic.rack_local_fraction", "rack-local flows need 2+ hosts per rack",
                                    "set it to 0 or add hosts per rack")
            if frac < 1 and racks < 2:
                raise ScenarioError("traffic.rack_local_fraction", "remote flows need 2+ racks", "set it to 1")
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
            raise ScenarioError("traffic.incast.receivers", f"{m} receivers but {n} hosts", f"use at most {n}")
        if fan > n - hpr:
            raise ScenarioError("traffic.incast.fan_in", f"{fan} senders in other racks but only {n - hpr} hosts "
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
        raise ScenarioError("traffic.replication.replicas", f"{rep.replicas} replicas in distinct other racks need "
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


@numba.njit(cache=True, nogil=True)
def alias_table(weights):
    """Walker/Vose alias table: sample i with probability weights[i] / sum in O(1)."""
    n = weights.shape[0]
    prob = weights * (n / weights.sum())
    alias = np.arange(n)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if prob[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        alias[s] = g
        prob[g] = (prob[g] + prob[s]) - 1.0
        if prob[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    for i in range(nl):
        prob[large[i]] = 1.0
    for i in range(ns):
        prob[small[i]] = 1.0
    return prob, alias


@numba.njit(cache=True, nogil=True)
def alias_draw(u, prob, alias):
    """One uniform per draw: integer part picks the column, fraction decides column or alias."""
    n = prob.shape[0]
    out = np.empty(u.shape[0], np.int64)
    for i in range(u.shape[0]):
        x = u[i] * n
        k = int(x)
        if k >= n:
            k = n - 1
        out[i] = k if (x - k) < prob[k] else alias[k]
    return out


class PacketSource:
    """Packet arrivals of all flows, in time order, chunk by chunk.

    Poisson: the superposition of the flows' Poisson processes is one Poisson process of the total
    rate whose packets belong to flow f with probability pps_f / total (gaps from stream
    ``fabric.traffic.arrivals``, flow draws from ``fabric.traffic.flowpick``). Constant: flow f
    sends every 1/pps_f from a uniform random phase (or
    from time 0 for every flow: ``phase="aligned"``). Draws do not depend on the chunk size.
    """

    def __init__(self, flows: Flows, duration_ns: float, seed: int, arrivals: str = "poisson",
                 chunk_packets: int = 200_000, phase: str = "random") -> None:
        self.flows = flows
        self.duration_ns = duration_ns
        self.kind = arrivals
        self.chunk = int(chunk_packets)
        pps = flows.pps
        self.total_pps = float(pps.sum())
        self.done = self.total_pps <= 0 or duration_ns <= 0
        if self.done:
            return
        self.prob, self.alias = alias_table(pps.astype(np.float64))
        self.gaps = stream(seed, "fabric.traffic.arrivals")
        self.pick = stream(seed, "fabric.traffic.flowpick")
        self.mean_gap_ns = 1e9 / self.total_pps
        self.next_t = float(self.gaps.standard_exponential()) * self.mean_gap_ns
        if arrivals == "constant":
            safe = np.where(pps > 0, pps, 1.0)
            self.period_ns = np.where(pps > 0, 1e9 / safe, np.inf)
            u = self.pick.random(len(flows)) if phase == "random" else np.zeros(len(flows))
            self.phase_ns = u * np.where(pps > 0, self.period_ns, 0.0)
            self.window_ns = self.chunk * self.mean_gap_ns
            self.t_ns = 0.0

    def next_chunk(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(t_ns, flow, horizon_ns): time-ordered arrivals before the horizon; every later
        arrival is at or after the horizon (inf after the last chunk)."""
        if self.done:
            return np.empty(0), np.empty(0, np.int64), np.inf
        if self.kind == "poisson":
            gaps = self.gaps.standard_exponential(self.chunk) * self.mean_gap_ns
            # a running sum from the carried time: the same additions whatever the chunk size
            times = np.cumsum(np.concatenate(([self.next_t], gaps)))
            t, horizon = times[:-1], float(times[-1])
            self.next_t = horizon
            flow = alias_draw(self.pick.random(len(t)), self.prob, self.alias)
        else:
            t0, t1 = self.t_ns, self.t_ns + self.window_ns
            live = np.isfinite(self.period_ns)
            per = np.where(live, self.period_ns, 1.0)
            first = np.maximum(np.ceil((t0 - self.phase_ns) / per), 0)
            last = np.maximum(np.ceil((t1 - self.phase_ns) / per), 0)
            count = np.where(live, np.maximum(last - first, 0), 0).astype(np.int64)
            flow = np.repeat(np.arange(len(count)), count)
            k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + np.repeat(first, count)
            t = self.phase_ns[flow] + k * per[flow]
            order = np.argsort(t, kind="stable")
            t, flow = t[order], flow[order]
            horizon = t1
            self.t_ns = t1
        if horizon >= self.duration_ns:
            keep = t < self.duration_ns
            t, flow = t[keep], flow[keep]
            horizon = np.inf
            self.done = True
        return t, flow.astype(np.int64), horizon
