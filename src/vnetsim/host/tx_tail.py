"""The end of the transmit path as one compiled pass: the NIC's TX DMA (optional), the pNIC TX
ring and wire, and the peer's turnaround.

Each of these stages fixes a packet's departure when the packet arrives (a FIFO recursion), so
run as separate pipeline nodes they cost a copy of every chunk per hop: the pipeline holds each
stage's input at or after the horizon and merges it with the next chunk's. ``TxTailStage`` takes
its input as it comes, late packets included (``holds_late_arrivals``), and walks each packet
through the three stages in one loop, with the state and statistics of the stage objects
themselves (``DeviceStage``, ``RingWireStage``, ``FlowDelayStage``: their ``stats()`` are what
the host path reports). The result is the separate stages' packet for packet, in the same
order, with the same floats:

- input: arrivals before the horizon are taken in (time, packet id) order, the held ones (at or
  after the last horizon) merged with the new ones; the rest is held for the next call;
- the device's departures never decrease (in-order completion) but can be equal; the wire takes
  equal ones in packet-id order, as the pipeline's merge gives them to a separate wire stage. So
  the device's departures wait in a queue: a run of equal ones enters the wire, put in id order,
  once a later departure closes it (or the call ends), and only if it is before the horizon, as
  a separate wire stage takes only arrivals before it (the last horizon is the run's end). What
  is at or after the horizon waits for the next call (whose departures are at or after this
  horizon, and may join its last run);
- the wire's departures strictly increase (each frame takes time), so the peer's fixed delay
  keeps the order when it is the same for every flow; otherwise a call's departures are sorted.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.engine.device import DeviceStage, _add_run, add_latency_run, device_packet
from vnetsim.engine.histogram import SUB_BITS, LogHistogram, hist_add, stats_load, stats_store
from vnetsim.engine.merge import merge_runs, sort_packets
from vnetsim.engine.packets import Packets
from vnetsim.engine.ring_server import _Buffers
from vnetsim.engine.stage import NO_DROPS, StageOutput
from vnetsim.net.ethernet import WIRE_GAP_BYTES


@numba.njit(cache=True, nogil=True)
def tail_advance(t, t0, size, flow, pid, h_t, h_t0, h_size, h_flow, h_pid, horizon,
                 dev_on, dev_p, dev_state, dev_counts, dev_stats,
                 q_t, q_t0, q_size, q_flow, q_pid, q_len,
                 wire_p, cap, ring, wire_state, wire_counts, wire_stats,
                 peer_on, delay_of_flow, uniform, peer_counts, peer_stats, lo, hi,
                 out_f, out_i, out_s, drop_pid):
    """One call of ``TxTailStage`` (module doc). New arrivals (``t``...) and held ones (``h_t``...)
    are each ordered by (time, id); ``q_*`` is the queue of device departures not yet on the
    wire, its first ``q_len`` from earlier calls (at or after the last horizon).
    ``dev_p`` = [ns per byte of the DMA, latency, ns per byte of the pipeline], ``dev_state`` as
    ``device_advance``'s; ``wire_p`` = [ns per byte, overhead bytes], ``wire_state`` = [last
    departure, ring head, ring count, window drops] (``RingWireStage``). Departures go to
    ``out_*`` (rows: time, t0 | pid | size, flow), drops to ``drop_pid``.

    Returns (held taken, new taken, departures, drops, the queue's length: what waits for the next
    call, moved to its front).
    """
    nh, nn = h_t.shape[0], t.shape[0]
    r_t, r_t0, r_size, r_flow, r_pid = q_t, q_t0, q_size, q_flow, q_pid
    q0, qn = 0, q_len                      # the queue: [q0, qn)
    # the device's state and statistics
    nspb_link, latency, per_byte = dev_p[0], dev_p[1], dev_p[2]
    done, last_out, accepted, busy = dev_state[0], dev_state[1], dev_state[2], dev_state[3]
    dst = stats_load(dev_stats)
    run_x, run_k = 0.0, 0
    # the wire's
    nspb, overhead = wire_p[0], int(wire_p[1])
    width = ring.shape[0]
    last, head, cnt, wdrops = wire_state[0], int(wire_state[1]), int(wire_state[2]), wire_state[3]
    wst = stats_load(wire_stats)
    pst = stats_load(peer_stats)
    delay0 = delay_of_flow[0] if delay_of_flow.shape[0] > 0 else 0.0
    n_out = 0
    n_drop = 0
    kh, kn = 0, 0
    while True:                            # 1. the input in (time, id) order, through the device
        if kn < nn:
            a = t[kn]
            use_h = kh < nh and (h_t[kh] < a or (h_t[kh] == a and h_pid[kh] < pid[kn]))
        elif kh < nh:
            use_h = True
        else:
            break
        if use_h:
            a = h_t[kh]
            if not a < horizon:
                break
            c_t0, c_size, c_flow, c_pid = h_t0[kh], h_size[kh], h_flow[kh], h_pid[kh]
            kh += 1
        else:
            if not a < horizon:
                break
            c_t0, c_size, c_flow, c_pid = t0[kn], size[kn], flow[kn], pid[kn]
            kn += 1
        x = a
        if dev_on:
            done, x, busy, _ = device_packet(a, c_size, done, last_out, busy, nspb_link, latency, per_byte, lo, hi)
            last_out = x
            accepted += 1.0
            if c_t0 >= lo and x <= hi:
                dst, run_x, run_k = add_latency_run(dev_counts, dst, run_x, run_k, x - a)
        r_t[qn], r_t0[qn], r_size[qn], r_flow[qn], r_pid[qn] = x, c_t0, c_size, c_flow, c_pid
        qn += 1
    # 2. the queue (nondecreasing) onto the wire: each run of equal times in id order, those before
    # the horizon (a later call's departures are at or after it: such a run is closed)
    k = q0
    while k < qn:
        sx = r_t[k]
        if not sx < horizon:
            break
        if k + 1 < qn and r_t[k + 1] == sx and (k == q0 or r_t[k - 1] != sx):
            q1 = k + 1                                 # a run of equal times starts: into id order
            while q1 < qn and r_t[q1] == sx:
                q1 += 1
            for m in range(k + 1, q1):
                j = m
                while j > k and r_pid[j] < r_pid[j - 1]:
                    r_t0[j], r_t0[j - 1] = r_t0[j - 1], r_t0[j]
                    r_size[j], r_size[j - 1] = r_size[j - 1], r_size[j]
                    r_flow[j], r_flow[j - 1] = r_flow[j - 1], r_flow[j]
                    r_pid[j], r_pid[j - 1] = r_pid[j - 1], r_pid[j]
                    j -= 1
        w_t0 = r_t0[k]                                 # the pNIC TX ring and the wire
        while cnt > 0 and ring[head] <= sx:
            head += 1
            if head == width:
                head = 0
            cnt -= 1
        if cnt >= cap:
            drop_pid[n_drop] = r_pid[k]
            n_drop += 1
            if w_t0 >= lo:
                wdrops += 1.0
            k += 1
            continue
        st_w = sx if sx > last else last
        d = st_w + (r_size[k] + overhead) * nspb
        last = d
        tail = head + cnt
        if tail >= width:
            tail -= width
        ring[tail] = d
        cnt += 1
        if w_t0 >= lo and d <= hi:
            wst = hist_add(wire_counts, wst, d - sx, SUB_BITS)
        e = d
        if peer_on:                                    # the peer's turnaround
            e = d + (delay0 if uniform else delay_of_flow[r_flow[k]])
            if w_t0 >= lo and e <= hi:
                pst = hist_add(peer_counts, pst, e - d, SUB_BITS)
        out_f[0, n_out] = e
        out_f[1, n_out] = w_t0
        out_i[0, n_out] = r_pid[k]
        out_s[0, n_out] = r_size[k]
        out_s[1, n_out] = r_flow[k]
        n_out += 1
        k += 1
    q0 = k
    if run_k > 0:
        dst = _add_run(dev_counts, dst, run_x, run_k)
    dev_state[0], dev_state[1], dev_state[2], dev_state[3] = done, last_out, accepted, busy
    stats_store(dev_stats, dst)
    wire_state[0], wire_state[1], wire_state[2], wire_state[3] = last, head, cnt, wdrops
    stats_store(wire_stats, wst)
    stats_store(peer_stats, pst)
    for k in range(q0, qn):                    # what waits, to the queue's front
        j = k - q0
        r_t[j], r_t0[j], r_size[j], r_flow[j], r_pid[j] = r_t[k], r_t0[k], r_size[k], r_flow[k], r_pid[k]
    return kh, kn, n_out, n_drop, qn - q0


class TxTailStage:
    """``device`` (or None), ``wire`` and ``peer`` (or None) run as one stage (module doc).

    The stages keep their state and statistics (read their ``stats()`` as before); this object
    only drives them. ``stats()`` gives the three stages' statistics (None for a missing one).
    """

    holds_late_arrivals = True

    def __init__(self, device: DeviceStage | None, wire, peer=None) -> None:
        self.device, self.wire, self.peer = device, wire, peer
        self.name = "+".join(s.name for s in (device, wire, peer) if s is not None)
        self._dev_p = (np.array([device.ns_per_byte_link, device.latency_ns, device.per_byte_ns]) if device
                       else np.zeros(3))
        self._dev_state = device.state if device is not None else np.zeros(4)
        self._dev_hist = device.latency if device is not None else None
        self._wire_p = np.array([wire.ns_per_byte, WIRE_GAP_BYTES], np.float64)
        self._delay = peer.delay_of_flow if peer is not None else np.zeros(1)
        self._uniform = peer is None or peer.uniform or not len(self._delay)
        self._held = Packets.empty()
        self._queue = Packets.empty()          # device departures not yet on the wire: the first _queued
        self._queued = 0
        self._out = _Buffers(2, 1)                 # departures, reused once downstream is done with them
        self._unused = LogHistogram(0)             # stands in for a missing stage's histogram

    def _hist(self, h: LogHistogram | None) -> tuple[np.ndarray, np.ndarray]:
        h = h if h is not None else self._unused
        return h.counts, h.stats

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        a, h = arrivals, self._held
        if not len(a) and not len(h) and not self._queued:
            return StageOutput(a, NO_DROPS)
        w = self.wire
        dc, ds = self._hist(self._dev_hist)
        pc, ps = self._hist(self.peer.hist if self.peer is not None else None)
        cap = len(a) + len(h) + self._queued
        q = self._queue
        if len(q) < cap:                           # grown, never shrunk: its pages stay mapped
            q = self._queue = _grown(q, self._queued, cap + cap // 4 + 16)
        out_f, out_i, out_s = self._out.take(cap)
        drops = np.empty(cap, np.int64)
        kh, kn, n, n_drop, self._queued = tail_advance(
            a.t_ns, a.t0_ns, a.size_bytes, a.flow, a.pkt_id, h.t_ns, h.t0_ns, h.size_bytes, h.flow, h.pkt_id,
            float(horizon_ns), self.device is not None, self._dev_p, self._dev_state, dc, ds,
            q.t_ns, q.t0_ns, q.size_bytes, q.flow, q.pkt_id, self._queued,
            self._wire_p, w.cap, w.ring, w.state, w.sojourn.counts, w.sojourn.stats,
            self.peer is not None, self._delay, self._uniform, pc, ps, w.lo, w.hi, out_f, out_i, out_s, drops)
        if kh < len(h) or kn < len(a):
            rest = [h.take(slice(kh, None)), a.take(slice(kn, None))]
            self._held = _copied(merge_runs(rest))
        else:
            self._held = Packets.empty()
        out = Packets(out_f[0, :n], out_f[1, :n], out_s[0, :n], out_s[1, :n], out_i[0, :n])
        if not self._uniform:
            out = sort_packets(out)
        return StageOutput(out, drops[:n_drop] if n_drop else NO_DROPS)

    def start_window(self) -> None:
        for s in (self.device, self.wire, self.peer):
            if s is not None:
                s.start_window()

    def held(self) -> int:
        return len(self._held) + self._queued

    def stats(self):
        return tuple(s.stats() if s is not None else None for s in (self.device, self.wire, self.peer))


def _grown(q: Packets, keep: int, room: int) -> Packets:
    """A queue of ``room`` packets holding the first ``keep`` of ``q``."""
    out = Packets(np.empty(room), np.empty(room), np.empty(room, np.int32), np.empty(room, np.int32),
                  np.empty(room, np.int64))
    for col in ("t_ns", "t0_ns", "size_bytes", "flow", "pkt_id"):
        getattr(out, col)[:keep] = getattr(q, col)[:keep]
    return out


def _copied(p: Packets) -> Packets:
    """Own copies of ``p``'s columns (a view would keep an upstream's reused buffers alive)."""
    return Packets(p.t_ns.copy(), p.t0_ns.copy(), p.size_bytes.copy(), p.flow.copy(), p.pkt_id.copy())

