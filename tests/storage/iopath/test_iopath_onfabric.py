"""The I/O path on its fabric: the traffic matrix conserves the workload's bytes, an idle fabric
gives the fixed-hop latency it stands for, an oversubscribed fabric under load is slower, and the
fabric's link loads are the offered bytes over the link rates."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from vnetsim.errors import ModelError
from vnetsim.storage.iopath import simulate
from vnetsim.storage.iopath.onfabric import FabricPlacement, resync_stretch, run_on_fabric
from vnetsim.storage.iopath.spec import (
    Cluster,
    Copy,
    DeviceKind,
    HostDevices,
    IOPathSpec,
    Network,
    ObjectPlacement,
    ServiceTime,
    Workload,
)
from vnetsim.storage.iopath.traffic import ETHERNET_HEADER_BYTES, traffic_matrix

HDR = 128
DEV = DeviceKind("nvme", ServiceTime(60e3, 0.25), ServiceTime(30e3, 0.25), queue_depth=32)
SWITCH_NS = 500.0
PROP_NS = 10 * 4.9           # 10 m of fibre per cable (the fabric kind's defaults)
GAP = 20                     # preamble and inter-frame gap on the wire


def layout(racks: int, per_rack: int, spines: int, uplinks: str = "8x100G") -> dict:
    return {"topology": "spine_leaf", "racks": racks, "hosts_per_rack": per_rack,
            "host": {"nics": 1, "nic_speed": "25Gbps"}, "leaf": {"ports": f"48x25G+{uplinks}"},
            "spine": {"ports": "32x100G", "count": spines}}


def spec_of(hosts: int, racks: int, workloads, net: Network | None = None) -> IOPathSpec:
    per = hosts // racks
    return IOPathSpec(Cluster((0,) * hosts, tuple(h // per for h in range(hosts))), HostDevices(DEV, 4),
                      net or Network(nic_bps=25e9), tuple(workloads))


def raid1(*hosts: int) -> ObjectPlacement:
    return ObjectPlacement((Copy("raid1", hosts),))


# --- (a) conservation --------------------------------------------------------------------------

def test_traffic_matrix_conserves_the_workloads_bytes():
    """Writes: iops x write share x (block + header) x replicas (none on the owner); reads: a header
    out and block + header back from one replica; acknowledgements: a header per replica write.
    Frames: ceil(message / MTU) per message, each with 18 B of Ethernet header and FCS."""
    blocks, weights = (4096, 65536), (0.25, 0.75)
    iops, rf = 20_000.0, 0.3
    objs = (raid1(1, 2), raid1(2, 3), raid1(3, 1))
    w = Workload("vm", 0, iops, rf, objs, blocks, weights)
    tm = traffic_matrix(spec_of(4, 4, [w]), mtu_bytes=9000)
    mean_msg = sum(p * (b + HDR) for b, p in zip(blocks, weights))
    writes = iops * (1 - rf) * mean_msg * 2                          # two replicas, both remote
    acks = iops * (1 - rf) * HDR * 2
    reads = iops * rf * (HDR + mean_msg)
    assert tm.write_bytes.sum() == pytest.approx(writes, rel=1e-12)
    assert tm.message_bytes.sum() == pytest.approx(writes + acks + reads, rel=1e-12)
    # each replica host gets two thirds of the objects' writes: host 2 holds objects 0 and 1
    assert tm.write_bytes[0, 2] == pytest.approx(writes / 3, rel=1e-12)
    assert tm.message_bytes[1:, 1:].sum() == 0 and tm.message_bytes[:, 0].sum() > 0
    frames_per_msg = {b: math.ceil((b + HDR) / 9000) for b in blocks}
    n_frames = (iops * (1 - rf) * 2 * (sum(p * frames_per_msg[b] for b, p in zip(blocks, weights)) + 1)
                + iops * rf * (1 + sum(p * frames_per_msg[b] for b, p in zip(blocks, weights))))
    assert tm.frames_per_s().sum() == pytest.approx(n_frames, rel=1e-12)
    assert tm.frame_bytes_per_s().sum() == pytest.approx(tm.message_bytes.sum() + ETHERNET_HEADER_BYTES * n_frames,
                                                         rel=1e-12)


def test_the_fabric_is_offered_the_matrix_on_the_wire():
    objs = (raid1(1, 2), raid1(2, 3))
    spec = spec_of(4, 4, [Workload("vm", 0, 5000.0, 0.5, objs, (16384,), (1.0,))])
    run = run_on_fabric(spec, [FabricPlacement(layout(4, 1, 2), (0, 1, 2, 3))], seed=1, level="flow")
    tm = run.traffic
    wire_bps = (tm.frame_bytes_per_s().sum() + GAP * tm.frames_per_s().sum()) * 8
    assert run.summary["offered_bps"] == pytest.approx(wire_bps, rel=1e-9)
    assert run.summary["write_bytes_per_s"] == pytest.approx(5000 * 0.5 * (16384 + HDR) * 2, rel=1e-12)


# --- (b) an idle fabric is the fixed hops it stands for ------------------------------------------

def idle_pair_ns(frame_bytes: int) -> float:
    """host -> leaf -> spine -> leaf -> host, one frame, no queue, less the source NIC's
    serialization: store-and-forward into the faster uplink, cut-through at the spine and into the
    host port; 2 S_nic + 3 switch + 4 cables in all (docs/models/fabric.md, packet level)."""
    s_nic = (frame_bytes + GAP) * 8 / 25.0
    return 2 * s_nic + 3 * SWITCH_NS + 4 * PROP_NS - s_nic


@pytest.mark.parametrize("level", ["flow", "packet"])
def test_an_idle_fabric_gives_the_fixed_hop_latency(level):
    """One host per rack, so every pair is three switches apart. Writes of 8000 B (one 8146 B
    frame) out, 146 B acknowledgements back: the fabric's per-pair time is the closed form above.
    The I/O path fed with it equals the fixed-hop path whose 3 hops x 2 ways take the same time:
    the same seed draws the same I/Os and device times, so only the network offsets differ. At
    the packet level the fabric adds its queueing at a load of 1e-3: at most the M/G/1 wait of the
    four links a frame crosses, each lambda E[S^2] / (2 (1 - rho)) <= rho S_max / (2 (1 - rho))."""
    objs = (raid1(1, 2), raid1(2, 3), raid1(3, 1))
    w = Workload("vm", 0, 400.0, 0.0, objs, (8000,), (1.0,))
    spec = spec_of(4, 4, [w], Network(nic_bps=25e9))
    run = run_on_fabric(spec, [FabricPlacement(layout(4, 1, 2), (0, 1, 2, 3))], seed=3, level=level,
                        target_packets=20_000)
    data, ack = idle_pair_ns(8000 + HDR + 18), idle_pair_ns(HDR + 18)
    pair = run.spec.network.pair_ns
    rho = 400 * 3 * (8146 + GAP) * 8 / 25e9          # the busiest link: the owner's, every write twice
    s_max = (8146 + GAP) * 8 / 25.0
    tol = 4 * rho * s_max / (2 * (1 - rho)) if level == "packet" else 1e-6
    for t in (1, 2, 3):
        assert pair[0, t] == pytest.approx(data, abs=tol)
        assert pair[t, 0] == pytest.approx(ack, abs=tol)
    assert run.summary["level"] == level
    fixed = Network(nic_bps=25e9, hop_ns=(data + ack) / 6, hops_same_rack=3, hops_other_rack=3)
    a = simulate(run.spec, duration_s=0.2, seed=9).groups[0].writes
    b = simulate(spec_of(4, 4, [w], fixed), duration_s=0.2, seed=9).groups[0].writes
    assert a.count == b.count
    assert a.mean == pytest.approx(b.mean, abs=2 * tol + 1e-6)


# --- (c) an oversubscribed fabric under load --------------------------------------------------

def loaded_spec() -> IOPathSpec:
    """8 hosts in 2 racks, every write to two hosts of the other rack: all replication crosses the
    leaf uplinks, 2.5 Gb/s of writes out of each host."""
    work = []
    for h in range(8):
        other = [x for x in range(8) if x // 4 != h // 4]
        objs = tuple(raid1(other[k % 4], other[(k + 1) % 4]) for k in range(4))
        work.append(Workload(f"vm{h}", h, 9_500.0, 0.0, objs, (32768,), (1.0,)))
    return spec_of(8, 2, work)


def test_oversubscription_raises_write_latency_and_link_loads_are_the_offered_bytes():
    """Non-blocking: 4 x 25G down, 4 x 100G up per leaf; oversubscribed: one 25G uplink (4:1)
    that carries ~80 % (its queue shows). The leaf->spine tier's mean offered utilisation is the
    cross-rack wire bytes over (uplinks x rate), computed from the traffic matrix."""
    spec = loaded_spec()
    where = (0, 1, 2, 3, 4, 5, 6, 7)
    fast = run_on_fabric(spec, [FabricPlacement(layout(2, 4, 4), where)], seed=2, target_packets=60_000)
    slow = run_on_fabric(spec, [FabricPlacement(layout(2, 4, 1, "8x25G"), where)], seed=2, target_packets=60_000)
    tm = fast.traffic
    rack = np.arange(8) // 4
    cross = rack[:, None] != rack[None, :]
    wire = (tm.frame_bytes_per_s() + GAP * tm.frames_per_s()) * 8
    cross_bps = wire[cross].sum()
    for run, links, speed in ((fast, 2 * 4, 100e9), (slow, 2, 25e9)):
        tier = run.summary["links"]["tiers"]["leaf->spine"]
        assert tier["links"] == links
        assert tier["mean"] == pytest.approx(cross_bps / (links * speed), rel=1e-9)
    assert slow.summary["links"]["tiers"]["leaf->spine"]["mean"] > 0.75
    pf, ps = fast.spec.network.pair_ns, slow.spec.network.pair_ns
    assert np.nanmean(ps[cross]) > np.nanmean(pf[cross]) + 1000    # a microsecond of queueing and more
    a = simulate(fast.spec, duration_s=0.02, seed=4)
    b = simulate(slow.spec, duration_s=0.02, seed=4)
    wa = np.mean([g.writes.mean for g in a.groups])
    wb = np.mean([g.writes.mean for g in b.groups])
    assert wb > wa + 1000
    # the same oversubscribed fabric at half the writes: less queueing in the fabric
    half = dataclasses.replace(spec, workloads=tuple(dataclasses.replace(w, iops=w.iops / 2) for w in spec.workloads))
    lighter = run_on_fabric(half, [FabricPlacement(layout(2, 4, 1, "8x25G"), where)], seed=2, target_packets=60_000)
    assert lighter.summary["links"]["tiers"]["leaf->spine"]["mean"] == pytest.approx(
        slow.summary["links"]["tiers"]["leaf->spine"]["mean"] / 2, rel=1e-9)
    assert np.nanmean(lighter.spec.network.pair_ns[cross]) < np.nanmean(ps[cross]) - 1000


def test_resync_stretch_is_the_tightest_switch_to_switch_link():
    """A host's own link, either direction, is its NIC (the rebuild model's rate covers it): an
    overfull host port, sending or receiving, does not set the stretch."""
    fg = {"0:leaf0->spine0": (60e9, 100e9), "0:host0->leaf0": (20e9, 25e9), "0:leaf1->host5": (20e9, 25e9)}
    rs = {"0:leaf0->spine0": (60e9, 100e9), "0:spine0->leaf1": (45e9, 100e9), "0:host0->leaf0": (30e9, 25e9),
          "0:leaf1->host5": (30e9, 25e9)}
    s, link = resync_stretch(fg, rs)
    assert link == "leaf0->spine0" and s == pytest.approx(60e9 / (0.9 * 100e9 - 60e9))
    s, link = resync_stretch(fg, {k: v for k, v in rs.items() if "host" in k})
    assert (s, link) == (0.0, None)
    s, link = resync_stretch({"0:a->b": (95e9, 100e9)}, {"0:a->b": (1e9, 100e9)})
    assert s == math.inf and link == "a->b"


def test_pair_times_must_fit_the_cluster():
    spec = spec_of(2, 2, [Workload("vm", 0, 100.0, 0.0, (raid1(1),))], Network(pair_ns=np.zeros((3, 3))))
    with pytest.raises(ModelError, match="pair_ns"):
        simulate(spec, duration_s=0.01, seed=1)


@pytest.mark.parametrize("blocks, weights", [((8000,), (1.0,)), ((2000, 8000), (0.5, 0.5))])
def test_the_source_nic_wait_taken_out_is_what_the_fabric_measures(blocks, weights):
    """One host writing to one other through a single switch: the switch's port to the target runs
    at the NIC's rate and forwards cut-through, so a frame's idle latency is S + switch + 2 cables
    and every bit of queueing the fabric measures on the pair is at the source's NIC link, which a
    Poisson source feeds. Its mean over independent runs (seeds) must be the Pollaczek-Khinchine
    wait that run_on_fabric takes out (M/D/1 with one block size, M/G/1 with two), within a
    99.9 % Student t interval."""
    from scipy import stats

    obj = (raid1(1),)
    mean_wire = sum(p * (b + HDR + 18 + GAP) for b, p in zip(blocks, weights)) * 8 / 25e9
    w = Workload("vm", 0, 0.5 / mean_wire, 0.0, obj, blocks, weights)          # rho 0.5 at the source NIC
    spec = spec_of(2, 2, [w])
    single = {"topology": "single_switch", "racks": 1, "hosts_per_rack": 2, "host": {"nics": 1, "nic_speed": "25Gbps"}}
    excess, predicted = [], []
    for seed in range(8):
        run = run_on_fabric(spec, [FabricPlacement(single, (0, 1))], seed=seed, level="packet",
                            target_packets=20_000)
        p = run.summary["pairs"]
        i = [k for k in range(len(p["src"])) if (p["src"][k], p["dst"][k]) == (0, 1)][0]
        idle = sum(q * (b + HDR + 18 + GAP) * 8 / 25.0 for b, q in zip(blocks, weights)) + SWITCH_NS + 2 * PROP_NS
        excess.append(p["measured_ns"][i] - idle)
        predicted.append(run.summary["first_link_wait_ns"]["max"])
    assert np.ptp(predicted) < 1e-6 * predicted[0]                       # the formula, not the run
    half = stats.t.ppf(0.9995, len(excess) - 1) * np.std(excess, ddof=1) / np.sqrt(len(excess))
    assert abs(np.mean(excess) - predicted[0]) <= half, (np.mean(excess), predicted[0], half)
