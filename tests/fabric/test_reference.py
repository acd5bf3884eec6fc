"""The level-by-level, chunked packet engine agrees packet for packet with the event-driven reference."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnetsim.fabric.packetlevel import PacketRunner
from vnetsim.fabric.traffic import packet_source

from .conftest import Built
from .reference import reference_run

TOPOLOGIES = [
    {"topology": "single_switch"},
    {"topology": "spine_leaf", "spine": {"count": 2}},
    {"topology": "spine_leaf", "spine": {"count": 3, "links_per_spine": 2}},
    {"topology": "l2_stp"},
    {"topology": "l2_stp", "l2": {"interconnect": "dual_core"}},
    {"topology": "three_tier", "three_tier": {"racks_per_pod": 2}},
    {"topology": "fat_tree", "racks": 8, "hosts_per_rack": 2},
    {"topology": "spine_leaf", "spine": {"count": 3}, "failures": [{"link": ["leaf0", "spine1"]}]},
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topo=st.sampled_from(TOPOLOGIES), racks=st.integers(3, 4), hpr=st.integers(2, 3),
       pattern=st.sampled_from(["uniform", "incast", "permutation"]), load=st.floats(0.2, 1.5),
       buffer_kb=st.sampled_from([0, 4, 12, 40]), mode=st.sampled_from(["cut_through", "store_and_forward"]),
       arrivals=st.sampled_from(["poisson", "constant"]), chunk=st.sampled_from([1000, 100_000]),
       seed=st.integers(0, 10_000))
def test_engine_matches_reference(topo, racks, hpr, pattern, load, buffer_kb, mode, arrivals, chunk, seed):
    kw = {"racks": racks, "hosts_per_rack": hpr, **topo,
          "host": {"nic_speed": "10Gbps"}, "leaf": {"ports": "48x10G+8x40G"}, "spine": {"ports": "32x40G",
                                                                                        **topo.get("spine", {})},
          "switch": {"mode": mode, "buffer": {"kind": "per_port", "per_port": f"{buffer_kb}KB"}
                     if buffer_kb else {"kind": "shared"}}}
    if topo["topology"] == "fat_tree":
        kw.update({"racks": 8, "hosts_per_rack": 2, "fat_tree": {"k": 4, "link_speed": "10Gbps"}})
    traffic = {"pattern": pattern, "load": load, "frame_size": 512 + seed % 1000,
               "incast": {"fan_in": 3}, "arrivals": arrivals}
    b = Built(kw, traffic, seed=seed)
    duration = 30e3

    got: dict[int, float] = {}

    def hook(dst, pk, horizon):
        got.update(zip(pk.pkt_id.tolist(), pk.t_ns.tolist()))

    src = packet_source(b.flows, duration, seed, arrivals)
    stats = PacketRunner(b.fabric, b.flows, b.paths, b.plen, src, np.zeros(len(b.flows), np.int64), 1, 3,
                         hook, chunk_packets=chunk).run()

    # the reference numbers the source's packets 0, 1, ... as the source does (unroutable ones too)
    offered = packet_source(b.flows, duration, seed, arrivals).until(duration)
    assert np.array_equal(offered.pkt_id, np.arange(len(offered)))
    want, drops = reference_run(b.fabric, b.flows, b.paths, b.plen, offered.t_ns, offered.flow)
    assert stats.offered == int((b.plen[offered.flow] > 0).sum())
    assert set(got) == set(want)
    for p, t in want.items():
        assert abs(got[p] - t) <= 1e-9 * max(1.0, abs(t)), (p, got[p], t)
    assert (stats.link_dropped == drops).all()
