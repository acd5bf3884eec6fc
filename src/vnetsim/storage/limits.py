"""Documented limits of a cluster: the hard ones refuse the scenario in one line, the others are
reported as checks (value, limit, ok).

Hard (``ModelError`` naming the field): too few hosts or fault domains for a policy; RTT inside a
site over 1 ms, between the data sites over 5 ms, to the witness over 200 ms (up to 10 hosts per
site), 100 ms (11-15 hosts per site) or 500 ms (two-node); a storage NIC slower than the
architecture needs (ESA 25 GbE, OSA all-flash 10 GbE, OSA hybrid 1 GbE).
Reported: components per host and on the witness against their limits, the inter-site link below
the documented 10 Gbps minimum or below the sized bandwidth, the witness link below its sizing.
Sources in docs/models/storage.md, "Limits".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from vnetsim.errors import ModelError
from vnetsim.storage.policy import Layout, check_fault_domains
from vnetsim.units import format_duration_ns

MAX_HOSTS = 64                  # hosts per cluster (vSAN 8 configuration maximum)
MAX_HOSTS_PER_SITE = 15         # stretched: 15+15+1 (vSAN management API, stretched cluster system)
INTRA_SITE_RTT_MAX_NS = 1e6
INTER_SITE_RTT_MAX_NS = 5e6
INTER_SITE_MIN_BPS = 10e9
NIC_MIN_BPS = {"esa": 25e9, "osa-all-flash": 10e9, "osa-hybrid": 1e9}


def witness_rtt_max_ns(hosts_per_site: int) -> float:
    """500 ms for one host per site (two-node), 200 ms up to 10 hosts per site, 100 ms for 11-15."""
    if hosts_per_site <= 1:
        return 500e6
    return 200e6 if hosts_per_site <= 10 else 100e6


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    limit: float
    ok: bool
    unit: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def check_rtt(value_ns: float, limit_ns: float, field: str, what: str, fix: str) -> None:
    if value_ns > limit_ns:
        raise ModelError(field, f"{what} RTT {format_duration_ns(value_ns)} is over the {format_duration_ns(limit_ns)} "
                         "limit", fix)


def nic_class(architecture: str, hybrid: bool) -> str:
    return "esa" if architecture == "esa" else ("osa-hybrid" if hybrid else "osa-all-flash")


def check_nic(speed_bps: float, architecture: str, hybrid: bool, field: str = "storage.host.nic.speed") -> None:
    need = NIC_MIN_BPS[nic_class(architecture, hybrid)]
    if speed_bps < need:
        label = {"esa": "ESA", "osa-all-flash": "OSA all-flash", "osa-hybrid": "OSA hybrid"}[nic_class(architecture,
                                                                                                         hybrid)]
        raise ModelError(field, f"{label} needs storage NICs of at least {need / 1e9:g} Gbps, got {speed_bps / 1e9:g} "
                         "Gbps", f"use {need / 1e9:g} GbE or faster")


def check_policy_hosts(layout: Layout, data_fault_domains: int, witness: bool, field: str) -> None:
    """Too few hosts (or fault domains) for a policy, as a one-line error on ``field``."""
    try:
        check_fault_domains(layout, data_fault_domains, witness)
    except ModelError as exc:
        raise ModelError(field, exc.what, exc.fix) from None
