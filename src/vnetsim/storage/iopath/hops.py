"""Network hops of the I/O path from a fabric run (the fabric kind's public ``run_fabric_scenario``).

``network_from_fabric(result, base)``: the fabric's measured host-to-host latency turned into the
I/O path's per-hop figures. Per host pair the fabric reports its switch hops and mean latency; a
pair's latency less one frame's serialization at the host NIC (the I/O path's NIC stage serializes
it) over its hops is that pair's per-hop time, switch latency, propagation and queueing included.
``hop_ns`` is the traffic-weighted mean of those; ``hops_same_rack`` / ``hops_other_rack`` are the
fabric's hop counts inside a rack and (most often) between racks. Host stack times are not part of
a fabric run and stay as in ``base``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.storage.iopath.spec import Network

WIRE_OVERHEAD_BYTES = 20     # preamble, start delimiter, inter-frame gap (docs/references.md, Ethernet wire overhead)


def network_from_fabric(result: Any, base: Network | None = None) -> Network:
    """``base`` (default ``Network()``) with ``hop_ns`` and the hop counts of a fabric run's result
    (a ``vnetsim.fabric.FabricResult`` or its ``to_dict()``)."""
    base = base or Network()
    d = result.to_dict() if hasattr(result, "to_dict") else result
    pp = d.get("per_pair") or {}
    hops = np.asarray(pp.get("hops", []), np.float64)
    mean = np.asarray(pp.get("mean_ns", []), np.float64)
    count = np.asarray(pp.get("count", []), np.float64)
    ok = (hops > 0) & np.isfinite(mean) & (count > 0)
    if not ok.any():
        raise ModelError("fabric", "the fabric run delivered no packets between hosts to measure hops from",
                         "run it at the packet level with some traffic")
    frame = float(d["traffic"]["frame_bytes"])
    serialization = (frame + WIRE_OVERHEAD_BYTES) * 8e9 / base.nic_bps
    per_hop = (mean[ok] - serialization) / hops[ok]
    hop_ns = float(np.average(per_hop, weights=count[ok]))
    all_pairs = {int(k): int(v) for k, v in d["hops"]["all_pairs"].items()}
    cross = {int(k): int(v) for k, v in d["hops"].get("cross_rack", {}).items()}
    same_rack = min(all_pairs) if all_pairs else base.hops_same_rack
    other_rack = Counter(cross).most_common(1)[0][0] if cross else base.hops_other_rack
    return dataclasses.replace(base, hop_ns=max(hop_ns, 0.0), hops_same_rack=same_rack, hops_other_rack=other_rack)


def network_from_fabric_scenario(scenario: Any, base: Network | None = None, seed: int | None = None,
                                 duration_ns: float | None = None) -> Network:
    """Run a fabric scenario (a ``FabricScenario`` or its document) and take its hops (as above)."""
    from vnetsim.fabric import run_fabric_scenario

    return network_from_fabric(run_fabric_scenario(scenario, seed=seed, duration_ns=duration_ns), base)
