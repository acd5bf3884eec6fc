"""One short real calibration in network namespaces: sane, positive costs (bounded: 4 runs)."""

from __future__ import annotations

import math

import pytest

from vnetsim.calibrate.measure import Point, measure
from vnetsim.calibrate.run import fit_measured
from vnetsim.calibrate.testbed import Testbed as Bed
from vnetsim.calibrate.testbed import why_not


def test_quick_real_calibration():
    why = why_not()
    if why:
        pytest.skip(why)
    points = [Point("latency", 16, False), Point("latency", 1024, False), Point("latency", 16, False, 1000.0),
              Point("rate", 16, False)]
    with Bed() as bed:
        rows = measure(points, bed, seconds=1.0, batches=3, rounds=1, limit_s=60)
    for m in rows:
        assert len(m.repeats) == 3 and all(math.isfinite(x) and x > 0 for x in m.repeats), m.point.label()
    lat = rows[0].value
    assert 500 < lat < 5e6          # one-way latency on a veth: between 0.5 us and 5 ms
    assert 1e3 < rows[3].value < 1e8  # small UDP messages per second
    costs = fit_measured(rows)
    assert costs.per_packet_ns > 0 and costs.wakeup_ns >= 0 and costs.rate_per_packet_ns > 0
    assert costs.latency_ns(58, False) == pytest.approx(costs.per_packet_ns + 58 * costs.per_byte_ns)


def test_testbed_leaves_nothing_behind():
    why = why_not()
    if why:
        pytest.skip(why)
    import subprocess

    with Bed() as bed:
        names = (bed.client, bed.server)
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert all(n in listed for n in names)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(n in listed for n in names)
