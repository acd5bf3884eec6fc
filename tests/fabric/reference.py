"""An obviously correct event-driven reference of the fabric packet level (tests only).

One heap of packet events keyed by (time, packet id); each event is a packet reaching the egress
queue of its next link. Per link: FIFO, departure = max(arrival, last departure) + service, tail
drop when the unfinished work in bytes plus the packet exceeds the port buffer. Then the transit
rule of docs/models/fabric.md. Pure Python, one packet at a time.
"""

from __future__ import annotations

import heapq

import numpy as np


def reference_run(fabric, flows, paths, plen, t_src, flow_of):
    """{packet id: delivery time} and per-link drop counts for source packets (t_src, flow_of)."""
    speed = fabric.link_speed_bps
    prop = fabric.link_prop_ns
    lat = fabric.latency_ns[fabric.link_dst]
    cut = fabric.cut_through[fabric.link_dst]
    cap = fabric.egress_buffer_bytes
    last = {}
    drops = np.zeros(fabric.n_links, np.int64)
    heap = []
    pid = 0
    for t, f in zip(t_src.tolist(), flow_of.tolist()):
        if plen[f] > 0:
            heapq.heappush(heap, (t, pid, f, 0))
        pid += 1
    delivered = {}
    while heap:
        a, p, f, hop = heapq.heappop(heap)
        link = int(paths[f, hop])
        size = int(flows.frame_bytes[f]) + 20
        service = size * (8e9 / speed[link])
        prev = last.get(link, -np.inf)
        if cap[link] > 0:
            backlog = (prev - a) * (speed[link] / 8e9) if prev > a else 0.0
            if backlog + size > cap[link]:
                drops[link] += 1
                continue
        d = (a if a > prev else prev) + service
        last[link] = d
        if hop + 1 >= plen[f]:
            delivered[p] = d + prop[link]
            continue
        nxt = int(paths[f, hop + 1])
        back = service if (cut[link] and speed[nxt] <= speed[link]) else 0.0
        heapq.heappush(heap, (d + prop[link] + lat[link] - back, p, f, hop + 1))
    return delivered, drops
