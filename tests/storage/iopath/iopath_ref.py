"""Reference model of the storage I/O path on SimPy: one process per leg, I/O for I/O.

Rules, as written in docs/models/storage-io.md (independent of the pipeline, the stages' kernels
and the join):
- every leg of an I/O starts at the I/O's issue time; legs of one I/O start in leg order;
- a remote leg waits for its owner's NIC (one server, FIFO), is served ``wire bytes * 8e9 / nic``,
  travels ``after_nic``; a leg to the other site then waits for the inter-site link of its
  direction (one server), is served ``wire bytes * 8e9 / link``, travels ``after_link``;
- at its device (``queue_depth`` servers, FIFO) it is served its draw; a host that failed at ``f``:
  a leg arriving at or after ``f`` comes back at ``max(arrival, f + stall)``, one still at its device at
  ``f`` (it keeps its server until its service would end) at ``f + stall``;
- the reply travels its fixed delay; the I/O completes at its last leg's return (a max);
- with ``Network.pair_jitter``, a leg between two hosts of one site adds to ``after_nic`` the atom
  of pair (owner, target) its request draws, and to the reply's delay that of (target, owner).

The device a leg uses and its service draw come from the model's counter-based draws
(``leg_draws``, ``leg_service_ns``), so both models see the same random numbers; the queueing, the
routes and the join are computed here from scratch (so are the jitter's pairs; its uniforms are the
model's ``leg_uniform`` under the run's key).
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from vnetsim.storage.iopath.device import leg_draws, leg_service_ns, leg_uniform
from vnetsim.storage.iopath.jitter import cell_of
from vnetsim.storage.iopath.legs import LOCAL, MAX_LEGS, OTHER_SITE


def reference_completions(run, legs) -> dict[int, float]:
    """I/O id -> completion time (ns) for the legs ``(t, pid, flow, wire_bytes)`` of an
    ``IOPathRun`` (its tables, routes, device stage and network settings)."""
    env = simpy.Environment()
    spec, r, dev = run.spec, run.routes, run.devices
    hosts = spec.cluster.hosts
    nics = [simpy.Resource(env, capacity=1) for _ in range(hosts)]
    links = [simpy.Resource(env, capacity=1) for _ in range(2)]
    devices = [simpy.Resource(env, capacity=int(dev.depth[d])) for d in range(dev.n_devices)]
    done: dict[int, float] = {}
    net = spec.network
    jit = net.pair_jitter
    site = spec.cluster.site_of_host
    key = (run.nic.jitter or dev.reply_jitter).key if jit is not None else None

    def atom(a: int, b: int, pid: int, direction: int) -> float:
        if jit is None or a == b or site[a] != site[b] or jit.row[a, b] < 0:
            return 0.0
        return float(jit.atoms_ns[jit.row[a, b], cell_of(leg_uniform(key, pid, direction))])

    def leg(t, pid, flow, wire):
        yield env.timeout(t)
        route = int(r.route[flow])
        if route != LOCAL:
            with nics[int(r.nic_queue[flow])].request() as req:
                yield req
                yield env.timeout(wire * 8e9 / net.nic_bps)
            owner, target = int(r.nic_queue[flow]), int(dev.f_host[flow])
            yield env.timeout(float(r.after_nic_ns[flow]) + atom(owner, target, pid, 0))
            if route == OTHER_SITE:
                with links[int(r.site_link[flow])].request() as req:
                    yield req
                    yield env.timeout(wire * 8e9 / net.inter_site_bps)
                yield env.timeout(float(r.after_link_ns[flow]))
        host = int(dev.f_host[flow])
        op = int(dev.f_op[flow])
        tier, slot, u1, u2 = leg_draws(dev.key, pid, op, float(dev.f_cache_p[flow]), dev.n_cap, dev.n_cache)
        d = host * dev.per_host + (dev.n_cap + slot if tier == 1 else slot)
        s = leg_service_ns(op, tier, float(dev.f_block[flow]), dev.mu, dev.sigma, dev.ns_per_byte, u1, u2)
        fail = float(dev.fail_ns[host])
        a = env.now
        if a >= fail:
            yield env.timeout(max(a, fail + dev.stall_ns[host]) - a)
        else:
            with devices[d].request() as req:
                yield req
                yield env.timeout(s)
            if env.now > fail:           # it was still there when the host failed: lost, the I/O stalls
                assert fail + dev.stall_ns[host] >= env.now, "tests keep the stall longer than a service"
                yield env.timeout(fail + dev.stall_ns[host] - env.now)
        back = atom(int(dev.f_host[flow]), int(r.nic_queue[flow]), pid, 1) if route != LOCAL else 0.0
        yield env.timeout(float(dev.f_reply[flow]) + back)
        io = pid // MAX_LEGS
        done[io] = max(done.get(io, -math.inf), env.now)

    for t, pid, flow, wire in legs:
        env.process(leg(float(t), int(pid), int(flow), int(wire)))
    env.run()
    return done


def legs_of(packets_list) -> list[tuple[float, int, int, int]]:
    """(t, pid, flow, size) of the packets the source emitted, in emission order."""
    out = []
    for p in packets_list:
        out += list(zip(p.t_ns.tolist(), p.pkt_id.tolist(), p.flow.tolist(), p.size_bytes.tolist()))
    return out


def completions_of(delivered) -> dict[int, float]:
    """I/O id -> completion from the legs the fast model delivered to its join."""
    out: dict[int, float] = {}
    for p in delivered:
        for t, pid in zip(p.t_ns.tolist(), p.pkt_id.tolist()):
            io = pid // MAX_LEGS
            out[io] = max(out.get(io, -math.inf), t)
    return out


def as_array(d: dict[int, float]) -> np.ndarray:
    return np.array([d[k] for k in sorted(d)])
