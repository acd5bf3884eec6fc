"""The outcomes issue 3 asks for, asserted on generated overlay traffic (4000 inner TCP flows, 64 VMs).

Tolerances come from the multinomial model of uniform hashing at a stated false-alarm
probability (ALPHA), not from constants picked by eye.
"""

from __future__ import annotations

import numpy as np
import pytest
from nic_vectors import overlay, vteps
from scipy import stats

from vnetsim.nic.config import NetQueueConfig, NicConfig, OverlayConfig, RssConfig, RssFieldsConfig, SteeringConfig
from vnetsim.nic.steering import (
    BY_DEFAULT_RSS,
    BY_FILTER,
    BY_FILTER_RSS,
    balls_into_bins,
    jain_index,
    max_mean,
    queue_counts,
    queues_used,
    steer,
)

ALPHA = 1e-6  # chance that a correct uniform spread fails one of these checks
QUEUES = 16


def _spread_like_balls_into_bins(counts: np.ndarray) -> None:
    """All queues used, max load and chi-square within the multinomial's 1 - ALPHA bounds."""
    m, n = int(counts.sum()), counts.size
    b = balls_into_bins(m, n)
    assert b.expected_empty < ALPHA  # so an empty queue would be a real failure
    assert (counts > 0).all()
    assert counts.max() <= b.max_quantile(1 - ALPHA)
    chi2 = float(((counts - b.mean) ** 2 / b.mean).sum())
    assert chi2 <= stats.chi2.ppf(1 - ALPHA, n - 1)


def _nic(mode="netqueue", n_vteps=1, rss=None, netqueue=None, src_port_policy="rfc7348"):
    steering = SteeringConfig(mode=mode, queues=QUEUES, rss=rss or RssConfig(),
                              netqueue=netqueue or NetQueueConfig())
    return NicConfig(steering=steering, overlay=OverlayConfig(vteps=vteps(n_vteps), src_port_policy=src_port_policy))


def test_one_vtep_with_mac_vlan_filter_pins_all_overlay_to_one_queue(inner_flows):
    nic = _nic(n_vteps=1)
    flows = overlay(inner_flows, nic.overlay)
    s = steer(flows, nic)
    counts = queue_counts(s.queue, QUEUES)
    assert queues_used(counts) == 1 and counts.max() == len(flows)
    assert (s.reason == BY_FILTER).all() and s.queue[0] != 0  # a filter queue, not the default one
    assert max_mean(counts) == QUEUES and jain_index(counts) == pytest.approx(1 / QUEUES)


@pytest.mark.parametrize("n_vteps", [2, 4])
@pytest.mark.parametrize("kind", ["mac+vlan", "mac"])
def test_n_vteps_use_at_most_n_queues(inner_flows, n_vteps, kind):
    nic = _nic(n_vteps=n_vteps, netqueue=NetQueueConfig(vtep_filters=kind))
    flows = overlay(inner_flows, nic.overlay)
    s = steer(flows, nic)
    counts = queue_counts(s.queue, QUEUES)
    assert queues_used(counts) <= n_vteps
    # each VTEP's traffic is on exactly one queue
    for mac in np.unique(flows.outer_eth_dst):
        assert np.unique(s.queue[flows.outer_eth_dst == mac]).size == 1
    # more VTEPs help only a little: the busiest queue still holds >= 1/n of the traffic
    assert counts.max() >= len(flows) / n_vteps


def test_vlan_filters_with_shared_vlan_collapse_even_with_many_vteps(inner_flows):
    nic = _nic(n_vteps=4, netqueue=NetQueueConfig(vtep_filters="vlan"))
    s = steer(overlay(inner_flows, nic.overlay), nic)
    assert queues_used(queue_counts(s.queue, QUEUES)) == 1


def test_inner_rss_uses_all_queues_like_balls_into_bins(inner_flows):
    nic = _nic(mode="rss", rss=RssConfig(layer="inner"))
    s = steer(overlay(inner_flows, nic.overlay), nic)
    _spread_like_balls_into_bins(queue_counts(s.queue, QUEUES))


@pytest.mark.parametrize("n_remote", [1, 4])
def test_outer_rss_on_ips_only_collapses(inner_flows, n_remote):
    nic = _nic(mode="rss")  # udp4 'sd': the ixgbe default
    flows = overlay(inner_flows, nic.overlay, n_remote=n_remote)
    s = steer(flows, nic)
    pairs = np.unique(np.concatenate([flows.outer_ip_src, flows.outer_ip_dst], axis=1), axis=0).shape[0]
    assert pairs == n_remote
    assert queues_used(queue_counts(s.queue, QUEUES)) <= pairs


def test_outer_rss_with_ports_spreads_when_source_port_carries_entropy(inner_flows):
    rss = RssConfig(fields=RssFieldsConfig(udp4="sdfn"))
    nic = _nic(mode="rss", rss=rss)
    s = steer(overlay(inner_flows, nic.overlay, n_remote=1), nic)
    _spread_like_balls_into_bins(queue_counts(s.queue, QUEUES))


@pytest.mark.parametrize("policy", ["rfc7348", "linux"])
def test_outer_ports_spread_for_both_entropy_ranges(inner_flows, policy):
    rss = RssConfig(fields=RssFieldsConfig(udp4="sdfn"))
    nic = _nic(mode="rss", rss=rss, src_port_policy=policy)
    s = steer(overlay(inner_flows, nic.overlay, n_remote=1), nic)
    _spread_like_balls_into_bins(queue_counts(s.queue, QUEUES))


def test_outer_rss_with_ports_collapses_when_source_port_is_fixed(inner_flows):
    rss = RssConfig(fields=RssFieldsConfig(udp4="sdfn"))
    nic = _nic(mode="rss", rss=rss, src_port_policy="fixed")
    flows = overlay(inner_flows, nic.overlay, n_remote=1)
    s = steer(flows, nic)
    assert queues_used(queue_counts(s.queue, QUEUES)) == 1


def test_default_queue_rss_spreads_unfiltered_overlay(inner_flows):
    rss = RssConfig(fields=RssFieldsConfig(udp4="sdfn"))
    nic = _nic(rss=rss, netqueue=NetQueueConfig(vtep_filters="none", default_queue_rss=4))
    s = steer(overlay(inner_flows, nic.overlay, n_remote=1), nic)
    counts = queue_counts(s.queue, QUEUES)
    assert (s.reason == BY_DEFAULT_RSS).all()
    assert (counts[4:] == 0).all()
    _spread_like_balls_into_bins(counts[:4])


def test_without_drss_unfiltered_traffic_all_lands_on_the_default_queue(inner_flows):
    nic = _nic(netqueue=NetQueueConfig(vtep_filters="none"))
    s = steer(overlay(inner_flows, nic.overlay), nic)
    assert (s.queue == 0).all()


def test_packets_look_up_their_flows_queue(inner_flows):
    nic = _nic(mode="rss", rss=RssConfig(layer="inner"))
    flows = overlay(inner_flows, nic.overlay)
    s = steer(flows, nic)
    pkt_flow = np.random.default_rng(1).integers(0, len(flows), 10_000)
    q = s.packet_queue(pkt_flow)
    assert (q == s.queue[pkt_flow]).all()
    assert queue_counts(s.queue, QUEUES, flow=pkt_flow).sum() == 10_000


def test_listing_says_where_each_flow_went(inner_flows):
    nic = _nic(mode="rss", rss=RssConfig(layer="inner"))
    flows = overlay(inner_flows, nic.overlay)
    s = steer(flows, nic)
    rows = s.listing(flows, limit=3)
    assert [r["queue"] for r in rows] == s.queue[:3].tolist()
    assert rows[0]["reason"] == "rss" and rows[0]["tunnel"] == "vxlan" and "outer_src_port" in rows[0]


def test_filter_rss_spreads_one_vteps_overlay_over_its_queue_group(inner_flows):
    """NetQueue RSS behind the VTEP's filter, hashing inner headers: the VTEP's traffic uses the
    whole group like balls into bins, and nothing else."""
    nic = _nic(n_vteps=1, rss=RssConfig(layer="inner"), netqueue=NetQueueConfig(filter_rss_queues=4))
    s = steer(overlay(inner_flows, nic.overlay), nic)
    counts = queue_counts(s.queue, QUEUES)
    used = np.flatnonzero(counts)
    assert used.tolist() == [1, 2, 3, 4]  # the first group after the default queue
    _spread_like_balls_into_bins(counts[1:5])
    assert (s.reason == BY_FILTER_RSS).all()


def test_filter_rss_groups_per_vtep(inner_flows):
    nic = _nic(n_vteps=2, rss=RssConfig(layer="inner"), netqueue=NetQueueConfig(filter_rss_queues=4))
    s = steer(overlay(inner_flows, nic.overlay), nic)
    assert np.flatnonzero(queue_counts(s.queue, QUEUES)).tolist() == list(range(1, 9))
