"""A kernel socket application's own costs per request: what a server such as netperf or sockperf
pays above the driver, on the core that receives the request and sends the answer.

The host model's kernel costs are packet-forwarding costs (the driver, the skb). A socket
application also pays, per request: the protocol's receive processing above the driver, the
``recvmsg`` and ``sendmsg`` system calls, the copies to and from user space, the protocol's
transmit processing above the TX driver, the scheduler's work, and, when its thread was blocked,
the wake-up of that thread (the scheduler's wake-up and a context switch).

Defaults (docs/models/host.md, "Socket application costs"; docs/references.md, "Linux socket
path costs (Arrakis)" and "Context switch and wake-up"): Peter et al. measured a Linux UDP echo
server per packet on a 2.2 GHz Xeon E5-2430 (Linux 3.8): network stack in 1.26 us and out
1.05 us, scheduler 0.17 us, copy in 0.24 us and out 0.44 us, the two kernel crossings 0.10 us
each. Kept as cycles at 2.2 GHz, less the driver costs the model already charges (500 cycles
each way). Medium confidence: one measurement, UDP, a 2013 CPU and kernel (no KPTI).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from vnetsim.units import Cost, parse_cost
from vnetsim.units.fields import CostSpec, DurationNs

ARRAKIS_CLOCK_HZ = 2.2e9        # Xeon E5-2430 of the Arrakis measurement
DRIVER_CYCLES = 500             # the kernel driver's per-packet cost the model already charges (Emmerich)


def _cycles(us: float, less: int = 0) -> str:
    """A time measured on the Arrakis machine as cycles of its 2.2 GHz clock, less ``less`` cycles."""
    return f"{round(us * 1e-6 * ARRAKIS_CLOCK_HZ) - less}cycles"


RX_STACK = _cycles(1.26, DRIVER_CYCLES)     # network stack in: 2772 - 500 = 2272 cycles
TX_STACK = _cycles(1.05, DRIVER_CYCLES)     # network stack out: 2310 - 500 = 1810 cycles
SYSCALL = _cycles(0.10)                     # one kernel crossing: 220 cycles
COPY_IN = _cycles(0.24)                     # the copy to user space (recvmsg): 528 cycles
COPY_OUT = _cycles(0.44)                    # the copy from user space (sendmsg): 968 cycles
SCHEDULER = _cycles(0.17)                   # the scheduler's share per packet: 374 cycles
THREAD_WAKEUP_NS = 1.5e3        # a pinned context switch, 1.1-1.9 us (tsuna), the midpoint
SYSCALLS_PER_REQUEST = 2        # recvmsg + sendmsg (an epoll server adds epoll_wait: 3)


class SocketCosts(BaseModel):
    """The costs of a kernel socket application per request (receive one request, send one answer),
    charged on the core that receives it, when its packets go through the kernel's stack
    (interrupt mode or busy polling); a poll-mode (DPDK) application pays none of them."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    rx_stack: CostSpec = Field(default_factory=lambda: parse_cost(RX_STACK), description="protocol receive "
                               "processing above the driver per request: IP, TCP/UDP, the socket queue (default "
                               "2272 cycles: Arrakis's Linux 'network stack in' 1.26 us at 2.2 GHz less the "
                               "driver's 500 cycles)")
    tx_stack: CostSpec = Field(default_factory=lambda: parse_cost(TX_STACK), description="protocol transmit "
                               "processing above the TX driver per answer (default 1810 cycles: Arrakis's 'network "
                               "stack out' 1.05 us at 2.2 GHz less the 500 cycles of the TX path)")
    syscall: CostSpec = Field(default_factory=lambda: parse_cost(SYSCALL), description="one system call's kernel "
                              "entry and exit (default 220 cycles: Arrakis's 0.10 us per crossing at 2.2 GHz)")
    syscalls_per_request: int = Field(SYSCALLS_PER_REQUEST, ge=0, le=64, description="system calls per request "
                                      "(default 2: recvmsg and sendmsg; an epoll server adds epoll_wait: 3)")
    copy_in: CostSpec = Field(default_factory=lambda: parse_cost(COPY_IN), description="the copy of the request to "
                              "user space, per request (default 528 cycles: Arrakis's 'copy in' 0.24 us)")
    copy_out: CostSpec = Field(default_factory=lambda: parse_cost(COPY_OUT), description="the copy of the answer "
                               "from user space, per answer (default 968 cycles: Arrakis's 'copy out' 0.44 us)")
    copy_per_byte: CostSpec = Field(default_factory=lambda: parse_cost("0.079ns"), description="copy work per "
                                    "byte of the request and of the answer beyond copy_in/copy_out (default "
                                    "0.079 ns/B, the model's copy rate, 12.7 GB/s)")
    scheduler: CostSpec = Field(default_factory=lambda: parse_cost(SCHEDULER), description="the scheduler's work "
                                "per request (default 374 cycles: Arrakis's 0.17 us)")
    wakeup: DurationNs = Field(THREAD_WAKEUP_NS, ge=0.0, description="waking the application's blocked thread "
                               "(scheduler wake-up and context switch), paid only when the core was idle (default "
                               "1.5 us: a pinned context switch, tsuna)")


@dataclass(frozen=True)
class SocketCharge:
    """What a socket application adds on its core, in ns: per request, per byte of the request, and
    per wake-up of its blocked thread (added to the core's wake-up)."""

    per_packet_ns: float = 0.0
    per_byte_ns: float = 0.0
    wakeup_ns: float = 0.0


NO_CHARGE = SocketCharge()


def _ns(cost: Cost, cpu_hz: float) -> float:
    return cost.to_ns(cpu_hz)


def socket_charge(costs: SocketCosts, cpu_hz: float, answer_bytes: int | None) -> SocketCharge:
    """The charge of ``costs`` at ``cpu_hz``; ``answer_bytes``: the answer's size when it differs
    from the request's (its copy is then a fixed cost per request), None when it is the request's
    (its copy is then per byte of the request, as the request's own)."""
    fixed = (_ns(costs.rx_stack, cpu_hz) + _ns(costs.tx_stack, cpu_hz)
             + costs.syscalls_per_request * _ns(costs.syscall, cpu_hz)
             + _ns(costs.copy_in, cpu_hz) + _ns(costs.copy_out, cpu_hz) + _ns(costs.scheduler, cpu_hz))
    per_byte = _ns(costs.copy_per_byte, cpu_hz)
    if answer_bytes is None:
        return SocketCharge(fixed, 2.0 * per_byte, costs.wakeup)
    return SocketCharge(fixed + answer_bytes * per_byte, per_byte, costs.wakeup)
