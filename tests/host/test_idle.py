"""Idle states as the kernel handles them: intel_idle's tables per CPU model and their limits, the
menu governor predicting from history (and guessing wrong), and KVM halt-polling."""

import numpy as np

from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import RingServer, RingSpec
from vnetsim.host.config import CSTATE_TABLES, Host, Service, Vm
from vnetsim.host.idle import KVM_HALT_POLL_NS, host_table, idle_settings
from vnetsim.host.service import core_spec

HZ = 2.3e9


def test_intel_idle_tables():
    """drivers/idle/intel_idle.c: skx_cstates, icx_cstates, spr_cstates (exit latency / target
    residency, us)."""
    us = {k: [(n, ex / 1e3, res / 1e3) for n, ex, res in CSTATE_TABLES[k]] for k in ("skx", "icx", "spr")}
    assert us["skx"] == [("C1", 2, 2), ("C1E", 10, 20), ("C6", 133, 600)]
    assert us["icx"] == [("C1", 1, 1), ("C1E", 4, 4), ("C6", 170, 600)]
    assert us["spr"] == [("C1", 1, 1), ("C1E", 2, 4), ("C6", 290, 800)]


def test_cpu_model_and_limits():
    assert host_table(Host(cpu_model="spr")) == ((1e3, 1e3), (2e3, 4e3), (290e3, 800e3))
    assert host_table(Host(max_cstate=2)) == ((2e3, 2e3), (10e3, 20e3))
    assert host_table(Host.model_validate({"cstate_latency_limit": "50us"})) == ((2e3, 2e3), (10e3, 20e3))
    assert host_table(Host.model_validate({"cstate_latency_limit": "0us"})) == ()
    assert host_table(Host(power_policy="high-performance", cpu_model="icx")) == ((1e3, 1e3),)


def test_precedence_and_latency_sensitivity():
    host = Host(cpu_model="icx")
    assert idle_settings(Service(), "host", host).cstates == host_table(host)
    assert idle_settings(Service(cstates="c1"), "host", host).cstates == ((2e3, 2e3),), "the Service's own wins"
    assert idle_settings(Service(), "guest", host, cstates_override="none").cstates == ()
    high = Host(latency_sensitivity="high")
    assert idle_settings(Service(), "guest", high).cstates == ((2e3, 2e3),), "exclusive pCPUs: C1 only"
    assert idle_settings(Service(), "host", high).cstates == host_table(high)
    assert idle_settings(Service(), "host").cstates == host_table(Host()), "no host: Skylake-SP"


def test_governor_and_halt_poll_defaults():
    host = Host()
    esxi, kvm = Vm(), Vm.model_validate({"vnic": {"type": "virtio"}})
    assert idle_settings(Service(), "guest", host, esxi).governor == "menu-corrected", "the kernel's menu"
    assert idle_settings(Service(governor="menu"), "guest", host, esxi).governor == "menu"
    assert idle_settings(Service(governor="oracle"), "guest", host, esxi).governor == "oracle"
    assert idle_settings(Service(), "guest", host, esxi).halt_poll_ns == 0.0, "ESXi: no published window"
    assert idle_settings(Service(), "guest", host, kvm).halt_poll_ns == KVM_HALT_POLL_NS == 200e3
    assert idle_settings(Service(), "host", host, kvm).halt_poll_ns == 0.0
    assert idle_settings(Service.model_validate({"halt_poll": "50us"}), "guest", host, esxi).halt_poll_ns == 50e3
    spec, _, _ = core_spec(Service(), "guest", HZ, host=host, vm=kvm)
    assert (spec.governor, spec.halt_poll_ns) == ("menu-corrected", 200e3)


def serve(spec, gaps_ns, t0=1e6):
    """One interrupt-driven core and ring (no moderation); packets after the given gaps, 100 ns of
    work each. Returns (counters, per-packet ring wait = pick - arrival)."""
    t = t0 + np.cumsum(np.asarray(gaps_ns, float))
    n = len(t)
    srv = RingServer([spec], [RingSpec(capacity=64, core=0)])
    pk = Packets(t, t.copy(), np.full(n, 64, np.int32), np.zeros(n, np.int32), np.arange(n, dtype=np.int64))
    out = srv.advance(pk, np.zeros(n, np.int64), np.full(n, 100.0), t[-1] + 1e7)
    order = np.argsort(out.departures.pkt_id)
    return srv.counters()[0], (out.pick_ns - out.arrival_ns)[order]


def host_spec(**kw):
    spec, _, _ = core_spec(Service(**kw), "host", HZ, host=Host())
    return spec


def test_menu_at_1kpps_picks_c6_from_history():
    """1 kpps, packets 1 ms apart: the last 8 idle periods are about 1 ms with no spread, so menu
    predicts 1 ms, picks C6 (600 us residency fits) and is right: each wake-up after the first 8
    pays C6's 133 us exit, as the oracle does."""
    menu, wait_menu = serve(host_spec(), [1e6] * 40)
    oracle, wait_oracle = serve(host_spec(governor="oracle"), [1e6] * 40)
    assert menu["governor_misses"] == 0
    assert menu["cstate_exits"] == oracle["cstate_exits"] == 40
    fixed = 1e3 + 1.5e3                      # IRQ 1 us + thread wake-up 1.5 us
    assert np.allclose(wait_menu[8:], 133e3 + fixed) and np.allclose(wait_oracle, 133e3 + fixed)
    # before 8 periods are known, menu has no typical interval: the next timer (4 ms) bounds it, C6
    assert np.allclose(wait_menu[:8], 133e3 + fixed)


def test_menu_learns_a_short_period_after_eight_misses():
    """Packets 300 us apart after a long idle start: until 8 idle periods are known menu has no
    typical interval and the next timer (4 ms) bounds its guess, so it picks C6 for idle periods of
    about 164 us (300 us less C6's exit and the work): misses (600 us residency does not fit).
    With 8 known (the long first one dropped as an outlier, the other 7 equal) it predicts 164 us
    and picks C1E: a 10 us exit instead of 133 us. The oracle picks C1E from the start."""
    menu, wait_menu = serve(host_spec(), [300e3] * 30)
    oracle, wait_oracle = serve(host_spec(governor="oracle"), [300e3] * 30)
    fixed = 1e3 + 1.5e3                      # IRQ + thread wake-up
    assert np.allclose(wait_menu[:8], 133e3 + fixed) and np.allclose(wait_menu[8:], 10e3 + fixed)
    assert menu["governor_misses"] == 7      # packets 1..7 (packet 0 follows the long first idle: C6 is right)
    assert oracle["governor_misses"] == 0 and np.allclose(wait_oracle[1:], 10e3 + fixed)


def test_menu_guesses_wrong_on_mixed_idle_periods():
    """Packets alternately 300 us and 3 ms apart: the history mixes short and long idle periods and
    menu's prediction follows them with a lag, choosing C6 for many short ones (misses) where the
    oracle always picks C1E; every wake-up pays one of the two exits."""
    gaps = [300e3, 3e6] * 20
    menu, wait_menu = serve(host_spec(), gaps)
    oracle, wait_oracle = serve(host_spec(governor="oracle"), gaps)
    fixed = 1e3 + 1.5e3
    assert menu["governor_misses"] >= 10 and oracle["governor_misses"] == 0
    short = np.arange(2, 40, 2)
    assert np.allclose(wait_oracle[short], 10e3 + fixed)
    assert np.all(np.isclose(wait_menu, 133e3 + fixed) | np.isclose(wait_menu, 10e3 + fixed))
    assert wait_menu[short].mean() > 3 * wait_oracle[short].mean()


def guest_spec(vm):
    spec, _, _ = core_spec(Service(), "guest", HZ, host=Host(), vm=vm)
    return spec


def test_halt_poll_removes_exit_and_wakeup_for_a_busy_guest():
    """A KVM guest idle for a long time, then busy with packets 50 us apart: each idle period is
    shorter than the 200 us halt-poll window, so the interrupt finds the vCPU spinning: no C-state
    exit, no wake-up, only the IRQ (1 us). The ESXi guest (no window) pays a C-state exit (C6 while
    menu has no history, then C1 or C1E) and the 3.75 us vCPU wake-up each time."""
    gaps = [5e6] + [50e3] * 30
    kvm, wait_kvm = serve(guest_spec(Vm.model_validate({"vnic": {"type": "virtio"}})), gaps)
    esxi, wait_esxi = serve(guest_spec(Vm()), gaps)
    # the first wake-up (C6 after 5 ms) takes packets 0-2 in one poll; the 28 after it hit the window
    assert kvm["halt_poll_hits"] == 28 and kvm["wakeups"] == 1 and kvm["cstate_exits"] == 1
    assert np.allclose(wait_kvm[3:], 1e3)
    assert esxi["halt_poll_hits"] == 0 and esxi["wakeups"] == esxi["interrupts"] == esxi["cstate_exits"] >= 10
    assert np.all(wait_esxi[3:] >= 2e3 + 1e3 + 3.75e3 - 1e-6), "at least C1's exit, the IRQ and the wake-up"
    assert kvm["spin_ns"] > 28 * 45e3, "the window's spin is CPU time"
    assert wait_kvm[3:].mean() < 0.1 * wait_esxi[3:].mean()
