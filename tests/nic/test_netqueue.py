"""NetQueue: filter matching (priority, multicast), placement by the load balancer, DRSS layout."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.errors import ScenarioError
from vnetsim.nic.netqueue import NO_MATCH, NetQueue, QueueFilter, match_filters, place_filters

A, B = 0x005056000001, 0x005056000002


def test_most_specific_filter_wins():
    filters = [QueueFilter(None, 10), QueueFilter(A, None), QueueFilter(A, 10)]
    q = match_filters(np.array([A, A, B, B, A], np.uint64), np.array([10, 20, 10, -1, -1]), filters,
                      np.array([1, 2, 3]))
    assert q.tolist() == [3, 2, 1, NO_MATCH, 2]


def test_broadcast_and_multicast_go_to_default():
    filters = [QueueFilter(None, 10)]
    q = match_filters(np.array([0xFFFFFFFFFFFF, 0x01005E000001, A], np.uint64), np.array([10, 10, 10]),
                      filters, np.array([5]))
    assert q.tolist() == [NO_MATCH, NO_MATCH, 5]


def test_filter_needs_a_field():
    with pytest.raises(ValueError, match="MAC, a VLAN"):
        QueueFilter()


def test_round_robin_placement_and_capacity():
    assert place_filters(5, np.array([1, 2, 3])).tolist() == [1, 2, 3, 1, 2]
    # two queues with room for one filter each: the third filter stays on the default queue
    assert place_filters(3, np.array([1, 2]), max_filters_per_queue=1).tolist() == [1, 2, 0]


def test_least_loaded_puts_heavy_filters_apart():
    loads = np.array([10.0, 9.0, 1.0, 1.0])
    q = place_filters(4, np.array([1, 2]), "least_loaded", loads)
    assert q[0] != q[1]
    per_queue = np.bincount(q, weights=loads, minlength=3)[1:]
    assert per_queue.max() == 11.0


def test_unknown_policy():
    with pytest.raises(ValueError, match="round_robin"):
        place_filters(1, np.array([1]), "random")


def test_drss_reserves_the_first_queues():
    nq = NetQueue.place(8, [QueueFilter(A), QueueFilter(B)], drss_queues=4)
    assert nq.filter_queue.tolist() == [4, 5]
    assert nq.classify(np.array([A, B, 7], np.uint64), np.array([-1, -1, -1])).tolist() == [4, 5, NO_MATCH]


def test_drss_larger_than_the_nic():
    with pytest.raises(ScenarioError, match="do not fit"):
        NetQueue.place(2, [], drss_queues=4)
