"""Virtualization costs (``host.virtualization``, docs/models/host.md "Virtualization costs") and
reserved cores.

- Without posted interrupts every virtual interrupt costs the vCPU ``exits_per_interrupt`` VM
  exits: at a load where each packet gets its own interrupt, the guest's overhead grows by exactly
  interrupts x exits x exit cost, and each packet's latency by one interrupt's exits.
- The host thread pays the notification once per poll that found packets when the guest is
  interrupt-driven, and never when the guest polls.
- ``latency_sensitivity: high`` reserves the VM's vCPUs: their time without work is ``reserved``,
  not ``idle``; every core's shares sum to 1.
"""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.api import load
from vnetsim.host.path import HostPath
from vnetsim.host.report import variant_result

CLOCK_HZ = 2e9


def doc(**host) -> dict:
    return {"duration": "200ms", "warmup": "10ms", "seed": 5,
            "traffic": {"flows": [{"name": "f", "count": 8, "rate": "2kpps", "size": 64, "arrival": "constant"}]},
            "host": {"cpu_clock": "2GHz", **host}}


def run(d):
    model = load(d)[2][0].model
    r = HostPath(model).run()
    return r, variant_result("v", "", r, 5, cpu_hz=model.host.cpu_clock)


def _guest(rs_list):
    return rs_list[-1].cores[0]


@pytest.fixture(scope="module")
def posted_and_not():
    base = {"virtualization": {"posted_interrupts": True}}
    exits = {"virtualization": {"posted_interrupts": False, "vm_exit": "1559cycles", "exits_per_interrupt": 2}}
    return run(doc(**base)), run(doc(**exits))


def test_exits_cost_the_guest_per_interrupt(posted_and_not):
    (r0, _), (r1, _) = posted_and_not
    g0, g1 = _guest(r0.ring_stats), _guest(r1.ring_stats)
    assert g0["interrupts"] == g1["interrupts"] > 0
    exit_ns = 2 * 1559 / CLOCK_HZ * 1e9
    assert g1["overhead_ns"] - g0["overhead_ns"] == pytest.approx(g1["interrupts"] * exit_ns, rel=1e-9)


def test_exits_delay_each_packet_by_one_interrupts_exits(posted_and_not):
    (r0, _), (r1, _) = posted_and_not
    exit_ns = 2 * 1559 / CLOCK_HZ * 1e9
    assert r1.latency.mean - r0.latency.mean == pytest.approx(exit_ns, rel=0.01)


@pytest.mark.parametrize("guest_mode, charged", [("interrupt", True), ("poll", False)])
def test_the_host_notifies_interrupt_driven_guests_per_poll(guest_mode, charged):
    vms = [{"name": "vm", "guest": {"service": {"mode": guest_mode}}}]
    r0, _ = run(doc(vms=vms, virtualization={"notify": "0ns"}))
    r1, _ = run(doc(vms=vms, virtualization={"notify": "1000cycles"}))
    h0, h1 = r0.ring_stats[0].cores[0], r1.ring_stats[0].cores[0]
    polls = h1["polls"] - h1["empty_polls"]
    assert polls > 0
    expected = polls * 1000 / CLOCK_HZ * 1e9 if charged else 0.0
    assert h1["overhead_ns"] - h0["overhead_ns"] == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_latency_sensitivity_high_reserves_the_vcpus():
    _, row = run(doc(latency_sensitivity="high"))
    _, normal = run(doc())
    vcpu, host = row["cpu"]["vm0/vcpu0"], row["cpu"]["host/core0"]
    assert vcpu["reserved"] > 0.9 and vcpu["idle"] == 0.0
    assert host["reserved"] == 0.0 and host["idle"] > 0.9
    assert normal["cpu"]["vm0/vcpu0"]["reserved"] == 0.0 and normal["cpu"]["vm0/vcpu0"]["idle"] > 0.9
    for r in (row, normal):
        for name, c in r["cpu"].items():
            assert all(0.0 <= v <= 1.0 + 1e-12 for v in c.values()), name
            assert sum(c.values()) == pytest.approx(1.0, abs=1e-9), name


def test_poll_vswitch_reserves_its_host_cores_and_they_spin():
    _, row = run(doc(deployment="poll-vswitch"))
    c = row["cpu"]["host/core0"]
    assert c["useful"] + c["overhead"] + c["spin"] == pytest.approx(1.0, abs=1e-6)
    assert c["idle"] == 0.0 and sum(c.values()) == pytest.approx(1.0, abs=1e-9)


def test_sriov_exits_fall_on_the_guest_and_no_host_core_exists():
    r, row = run(doc(deployment="sriov", virtualization={"posted_interrupts": False}))
    assert not any(n.startswith("host/core") for n in row["cpu"])
    assert np.all(r.host_counters["useful_ns"] == 0) and len(r.host_counters) == 0
    assert row["cores"]["vm0/vcpu0"]["interrupts_per_s"] > 0
