"""Costs by size and offload: LRO and GRO as the kernel does them (who pays per wire segment, who
per merged packet), tunnel decapsulation with and without offloads, and the copy to the application."""

import numpy as np
import pytest

from vnetsim.api import load
from vnetsim.host.config import COPY_PER_BYTE, Service, resolve_costs
from vnetsim.host.costs import guest_packet_share, host_checksum_ns_per_byte, host_offload_work_ns
from vnetsim.host.flows import build_catalog
from vnetsim.nic import OffloadConfig, OffloadCostConfig, rx_work
from vnetsim.units import parse_cost

HZ = 2.3e9
DRIVER, VSWITCH, GRO, DECAP, STACK = 500, 400, 150, 300, 500       # cycles (the defaults)


def host_and_catalog(offloads=None, overlay=False, protocol="tcp", burst=16):
    pnic = {"offloads": offloads or {}}
    if overlay:
        pnic["overlay"] = {"tunnel": "vxlan"}
    doc = {"name": "t", "duration": "1ms",
           "traffic": {"flows": [{"name": "f", "count": 4, "rate": "10kpps", "size": 1500, "protocol": protocol,
                                  "segments_per_burst": burst}]},
           "host": {"cpu_clock": "2.3GHz", "pnic": pnic, "vswitch": {"per_packet": f"{VSWITCH}cycles"},
                    "vms": [{"name": "vm"}]}}
    m = load(doc)[2][0].model
    return m.host, build_catalog(m.traffic.flows, m.host, 1)


def per_wire_cycles(host, catalog):
    """The host thread's cycles per wire packet: driver + vSwitch as charged, plus the offload change."""
    return DRIVER + VSWITCH + host_offload_work_ns(host, catalog) * HZ / 1e9


def test_no_merging_no_tunnel_changes_nothing():
    for kw in ({"protocol": "udp"}, {"offloads": {"gro": False}}, {"burst": 1}):
        host, cat = host_and_catalog(**kw)
        assert np.allclose(host_offload_work_ns(host, cat), 0.0, atol=1e-9)
        assert np.allclose(guest_packet_share(host, cat), 1.0)


def test_gro_driver_pays_per_segment_vswitch_per_merged_packet():
    """GRO runs inside the driver's poll: the driver still handles all 16 segments and merges each
    (gro_merge); the vSwitch above sees one packet per 16."""
    host, cat = host_and_catalog(burst=16)
    assert np.allclose(per_wire_cycles(host, cat), DRIVER + GRO + VSWITCH / 16)
    assert np.allclose(guest_packet_share(host, cat), 1 / 16)


def test_lro_everyone_sees_the_merged_packet():
    """LRO merges in the NIC: the driver and the vSwitch run once per merged packet."""
    host, cat = host_and_catalog(offloads={"lro": True}, burst=16)
    assert np.allclose(per_wire_cycles(host, cat), (DRIVER + VSWITCH) / 16)
    assert np.allclose(guest_packet_share(host, cat), 1 / 16)


def test_cost_ordering_lro_gro_none():
    costs = [per_wire_cycles(*host_and_catalog(offloads=o, burst=16))[0]
             for o in ({"lro": True}, {}, {"gro": False})]
    assert costs[0] < costs[1] < costs[2] == DRIVER + VSWITCH


def test_merging_is_capped_by_the_largest_super_packet():
    """64 KiB / 1460 B: at most 44 segments per merged packet; a burst of 100 is 3 merged packets."""
    host, cat = host_and_catalog(offloads={"lro": True}, burst=100)
    assert np.allclose(guest_packet_share(host, cat), 3 / 100)


def test_decapsulation_per_merged_packet_and_without_offloads():
    """A VXLAN flow: decapsulation in software once per packet reaching the tunnel endpoint. UDP
    (not merged) pays it per wire packet; TCP with GRO per merged packet (Linux's VXLAN GRO merges
    before the tunnel device); without rx_udp_tunnel_port the NIC cannot parse the inner headers: no
    LRO for the tunnel (GRO instead) and every byte checksummed in software."""
    udp_host, udp = host_and_catalog(overlay=True, protocol="udp")
    assert np.allclose(per_wire_cycles(udp_host, udp), DRIVER + VSWITCH + DECAP)
    gro_host, gro = host_and_catalog(overlay=True, burst=16)
    assert np.allclose(per_wire_cycles(gro_host, gro), DRIVER + GRO + (VSWITCH + DECAP) / 16)
    lro_host, lro = host_and_catalog(overlay=True, offloads={"lro": True}, burst=16)
    assert np.allclose(per_wire_cycles(lro_host, lro), (DRIVER + VSWITCH + DECAP) / 16)
    blind_host, blind = host_and_catalog(overlay=True, offloads={"lro": True, "rx_udp_tunnel_port": False}, burst=16)
    assert np.allclose(per_wire_cycles(blind_host, blind), per_wire_cycles(gro_host, gro)), "LRO falls back to GRO"
    assert np.all(host_checksum_ns_per_byte(blind_host, blind) > 0)
    assert np.all(host_checksum_ns_per_byte(lro_host, lro) == 0)
    # ordering: with every offload < GRO only < no inner parsing (per byte too) < UDP, not merged
    assert per_wire_cycles(lro_host, lro)[0] < per_wire_cycles(gro_host, gro)[0] < per_wire_cycles(udp_host, udp)[0]


def test_rx_work_driver_packets():
    """nic.offloads.rx_work: the driver handles wire segments with GRO, merged packets with LRO."""
    costs = OffloadCostConfig()
    driver = parse_cost("500cycles")
    gro = rx_work(np.array([32]), np.zeros(1), np.array([False]), np.array([True]), OffloadConfig(), costs,
                  burst=16, cpu_hz=HZ, driver_packet=driver)
    lro = rx_work(np.array([32]), np.zeros(1), np.array([False]), np.array([True]), OffloadConfig(lro=True), costs,
                  burst=16, cpu_hz=HZ, driver_packet=driver)
    assert gro.driver_packets[0] == 32 and lro.driver_packets[0] == 2
    assert gro.stack_packets[0] == lro.stack_packets[0] == 2
    assert gro.cpu_cycles[0] == pytest.approx(2 * STACK + 32 * GRO + 32 * DRIVER)
    assert lro.cpu_cycles[0] == pytest.approx(2 * STACK + 2 * DRIVER)


def test_kernel_stack_copies_to_the_application():
    """A guest's kernel stack (interrupt mode, busy polling) copies every byte to the application; a
    PMD hands it the buffer (no copy); host threads copy only in the vSwitch (its own cost)."""
    copy = parse_cost(COPY_PER_BYTE)
    assert resolve_costs(Service(mode="interrupt"), "guest")["per_byte"] == copy
    assert resolve_costs(Service.model_validate({"mode": "hybrid", "hybrid": {"style": "busy-poll"}}),
                         "guest")["per_byte"] == copy
    assert resolve_costs(Service(mode="poll"), "guest")["per_byte"].value == 0.0
    assert resolve_costs(Service(mode="interrupt"), "host")["per_byte"].value == 0.0
    assert resolve_costs(Service.model_validate({"per_byte": "0.5ns"}), "guest")["per_byte"] == parse_cost("0.5ns")


def test_sriov_prices_lro_with_each_vms_own_driver():
    """With SR-IOV the guest's driver serves the virtual function: LRO saves its cost per merged packet
    (a poll-mode guest's 50 cycles), not the host threads'."""
    doc = {"name": "t", "duration": "1ms",
           "traffic": {"flows": [{"name": "f", "count": 4, "rate": "10kpps", "size": 1500, "protocol": "tcp",
                                  "segments_per_burst": 16}]},
           "host": {"deployment": "sriov", "pnic": {"offloads": {"lro": True}},
                    "vms": [{"name": "vm", "guest": {"service": {"mode": "poll"}}}]}}
    m = load(doc)[2][0].model
    cat = build_catalog(m.traffic.flows, m.host, 1)
    assert np.allclose(host_offload_work_ns(m.host, cat) * HZ / 1e9, 50 / 16 - 50)
