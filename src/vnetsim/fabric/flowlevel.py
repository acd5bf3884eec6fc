"""Flow level: link loads from ECMP without simulating packets (10,000+ hosts in seconds).

- ``hashed``: each flow takes its hashed path (exactly the path its packets take at packet level),
  and a link's load is the sum of the offered rates of the flows crossing it.
- ``expected``: every node splits each destination group's traffic equally over its next hops:
  the mean over hash outcomes when per-switch hashes are independent (it cannot show
  polarization, which comes from correlated hashes).
Loads are offered loads (bits per second on the wire, before any drop); utilization = load / speed,
and a link above 1.0 would drop at packet level.
"""

from __future__ import annotations

import numpy as np

from vnetsim.fabric.kernels import expected_loads
from vnetsim.fabric.routing import Routing
from vnetsim.fabric.traffic import Flows


def hashed_link_loads(n_links: int, paths: np.ndarray, plen: np.ndarray, rate_bps: np.ndarray) -> np.ndarray:
    """Offered bits per second on each directed link when every flow follows its path."""
    used = paths >= 0
    rates = np.broadcast_to(np.asarray(rate_bps, np.float64)[:, None], paths.shape)
    return np.bincount(paths[used], weights=rates[used], minlength=n_links)


def expected_link_loads(routing: Routing, flows: Flows) -> np.ndarray:
    """Offered bits per second on each directed link under equal splitting at every hop."""
    f = routing.fabric
    grp = routing.group_of_host[flows.dst]
    ok = (grp >= 0) & (routing.group_of_host[flows.src] >= 0)
    g, src, dst, rate = grp[ok], flows.src[ok], flows.dst[ok], flows.rate_bps[ok]
    n_groups = routing.n_groups

    def csr(key_group, key_node, weight):
        combined = key_group * f.n_nodes + key_node
        uniq, inv = np.unique(combined, return_inverse=True)
        w = np.bincount(inv, weights=weight, minlength=len(uniq))
        ug = uniq // f.n_nodes
        ptr = np.zeros(n_groups + 1, np.int64)
        ptr[1:] = np.cumsum(np.bincount(ug, minlength=n_groups))
        return ptr, (uniq % f.n_nodes).astype(np.int64), w.astype(np.float64)

    inj_ptr, inj_node, inj_rate = csr(g, f.hosts[src], rate)
    in_ptr, in_node, in_rate = csr(g, f.hosts[dst], rate)
    return expected_loads(inj_ptr, inj_node, inj_rate, in_ptr, in_node, in_rate, routing.group_ptr, routing.group_sw,
                          routing.dist, routing.swi, routing.sw_nodes, routing.out_ptr, routing.out_link,
                          routing.sw_ptr, routing.sw_link, routing.hin_ptr, routing.hin_link, routing.link_src,
                          routing.link_dst, f.n_links)
