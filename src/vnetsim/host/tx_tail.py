"""The end of the transmit path as one pipeline node: the NIC's TX DMA (optional), the pNIC TX
ring and wire, and the peer's turnaround.

Each of these stages fixes a packet's departure when the packet arrives (a FIFO recursion). Run as
separate pipeline nodes they cost a copy of every chunk per hop: the pipeline holds each stage's
input at or after the horizon and merges it with the next chunk's into one new run. ``TxTailStage``
takes the host TX thread's departures as they come, late ones included (``holds_late_arrivals``),
and runs the stages' own kernels (``DeviceStage``, ``RingWireStage``, ``FlowDelayStage``, whose
state and statistics the host path reports) on views of the columns, holding back only the few
packets that must wait, in the order the separate stages would see them:

- the input before the horizon, in (time, id) order (what the TX thread sent at or after the last
  horizon merged with the new; usually none), goes through the device in one call, as the device
  stage would take it;
- the device's departures never decrease (in-order completion) but can be equal; the wire takes
  those before the horizon (a separate wire stage takes only arrivals before it, and the last
  horizon is the run's end), the rest wait for the next call; what waited from the last call comes
  first (merged by (time, id) in the rare case that a new departure ties with it), in its own
  call of the wire kernel, so nothing is concatenated;
- the wire's departures strictly increase (each frame takes time), so the peer's fixed delay keeps
  their order when it is the same for every flow; its two runs leave as two runs
  (``StageOutput.earlier``). With per-flow delays they are merged and sorted first.

The result is the separate stages' packet for packet and float for float
(``tests/host/test_tx_tail.py``).
"""

from __future__ import annotations

import numpy as np

from vnetsim.engine.device import DeviceStage
from vnetsim.engine.merge import in_sequence, merge_runs
from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.host.tx_stages import FlowDelayStage, RingWireStage

FUSE = True      # False: ``fuse_tail`` fuses nothing (the separate stages, as the tests compare)


class TxTailStage:
    """``device`` (or None), ``wire`` and ``peer`` (or None) run as one stage (module doc).

    The stages keep their state and statistics (read their ``stats()`` as before); this object
    only drives them. ``stats()`` gives the three stages' statistics (None for a missing one).
    """

    holds_late_arrivals = True

    def __init__(self, device: DeviceStage | None, wire: RingWireStage, peer: FlowDelayStage | None = None) -> None:
        self.device, self.wire, self.peer = device, wire, peer
        self.name = "+".join(s.name for s in (device, wire, peer) if s is not None)
        self._uniform = peer is None or peer.uniform
        self._held = Packets.empty()       # input at or after the last horizon
        self._waiting = Packets.empty()    # device departures at or after it (not yet on the wire)

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        # the input before the horizon through the device, in one call's order: what was held (a
        # few packets, usually all before the new ones) and the new, two parts of one device call
        runs, self._held = _before(_in_sequence([self._held, arrivals]), horizon_ns)
        deps = runs
        if self.device is not None:
            deps = [self.device.advance(r, horizon_ns, last_part=k == len(runs) - 1).departures
                    for k, r in enumerate(runs)]
        # onto the wire: what waited for it first, then the device's departures, those before the
        # horizon; the small runs ahead of the big one joined
        queue = _in_sequence([self._waiting, *deps])
        if len(queue) > 2:
            queue = [merge_runs(queue[:-1]), queue[-1]]
        now, self._waiting = _before(queue, horizon_ns)
        drops: list[np.ndarray] = []
        parts = []
        for part in now:
            res = self.wire.advance(part, horizon_ns)
            if len(res.drop_pid):
                drops.append(res.drop_pid)
            if len(res.departures):
                parts.append(res.departures)
        if self.peer is not None:
            if len(parts) > 1 and not self._uniform:         # per-flow delays reorder: one sorted run
                parts = [merge_runs(parts)]
            parts = [self.peer.advance(p, horizon_ns).departures for p in parts]
        drop_pid = NO_DROPS if not drops else drops[0] if len(drops) == 1 else np.concatenate(drops)
        if not parts:
            return StageOutput(Packets.empty(), drop_pid)
        return StageOutput(parts[-1], drop_pid, earlier=parts[0] if len(parts) == 2 else None)

    def start_window(self) -> None:
        for s in (self.device, self.wire, self.peer):
            if s is not None:
                s.start_window()

    def held(self) -> int:
        return len(self._held) + len(self._waiting)

    def stats(self):
        return tuple(s.stats() if s is not None else None for s in (self.device, self.wire, self.peer))


def _in_sequence(runs: list[Packets]) -> list[Packets]:
    """The non-empty runs, as they are when they follow one another, else merged into one."""
    runs = [r for r in runs if len(r)]
    return runs if in_sequence(runs) else [merge_runs(runs)]


def _before(runs: list[Packets], horizon_ns: float) -> tuple[list[Packets], Packets]:
    """Runs that follow one another, cut at the horizon: (the parts before it, as views; an own
    copy of the rest, one run)."""
    now: list[Packets] = []
    for k, r in enumerate(runs):
        cut = int(np.searchsorted(r.t_ns, horizon_ns, side="left"))
        if cut == len(r):
            now.append(r)
            continue
        if cut:
            now.append(r.take(slice(0, cut)))
        rest = merge_runs([r.take(slice(cut, None))] + runs[k + 1:])
        return now, Packets(*(np.array(getattr(rest, c)) for c in ("t_ns", "t0_ns", "size_bytes", "flow", "pkt_id")))
    return now, Packets.empty()


def fuse_tail(stages: list) -> tuple[int, int, TxTailStage | None]:
    """The transmit stages' tail that one ``TxTailStage`` can run: ``(first, wire, stage)`` with
    ``stages[first:]`` = [a device,] the wire[, the peer] and ``wire`` the wire's index (where its
    drops are booked); ``(len(stages), -1, None)`` when the stages do not end that way (or when
    ``FUSE`` is off: the separate stages, for comparisons)."""
    k = len(stages)
    if not FUSE:
        return k, -1, None
    peer = stages[k - 1] if k and isinstance(stages[k - 1], FlowDelayStage) else None
    w = k - 1 - (peer is not None)
    if w < 0 or not isinstance(stages[w], RingWireStage):
        return k, -1, None
    device = stages[w - 1] if w > 0 and type(stages[w - 1]) is DeviceStage else None
    return w - (device is not None), w, TxTailStage(device, stages[w], peer)
