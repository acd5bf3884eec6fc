"""RSS: which header bytes feed the Toeplitz hash, and the indirection table (RETA).

Hash input (Microsoft RSS; 82599 7.1.2.8; docs/references.md, Toeplitz RSS verification suite), big-endian, per flow:
  IPv4: src(4) | dst(4) [| sport(2) | dport(2)]      IPv6: src(16) | dst(16) [| ports]
Ports are included per protocol, as ``ethtool -N ethX rx-flow-hash tcp4|udp4|tcp6|udp6 sd|sdfn``
chooses: ``sd`` = addresses only, ``sdfn`` = addresses and ports. Other IP protocols hash
addresses only. Non-IP frames are not hashed (hash 0, ``hashed`` False) and land on RETA[0].

Layer: ``"outer"`` hashes the headers the NIC parses first (the outer IP/UDP of a tunnel);
``"inner"`` hashes the tunneled packet's own headers (DPDK rss level 2; mlx5, not ixgbe/i40e).

Queue = RETA[hash & (size - 1)]; the size is a power of two (82599: 128 entries, low 7 bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.net.flows import FlowTable, HeaderLayer
from vnetsim.net.ipv4 import PROTO_TCP, PROTO_UDP

from .toeplitz import Toeplitz

SD = "sd"
SDFN = "sdfn"


@dataclass(frozen=True)
class HashFields:
    """Per protocol: hash addresses only (``sd``) or addresses and ports (``sdfn``)."""

    tcp4: str = SDFN
    udp4: str = SD
    tcp6: str = SDFN
    udp6: str = SD

    def __post_init__(self) -> None:
        for name in ("tcp4", "udp4", "tcp6", "udp6"):
            if getattr(self, name) not in (SD, SDFN):
                raise ValueError(f"rx-flow-hash {name} must be 'sd' or 'sdfn', got {getattr(self, name)!r}")


def uses_ports(layer: HeaderLayer, fields: HashFields) -> np.ndarray:
    """True where the hash input of a flow includes its ports."""
    v4 = layer.ip_version == 4
    v6 = layer.ip_version == 6
    tcp = layer.ip_proto == PROTO_TCP
    udp = layer.ip_proto == PROTO_UDP
    return ((v4 & tcp & (fields.tcp4 == SDFN)) | (v4 & udp & (fields.udp4 == SDFN))
            | (v6 & tcp & (fields.tcp6 == SDFN)) | (v6 & udp & (fields.udp6 == SDFN)))


def _port_bytes(port: np.ndarray) -> np.ndarray:
    return np.asarray(port, np.uint16).astype(">u2").reshape(-1, 1).view(np.uint8)


def hash_input(layer: HeaderLayer, rows: np.ndarray, version: int, with_ports: bool) -> np.ndarray:
    """(len(rows), L) uint8 Toeplitz input of the selected flows (L = 8, 12, 32 or 36)."""
    addr = slice(12, 16) if version == 4 else slice(0, 16)
    parts = [layer.ip_src[rows][:, addr], layer.ip_dst[rows][:, addr]]
    if with_ports:
        parts += [_port_bytes(layer.src_port[rows]), _port_bytes(layer.dst_port[rows])]
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def rss_hash(layer: HeaderLayer, toeplitz: Toeplitz, fields: HashFields) -> tuple[np.ndarray, np.ndarray]:
    """(hash uint32, hashed bool) per flow of ``layer``, vectorized by input type (4 groups)."""
    n = layer.ip_version.shape[0]
    out = np.zeros(n, np.uint32)
    ports = uses_ports(layer, fields)
    for version in (4, 6):
        is_v = layer.ip_version == version
        for with_ports in (False, True):
            rows = np.flatnonzero(is_v & (ports == with_ports))
            if rows.size:
                out[rows] = toeplitz.hash(hash_input(layer, rows, version, with_ports))
    hashed = (layer.ip_version == 4) | (layer.ip_version == 6)
    return out, hashed


class Reta:
    """An RSS indirection table: ``queue = entries[hash & (size - 1)]``."""

    def __init__(self, entries, n_queues: int, where: str = "rss.reta") -> None:
        entries = np.asarray(entries, dtype=np.int64).reshape(-1)
        check_reta(entries, n_queues, where)
        self.entries = entries.astype(np.int32)
        self.n_queues = int(n_queues)

    @classmethod
    def round_robin(cls, size: int, n_queues: int, first_queue: int = 0, where: str = "rss.reta") -> Reta:
        """Entry i -> queue ``first_queue + i % n_queues`` (Linux ``ethtool_rxfh_indir_default``)."""
        check_reta_size(size, where)
        if n_queues < 1:
            raise ModelError(where, f"RSS needs at least one queue, got {n_queues}")
        return cls(first_queue + np.arange(size) % n_queues, first_queue + n_queues, where)

    @property
    def size(self) -> int:
        return int(self.entries.shape[0])

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        return self.entries[np.asarray(hashes, np.uint32) & np.uint32(self.size - 1)]


def check_reta_size(size: int, where: str = "rss.reta_size") -> None:
    if size < 1 or size & (size - 1):
        raise ModelError(where, f"the RETA size must be a power of two, got {size}",
                            "use 128 (82599, vmxnet3, virtio), 256 (mlx5) or 512 (X550, i40e)")


def check_reta(entries: np.ndarray, n_queues: int, where: str = "rss.reta") -> None:
    """One-line ModelError when the size is not a power of two or an entry has no queue."""
    check_reta_size(int(entries.shape[0]), where)
    bad = np.flatnonzero((entries < 0) | (entries >= n_queues))
    if bad.size:
        i = int(bad[0])
        raise ModelError(f"{where}[{i}]", f"entry {int(entries[i])} points past the {n_queues} RX queues "
                            f"(valid: 0-{n_queues - 1})", f"use a queue index below {n_queues} or add queues")


@dataclass
class Rss:
    """Toeplitz key + hash fields + layer + RETA: flows -> queues."""

    toeplitz: Toeplitz
    fields: HashFields
    reta: Reta
    layer: str = "outer"

    def hash(self, flows: FlowTable) -> tuple[np.ndarray, np.ndarray]:
        return rss_hash(flows.layer(self.layer), self.toeplitz, self.fields)

    def queues(self, flows: FlowTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(queue int32, hash uint32, hashed bool) per flow."""
        h, hashed = self.hash(flows)
        return self.reta.lookup(h), h, hashed
