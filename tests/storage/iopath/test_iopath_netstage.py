"""The two-site network stage (NIC and inter-site queues in one stage, late legs held inside) equals
the plain wiring of the same queues as pipeline stages (NIC, a split by flow, the inter-site stage),
leg for leg: the devices get the same legs at the same times in the same order, at chunk sizes from
a handful of legs (most legs pass a horizon inside the stage) to the default, and legs it holds at
an undrained end are counted in flight."""

from __future__ import annotations

import numpy as np
import pytest
from test_iopath_reference import stretched_with_failure

from vnetsim.engine.pipeline import Pipeline
from vnetsim.storage.iopath.legs import OTHER_SITE
from vnetsim.storage.iopath.pathrun import IOPathRun
from vnetsim.storage.iopath.source import SourceSide
from vnetsim.storage.iopath.spec import Copy, IOPathSpec, ObjectPlacement


def _record_devices(run: IOPathRun) -> list:
    seen: list = []
    advance = run.devices.advance

    def recording(arrivals, horizon_ns):
        seen.append((arrivals.t_ns.copy(), arrivals.pkt_id.copy(), arrivals.flow.copy(), arrivals.t0_ns.copy()))
        return advance(arrivals, horizon_ns)

    run.devices.advance = recording
    return seen


def _plain_wiring(run: IOPathRun) -> None:
    """Replace ``run``'s pipeline by NIC -> (split by flow) -> inter-site -> devices as separate stages."""
    r = run.routes
    after_nic = np.where(r.route == OTHER_SITE, 0, 1)
    pipe = Pipeline()
    local = pipe.source(SourceSide(run.source, 0), "source")
    remote = pipe.source(SourceSide(run.source, 1), "source_remote")
    nic = pipe.add(run.nic, "nic")
    link = pipe.add(run.link, "inter_site")
    dev = pipe.add(run.devices, "devices")
    sink = pipe.sink(run.join, "join")
    pipe.connect(local, dev)
    pipe.connect(remote, nic)
    pipe.connect(nic, [link, dev], classify=lambda p: after_nic[p.flow])
    pipe.connect(link, dev)
    pipe.connect(dev, sink)
    run.pipe = pipe
    run.network = None


def _joined(calls: list) -> tuple:
    return tuple(np.concatenate([c[k] for c in calls]) for k in range(4))


def _spec() -> IOPathSpec:
    spec = stretched_with_failure()
    # writes crossing sites at a high rate: the inter-site queues fill and legs pass chunk horizons
    objs = tuple(ObjectPlacement((Copy("raid1", (i % 3,)), Copy("raid1", (3 + i % 3, 3 + (i + 1) % 3))))
                 for i in range(6))
    w = tuple(type(x)(x.name, x.host, x.iops * 3, 0.3, objs, x.block_bytes, x.block_weights) for x in spec.workloads)
    return IOPathSpec(spec.cluster, spec.devices, spec.network, w, local_reads=True, failures=spec.failures)


@pytest.mark.parametrize("chunk_legs", [97, 1024, 1 << 17])
def test_network_stage_equals_the_plain_wiring(chunk_legs):
    spec = _spec()
    fused = IOPathRun(spec, 3, 0.03, path="pipeline-stages")
    assert fused.network is not None
    plain = IOPathRun(spec, 3, 0.03, path="pipeline-stages")
    _plain_wiring(plain)
    a, b = _record_devices(fused), _record_devices(plain)
    fused.run(chunk_legs=chunk_legs)
    plain.run(chunk_legs=chunk_legs)
    for x, y in zip(_joined(a), _joined(b)):
        assert np.array_equal(x, y)
    assert fused.result() == plain.result()
    assert fused.link.stats().queues["accepted"].sum() > 0


def test_legs_held_in_the_network_stage_are_in_flight():
    spec = _spec()
    run = IOPathRun(spec, 3, 0.03, path="pipeline-stages")
    run.run(drain=False, chunk_legs=512)
    assert run.network is not None and run.network.held() > 0
    c = run.conservation()
    assert c.issued == c.completed + c.in_flight + c.failed
    assert c.legs_issued == c.legs_done + c.legs_in_flight
