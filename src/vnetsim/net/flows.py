"""The flow table: one row per flow, a structure of arrays. Packets carry only a flow index.

Columns (all 1-D of length n, except addresses which are (n, 16) uint8 rows):

- Innermost headers, i.e. what the VM sent (for a plain flow, its only headers):
  ``eth_src``/``eth_dst`` (uint64 MAC), ``vlan`` (int32, -1 untagged), ``ethertype`` (uint16),
  ``ip_version`` (uint8: 4, 6, or 0 when not IP), ``ip_src``/``ip_dst`` (16-byte rows, IPv4
  stored IPv4-mapped, see ``ipaddr``), ``ip_proto`` (uint8), ``src_port``/``dst_port`` (uint16,
  0 without UDP/TCP).
- Encapsulation: ``tunnel`` (uint8: 0 none, 1 VXLAN, 2 Geneve, see ``encap``), ``vni`` (int32,
  -1 none), ``geneve_opt_bytes`` (uint16), and the outer headers ``outer_eth_src``/``_dst``,
  ``outer_vlan``, ``outer_ip_version``, ``outer_ip_src``/``_dst``, ``outer_src_port``/``_dst_port``.
  Outer columns are meaningless (zero) where ``tunnel`` is 0.

``layer("outer")`` gives the headers a NIC sees first (outer ones where encapsulated);
``layer("inner")`` the innermost ones. Steering is computed per flow, then looked up per packet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from . import encap
from .ethernet import int_to_mac, mac_to_int
from .ipaddr import ADDR_BYTES, ip_to_row, row_to_ip

# name -> (dtype, width (0 = 1-D), default)
COLUMNS: dict[str, tuple[type, int, int]] = {
    "eth_src": (np.uint64, 0, 0),
    "eth_dst": (np.uint64, 0, 0),
    "vlan": (np.int32, 0, -1),
    "ethertype": (np.uint16, 0, 0x0800),
    "ip_version": (np.uint8, 0, 4),
    "ip_src": (np.uint8, ADDR_BYTES, 0),
    "ip_dst": (np.uint8, ADDR_BYTES, 0),
    "ip_proto": (np.uint8, 0, 17),
    "src_port": (np.uint16, 0, 0),
    "dst_port": (np.uint16, 0, 0),
    "tunnel": (np.uint8, 0, 0),
    "vni": (np.int32, 0, -1),
    "geneve_opt_bytes": (np.uint16, 0, 0),
    "outer_eth_src": (np.uint64, 0, 0),
    "outer_eth_dst": (np.uint64, 0, 0),
    "outer_vlan": (np.int32, 0, -1),
    "outer_ip_version": (np.uint8, 0, 0),
    "outer_ip_src": (np.uint8, ADDR_BYTES, 0),
    "outer_ip_dst": (np.uint8, ADDR_BYTES, 0),
    "outer_src_port": (np.uint16, 0, 0),
    "outer_dst_port": (np.uint16, 0, 0),
}
RECORD_BYTES = sum(np.dtype(d).itemsize * max(1, w) for d, w, _ in COLUMNS.values())
_MAC_COLUMNS = {"eth_src", "eth_dst", "outer_eth_src", "outer_eth_dst"}
_ADDR_COLUMNS = {"ip_src": "ip_version", "ip_dst": "ip_version",
                 "outer_ip_src": "outer_ip_version", "outer_ip_dst": "outer_ip_version"}


@dataclass(frozen=True)
class HeaderLayer:
    """The header fields of one layer (outer or inner) of every flow: what RSS and filters read."""

    eth_dst: np.ndarray
    vlan: np.ndarray
    ip_version: np.ndarray
    ip_src: np.ndarray
    ip_dst: np.ndarray
    ip_proto: np.ndarray
    src_port: np.ndarray
    dst_port: np.ndarray


@dataclass
class FlowTable:
    """Structure of arrays, one row per flow (see module docstring for the columns)."""

    eth_src: np.ndarray
    eth_dst: np.ndarray
    vlan: np.ndarray
    ethertype: np.ndarray
    ip_version: np.ndarray
    ip_src: np.ndarray
    ip_dst: np.ndarray
    ip_proto: np.ndarray
    src_port: np.ndarray
    dst_port: np.ndarray
    tunnel: np.ndarray
    vni: np.ndarray
    geneve_opt_bytes: np.ndarray
    outer_eth_src: np.ndarray
    outer_eth_dst: np.ndarray
    outer_vlan: np.ndarray
    outer_ip_version: np.ndarray
    outer_ip_src: np.ndarray
    outer_ip_dst: np.ndarray
    outer_src_port: np.ndarray
    outer_dst_port: np.ndarray

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def empty(cls, n: int = 0) -> FlowTable:
        """``n`` rows of defaults (IPv4 UDP, untagged, not encapsulated, zero addresses)."""
        cols: dict[str, np.ndarray] = {}
        for name, (dtype, width, default) in COLUMNS.items():
            shape = (n, width) if width else (n,)
            cols[name] = np.full(shape, default, dtype=dtype)
        return cls(**cols)

    @classmethod
    def build(cls, n: int | None = None, **columns) -> FlowTable:
        """Build from columns; scalars broadcast, MACs and IPs may be text.

        IP text columns also set the matching version column unless it is given; the EtherType
        follows the IP version unless given.
        ``n`` defaults to the length of the longest column given.
        """
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise TypeError(f"unknown flow-table columns: {sorted(unknown)}")
        if n is None:
            n = 1
            for value in columns.values():
                if not np.isscalar(value) and not isinstance(value, str):
                    arr = value if isinstance(value, np.ndarray) else list(value)
                    n = max(n, len(arr))
        table = cls.empty(n)
        versions_from_text: dict[str, np.ndarray] = {}
        for name, value in columns.items():
            dtype, width, _ = COLUMNS[name]
            if name in _MAC_COLUMNS and (isinstance(value, str) or
                                         (not np.isscalar(value) and not isinstance(value, np.ndarray))):
                value = [mac_to_int(v) for v in ([value] if isinstance(value, str) else value)]
            if name in _ADDR_COLUMNS and (isinstance(value, str) or
                                          (not isinstance(value, np.ndarray))):
                items = [value] if isinstance(value, str) else list(value)
                pairs = [ip_to_row(v) for v in items]
                value = np.stack([p[0] for p in pairs])
                versions_from_text[_ADDR_COLUMNS[name]] = np.array([p[1] for p in pairs], np.uint8)
            arr = np.asarray(value)
            target = getattr(table, name)
            target[...] = np.broadcast_to(arr.astype(dtype, copy=False), target.shape)
        for vname, versions in versions_from_text.items():
            if vname not in columns:
                getattr(table, vname)[...] = np.broadcast_to(versions, (n,))
        if "ethertype" not in columns:  # follow the IP version
            table.ethertype[table.ip_version == 6] = 0x86DD
        return table

    @classmethod
    def concat(cls, parts: list[FlowTable]) -> FlowTable:
        if not parts:
            return cls.empty(0)
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in COLUMNS})

    # -- access ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.eth_src.shape[0])

    def take(self, index) -> FlowTable:
        return FlowTable(**{name: getattr(self, name)[index] for name in COLUMNS})

    def copy(self) -> FlowTable:
        return FlowTable(**{name: getattr(self, name).copy() for name in COLUMNS})

    def validate(self) -> None:
        """Raise ``ValueError`` if a column has the wrong dtype or length."""
        n = len(self)
        for name, (dtype, width, _) in COLUMNS.items():
            arr = getattr(self, name)
            shape = (n, width) if width else (n,)
            if arr.dtype != np.dtype(dtype) or arr.shape != shape:
                raise ValueError(f"flow table column {name}: expected {np.dtype(dtype)} {shape}, "
                                 f"got {arr.dtype} {arr.shape}")

    def canonical(self) -> FlowTable:
        """A copy with the meaningless columns reset: outer headers, VNI and options of plain flows,
        Geneve options of VXLAN flows. Two tables that mean the same flows are then equal."""
        out = self.copy()
        plain = out.tunnel == 0
        defaults = FlowTable.empty(1)
        for name in COLUMNS:
            if name.startswith("outer_") or name in ("vni", "geneve_opt_bytes"):
                getattr(out, name)[plain] = getattr(defaults, name)[0]
        out.geneve_opt_bytes[out.tunnel != 2] = 0
        return out

    @property
    def encapsulated(self) -> np.ndarray:
        return self.tunnel != encap.TUNNEL_NONE

    def layer(self, which: str) -> HeaderLayer:
        """Headers of the ``"outer"`` layer (what a NIC parses first) or the ``"inner"`` one."""
        if which == "inner":
            return HeaderLayer(self.eth_dst, self.vlan, self.ip_version, self.ip_src, self.ip_dst,
                               self.ip_proto, self.src_port, self.dst_port)
        if which != "outer":
            raise ValueError(f"layer must be 'outer' or 'inner', got {which!r}")
        t = self.encapsulated
        t2 = t[:, None]
        return HeaderLayer(
            np.where(t, self.outer_eth_dst, self.eth_dst),
            np.where(t, self.outer_vlan, self.vlan),
            np.where(t, self.outer_ip_version, self.ip_version),
            np.where(t2, self.outer_ip_src, self.ip_src),
            np.where(t2, self.outer_ip_dst, self.ip_dst),
            np.where(t, np.uint8(17), self.ip_proto).astype(np.uint8),
            np.where(t, self.outer_src_port, self.src_port),
            np.where(t, self.outer_dst_port, self.dst_port),
        )

    def encap_overhead_bytes(self) -> np.ndarray:
        """Bytes the encapsulation adds to each flow's frames (0 for plain flows)."""
        return encap.encap_overhead_bytes(self.tunnel, self.outer_ip_version, self.outer_vlan,
                                          self.geneve_opt_bytes)

    # -- dedup ----------------------------------------------------------------------------
    def records(self) -> np.ndarray:
        """(n, W) uint8: every column's bytes side by side (the row identity used by ``unique``)."""
        n = len(self)
        if n == 0:
            return np.zeros((0, RECORD_BYTES), np.uint8)
        parts = [np.ascontiguousarray(getattr(self, name)).reshape(n, -1).view(np.uint8) for name in COLUMNS]
        return np.ascontiguousarray(np.concatenate(parts, axis=1))

    def unique(self) -> tuple[FlowTable, np.ndarray]:
        """(table of distinct rows in order of first appearance, int32 index of each row into it).

        Exact: rows are grouped by a 64-bit hash of all columns, then every row is compared with
        its group's first row; should two different rows ever share a hash, a full-row exact
        method takes over.
        """
        if len(self) == 0:
            return self.take(slice(0, 0)), np.zeros(0, np.int32)
        h = _hash_columns(*(getattr(self, name) for name in COLUMNS))
        first, inverse = _unique_u64(h)
        rep = first[inverse]
        for name in COLUMNS:
            col = getattr(self, name)
            if not np.array_equal(col, col[rep]):
                first, inverse = _unique_rows(self.records())
                break
        return self.take(first), inverse

    # -- presentation ---------------------------------------------------------------------
    def describe(self, i: int) -> dict:
        """One flow as readable text fields (for listings and JSON)."""
        i = int(i)
        out = {
            "eth_src": int_to_mac(self.eth_src[i]), "eth_dst": int_to_mac(self.eth_dst[i]),
            "vlan": int(self.vlan[i]), "ethertype": f"0x{int(self.ethertype[i]):04x}",
            "ip_src": row_to_ip(self.ip_src[i], int(self.ip_version[i])),
            "ip_dst": row_to_ip(self.ip_dst[i], int(self.ip_version[i])),
            "ip_proto": int(self.ip_proto[i]),
            "src_port": int(self.src_port[i]), "dst_port": int(self.dst_port[i]),
            "tunnel": encap.TUNNEL_NAMES.get(int(self.tunnel[i]), str(int(self.tunnel[i]))),
        }
        if self.tunnel[i]:
            ov = int(self.outer_ip_version[i])
            out.update({
                "vni": int(self.vni[i]),
                "outer_eth_src": int_to_mac(self.outer_eth_src[i]),
                "outer_eth_dst": int_to_mac(self.outer_eth_dst[i]),
                "outer_vlan": int(self.outer_vlan[i]),
                "outer_ip_src": row_to_ip(self.outer_ip_src[i], ov),
                "outer_ip_dst": row_to_ip(self.outer_ip_dst[i], ov),
                "outer_src_port": int(self.outer_src_port[i]),
                "outer_dst_port": int(self.outer_dst_port[i]),
            })
            if self.tunnel[i] == encap.TUNNEL_GENEVE:
                out["geneve_opt_bytes"] = int(self.geneve_opt_bytes[i])
        return out


@numba.njit(cache=True, nogil=True)
def _mix64(h, v):
    """One combining step of the row hash (multiply by 2^64/phi, xor, rotate, multiply): not the
    splitmix64 finalizer of ``vnetsim.engine.rng``; its outputs are only compared for equality
    (``unique``), so any good combiner gives the same result."""
    h ^= np.uint64(v) * np.uint64(0x9E3779B97F4A7C15)
    h = (h << np.uint64(31)) | (h >> np.uint64(33))
    return h * np.uint64(0xBF58476D1CE4E5B9)


@numba.njit(cache=True, nogil=True)
def _addr_words(a, i):
    hi = np.uint64(0)
    lo = np.uint64(0)
    for k in range(8):
        hi = (hi << np.uint64(8)) | np.uint64(a[i, k])
        lo = (lo << np.uint64(8)) | np.uint64(a[i, 8 + k])
    return hi, lo


@numba.njit(cache=True, nogil=True)
def _hash_columns(eth_src, eth_dst, vlan, ethertype, ipv, ip_src, ip_dst, proto, sport, dport, tunnel, vni, gopt,
                  o_eth_src, o_eth_dst, o_vlan, o_ipv, o_ip_src, o_ip_dst, o_sport, o_dport):
    """A 64-bit hash of every column of each row (the grouping key of ``unique``)."""
    n = eth_src.shape[0]
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = np.uint64(0x243F6A8885A308D3)
        h = _mix64(h, eth_src[i])
        h = _mix64(h, eth_dst[i])
        small = ((np.uint64(vlan[i] & 0xFFFF) << np.uint64(48)) | (np.uint64(ethertype[i]) << np.uint64(32))
                 | (np.uint64(ipv[i]) << np.uint64(24)) | (np.uint64(proto[i]) << np.uint64(16))
                 | (np.uint64(tunnel[i]) << np.uint64(8)) | np.uint64(o_ipv[i]))
        h = _mix64(h, small)
        h = _mix64(h, (np.uint64(sport[i]) << np.uint64(48)) | (np.uint64(dport[i]) << np.uint64(32))
                   | (np.uint64(o_sport[i]) << np.uint64(16)) | np.uint64(o_dport[i]))
        h = _mix64(h, (np.uint64(vni[i] & 0xFFFFFFFF) << np.uint64(32)) | (np.uint64(gopt[i]) << np.uint64(16))
                   | np.uint64(o_vlan[i] & 0xFFFF))
        a, b = _addr_words(ip_src, i)
        h = _mix64(_mix64(h, a), b)
        a, b = _addr_words(ip_dst, i)
        h = _mix64(_mix64(h, a), b)
        if tunnel[i] != 0:
            h = _mix64(h, o_eth_src[i])
            h = _mix64(h, o_eth_dst[i])
            a, b = _addr_words(o_ip_src, i)
            h = _mix64(_mix64(h, a), b)
            a, b = _addr_words(o_ip_dst, i)
            h = _mix64(_mix64(h, a), b)
        h ^= h >> np.uint64(29)
        out[i] = h
    return out


@numba.njit(cache=True, nogil=True)
def _unique_u64(h):
    """Distinct values of ``h`` in order of first appearance: (first index of each, inverse)."""
    n = h.shape[0]
    size = 16
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    slot_row = np.full(size, -1, np.int64)
    slot_id = np.empty(size, np.int32)
    inverse = np.empty(n, np.int32)
    first = np.empty(n, np.int64)
    count = 0
    for i in range(n):
        v = h[i]
        s = (v * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20) & mask
        while True:
            r = slot_row[s]
            if r < 0:
                slot_row[s] = i
                slot_id[s] = count
                first[count] = i
                inverse[i] = count
                count += 1
                break
            if h[r] == v:
                inverse[i] = slot_id[s]
                break
            s = (s + np.uint64(1)) & mask
    return first[:count].copy(), inverse


@numba.njit(cache=True, nogil=True)
def _row_hash(rec, i):
    h = np.uint64(0x9E3779B97F4A7C15)
    w = rec.shape[1]
    for k in range(w):
        h ^= np.uint64(rec[i, k])
        h *= np.uint64(0x100000001B3)
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    return h


@numba.njit(cache=True, nogil=True)
def _unique_rows_kernel(rec):
    n, w = rec.shape
    size = 16
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    slots = np.full(size, -1, np.int64)  # representative row per slot
    slot_id = np.empty(size, np.int32)
    inverse = np.empty(n, np.int32)
    first = np.empty(n, np.int64)
    count = 0
    for i in range(n):
        s = _row_hash(rec, i) & mask
        while True:
            r = slots[s]
            if r < 0:
                slots[s] = i
                slot_id[s] = count
                first[count] = i
                inverse[i] = count
                count += 1
                break
            same = True
            for k in range(w):
                if rec[r, k] != rec[i, k]:
                    same = False
                    break
            if same:
                inverse[i] = slot_id[s]
                break
            s = (s + np.uint64(1)) & mask
    return first[:count].copy(), inverse


def _unique_rows(rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a (n, W) uint8 matrix, exact (open addressing with full-row compare)."""
    if rec.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    return _unique_rows_kernel(rec)
