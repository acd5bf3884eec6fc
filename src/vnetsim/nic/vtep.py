"""VTEPs and encapsulation: which VTEP carries a VM's traffic, and the outer headers it adds.

Model:
- A host has one or more VTEPs, each with a MAC, an IP and a VLAN (docs/references.md, VTEPs and
  teaming: one MAC and one VLAN, so its traffic matches one NetQueue filter).
- VMs are pinned to VTEPs by the teaming policy "load balance by source": ``port_id`` (VM i on
  virtual port i -> VTEP i mod n, ESXi "route based on originating virtual port") or
  ``mac_hash`` (source MAC mod n).
- The outer UDP source port follows a policy: a hash of the inner headers mapped into a range,
  as ``udp_flow_src_port`` does: ``lo + (hash * (hi - lo + 1) >> 32)``; ``rfc7348`` uses
  49152-65535 (RFC 7348 section 5), ``linux`` the local port range 32768-60999
  (include/net/udp.h); ``fixed`` one port for every flow (no entropy).
  The hash covers the inner IP addresses, protocol and ports (MACs and EtherType for non-IP),
  like Linux's flow hash; it is a seeded 32-bit mix, not bit-exact to Linux's jhash: what
  matters here is a deterministic, uniform function of the inner flow.
- VXLAN to UDP 4789 (configurable, e.g. Linux's legacy 8472); Geneve to 6081 with options.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.net import encap
from vnetsim.net.flows import FlowTable
from vnetsim.net.geneve import GENEVE_PORT, check_option_bytes
from vnetsim.net.vxlan import VNI_MAX, VXLAN_PORT_IANA

SRC_PORT_RANGES = {"rfc7348": (49152, 65535), "linux": (32768, 60999), "full": (0, 65535)}


@dataclass(frozen=True)
class Vtep:
    """A tunnel endpoint: MAC (48-bit int), IP (16-byte row), IP version, VLAN (-1 untagged)."""

    mac: int
    ip: np.ndarray
    ip_version: int
    vlan: int = -1


def pin_vms(n_vms: int, n_vteps: int, policy: str = "port_id", vm_macs: np.ndarray | None = None) -> np.ndarray:
    """VTEP index of each VM under "load balance by source" teaming."""
    if n_vteps < 1:
        raise ValueError("a host needs at least one VTEP")
    if policy == "port_id":
        return (np.arange(n_vms) % n_vteps).astype(np.int32)
    if policy == "mac_hash":
        if vm_macs is None:
            raise ValueError("mac_hash pinning needs the VMs' MACs")
        return (np.asarray(vm_macs, np.uint64) % np.uint64(n_vteps)).astype(np.int32)
    raise ValueError(f"unknown VM pinning policy {policy!r}; use 'port_id' or 'mac_hash'")


@numba.njit(cache=True, nogil=True)
def _mix32(h, word):
    word = (word * np.uint32(0xCC9E2D51)) & np.uint32(0xFFFFFFFF)
    word = ((word << np.uint32(15)) | (word >> np.uint32(17))) & np.uint32(0xFFFFFFFF)
    word = (word * np.uint32(0x1B873593)) & np.uint32(0xFFFFFFFF)
    h ^= word
    h = ((h << np.uint32(13)) | (h >> np.uint32(19))) & np.uint32(0xFFFFFFFF)
    return (h * np.uint32(5) + np.uint32(0xE6546B64)) & np.uint32(0xFFFFFFFF)


@numba.njit(cache=True, nogil=True)
def _fmix32(h):
    h ^= h >> np.uint32(16)
    h = (h * np.uint32(0x85EBCA6B)) & np.uint32(0xFFFFFFFF)
    h ^= h >> np.uint32(13)
    h = (h * np.uint32(0xC2B2AE35)) & np.uint32(0xFFFFFFFF)
    h ^= h >> np.uint32(16)
    return h


@numba.njit(cache=True, nogil=True)
def _flow_hash_kernel(seed, ipv, src, dst, proto, sport, dport, eth_src, eth_dst, ethertype):
    n = ipv.shape[0]
    out = np.empty(n, np.uint32)
    for i in range(n):
        h = np.uint32(seed)
        if ipv[i] != 0:
            for w in range(4):
                word = np.uint32(0)
                for b in range(4):
                    word = (word << np.uint32(8)) | np.uint32(src[i, 4 * w + b])
                h = _mix32(h, word)
            for w in range(4):
                word = np.uint32(0)
                for b in range(4):
                    word = (word << np.uint32(8)) | np.uint32(dst[i, 4 * w + b])
                h = _mix32(h, word)
            h = _mix32(h, np.uint32(proto[i]))
            h = _mix32(h, (np.uint32(sport[i]) << np.uint32(16)) | np.uint32(dport[i]))
        else:
            h = _mix32(h, np.uint32(eth_src[i] >> np.uint64(16)))
            h = _mix32(h, np.uint32(((eth_src[i] & np.uint64(0xFFFF)) << np.uint64(16))
                                    | (eth_dst[i] >> np.uint64(32))))
            h = _mix32(h, np.uint32(eth_dst[i] & np.uint64(0xFFFFFFFF)))
            h = _mix32(h, np.uint32(ethertype[i]))
        out[i] = _fmix32(h)
    return out


def inner_flow_hash(flows: FlowTable, seed: int = 0) -> np.ndarray:
    """A uniform 32-bit hash of each flow's inner headers (the entropy source for the outer port)."""
    return _flow_hash_kernel(np.uint32(seed & 0xFFFFFFFF), flows.ip_version, flows.ip_src, flows.ip_dst,
                             flows.ip_proto, flows.src_port, flows.dst_port, flows.eth_src, flows.eth_dst,
                             flows.ethertype)


def outer_src_ports(flows: FlowTable, policy: str = "rfc7348", fixed_port: int = 49152,
                    port_range: tuple[int, int] | None = None, seed: int = 0) -> np.ndarray:
    """Outer UDP source port per flow under ``policy`` (``rfc7348``, ``linux``, ``full``, ``range``, ``fixed``)."""
    n = len(flows)
    if policy == "fixed":
        if not 0 <= fixed_port <= 65535:
            raise ValueError(f"a UDP port is 0-65535, got {fixed_port}")
        return np.full(n, fixed_port, np.uint16)
    if policy == "range":
        if port_range is None:
            raise ValueError("the 'range' source-port policy needs port_range=(lo, hi)")
        lo, hi = port_range
    elif policy in SRC_PORT_RANGES:
        lo, hi = SRC_PORT_RANGES[policy]
    else:
        raise ValueError(f"unknown source-port policy {policy!r}; use rfc7348, linux, full, range or fixed")
    if not 0 <= lo <= hi <= 65535:
        raise ValueError(f"source-port range must satisfy 0 <= lo <= hi <= 65535, got {lo}-{hi}")
    h = inner_flow_hash(flows, seed).astype(np.uint64)
    return (lo + ((h * np.uint64(hi - lo + 1)) >> np.uint64(32))).astype(np.uint16)


def encapsulate(inner: FlowTable, *, tunnel: str = "vxlan", vni=0, outer_eth_src, outer_eth_dst,
                outer_ip_src: np.ndarray, outer_ip_dst: np.ndarray, outer_ip_version,
                outer_src_port, outer_dst_port=None, outer_vlan=-1, geneve_opt_bytes: int = 0) -> FlowTable:
    """The flows, now carried in a tunnel: a copy of ``inner`` with the outer columns set.

    Per-flow arguments broadcast (scalars or arrays of ``len(inner)``); addresses are (n, 16)
    or (16,) rows. ``outer_dst_port`` defaults to 4789 (VXLAN) or 6081 (Geneve).
    """
    if tunnel not in ("vxlan", "geneve"):
        raise ValueError(f"tunnel must be 'vxlan' or 'geneve', got {tunnel!r}")
    n = len(inner)
    out = inner.copy()
    vni_arr = np.broadcast_to(np.asarray(vni, np.int64), (n,))
    if n and (vni_arr.min() < 0 or vni_arr.max() > VNI_MAX):
        raise ValueError(f"a VNI is 24 bits (0-{VNI_MAX})")
    if tunnel == "geneve":
        check_option_bytes(int(geneve_opt_bytes))
    if outer_dst_port is None:
        outer_dst_port = VXLAN_PORT_IANA if tunnel == "vxlan" else GENEVE_PORT
    out.tunnel[:] = encap.TUNNEL_CODES[tunnel]
    out.vni[:] = vni_arr
    out.geneve_opt_bytes[:] = geneve_opt_bytes if tunnel == "geneve" else 0
    out.outer_eth_src[:] = np.broadcast_to(np.asarray(outer_eth_src, np.uint64), (n,))
    out.outer_eth_dst[:] = np.broadcast_to(np.asarray(outer_eth_dst, np.uint64), (n,))
    out.outer_vlan[:] = np.broadcast_to(np.asarray(outer_vlan, np.int32), (n,))
    out.outer_ip_version[:] = np.broadcast_to(np.asarray(outer_ip_version, np.uint8), (n,))
    out.outer_ip_src[:] = np.broadcast_to(np.asarray(outer_ip_src, np.uint8), (n, 16))
    out.outer_ip_dst[:] = np.broadcast_to(np.asarray(outer_ip_dst, np.uint8), (n, 16))
    out.outer_src_port[:] = np.broadcast_to(np.asarray(outer_src_port, np.uint16), (n,))
    out.outer_dst_port[:] = np.broadcast_to(np.asarray(outer_dst_port, np.uint16), (n,))
    return out


def vtep_columns(vteps: list[Vtep], index: np.ndarray) -> dict[str, np.ndarray]:
    """MAC, IP row, IP version and VLAN of ``vteps[index[i]]`` per row."""
    index = np.asarray(index, np.int64)
    macs = np.array([v.mac for v in vteps], np.uint64)
    ips = np.stack([np.asarray(v.ip, np.uint8) for v in vteps])
    vers = np.array([v.ip_version for v in vteps], np.uint8)
    vlans = np.array([v.vlan for v in vteps], np.int32)
    return {"mac": macs[index], "ip": ips[index], "ip_version": vers[index], "vlan": vlans[index]}


def overlay_receive_flows(inner: FlowTable, dst_vm: np.ndarray, vm_vtep: np.ndarray, local_vteps: list[Vtep],
                          src_vtep: np.ndarray, remote_vteps: list[Vtep], *, tunnel: str = "vxlan", vni=0,
                          dst_port: int | None = None, src_port_policy: str = "rfc7348",
                          fixed_src_port: int = 49152, src_port_range: tuple[int, int] | None = None,
                          geneve_opt_bytes: int = 0, seed: int = 0) -> FlowTable:
    """Overlay traffic arriving at this host: flow i is sent by ``remote_vteps[src_vtep[i]]`` to
    the local VTEP its destination VM ``dst_vm[i]`` is pinned to (``vm_vtep``).

    The outer VLAN is the local VTEP's (the frame arrives on the VTEP's VLAN).
    """
    local = vtep_columns(local_vteps, np.asarray(vm_vtep)[np.asarray(dst_vm)])
    remote = vtep_columns(remote_vteps, src_vtep)
    if np.any(local["ip_version"] != remote["ip_version"]):
        raise ValueError("local and remote VTEPs of a flow must use the same IP version")
    sport = outer_src_ports(inner, src_port_policy, fixed_src_port, src_port_range, seed)
    return encapsulate(inner, tunnel=tunnel, vni=vni, outer_eth_src=remote["mac"], outer_eth_dst=local["mac"],
                       outer_ip_src=remote["ip"], outer_ip_dst=local["ip"], outer_ip_version=local["ip_version"],
                       outer_src_port=sport, outer_dst_port=dst_port, outer_vlan=local["vlan"],
                       geneve_opt_bytes=geneve_opt_bytes)


def vteps_from_config(vteps) -> list[Vtep]:
    """``VtepConfig`` list -> ``Vtep`` list."""
    from vnetsim.net.ethernet import mac_to_int
    from vnetsim.net.ipaddr import ip_to_row
    out = []
    for v in vteps:
        row, version = ip_to_row(v.ip)
        out.append(Vtep(mac_to_int(v.mac), row, version, -1 if v.vlan is None else v.vlan))
    return out


def remote_vteps(n: int, ip_version: int = 4) -> list[Vtep]:
    """``n`` remote hosts' VTEPs: MAC 02:00:00:01:xx:xx, IP 172.16.1.x+ (or fd10::x)."""
    from vnetsim.net.ipaddr import ip_to_row
    out = []
    for i in range(n):
        text = f"172.16.{1 + i // 250}.{1 + i % 250}" if ip_version == 4 else f"fd10::{i + 1:x}"
        row, version = ip_to_row(text)
        out.append(Vtep(0x0200_0001_0000 + i, row, version, -1))
    return out


def host_overlay_flows(inner: FlowTable, dst_vm: np.ndarray, n_vms: int, overlay, *, n_remote: int = 16,
                       src_vtep: np.ndarray | None = None, vm_macs: np.ndarray | None = None) -> FlowTable:
    """Overlay traffic received by a host configured by ``overlay`` (an ``OverlayConfig``).

    VMs are pinned to the host's VTEPs by ``overlay.vm_pinning``; flow i comes from remote VTEP
    ``src_vtep[i]`` (default: i mod ``n_remote``), over the same IP version as the local VTEPs.
    """
    local = vteps_from_config(overlay.vteps)
    pin = pin_vms(n_vms, len(local), overlay.vm_pinning, vm_macs)
    remotes = remote_vteps(n_remote, local[0].ip_version)
    if src_vtep is None:
        src_vtep = np.arange(len(inner)) % n_remote
    return overlay_receive_flows(
        inner, dst_vm, pin, local, src_vtep, remotes, tunnel=overlay.tunnel, vni=overlay.vni,
        dst_port=overlay.resolved_dst_port(), src_port_policy=overlay.src_port_policy,
        fixed_src_port=overlay.src_port_fixed, src_port_range=overlay.src_port_range,
        geneve_opt_bytes=overlay.geneve_option_bytes if overlay.tunnel == "geneve" else 0, seed=overlay.hash_seed)
