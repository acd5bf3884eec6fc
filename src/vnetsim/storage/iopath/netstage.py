"""The network stage of a cluster with two sites: the owners' NIC queues and, for legs to the other
site, the inter-site link's queues, as one stage of the engine contract that hands on only the legs
due before the horizon (a single-site cluster has the NIC stage alone, a ``DelayedFifo``).

The same model as a NIC stage, a split by flow and an inter-site stage in the pipeline (each a
``DelayedFifo``), leg for leg: every queue sees the same arrivals in the same (time, id) order and
the devices receive the same legs at the same times. What it saves is the traffic between them:
no split of the NIC's departures into two runs, no third run into the devices, and no run of late
departures held at the devices' input (the pipeline would merge four runs there, a concatenation
and a k-way merge; here it merges two, the source's local legs and this stage's, in one pass).

Per call (horizon ``H``):

1. every arriving leg through its owner's NIC queue (``DelayedFifo.next_stage_times``);
2. legs bound for the other site, with those held from earlier calls, in (time, id) order by the
   linear-time bucket sort (``links.bucket_order``); those reaching the link before ``H`` pass
   its queue (in that order, as the inter-site stage would get them), the rest are held;
3. what goes on to the devices (legs to hosts of the owner's site, legs off the link, departures
   held from earlier calls) in (time, id) order; those before ``H`` leave now, the rest are held
   for the next call, when they are still before every later departure (the contract: a later
   call's departures are at or after this horizon).

Held legs are counted by ``held()`` and listed by ``held_pids()`` (I/O conservation).
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.packets import PACKET_DTYPES, Packets
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.storage.iopath.links import DelayedFifo, bucket_order

_COLUMNS = tuple(PACKET_DTYPES)


@numba.njit(cache=True, nogil=True)
def _split(t, t0, size, flow, pid, to_link, held):
    """Legs bound for the link and for the devices (``to_link[flow]``), each in input order, with the
    new times ``t``; the device-bound columns have room at their end for every leg that may leave
    the link in this call (those bound for it now and the ``held`` ones)."""
    n = t.shape[0]
    nl = 0
    for i in range(n):
        nl += to_link[flow[i]]
    nd = n - nl
    room = nl + held
    l_t, l_t0 = np.empty(nl, np.float64), np.empty(nl, np.float64)
    l_size, l_flow, l_pid = np.empty(nl, size.dtype), np.empty(nl, flow.dtype), np.empty(nl, np.int64)
    d_t, d_t0 = np.empty(nd + room, np.float64), np.empty(nd + room, np.float64)
    d_size, d_flow, d_pid = np.empty(nd + room, size.dtype), np.empty(nd + room, flow.dtype), np.empty(nd + room,
                                                                                                          np.int64)
    a = 0
    b = 0
    for i in range(n):
        if to_link[flow[i]]:
            l_t[a], l_t0[a], l_size[a], l_flow[a], l_pid[a] = t[i], t0[i], size[i], flow[i], pid[i]
            a += 1
        else:
            d_t[b], d_t0[b], d_size[b], d_flow[b], d_pid[b] = t[i], t0[i], size[i], flow[i], pid[i]
            b += 1
    return (l_t, l_t0, l_size, l_flow, l_pid), (d_t, d_t0, d_size, d_flow, d_pid), nd


@numba.njit(cache=True, nogil=True)
def _put(d_t, d_t0, d_size, d_flow, d_pid, at, t, t0, size, flow, pid):
    """Copy legs into the columns ``d_*`` from index ``at`` on."""
    for i in range(t.shape[0]):
        j = at + i
        d_t[j], d_t0[j], d_size[j], d_flow[j], d_pid[j] = t[i], t0[i], size[i], flow[i], pid[i]


@numba.njit(cache=True, nogil=True)
def _ordered(t, t0, size, flow, pid, h_t, h_t0, h_size, h_flow, h_pid, horizon):
    """The legs of two sets (new, held) in (time, id) order (a bucket sort), and how many of them
    are before ``horizon``."""
    n = t.shape[0]
    m = h_t.shape[0]
    ct = np.empty(n + m, np.float64)
    cp = np.empty(n + m, np.int64)
    ct[:n] = t
    ct[n:] = h_t
    cp[:n] = pid
    cp[n:] = h_pid
    order = bucket_order(ct, cp)
    o_t, o_t0 = np.empty(n + m, np.float64), np.empty(n + m, np.float64)
    o_size, o_flow, o_pid = np.empty(n + m, size.dtype), np.empty(n + m, flow.dtype), np.empty(n + m, np.int64)
    due = 0
    for k in range(n + m):
        i = order[k]
        if i < n:
            o_t[k], o_t0[k], o_size[k], o_flow[k], o_pid[k] = t[i], t0[i], size[i], flow[i], pid[i]
        else:
            i -= n
            o_t[k], o_t0[k], o_size[k], o_flow[k], o_pid[k] = h_t[i], h_t0[i], h_size[i], h_flow[i], h_pid[i]
        if o_t[k] < horizon:
            due = k + 1
    return (o_t, o_t0, o_size, o_flow, o_pid), due


def _cut(cols: tuple, due: int) -> tuple[Packets, Packets]:
    """(the first ``due`` legs, a copy of the rest) of ordered columns."""
    return Packets(*(c[:due] for c in cols)), Packets(*(c[due:].copy() for c in cols))


def _cols(p: Packets) -> tuple:
    return tuple(getattr(p, c) for c in _COLUMNS)


class NetworkStage:
    """``nic`` (one FIFO queue per owner), then ``link`` (the inter-site queues) for the flows with
    ``to_link[flow]``; the others go from the NIC to the devices (see the module docstring). ``nic``
    and ``link`` keep their own counters and statistics."""

    def __init__(self, nic: DelayedFifo, link: DelayedFifo, to_link: np.ndarray, name: str = "network") -> None:
        self.name = name
        self.nic, self.link = nic, link
        self.to_link = np.ascontiguousarray(to_link, np.uint8)
        self._held_link = Packets.empty()     # on their way to the link, reaching it at or after the horizon
        self._held_out = Packets.empty()      # on their way to the devices, reaching them at or after it

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        """Serve time-ordered legs; emit those reaching the devices before the horizon, in (time, id)
        order."""
        out = self.nic.next_stage_times(arrivals)
        hl = self._held_link
        to_link, to_dev, nd = _split(out, *_cols(arrivals)[1:], self.to_link, len(hl))
        lcols, ldue = _ordered(*to_link, *_cols(hl), horizon_ns)
        at_link, self._held_link = _cut(lcols, ldue)
        if len(at_link):
            _put(*to_dev, nd, self.link.next_stage_times(at_link), *_cols(at_link)[1:])
        dev = tuple(c[:nd + len(at_link)] for c in to_dev)
        cols, due = _ordered(*dev, *_cols(self._held_out), horizon_ns)
        departures, self._held_out = _cut(cols, due)
        return StageOutput(departures, NO_DROPS)

    def start_window(self) -> None:
        self.nic.start_window()
        self.link.start_window()

    def held(self) -> int:
        return len(self._held_link) + len(self._held_out)

    def held_pids(self) -> np.ndarray:
        """Ids of the legs held inside the stage."""
        return np.concatenate([self._held_link.pkt_id, self._held_out.pkt_id])

    def stats(self) -> dict:
        return {"nic": self.nic.stats(), "inter_site": self.link.stats()}
