"""Hybrid polling CPU: l3fwd-power's pause is a busy-wait (its CPU is spin), a real sleep is idle
and ends with a wake-up, busy polling keeps the kernel stack's per-packet cost."""

import numpy as np
import pytest

from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import RingServer, RingSpec
from vnetsim.host.config import TIMER_SLACK_NS, Host, Service, resolve_costs
from vnetsim.host.service import core_spec

HZ = 2.3e9


def spec_of(style, **kw):
    spec, pp, _ = core_spec(Service.model_validate({"mode": "hybrid", "hybrid": {"style": style}, **kw}), "guest",
                            HZ, host=Host())
    return spec, pp


def cpu_shares(spec, gap_ns, n=200):
    """One hybrid core and ring; n packets ``gap_ns`` apart (100 ns of work): CPU shares in the window
    from the 20th packet on."""
    t = 1e5 + gap_ns * np.arange(n)
    srv = RingServer([spec], [RingSpec(capacity=256, core=0)], stat_lo_ns=t[20], stat_hi_ns=t[-1])
    pk = Packets(t, t.copy(), np.full(n, 64, np.int32), np.zeros(n, np.int32), np.arange(n, dtype=np.int64))
    srv.start_window()
    srv.advance(pk, np.zeros(n, np.int64), np.full(n, 100.0), t[-1] + 1e6)
    useful, overhead, spin, idle = srv.cpu_buckets(t[-1])[0]
    total = useful + overhead + spin + idle
    return {"busy": (useful + overhead + spin) / total, "spin": spin / total, "idle": idle / total,
            "sleeps": srv.counters()[0]["sleeps"]}


def test_l3fwd_power_pause_is_spin():
    """At 10 kpps (100 us apart) l3fwd-power never reaches its 300 empty polls (each poll after the
    10th pauses 1 us: about 300 us), so it pauses between packets the whole time. rte_delay_us is a
    busy-wait (rte_delay_us_block): the core is busy nearly 100 %, where booking the pauses as idle
    showed about 3 % (an empty poll of 32 ns per 1.032 us)."""
    spec, _ = spec_of("l3fwd-power")
    assert spec.sleep_spins and not spec.sleep_wakeup
    assert (spec.sleep_after_empty_polls, spec.sleep_ns, spec.block_after_empty_polls) == (10, 1e3, 300)
    shares = cpu_shares(spec, 100e3)
    assert shares["busy"] > 0.99 and shares["spin"] > 0.98 and shares["sleeps"] > 0
    from dataclasses import replace
    as_idle = cpu_shares(replace(spec, sleep_spins=False, cstates=()), 100e3)
    assert as_idle["busy"] < 0.06
    assert shares["busy"] / as_idle["busy"] > 15


def test_sleep_style_is_idle_with_a_wakeup():
    """A real sleep (nanosleep/epoll): the requested 1 us lasts the 50 us timer slack, the core is idle
    (it may enter a C-state) and pays the wake-up after each sleep."""
    spec, pp = spec_of("sleep")
    assert spec.sleep_wakeup and not spec.sleep_spins
    assert spec.sleep_ns == TIMER_SLACK_NS == 50e3
    shares = cpu_shares(spec, 100e3)
    assert shares["idle"] > 0.5, "most of a 100 us gap is asleep"
    assert shares["busy"] < 0.5


def test_busy_poll_keeps_the_kernel_stack_cost():
    """SO_BUSY_POLL calls the driver's NAPI poll from the socket: the packets go through the kernel
    stack, so the per-packet cost is interrupt mode's 500 cycles, not the PMD's 50."""
    for role in ("host", "guest"):
        busy = resolve_costs(Service.model_validate({"mode": "hybrid", "hybrid": {"style": "busy-poll"}}), role)
        irq = resolve_costs(Service(mode="interrupt"), role)
        pmd = resolve_costs(Service(mode="hybrid"), role)
        assert busy["per_packet"] == irq["per_packet"] == pmd["per_packet"].__class__(500.0, "cycles")
        assert pmd["per_packet"].value == 50.0
        assert busy["per_byte"] == irq["per_byte"], "and its copy to the application"
    _, pp = spec_of("busy-poll")
    assert pp == pytest.approx(500 / HZ * 1e9)
