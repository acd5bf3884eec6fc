"""Idle states as the kernel handles them: which C-states a core may enter, how it picks one, and
whether a halting vCPU polls first.

- The table: the host CPU model's intel_idle table (``CSTATE_TABLES``: ``skx``, ``icx``, ``spr``),
  unless a Service names its own; limited by ``max_cstate`` (the kernel's intel_idle.max_cstate:
  the first N states), by ``cstate_latency_limit`` (a PM QoS resume-latency limit, ESXi's
  Power.CStateMaxLatency: no state whose exit latency exceeds it) and by the power policy (ESXi:
  ``high-performance`` uses only the shallowest halt state, C1; ``balanced``, the default, the table).
  ``latency_sensitivity: high`` gives a VM's vCPUs exclusive cores that do not sleep deeply: only
  the host table's shallowest state, C1, the halt itself (the vCloud NFV guide preset: no deep
  C-states).
- The governor: ``menu-corrected`` (the default: Linux's menu governor with a periodic tick, its
  correction factors included): the idle length is predicted from the last 8 idle periods and from
  the next timer times what the governor has learnt of its overestimate, and can be wrong; ``menu``
  takes the correction factors as 1; ``oracle`` knows the idle length.
- Halt-polling: a vCPU about to halt spins first (KVM's halt_poll_ns, 200 us on x86). It applies
  where the hypervisor is KVM (a virtio vNIC); ESXi publishes no such window, so none is assumed.

docs/models/host.md ("Idle states") gives every value with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vnetsim.host.config import CSTATE_TABLES, Service

KVM_HALT_POLL_NS = 200e3     # KVM_HALT_POLL_NS_DEFAULT (arch/x86/include/asm/kvm_host.h): 200000 ns


@dataclass(frozen=True)
class IdleSettings:
    """What a core does when it has nothing to do: its C-states (exit latency, target residency in
    ns, shallowest first), the governor that picks one, and the halt-poll window (ns)."""

    cstates: tuple[tuple[float, float], ...]
    governor: str
    halt_poll_ns: float


def _table(name_or_list) -> tuple[tuple[float, float], ...]:
    if isinstance(name_or_list, str):
        return tuple((ex, res) for _, ex, res in CSTATE_TABLES[name_or_list])
    return tuple((c.exit_latency, c.target_residency) for c in name_or_list)


def host_table(host: Any) -> tuple[tuple[float, float], ...]:
    """The host CPU's C-states after its limits (max_cstate, latency limit, power policy)."""
    table = _table(getattr(host, "cpu_model", "skx"))
    max_cstate = getattr(host, "max_cstate", None)
    if max_cstate is not None:
        table = table[:max_cstate]
    limit = getattr(host, "cstate_latency_limit", None)
    if limit is not None:
        table = tuple(s for s in table if s[0] <= limit)
    if getattr(host, "power_policy", "balanced") == "high-performance":
        table = table[:1]                 # only the shallowest halt state, C1
    return table


def hypervisor(host: Any, vm: Any) -> str:
    """``kvm`` for the ``vhost`` deployment or a VM with a virtio vNIC, else ``esxi`` (the host
    model's default)."""
    if getattr(host, "deployment", None) == "vhost":
        return "kvm"
    return "kvm" if vm is not None and getattr(vm.vnic, "type", "") == "virtio" else "esxi"


def idle_settings(service: Service, role: str, host: Any = None, vm: Any = None,
                  cstates_override: str | None = None) -> IdleSettings:
    """The idle behaviour of a core serving with ``service`` in ``role`` ("host" or "guest"), on
    ``host`` (its cpu_model, limits, power policy, latency sensitivity), for ``vm`` (a guest's VM).

    Precedence: ``cstates_override`` (a caller's preset), then the Service's own ``cstates``,
    then latency sensitivity high (a guest: the host's C1 only), then the host's table and limits; without a
    host, the Skylake-SP table.
    """
    high = host is not None and getattr(host, "latency_sensitivity", "normal") == "high"
    if cstates_override is not None:
        cstates = _table(cstates_override)
    elif service.cstates is not None:
        cstates = _table(service.cstates)
    elif high and role == "guest":
        cstates = host_table(host)[:1]
    elif host is not None:
        cstates = host_table(host)
    else:
        cstates = _table("skx")
    if service.halt_poll is not None:
        halt = float(service.halt_poll)
    else:
        halt = KVM_HALT_POLL_NS if role == "guest" and hypervisor(host, vm) == "kvm" and not high else 0.0
    return IdleSettings(cstates=cstates, governor=service.governor, halt_poll_ns=halt)
