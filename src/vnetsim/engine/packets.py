"""Packets as a structure of arrays: no Python object per packet.

``t_ns`` is when the packet reaches the stage that holds the batch (arrival there);
``t0_ns`` is when its source offered it, so end-to-end latency is ``t_ns - t0_ns`` at the sink.
Header fields live in a flow table indexed by ``flow`` (one row per 5-tuple), so packets stay small.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

PACKET_DTYPES = {
    "t_ns": np.float64,
    "t0_ns": np.float64,
    "size_bytes": np.int32,
    "flow": np.int32,
    "pkt_id": np.int64,
}


@dataclass
class Packets:
    """A time-ordered batch of packets (ties keep their order)."""

    t_ns: np.ndarray
    t0_ns: np.ndarray
    size_bytes: np.ndarray
    flow: np.ndarray
    pkt_id: np.ndarray

    @classmethod
    def empty(cls) -> Packets:
        return cls(**{name: np.empty(0, dtype) for name, dtype in PACKET_DTYPES.items()})

    def __len__(self) -> int:
        return len(self.t_ns)

    def take(self, index: np.ndarray | slice) -> Packets:
        return Packets(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def with_times(self, t_ns: np.ndarray) -> Packets:
        """The same packets, now at another stage (arrival times ``t_ns``)."""
        return Packets(t_ns, self.t0_ns, self.size_bytes, self.flow, self.pkt_id)
