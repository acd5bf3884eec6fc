"""A socket application's own costs (vnetsim.host.sockets; docs/models/host.md, "Socket application
costs"): at low load a request/response round trip grows by exactly the added per-request work and,
where the core was idle, the thread's wake-up; busy polling pays the work but no wake-up; a
poll-mode (DPDK) application pays nothing; the kernel's own answer (ping) pays nothing."""

from __future__ import annotations

import pytest

import vnetsim
from vnetsim.host.config import App
from vnetsim.host.sockets import SocketCosts, socket_charge

SIZE = 128
CLOCK_HZ = 2.0e9
# round numbers, so the expected growth is plain arithmetic
COSTS = {"rx_stack": "1000ns", "tx_stack": "800ns", "syscall": "100ns", "syscalls_per_request": 3,
         "copy_in": "200ns", "copy_out": "400cycles", "copy_per_byte": "0.5ns", "scheduler": "50ns",
         "wakeup": "2us"}
FIXED_NS = 1000 + 800 + 3 * 100 + 200 + 400 / CLOCK_HZ * 1e9 + 50           # 2550 ns


def _run(service: dict, rate: str, respond: dict, socket: dict | None, *, vm: bool = False) -> dict:
    app: dict = {"respond": respond}
    if socket is not None:
        app["socket"] = socket
    if vm:
        host = {"cpu_clock": "2GHz", "power_policy": "high-performance",
                "vms": [{"name": "vm", "vnic": {"coalescing": {"scheme": "off"}},
                         "guest": {"service": {**service, "cstates": "none"}, "app": app}}]}
    else:
        host = {"deployment": "bare-metal", "cpu_clock": "2GHz", "service": {**service, "cstates": "none"},
                "app": app}
    doc = {"name": "socket", "seed": 3, "duration": "40ms", "warmup": "2ms",
           "traffic": {"flows": [{"name": "f", "count": 1, "rate": rate, "size": SIZE, "arrival": "constant",
                                  "protocol": "tcp"}]},
           "host": host}
    out = vnetsim.run(doc).to_dict()
    return out["variants"][0] if "variants" in out else out


def _wakeups(row: dict) -> float:
    return sum(c.get("wakeups_per_s", 0.0) for c in row["cores"].values())


def test_interrupt_round_trip_grows_by_the_work_and_one_wakeup_per_request():
    """10 kpps, one request in flight, no C-states, no moderation: every request finds the core idle,
    so the round trip grows by the fixed work + the copies of request and answer + the wake-up."""
    svc = {"mode": "interrupt"}
    kernel = _run(svc, "10kpps", {"by": "kernel"}, None)
    sock = _run(svc, "10kpps", {}, COSTS)
    work_ns = FIXED_NS + 2 * SIZE * 0.5
    grow = sock["round_trip_ns"]["mean"] - kernel["round_trip_ns"]["mean"]
    assert grow == pytest.approx(work_ns + 2000.0, abs=1.0)
    assert sock["stage_latency_ns"]["stack"] - kernel["stage_latency_ns"]["stack"] == pytest.approx(work_ns, abs=1.0)
    assert sock["stage_latency_ns"]["pnic_ring"] - kernel["stage_latency_ns"]["pnic_ring"] == pytest.approx(
        2000.0, abs=1.0)
    # one wake-up per request in both: the socket's is added to the core's, not a new event
    assert _wakeups(sock) == pytest.approx(_wakeups(kernel), rel=0.01)
    assert _wakeups(sock) == pytest.approx(10e3, rel=0.02)


def test_an_answer_of_its_own_size_copies_a_fixed_amount():
    """respond.size_bytes: the answer's copy is that many bytes, the request's per byte of its size."""
    svc = {"mode": "interrupt"}
    kernel = _run(svc, "10kpps", {"by": "kernel", "size_bytes": 1000}, None)
    sock = _run(svc, "10kpps", {"size_bytes": 1000}, COSTS)
    work_ns = FIXED_NS + (SIZE + 1000) * 0.5
    assert sock["stage_latency_ns"]["stack"] - kernel["stage_latency_ns"]["stack"] == pytest.approx(work_ns, abs=1.0)


def test_busy_polling_pays_the_work_but_no_wakeup():
    """Busy polling at 50 kpps (20 us apart, under its 50 us before blocking): the core never blocks,
    so the socket's work is paid and its wake-up never is."""
    svc = {"mode": "hybrid", "hybrid": {"style": "busy-poll"}}
    kernel = _run(svc, "50kpps", {"by": "kernel"}, None)
    sock = _run(svc, "50kpps", {}, COSTS)
    work_ns = FIXED_NS + 2 * SIZE * 0.5
    assert _wakeups(sock) == 0.0
    grow = sock["round_trip_ns"]["mean"] - kernel["round_trip_ns"]["mean"]
    assert grow == pytest.approx(work_ns, abs=1.0)


def test_a_poll_mode_application_pays_none_of_it():
    svc = {"mode": "poll"}
    kernel = _run(svc, "10kpps", {"by": "kernel"}, None)
    sock = _run(svc, "10kpps", {}, COSTS)
    assert sock["round_trip_ns"] == kernel["round_trip_ns"]
    assert sock["stage_latency_ns"] == kernel["stage_latency_ns"]


def test_a_guest_socket_application_pays_on_its_vcpu():
    """In a VM the guest's vCPU pays the work (guest stage) and the thread's wake-up on top of the
    vCPU's own (vnic_ring)."""
    svc = {"mode": "interrupt"}
    kernel = _run(svc, "5kpps", {"by": "kernel"}, None, vm=True)
    sock = _run(svc, "5kpps", {}, COSTS, vm=True)
    work_ns = FIXED_NS + 2 * SIZE * 0.5
    assert sock["stage_latency_ns"]["guest"] - kernel["stage_latency_ns"]["guest"] == pytest.approx(work_ns, abs=1.0)
    assert sock["stage_latency_ns"]["vnic_ring"] - kernel["stage_latency_ns"]["vnic_ring"] == pytest.approx(
        2000.0, abs=1.0)
    grow = sock["round_trip_ns"]["mean"] - kernel["round_trip_ns"]["mean"]
    assert grow == pytest.approx(work_ns + 2000.0, abs=1.0)


def test_defaults_are_the_arrakis_linux_figures():
    """At the measurement's 2.2 GHz the defaults give back Arrakis's Linux UDP echo figures, less the
    driver's 500 cycles each way that the model charges already: 3.36 us - 1000 cycles, + 1.5 us."""
    charge = socket_charge(SocketCosts(), 2.2e9, 0)
    assert charge.per_packet_ns == pytest.approx(3360.0 - 1000 / 2.2, rel=1e-9)
    assert charge.wakeup_ns == 1500.0


def test_only_a_socket_answer_takes_socket_costs():
    with pytest.raises(ValueError, match="socket"):
        App(socket={"rx_stack": "1us"})
    with pytest.raises(ValueError, match="socket"):
        App(respond={"by": "kernel"}, socket={"rx_stack": "1us"})
    assert App(respond={}).socket_costs(kernel=True) == SocketCosts()
    assert App(respond={}).socket_costs(kernel=False) is None
    assert App(respond={"by": "kernel"}).socket_costs(kernel=True) is None
    assert App(forward={}).socket_costs(kernel=True) is None


def test_a_default_socket_server_pays_the_default_charge():
    """No app.socket written: netperf's server (respond, by socket) pays the defaults at the host's
    2 GHz, its request and answer copied per byte, and one wake-up per request."""
    svc = {"mode": "interrupt"}
    kernel = _run(svc, "10kpps", {"by": "kernel"}, None)
    sock = _run(svc, "10kpps", {}, None)
    charge = socket_charge(SocketCosts(), CLOCK_HZ, None)
    grow = sock["round_trip_ns"]["mean"] - kernel["round_trip_ns"]["mean"]
    assert grow == pytest.approx(charge.per_packet_ns + SIZE * charge.per_byte_ns + charge.wakeup_ns, abs=1.0)
