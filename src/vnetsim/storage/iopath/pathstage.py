"""The I/O path's default stage: the owners' NIC queues, the inter-site link, the devices and the
join in one stage of the engine contract, in a few compiled passes over buffers it reuses.

The same model as the stages wired one after another (``nic`` or ``network``, ``devices``,
``join``), leg for leg: every queue sees the same arrivals in the same (time, id) order, so every
I/O gets the same latency and every counter the same value (tests/storage/iopath checks both
paths against each other and the plain one against the SimPy reference). What it saves is what
lies between the stages: no split of the source's legs into two runs, no copy of the NIC's
departures in time order, no k-way merge at the devices' input, no departures handed to the join,
and no fresh memory per chunk (a page fault per 4 KiB).

Per call (horizon ``H``; every arriving leg is before it, all of them from one source run, the
source's own reused buffers, ``source.ReusingSource``):

1. Each leg through its owner's NIC queue when it leaves its owner (plus its draw of the fabric's
   spread), with one site straight into the devices' buffer after the legs held there from
   earlier calls (``DelayedFifo.next_stage_times`` with ``only``); with two, those bound for the
   other site into the link's buffer, the others into the devices' (``_put``).
2. Two sites: the link's buffer (held legs and new ones) in (time, id) order (the linear-time
   bucket sort, ``links.bucket_order_into``); those reaching the link before ``H`` pass its queue
   in that order into the devices' buffer, the rest are held (``_link``).
3. The devices' buffer in (time, id) order, its columns gathered in that order (``_gather``: the
   passes after it read in sequence); the legs before ``H`` draw their device, service and reply
   spread (``DeviceStage.draw``), are queued at their devices (``device.queue_legs``) and folded
   into the join (``Join.fold``); the rest are held for the next call, when they are still before
   every later arrival.

Held legs are counted by ``held()`` and listed by ``held_pids()`` (I/O conservation).
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.packets import Packets
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.storage.iopath.device import DeviceStage, queue_legs
from vnetsim.storage.iopath.join import Join
from vnetsim.storage.iopath.links import DelayedFifo, bucket_order_into


@numba.njit(cache=True, nogil=True)
def _put(t, t0, size, flow, pid, to_link, d_t, d_t0, d_flow, d_pid, nd, l_t, l_t0, l_size, l_flow, l_pid, nl):
    """Legs (``t``: their time at the next queue) into the link's buffer (``to_link[flow]``, from
    index ``nl``) or the devices' (from ``nd``); returns both new ends."""
    for i in range(t.shape[0]):
        f = flow[i]
        if to_link[f]:
            l_t[nl], l_t0[nl], l_size[nl], l_flow[nl], l_pid[nl] = t[i], t0[i], size[i], f, pid[i]
            nl += 1
        else:
            d_t[nd], d_t0[nd], d_flow[nd], d_pid[nd] = t[i], t0[i], f, pid[i]
            nd += 1
    return nd, nl


@numba.njit(cache=True, nogil=True)
def _gather(order, n, a, b, c, d, oa, ob, oc, od):
    """Four columns at ``order[:n]`` into ``o*`` (one pass)."""
    for k in range(n):
        i = order[k]
        oa[k], ob[k], oc[k], od[k] = a[i], b[i], c[i], d[i]


@numba.njit(cache=True, nogil=True)
def _gather5(order, n, a, b, c, d, e, oa, ob, oc, od, oe):
    """Five columns at ``order[:n]`` into ``o*`` (one pass)."""
    for k in range(n):
        i = order[k]
        oa[k], ob[k], oc[k], od[k], oe[k] = a[i], b[i], c[i], d[i], e[i]


class _Buffers:
    """Two sets of columns (this call's and the next call's held legs), grown, never shrunk."""

    def __init__(self, dtypes: tuple) -> None:
        self.dtypes = dtypes
        self.cap = 0
        self.now: tuple = ()
        self.spare: tuple = ()
        self.n = 0          # legs held at the front of ``now``

    def reserve(self, need: int) -> None:
        if need <= self.cap:
            return
        cap = max(need * 5 // 4, 4096)
        now = tuple(np.empty(cap, d) for d in self.dtypes)
        for a, b in zip(self.now, now):
            b[:self.n] = a[:self.n]
        self.now, self.spare = now, tuple(np.empty(cap, d) for d in self.dtypes)
        self.cap = cap

    def sort(self, order: np.ndarray, n: int) -> None:
        """The first ``n`` legs of ``now`` in ``order``, into the other set, which becomes ``now``
        (the kernels after it then read their columns in sequence: cheaper than through ``order``)."""
        _gather(order, n, *self.now, *self.spare)
        self.now, self.spare = self.spare, self.now

    def hold(self, due: int, n: int) -> None:
        """Legs ``due..n-1`` of ``now`` held, moved to its front."""
        for c in self.now:
            c[:n - due] = c[due:n]
        self.n = n - due

    def keep(self, order: np.ndarray, k: int, n: int) -> None:
        """The legs at ``order[k:n]`` held, at the front of the other set, which becomes ``now``."""
        spare = self.spare
        for j, c in enumerate(self.now):
            spare[j][:n - k] = c[order[k:n]]
        self.now, self.spare = spare, self.now
        self.n = n - k


class PathStage:
    """NIC queues (``nic``), the inter-site link's (``link``, for ``to_link[flow]``; None with one
    site), the devices and the join (see the module docstring). Legs leave their owner through its
    NIC where ``remote_flow[flow]``. The parts keep their own counters and statistics."""

    def __init__(self, nic: DelayedFifo, link: DelayedFifo | None, remote_flow: np.ndarray, to_link: np.ndarray,
                 devices: DeviceStage, join: Join, name: str = "path") -> None:
        self.name = name
        self.nic, self.link, self.devices, self.join = nic, link, devices, join
        n_flows = len(devices.f_host)
        self.remote_flow = np.ascontiguousarray(remote_flow, np.bool_)
        self.to_link = np.ascontiguousarray(to_link if link is not None else np.zeros(n_flows), np.bool_)
        self.no_link = np.zeros(n_flows, np.bool_)
        self.dev = _Buffers((np.float64, np.float64, np.int32, np.int64))            # t, t0, flow, pid
        self.lnk = _Buffers((np.float64, np.float64, np.int32, np.int32, np.int64))   # t, t0, size, flow, pid
        self.lnk.reserve(1)
        self._scratch_cap = 0
        self._dev, self._svc, self._jit = np.empty(0, np.int32), np.empty(0), np.empty(0)
        self._order = self._bucket = self._start = self._times = np.empty(0)

    def _scratch(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Order, bucket and count scratch for a bucket sort of ``n`` legs, and ``n`` times."""
        if self._scratch_cap < n:
            cap = self._scratch_cap = max(n * 5 // 4, 4096)
            self._order, self._bucket = np.empty(cap, np.int32), np.empty(cap, np.int32)
            self._start, self._times = np.empty(cap + 1, np.int32), np.empty(cap)
        return self._order, self._bucket, self._start, self._times

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        """Serve time-ordered legs; every one whose reply is decided goes to the join (emits none)."""
        dev, lnk = self.dev, self.lnk
        m = len(arrivals)
        dev.reserve(dev.n + lnk.n + m)
        lnk.reserve(lnk.n + m if self.link is not None else 0)
        if self.link is None:               # straight into the devices' buffer (copies of whole columns)
            h, nd, nl = dev.n, dev.n + m, 0
            self.nic.next_stage_times(arrivals, dev.now[0][h:nd], self.remote_flow)
            dev.now[1][h:nd], dev.now[2][h:nd], dev.now[3][h:nd] = arrivals.t0_ns, arrivals.flow, arrivals.pkt_id
        else:
            *_, times = self._scratch(m)
            out = self.nic.next_stage_times(arrivals, times, self.remote_flow)
            nd, nl = _put(out, arrivals.t0_ns, arrivals.size_bytes, arrivals.flow, arrivals.pkt_id, self.to_link,
                          *dev.now, dev.n, *lnk.now, lnk.n)
        if self.link is not None and nl:
            nd = self._link(nl, nd, horizon_ns)
        self._devices(nd, horizon_ns)
        return StageOutput(Packets.empty(), NO_DROPS)

    def _link(self, nl: int, nd: int, horizon_ns: float) -> int:
        """The link's buffer's legs before the horizon through its queue into the devices' buffer
        (from ``nd``; returns its new end), the rest held."""
        assert self.link is not None
        lnk, dev = self.lnk, self.dev
        order, bucket, start, times = self._scratch(nl)
        l_t, l_t0, l_size, l_flow, l_pid = lnk.now
        bucket_order_into(l_t, l_pid, nl, order, bucket, start)
        due = int(np.count_nonzero(l_t[:nl] < horizon_ns))     # the first ``due`` in (time, id) order
        # those in order into the other set (reused: fresh memory costs page faults), consumed by
        # ``_put`` before ``keep`` writes the held ones there
        _gather5(order, due, l_t, l_t0, l_size, l_flow, l_pid, *lnk.spare)
        at_link = Packets(*(c[:due] for c in lnk.spare))
        out = self.link.next_stage_times(at_link, times)
        nd2, _ = _put(out, at_link.t0_ns, at_link.size_bytes, at_link.flow, at_link.pkt_id, self.no_link,
                      *dev.now, nd, *lnk.spare, 0)
        lnk.keep(order, due, nl)
        return nd2

    def _devices(self, n: int, horizon_ns: float) -> None:
        """Queue the devices' buffer's legs before the horizon at their devices, fold them into the
        join, hold the rest."""
        dev, dv = self.dev, self.devices
        order, bucket, start, back = self._scratch(n)
        bucket_order_into(dev.now[0], dev.now[3], n, order, bucket, start)
        dev.sort(order, n)
        d_t, d_t0, d_flow, d_pid = dev.now
        due = int(np.searchsorted(d_t[:n], horizon_ns, side="left"))
        d_dev, d_svc, d_jit = self._draws(due)
        dv.draw(d_pid, d_flow, due, d_dev, d_svc, d_jit, 0)
        queue_legs(None, due, np.inf, d_t, d_flow, d_dev, d_svc, d_jit, dv.f_cls, dv.c_tab, dv.f_acc, dv.depth,
                   dv.fail_ns, dv.stall_ns, dv.free_at, dv.leaf, dv.busy, dv.lo, dv.hi, dv.counts, dv.jitter_args[0],
                   back)
        self.join.fold(back, d_t0, d_pid, d_flow, None, due)
        dev.hold(due, n)

    def _draws(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Room for ``n`` legs' device, service and reply's jitter draws."""
        if len(self._dev) < n:
            self._dev, self._svc, self._jit = np.empty(n * 5 // 4, np.int32), np.empty(n * 5 // 4), np.empty(n * 5 // 4)
        return self._dev, self._svc, self._jit

    def start_window(self) -> None:
        self.nic.start_window()
        if self.link is not None:
            self.link.start_window()
        self.devices.start_window()

    def held(self) -> int:
        return self.dev.n + self.lnk.n

    def held_pids(self) -> np.ndarray:
        """Ids of the legs held inside the stage."""
        return np.concatenate([self.dev.now[3][:self.dev.n], self.lnk.now[4][:self.lnk.n]]) if self.dev.cap \
            else self.lnk.now[4][:self.lnk.n].copy()

    def stats(self) -> dict:
        out = {"nic": self.nic.stats(), "devices": self.devices.stats()}
        if self.link is not None:
            out["inter_site"] = self.link.stats()
        return out
