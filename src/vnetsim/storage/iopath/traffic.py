"""The traffic matrix of an I/O-path spec: per ordered host pair, the messages and frames its VM
groups (and background resync) put on the network, in bytes and frames per second.

Expected rates, from the leg tables (``legs.build_tables``), in the epoch in force at time 0 (the
hosts alive then): an I/O of group g is a read with probability ``read_fraction``, addresses each
of its objects alike, takes each of the object's read (write) variants alike and a block size by
its weight, so one variant's legs carry ``iops * share / variants / objects * weight`` messages a
second each way. Per remote leg (the owner's own devices are not on the network):

- a write: ``block + header`` bytes owner -> target, ``header`` (the acknowledgement) back;
- a read: ``header`` out, ``block + header`` back;
- an OSA read-modify-write at another host: a read phase (``header`` out, ``block + header``
  back), then a write phase (``block + header`` out, ``header`` back).

A message of ``m`` bytes is ``ceil(m / mtu)`` frames: full ones of ``mtu + 18`` bytes and a last
one of the rest plus 18 (Ethernet header and FCS; the storage header stands in for TCP/IP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vnetsim.storage.iopath.legs import LOCAL, READ, RMW, LegTables, build_tables
from vnetsim.storage.iopath.spec import IOPathSpec

ETHERNET_HEADER_BYTES = 18       # destination, source, EtherType, FCS: a frame is the IP packet plus these
DEFAULT_MTU_BYTES = 9000         # jumbo frames, as vSAN networks are usually set up (docs/models/storage-io.md)


@dataclass
class TrafficMatrix:
    """Expected traffic of a spec. ``frames``: ``(src, dst, frame_bytes, background) -> frames/s``;
    ``message_bytes``: hosts x hosts message bytes per second (foreground and background together),
    ``background_bytes`` the resync's part of it; ``write_bytes``: the part that is write data
    (``block + header`` of write and read-modify-write legs, owner to target)."""

    hosts: int
    frames: dict[tuple[int, int, int, bool], float]
    message_bytes: np.ndarray
    background_bytes: np.ndarray
    write_bytes: np.ndarray

    def frame_arrays(self, background: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(src, dst, frame_bytes, frames_per_s) of every frame class, sorted; ``background``:
        only the resync's (True), only the foreground's (False), or both merged (None)."""
        merged: dict[tuple[int, int, int], float] = {}
        for (a, b, f, bg), rate in self.frames.items():
            if background is None or bg == background:
                merged[(a, b, f)] = merged.get((a, b, f), 0.0) + rate
        keys = sorted(k for k, v in merged.items() if v > 0)
        if not keys:
            z = np.zeros(0, np.int64)
            return z, z, z, np.zeros(0)
        arr = np.array(keys, np.int64)
        return arr[:, 0], arr[:, 1], arr[:, 2], np.array([merged[k] for k in keys])

    def frame_bytes_per_s(self) -> np.ndarray:
        """Hosts x hosts: bytes per second in frames (messages plus the Ethernet headers)."""
        out = np.zeros((self.hosts, self.hosts))
        for (a, b, f, _), rate in self.frames.items():
            out[a, b] += rate * f
        return out

    def frames_per_s(self) -> np.ndarray:
        out = np.zeros((self.hosts, self.hosts))
        for (a, b, _, _), rate in self.frames.items():
            out[a, b] += rate
        return out


def message_frames(message: float, mtu_bytes: int) -> list[tuple[int, int]]:
    """``[(frame bytes, count)]`` of one message: full frames and the last one."""
    n = max(1, math.ceil(message / mtu_bytes))
    last = int(round(message - (n - 1) * mtu_bytes))
    out = [(last + ETHERNET_HEADER_BYTES, 1)]
    if n > 1:
        out.append((mtu_bytes + ETHERNET_HEADER_BYTES, n - 1))
    return out


def epoch_at_zero(t: LegTables) -> int:
    """The epoch in force at time 0 (failures declared at or before it count)."""
    return int(np.searchsorted(t.epoch_start_ns, 0.0, side="right")) - 1


def traffic_matrix(spec: IOPathSpec, mtu_bytes: int = DEFAULT_MTU_BYTES, tables: LegTables | None = None,
                   epoch: int | None = None) -> TrafficMatrix:
    """The expected traffic of ``spec`` (see the module docstring); ``epoch`` default: the one in
    force at time 0. A Python loop over variants at set-up, none per I/O."""
    t = tables if tables is not None else build_tables(spec)
    e = epoch_at_zero(t) if epoch is None else epoch
    n = spec.cluster.hosts
    hdr = float(spec.network.header_bytes)
    frames: dict[tuple[int, int, int, bool], float] = {}
    msg = np.zeros((n, n))
    bg_msg = np.zeros((n, n))
    wr = np.zeros((n, n))
    cache: dict[float, list[tuple[int, int]]] = {}

    def send(a: int, b: int, rate: float, message: float, bg: bool) -> None:
        if message not in cache:
            cache[message] = message_frames(message, mtu_bytes)
        for f, k in cache[message]:
            key = (a, b, f, bg)
            frames[key] = frames.get(key, 0.0) + rate * k
        msg[a, b] += rate * message
        if bg:
            bg_msg[a, b] += rate * message

    for g, w in enumerate(spec.workloads):
        weights = np.asarray(w.block_weights, np.float64) / sum(w.block_weights)
        n_obj = int(t.n_objects[g])
        for o in range(n_obj):
            slot = int(t.slot_base[g]) + e * n_obj + o
            for base, count, share in ((t.read_base[slot], t.read_count[slot], w.read_fraction),
                                       (t.write_base[slot], t.write_count[slot], 1.0 - w.read_fraction)):
                if count == 0 or share <= 0:
                    continue
                p = w.iops * share / count / n_obj
                for v in range(int(base), int(base + count)):
                    for lc in range(int(t.var_leg_start[v]), int(t.var_leg_start[v] + t.var_nlegs[v])):
                        if t.lc_route[lc] == LOCAL:
                            continue
                        a, b, op = int(t.lc_owner[lc]), int(t.lc_target[lc]), int(t.lc_op[lc])
                        for s, ws in enumerate(weights):
                            if ws <= 0:
                                continue
                            rate = p * ws
                            block = float(t.sizes[g, s])
                            if op == READ or op == RMW:              # a read, or the read phase
                                send(a, b, rate, hdr, w.background)
                                send(b, a, rate, block + hdr, w.background)
                            if op != READ:                           # a write, or the write phase
                                send(a, b, rate, block + hdr, w.background)
                                send(b, a, rate, hdr, w.background)
                                wr[a, b] += rate * (block + hdr)
    return TrafficMatrix(n, frames, msg, bg_msg, wr)
