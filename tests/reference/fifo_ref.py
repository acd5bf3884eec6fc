"""Reference model of the FIFO queue (docs/models/engine.md, "FIFO queue"), on SimPy.

One server process per queue. Rules, as written in the spec:

- a packet arriving at ``a`` starts service when the server is free and all earlier accepted
  packets of its queue are done, i.e. at ``max(a, D)``; it departs ``s`` later;
- capacity is checked at arrival, *after* every packet with departure ``<= a`` has left: the
  server's departures carry priority FIRST and arrivals priority THEN, so at equal times the
  departure happens first (a zero-service packet even leaves before the next equal-time arrival);
- ``cap_pkts`` K > 0: drop if K packets are in the system (waiting plus in service);
- ``cap_bytes`` B > 0: drop if (unfinished work in ns) * bytes_per_ns + size > B;
- equal arrival times keep their input order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import simpy

from . import FIRST, THEN, At


@dataclass
class _Queue:
    cap_pkts: int
    cap_bytes: float
    bytes_per_ns: float
    waiting: list = field(default_factory=list)   # packet indices, oldest first
    in_service: int | None = None
    in_service_dep: float = 0.0
    wake: simpy.Event | None = None                # the idle server waits on it


@dataclass
class FifoRefResult:
    departure: list[float]        # NaN for drops, in input order
    accepted: list[int]           # per queue
    dropped: list[int]            # per queue
    sojourn_sum: list[float]      # per queue, over accepted packets
    busy: list[float]             # per queue: sum of service times of accepted packets
    in_system_at_end: list[int]   # per queue: accepted packets that depart after ``end``


def fifo_reference(t_ns, queue, service_ns, size_bytes, n_queues, cap_pkts=None, cap_bytes=None,
                   bytes_per_ns=None, end: float | None = None) -> FifoRefResult:
    t_ns = [float(x) for x in t_ns]
    queue = [int(x) for x in queue]
    service_ns = [float(x) for x in service_ns]
    size_bytes = [int(x) for x in size_bytes]
    n = len(t_ns)
    env = simpy.Environment()
    qs = [_Queue(int(cap_pkts[q]) if cap_pkts is not None else 0,
                 float(cap_bytes[q]) if cap_bytes is not None else 0.0,
                 float(bytes_per_ns[q]) if bytes_per_ns is not None else 0.0) for q in range(n_queues)]
    dep = [math.nan] * n
    accepted = [0] * n_queues
    dropped = [0] * n_queues
    sojourn = [0.0] * n_queues
    busy = [0.0] * n_queues

    def server(q: _Queue):
        while True:
            if not q.waiting:
                q.wake = env.event()
                yield q.wake
                q.wake = None
                continue
            i = q.waiting.pop(0)
            q.in_service = i
            q.in_service_dep = env.now + service_ns[i]      # starts now = max(a, D)
            yield At(env, q.in_service_dep, FIRST)
            dep[i] = env.now
            q.in_service = None

    def arrive(i: int) -> None:
        q = qs[queue[i]]
        a = env.now
        in_system = len(q.waiting) + (q.in_service is not None)
        if q.cap_pkts > 0 and in_system >= q.cap_pkts:
            dropped[queue[i]] += 1
            return
        if q.cap_bytes > 0:
            work_ns = (q.in_service_dep - a if q.in_service is not None else 0.0)
            work_ns += sum(service_ns[j] for j in q.waiting)
            if work_ns * q.bytes_per_ns + size_bytes[i] > q.cap_bytes:
                dropped[queue[i]] += 1
                return
        accepted[queue[i]] += 1
        busy[queue[i]] += service_ns[i]
        q.waiting.append(i)
        if q.wake is not None and not q.wake.triggered:
            q.wake._ok, q.wake._value = True, None
            env.schedule(q.wake, FIRST)                     # the server starts before the next arrival

    for q in qs:
        env.process(server(q))
    for i in range(n):
        ev = At(env, t_ns[i], THEN)
        ev.callbacks.append(lambda _ev, i=i: arrive(i))
    env.run()
    for i in range(n):
        if not math.isnan(dep[i]):
            sojourn[queue[i]] += dep[i] - t_ns[i]
    if end is None:
        end = max(t_ns) if n else 0.0
    in_sys = [0] * n_queues
    for i in range(n):
        if not math.isnan(dep[i]) and dep[i] > end:
            in_sys[queue[i]] += 1
    return FifoRefResult(dep, accepted, dropped, sojourn, busy, in_sys)
