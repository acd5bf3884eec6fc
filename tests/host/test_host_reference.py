"""The whole host path agrees packet for packet with the SimPy reference models chained by hand:
wire FIFO -> pNIC rings and host cores -> vNIC rings and guest vCPUs.

Scenarios are random (hypothesis) and small; every time and cost is a whole number of ns (line
rate 8 Gb/s makes a frame's serialization (size + 20) ns), so float sums are exact and ties happen.
Equal-time arrivals at a stage go in packet-id order (docs/models/engine.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference.fifo_ref import fifo_reference  # noqa: E402
from tests.reference.host_chain import reference_receive  # noqa: E402

from vnetsim.api import load  # noqa: E402
from vnetsim.engine.packets import Packets  # noqa: E402
from vnetsim.host.path import HostPath  # noqa: E402


class FixedSource:
    """Stands in for the traffic source: hands out given packets chunk by chunk."""

    def __init__(self, t, size, flow):
        self.t, self.size, self.flow = t, size, flow
        self.pos = 0
        self.offered_pps = max(1.0, len(t) / max(1e-9, (t[-1] if len(t) else 1.0) * 1e-9))

    def until(self, horizon):
        end = int(np.searchsorted(self.t, horizon, side="left"))
        sl = slice(self.pos, end)
        self.pos = end
        t = self.t[sl]
        return Packets(t.copy(), t.copy(), self.size[sl], self.flow[sl], np.arange(sl.start, end, dtype=np.int64))


ns = st.integers(0, 40).map(lambda x: f"{x}ns")
pos_ns = st.integers(1, 40).map(lambda x: f"{x}ns")


@st.composite
def service(draw):
    mode = draw(st.sampled_from(["interrupt", "poll", "hybrid"]))
    out = {"mode": mode, "batch": draw(st.integers(1, 4)),
           "per_packet": draw(st.integers(1, 200).map(lambda x: f"{x}ns")), "poll_cost": draw(pos_ns),
           "empty_poll_cost": draw(pos_ns), "irq_cost": draw(ns), "wakeup": draw(ns),
           "cstates": [{"exit_latency": f"{e}ns", "target_residency": f"{r}ns"}
                       for e, r in zip(draw(st.lists(st.integers(0, 30), max_size=2)),
                                       sorted(draw(st.sets(st.integers(0, 300), min_size=2, max_size=2))))]}
    if mode == "hybrid":
        out["hybrid"] = {"sleep_after_empty_polls": draw(st.integers(0, 3)), "sleep": draw(ns),
                         "block_after_empty_polls": draw(st.integers(1, 6))}
    return out


@st.composite
def coalescing(draw):
    scheme = draw(st.sampled_from(["off", "rate", "timer", "static"]))
    if scheme == "rate":
        return {"scheme": "rate", "rate": draw(st.sampled_from(["1000000/s", "500000/s", "250000/s"]))}
    if scheme == "timer":
        return {"scheme": "timer", "usecs": draw(pos_ns), "frames": draw(st.integers(1, 4))}
    if scheme == "static":
        return {"scheme": "static", "frames": draw(st.integers(1, 4))}
    return {"scheme": "off"}


@st.composite
def host_cases(draw):
    n_q = draw(st.integers(1, 3))
    vcpus = draw(st.integers(1, 2))
    doc = {
        "duration": "1ms",
        "traffic": {"flows": [{"name": "f", "count": 4, "rate": "1Mpps"}]},
        "host": {
            "cpu_clock": "1GHz",
            "pnic": {"line_rate": "8Gbps", "rx_queues": n_q, "ring_size": draw(st.integers(1, 6)),
                     "coalescing": draw(coalescing())},
            "cores": draw(st.integers(1, n_q)),
            "service": draw(service()),
            "vswitch": {"per_packet": draw(ns)},
            "vms": [{"name": "vm", "vnic": {"type": "vmxnet3", "queues": draw(st.integers(1, 2)), "ring_size": 32,
                                           "coalescing": draw(coalescing())},
                     "guest": {"vcpus": vcpus, "service": draw(service()), "app": {"per_packet": draw(ns)}}}],
        },
    }
    n = draw(st.integers(0, 80))
    gaps = draw(st.lists(st.one_of(st.just(0), st.integers(0, 60), st.integers(0, 400)), min_size=n, max_size=n))
    t = np.cumsum(np.asarray(gaps, np.int64)).astype(np.float64) + 1.0
    size = np.asarray(draw(st.lists(st.sampled_from([64, 100, 128]), min_size=n, max_size=n)), np.int32)
    flow = np.asarray(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int32)
    end = float((int(t[-1]) if n else 0) + draw(st.integers(1, 3000)))
    chunk = draw(st.integers(1, 20))
    return doc, t, size, flow, end, chunk


def engine(doc, t, size, flow, end, chunk):
    model = load(doc)[2][0].model
    path = HostPath(model, duration_ns=end, trace=True)
    path.source = FixedSource(t, size, flow)
    # small chunks: horizons every `chunk` packets' worth of time (results must not depend on it)
    path.scenario = model.model_copy(update={"chunk_packets": 1000})
    path.source.offered_pps = 1000 / (chunk * 100e-9)
    run = path.run()
    d_pid, d_t, x_pid, x_stage = run.trace.arrays()
    return path.plan, dict(zip(d_pid.tolist(), d_t.tolist())), dict(zip(x_pid.tolist(), x_stage.tolist()))


def reference(plan, t, size, flow, end):
    n = len(t)
    pid = np.arange(n)
    wire = fifo_reference(t, np.zeros(n, np.int64), (size + 20).astype(float), size, 1).departure
    return reference_receive(plan, wire, pid, flow, size, end)


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(host_cases())
def test_host_path_matches_reference(case):
    doc, t, size, flow, end, chunk = case
    plan, delivered, dropped = engine(doc, t, size, flow, end, chunk)
    ref_delivered, ref_dropped = reference(plan, t, size, flow, end)
    assert dropped == ref_dropped
    assert delivered == ref_delivered
