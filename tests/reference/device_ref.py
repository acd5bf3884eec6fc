"""Reference model of the NIC's device time (``vnetsim.engine.device``), written from its
documentation (docs/models/host.md, "Device time") as a SimPy process per packet: the DMA engine is
a resource of capacity one taken in arrival order for ``size * 8 / rate``; the packet then needs
``latency + size * per_byte`` more, and is handed over only after the packet ahead of it (in-order
completion)."""

from __future__ import annotations

import simpy
from tests.reference.host_chain import register


def device_reference(t, pid, size, rate_bps, latency_ns, per_byte_ns, end=float("inf")):
    """{pid: departure} of packets arriving at ``t`` (time-ordered), every one of them."""
    env = simpy.Environment()
    dma = simpy.Resource(env, capacity=1)
    out: dict[int, float] = {}
    ready = [env.event() for _ in t]      # packet k's hand-over happened

    def packet(k, a, p, b):
        yield env.timeout(a - env.now)
        with dma.request() as req:        # FIFO: requests are served in the order they were made
            yield req
            yield env.timeout(b * (8.0 * (1e9 / rate_bps)))
        own = env.now + latency_ns + b * per_byte_ns
        yield env.timeout(own - env.now)
        if k > 0 and not ready[k - 1].triggered:
            yield ready[k - 1]            # the packet ahead of it is handed over first
        ahead = out[int(pid[k - 1])] if k > 0 else own
        out[int(p)] = max(own, ahead)
        ready[k].succeed()

    for k, (a, p, b) in enumerate(zip(t, pid, size)):
        env.process(packet(k, float(a), p, int(b)))
    env.run()
    return out


@register("DeviceStagePlan")
def _device_stage(sp, t, pid, flow, size, end):
    return device_reference(t, pid, size, sp.rate_bps, sp.latency_ns, sp.per_byte_ns, end), []
