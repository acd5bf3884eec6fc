"""Network hops from a fabric run: a spine-leaf fabric's measured latency per hop, and the I/O path
fed with it reproduces the fabric's cross-rack latency for one frame."""

from __future__ import annotations

import pytest

from vnetsim.fabric import run_fabric_scenario
from vnetsim.storage.iopath import Network, network_from_fabric

DOC = {"seed": 3, "duration": "1ms",
       "fabric": {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 8, "host": {"nics": 1, "nic_speed": "25Gbps"},
                  "leaf": {"ports": "48x25G+8x100G"}, "spine": {"ports": "32x100G", "count": 2},
                  "switch": {"mode": "cut_through", "latency": "500ns"}},
       "traffic": {"pattern": "replication", "replication": {"replicas": 2, "objects_per_host": 4}, "load": 0.05,
                   "frame_size": "9018B"}}


def test_hops_from_a_spine_leaf_run():
    res = run_fabric_scenario(DOC).to_dict()
    net = network_from_fabric(res, Network(nic_bps=25e9))
    assert net.hops_same_rack == 1 and net.hops_other_rack == 3           # leaf, or leaf-spine-leaf
    ser = (9018 + 20) * 8e9 / 25e9
    cross = res["unloaded_latency_ns"]["cross_rack"]["mean_ns"]
    # lightly loaded: the per-hop time is the unloaded one plus a little queueing
    assert 3 * net.hop_ns + ser == pytest.approx(res["latency_ns"]["overall"]["mean"], rel=0.05)
    assert 3 * net.hop_ns + ser >= cross * 0.99
    assert net.host_tx_ns == Network().host_tx_ns                         # not the fabric's to say
