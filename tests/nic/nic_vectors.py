"""Shared data for NIC tests: the RSS verification suite and overlay flow-table builders."""

from __future__ import annotations

from vnetsim.net.synth import vm_macs
from vnetsim.nic.config import OverlayConfig, VtepConfig
from vnetsim.nic.vtep import host_overlay_flows

# Microsoft "Verifying the RSS Hash Calculation" (= 82599 datasheet 7.1.2.8.3),
# docs/references.md, Toeplitz RSS verification suite:
# (destination, dst port, source, src port, hash of IPs only, hash with ports)
MS_IPV4 = [
    ("161.142.100.80", 1766, "66.9.149.187", 2794, 0x323E8FC2, 0x51CCC178),
    ("65.69.140.83", 4739, "199.92.111.2", 14230, 0xD718262A, 0xC626B0EA),
    ("12.22.207.184", 38024, "24.19.198.95", 12898, 0xD2D0A5DE, 0x5C2B394A),
    ("209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xAFC7327F),
    ("202.188.127.2", 1303, "153.39.163.191", 44251, 0x5D1809C5, 0x10E828A2),
]
# The IPv6 table of the same Microsoft page (also DPDK app/test/test_thash.c v6_tbl).
MS_IPV6 = [
    ("3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2CC18CD5, 0x40207D3D),
    ("ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0F0C461C, 0xDDE51BBF),
    ("fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4B61E985, 0x02D1FEEF),
]

N_VMS = 64


def vteps(n: int, vlan: int | None = 100) -> list[VtepConfig]:
    return [VtepConfig(mac=f"00:50:56:60:00:{i + 1:02x}", ip=f"172.16.0.{i + 1}", vlan=vlan) for i in range(n)]


def overlay(inner_flows, cfg: OverlayConfig, n_remote: int = 16):
    """``inner_flows`` (table, destination VM) received through this host's VTEPs per ``cfg``."""
    inner, vm = inner_flows
    return host_overlay_flows(inner, vm, N_VMS, cfg, n_remote=n_remote, vm_macs=vm_macs(N_VMS))
