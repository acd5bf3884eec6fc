"""Objects of one layout placed on hosts, as an ``ObjectSet`` (what the rebuild model works on).

Placement: each object's components go to distinct fault domains of their site (hosts, or the
racks of ``rack_of_host`` given), drawn at random (a seeded stream, as a balancing placer spreads
them), and within a rack to one of its hosts at random, so that a failed host's partners, the
rebuild's sources, are spread over the cluster; ``spread=False`` places them round-robin on
consecutive hosts of the given order starting at the object's number instead. Votes: one per
component. A RAID-1 copy with FTT n has n+1 replicas and n witness components inside its site, so
2n+1 voters there; erasure codes have no witnesses (k+m voters). A site-mirrored object has one
copy per data site and one more witness component at the witness site (``WITNESS_HOST``), so that
either site with the witness keeps a majority; a two-node cluster's witness components sit on the
witness appliance too (``witness_on_appliance``).
"""

from __future__ import annotations

import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.errors import ModelError
from vnetsim.storage.rebuild.spec import WITNESS_HOST, ObjectSet


def object_set(kind: str, objects: int, object_bytes: float, site_hosts: list[list[int]], *, ftt: int = 1,
               data_fragments: int = 1, parity_fragments: int = 0, devices_per_host: int = 1,
               witness_on_appliance: bool = False, write_bps: float = 0.0, spread: bool = True,
               seed: int = 1, rack_of_host: dict[int, int] | None = None) -> ObjectSet:
    """``objects`` objects of ``object_bytes`` each (usable), RAID-1 FTT ``ftt`` (``kind="raid1"``)
    or erasure code k+m (``kind="ec"``), one copy per entry of ``site_hosts`` (the hosts of each
    data site holding a copy)."""
    if kind not in ("raid1", "ec"):
        raise ModelError("kind", f"unknown layout {kind!r}", "raid1 or ec")
    k = 1 if kind == "raid1" else data_fragments
    data_per_copy = ftt + 1 if kind == "raid1" else data_fragments + parity_fragments
    wit_per_copy = ftt if kind == "raid1" else 0
    mirrored = len(site_hosts) == 2
    cols_host, cols_copy, cols_size = [], [], []
    idx = np.arange(objects)
    frag_bytes = object_bytes if kind == "raid1" else object_bytes / k
    for c, hosts in enumerate(site_hosts):
        hosts_arr = np.asarray(hosts, np.int64)
        voters_here = data_per_copy + (0 if witness_on_appliance else wit_per_copy)
        if len(hosts_arr) < voters_here:
            raise ModelError("hosts", f"a copy needs {voters_here} hosts in its site, got {len(hosts_arr)}",
                             "add hosts or lower the FTT")
        if spread:
            placed = _spread(hosts_arr, rack_of_host, objects, voters_here, seed, c)
        else:
            placed = hosts_arr[(idx[:, None] + np.arange(len(hosts_arr))[None, :]) % len(hosts_arr)]
        for j in range(data_per_copy + wit_per_copy):
            witness = j >= data_per_copy
            if witness and witness_on_appliance:
                cols_host.append(np.full(objects, WITNESS_HOST))
            else:
                cols_host.append(placed[:, j])
            cols_copy.append(np.full(objects, -1 if witness else c))
            cols_size.append(np.full(objects, 0.0 if witness else frag_bytes))
    if mirrored:
        cols_host.append(np.full(objects, WITNESS_HOST))
        cols_copy.append(np.full(objects, -1))
        cols_size.append(np.zeros(objects))
    hosts_m = np.stack(cols_host, axis=1)
    devices = (idx[:, None] + np.arange(hosts_m.shape[1])[None, :]) % devices_per_host
    return ObjectSet(kind, k, hosts_m, devices.astype(np.int64), np.stack(cols_size, axis=1),
                     np.ones_like(hosts_m), np.stack(cols_copy, axis=1), write_bps)


def _spread(hosts: np.ndarray, rack_of_host: dict[int, int] | None, objects: int, need: int, seed: int,
            copy: int) -> np.ndarray:
    """Per object, ``need`` hosts in distinct fault domains, in random order (objects x need)."""
    rng = stream(seed, f"storage.rebuild.placement.{copy}")
    domain = np.array([rack_of_host.get(int(h), int(h)) if rack_of_host else int(h) for h in hosts])
    names, dom = np.unique(domain, return_inverse=True)
    if len(names) < need:
        raise ModelError("hosts", f"a copy needs {need} fault domains in its site, got {len(names)}",
                         "add racks or hosts, or lower the FTT")
    order = np.argsort(rng.random((objects, len(names))), axis=1)[:, :need]     # distinct domains
    members = [hosts[dom == d] for d in range(len(names))]
    pick = rng.random((objects, need))
    out = np.empty((objects, need), np.int64)
    for d, m in enumerate(members):                                             # a host inside each
        sel = order == d
        out[sel] = m[np.minimum((pick[sel] * len(m)).astype(np.int64), len(m) - 1)]
    return out
