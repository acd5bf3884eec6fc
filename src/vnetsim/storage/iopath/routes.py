"""Per flow (leg class x block size): bytes on the wire and the fixed network delays of a leg.

A leg from the owner to another host of its site: the owner's NIC queue (a FIFO at ``nic_bps``,
the ``nic`` stage) then ``host_tx + hops * hop + host_rx`` to the target's device. To the other
site: the NIC queue, ``host_tx + hops_other_rack * hop`` to the inter-site link (a FIFO per
direction, the ``inter_site`` stage), then ``rtt / 2 + hops_other_rack * hop + host_rx``. The reply
(the block for a read, an acknowledgement for a write) comes back over the same hops as a fixed
delay plus its serialization, without queueing (replies are small or spread over many NICs); with
``Network.pair_ns`` a same-site request's ``hops * hop`` is the measured ``pair_ns[owner, target]``
and its reply's ``pair_ns[target, owner]`` (queues in the fabric included), and with
``Network.pair_jitter`` each request and reply adds its own draw from the pair's measured spread
(``jitter_out_row`` / ``jitter_back_row``; the two crossings of a read-modify-write's read phase
keep the mean). An OSA read-modify-write leg at another host adds the read phase's round trip (request out, old block
back) to its reply. A leg to the owner's own devices has no network part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vnetsim.storage.iopath.jitter import flow_rows
from vnetsim.storage.iopath.legs import OTHER_SITE, READ, RMW, SAME_SITE, LegTables
from vnetsim.storage.iopath.spec import Cluster, Network


@dataclass
class FlowRoutes:
    """Per flow: ``wire_bytes`` out of the owner's NIC, ``block_bytes``, ``nic_queue`` (the owner),
    ``after_nic_ns``, ``site_link`` (direction 0: site 0 -> 1), ``after_link_ns``, ``reply_ns``,
    ``route``, ``cache_p`` (probability its device is in the cache tier)."""

    wire_bytes: np.ndarray
    block_bytes: np.ndarray
    nic_queue: np.ndarray
    after_nic_ns: np.ndarray
    site_link: np.ndarray
    after_link_ns: np.ndarray
    reply_ns: np.ndarray
    route: np.ndarray
    leg_class: np.ndarray
    fixed_network_ns: np.ndarray   # after_nic + after_link + reply: the legs' fixed network time
    jitter_out_row: np.ndarray     # the request's row of Network.pair_jitter (-1: a fixed time)
    jitter_back_row: np.ndarray    # the reply's


def flow_routes(t: LegTables, cluster: Cluster, net: Network) -> FlowRoutes:
    """The routes of every flow of ``t`` (vectorized over flows)."""
    s = t.n_sizes
    lc = np.repeat(np.arange(t.n_leg_classes), s)
    size_idx = np.tile(np.arange(s), t.n_leg_classes)
    block = t.sizes[t.lc_group[lc], size_idx].astype(np.float64)
    op, route = t.lc_op[lc], t.lc_route[lc]
    owner, target = t.lc_owner[lc], t.lc_target[lc]
    rack = np.asarray(cluster.rack_of_host, np.int64)
    site = np.asarray(cluster.site_of_host, np.int64)
    hops = np.where(rack[owner] == rack[target], net.hops_same_rack, net.hops_other_rack).astype(np.float64)
    fabric_out, fabric_back = hops * net.hop_ns, hops * net.hop_ns
    if net.pair_ns is not None:                # measured per pair on a fabric carrying this traffic
        pair = np.asarray(net.pair_ns, np.float64)
        fabric_out = np.where(np.isfinite(pair[owner, target]), pair[owner, target], fabric_out)
        fabric_back = np.where(np.isfinite(pair[target, owner]), pair[target, owner], fabric_back)
    hdr = float(net.header_bytes)
    ns_nic = 8e9 / net.nic_bps
    ns_link = 8e9 / net.inter_site_bps
    wire = np.where(op == READ, hdr, block + hdr)
    reply = np.where(op == READ, block + hdr, hdr)
    remote = route != 0
    other = route == OTHER_SITE
    cross_site = 2 * net.hops_other_rack * net.hop_ns + net.inter_site_rtt_ns / 2
    one_way_out = net.host_tx_ns + net.host_rx_ns + np.where(other, cross_site, fabric_out)
    one_way_back = net.host_tx_ns + net.host_rx_ns + np.where(other, cross_site, fabric_back)
    after_nic = np.where(route == SAME_SITE, net.host_tx_ns + fabric_out + net.host_rx_ns,
                         np.where(other, net.host_tx_ns + net.hops_other_rack * net.hop_ns, 0.0))
    after_link = np.where(other, net.inter_site_rtt_ns / 2 + net.hops_other_rack * net.hop_ns + net.host_rx_ns, 0.0)

    def back(nbytes: np.ndarray) -> np.ndarray:
        return np.where(remote, one_way_back + nbytes * ns_nic + np.where(other, nbytes * ns_link, 0.0), 0.0)

    reply_ns = back(reply)
    # OSA read-modify-write at another host: the read phase (request out, old block back) first
    rmw_phase = np.where(remote & (op == RMW), one_way_out + hdr * ns_nic + np.where(other, hdr * ns_link, 0.0)
                         + back(block + hdr), 0.0)
    reply_ns = reply_ns + rmw_phase
    return FlowRoutes(wire.astype(np.int32), block.astype(np.int64), owner.astype(np.int64), after_nic,
                      site[owner].astype(np.int64), after_link, reply_ns, route.astype(np.int64), lc,
                      after_nic + after_link + reply_ns,
                      flow_rows(net.pair_jitter, owner, target, route == SAME_SITE),
                      flow_rows(net.pair_jitter, target, owner, route == SAME_SITE))
