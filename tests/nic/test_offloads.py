"""Offloads as effects: fewer stack packets with TSO/GRO, CPU paid per segment and byte without them."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.nic.config import OffloadConfig, OffloadCostConfig
from vnetsim.nic.offloads import aggregation_factor, effective_tx, inner_rss_available, rx_work, tx_work

COSTS = OffloadCostConfig()


def test_tso_one_stack_packet_many_wire_packets():
    w = tx_work(np.array([64000, 100]), False, OffloadConfig(), COSTS)
    assert w.wire_packets.tolist() == [44, 1] and w.stack_packets.tolist() == [1, 1]
    assert w.cpu_cycles.tolist() == [440.0, 440.0]


def test_no_tso_no_gso_pays_every_segment():
    cfg = OffloadConfig(tso=False, gso=False)
    w = tx_work(64000, False, cfg, COSTS)
    assert int(w.stack_packets) == 44 and float(w.cpu_cycles) == 44 * 440.0


def test_gso_segments_in_software():
    w = tx_work(64000, False, OffloadConfig(tso=False, gso=True), COSTS)
    assert int(w.stack_packets) == 1 and float(w.cpu_cycles) == 440.0 + 44 * 400.0


def test_tunnel_without_tunnel_offloads_costs_more():
    on = tx_work(64000, True, OffloadConfig(), COSTS)
    off = tx_work(64000, True, OffloadConfig(tunnel_tso=False, tunnel_csum=False), COSTS)
    csum, tso = effective_tx(OffloadConfig(tunnel_tso=False, tunnel_csum=False), np.array([True, False]))
    assert csum.tolist() == [False, True] and tso.tolist() == [False, True]
    # without: GSO makes 44 segments and the CPU sums 64000 bytes
    assert float(off.cpu_cycles) - float(on.cpu_cycles) == pytest.approx(44 * 400.0 + 64000 * 0.25)
    assert int(off.wire_packets) == int(on.wire_packets) == 44


def test_gro_aggregates_tcp_bursts_only():
    cfg = OffloadConfig()
    agg = aggregation_factor(cfg, False, np.array([True, True, False]), np.array([8, 1000, 8]))
    assert agg.tolist() == [8, 65536 // 1460, 1]
    r = rx_work(np.array([800]), 800 * 1460, False, True, cfg, COSTS, burst=8)
    assert int(r.stack_packets[0]) == 100
    assert float(r.cpu_cycles[0]) == 100 * 500.0 + 800 * 150.0


def test_lro_on_tunnels_needs_inner_parsing_else_software_checksum():
    cfg = OffloadConfig(lro=True, gro=False, rx_udp_tunnel_port=False)
    r = rx_work(np.array([800]), 800 * 1460, True, True, cfg, COSTS, burst=8)
    assert int(r.stack_packets[0]) == 800  # no aggregation
    assert float(r.cpu_cycles[0]) == 800 * 500.0 + 800 * 1460 * 0.25 + 800 * 300.0
    assert not inner_rss_available(cfg)
    r2 = rx_work(np.array([800]), 800 * 1460, True, True, OffloadConfig(lro=True, gro=False), COSTS, burst=8)
    assert int(r2.stack_packets[0]) == 100 and float(r2.cpu_cycles[0]) == 100 * (500.0 + 300.0)


def test_costs_in_ns_convert_with_the_clock():
    costs = OffloadCostConfig(tx_packet="100ns")
    w = tx_work(100, False, OffloadConfig(), costs, cpu_hz=2e9)
    assert float(w.cpu_cycles) == 200.0
