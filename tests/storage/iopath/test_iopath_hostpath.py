"""Host TX / RX latency of the I/O path from the host kind: the figures equal the host kind's own
published stage latencies for the same scenario, and the NIC load is the spec's message rate."""

from __future__ import annotations

import pytest

from vnetsim.api import run
from vnetsim.errors import ModelError
from vnetsim.storage.iopath import (
    Cluster,
    Copy,
    HostDevices,
    IOPathSpec,
    Network,
    ObjectPlacement,
    Workload,
    default_device_kinds,
    network_from_host,
    nic_load,
)
from vnetsim.storage.iopath.hostpath import host_scenario

HOST = {"vms": [{"name": "vsan"}], "pnic": {"rx_queues": 2}}


def two_hosts(iops: float = 10_000.0, read_fraction: float = 0.5) -> IOPathSpec:
    """Host 0 runs the VMs, its object mirrored on hosts 0 and 1: every write sends a 4 KiB leg to
    host 1; a read picks either replica."""
    cl = Cluster((0, 0), (0, 1))
    obj = (ObjectPlacement((Copy("raid1", (0, 1)),)),)
    w = (Workload("vm", 0, iops, read_fraction, obj),)
    return IOPathSpec(cl, HostDevices(default_device_kinds()["nvme"], 1), Network(), w)


def test_nic_load_is_the_message_rate():
    pps, frame = nic_load(two_hosts())
    # writes (5k/s) send a 4 KiB + 128 B request to host 1; reads (5k/s) pick host 1 half the time and
    # its reply (4 KiB + 128 B) comes back to host 0; host 1 gets 5k requests + 2.5k read requests
    assert pps == pytest.approx(5_000 + 2_500)
    assert frame == pytest.approx((5_000 * (4096 + 128 + 18) + 2_500 * (128 + 18)) / 7_500)


def test_host_latency_is_the_host_kinds_own():
    pps, frame = 200_000.0, 4096 + 128 + 18
    net = network_from_host(HOST, Network(nic_bps=25e9), packets_per_s=pps, frame_bytes=frame, duration_ns=5e6)
    doc = host_scenario(HOST, pps, frame, 5e6, 1, 25e9)
    stage = run(doc).variants[0]["stage_latency_ns"]           # the host kind's published result
    assert net.host_rx_ns == pytest.approx(stage["pnic_ring"] + stage["vswitch"], rel=1e-12)
    assert net.host_tx_ns == pytest.approx(stage["vswitch"], rel=1e-12)
    assert net.hop_ns == Network().hop_ns                       # not the host's to say


def test_the_host_path_follows_the_nic_load():
    """The sender's work (its thread's driver and vSwitch time, queueing included) grows with the
    frame rate. The receive side need not: the wait for an interrupt is shared by more frames per
    interrupt as the rate rises (with the host kind's defaults it falls from 20,000 to 500,000
    frames a second), so only that it is the host kind's answer at each rate (exact, above) and
    that the rate matters are asserted."""
    light = network_from_host(HOST, packets_per_s=20_000.0, duration_ns=5e6)
    busy = network_from_host(HOST, packets_per_s=500_000.0, duration_ns=5e6)
    assert busy.host_tx_ns > light.host_tx_ns > 0
    assert light.host_rx_ns > 0 and busy.host_rx_ns > 0 and busy.host_rx_ns != light.host_rx_ns


def test_bad_rate_is_one_line():
    with pytest.raises(ModelError):
        network_from_host(HOST, packets_per_s=0.0)


def test_bad_host_model_is_one_line():
    with pytest.raises(ModelError, match="pnic.queues"):
        network_from_host({"vms": [{"name": "vsan"}], "pnic": {"queues": 2}}, packets_per_s=1e4)
