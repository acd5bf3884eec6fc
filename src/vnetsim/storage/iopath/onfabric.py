"""A storage run's own traffic on a fabric: the spec's traffic matrix (``traffic.traffic_matrix``) as
explicit flows of a fabric-kind run (``vnetsim.fabric.run_fabric_scenario``), and the per-pair
latency it measures under that load fed back to the I/O path (``Network.pair_ns``).

- **Flows**: one fabric flow per (source, destination, frame size) of the matrix whose two hosts
  are on the fabric (``FabricPlacement.host_of``), at ``frames/s * (frame + 20 B) * 8`` bit/s on
  the wire (preamble and inter-frame gap, as the fabric counts them). Each flow keeps one hashed
  path (ECMP per flow, as a storage connection does).
- **Level**: ``packet`` (every frame through every link queue; Poisson arrivals) unless the fabric
  is too large (the fabric's ``engine.level: auto``) or ``flow`` is asked for (link loads only: no
  queueing, latency = the unloaded latency). A packet-level run lasts ``target_packets`` frames'
  worth of time, between ``MIN_DURATION_NS`` and ``MAX_DURATION_NS``.
- **Per-pair fabric time**: the fabric measures a frame from its offer at the source host to its
  last bit at the destination; the I/O path's NIC stage already queues and serializes a message at
  the source NIC, so that first link is taken out: ``pair_ns[a, b] = mean latency(a, b) - (mean
  frame serialization at the NIC + W1(a))``, with ``W1(a)`` the Pollaczek-Khinchine mean wait of
  the source's NIC link in the fabric (Poisson frames of the pair mix: ``lambda E[S^2] / (2 (1 -
  rho))``; exact in expectation for a link fed straight by a Poisson source), never more than the
  pair's measured queueing, and the result never below the idle fabric's time (``unloaded``
  less the serialization; a short run at a high load can measure less wait than the steady
  state, as the fabric's queues start empty). What is left is the
  switches, cables, store-and-forward and the queues of the fabric's switch ports, including the
  port towards the destination host (where replicas converge).
- A site of a stretched cluster is its own fabric (one placement each); pairs across sites keep
  the inter-site model (``Network.inter_site_*``).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.net.ethernet import WIRE_GAP_BYTES  # preamble, start delimiter, inter-frame gap
from vnetsim.storage.iopath.jitter import drawn_quantile, frame_fabric_ns, pair_jitter
from vnetsim.storage.iopath.spec import IOPathSpec, PairJitter
from vnetsim.storage.iopath.traffic import DEFAULT_MTU_BYTES, TrafficMatrix, traffic_matrix

MIN_DURATION_NS = 1e6            # a packet-level run covers at least 1 ms
MAX_DURATION_NS = 200e6          # and at most 200 ms of fabric time
DEFAULT_TARGET_PACKETS = 150_000  # frames a packet-level run simulates (docs/models/storage-io.md: how precise)
FABRIC_RESYNC_SHARE = 0.9        # resync plus foreground may fill at most this share of a fabric link


@dataclass(frozen=True)
class FabricPlacement:
    """One fabric and where the cluster's hosts are on it: ``layout`` is a fabric-kind ``fabric:``
    section (a ``FabricConfig`` document), ``host_of[h]`` the fabric host index of cluster host
    ``h`` (-1: not on this fabric, e.g. the other site of a stretched cluster)."""

    layout: dict
    host_of: tuple[int, ...]


@dataclass
class FabricRun:
    """What one storage run on its fabric(s) measured (``summary`` is the JSON-ready section)."""

    spec: IOPathSpec
    summary: dict
    traffic: TrafficMatrix


def _flows(src: np.ndarray, dst: np.ndarray, frame: np.ndarray, fps: np.ndarray,
           host_of: np.ndarray) -> tuple[list[dict], float]:
    """The fabric flows of the frame classes whose two hosts are on this fabric, and their frames/s."""
    on = (host_of[src] >= 0) & (host_of[dst] >= 0) & (fps > 0)
    flows = [{"src": int(host_of[a]), "dst": int(host_of[b]), "rate": f"{r * (f + WIRE_GAP_BYTES) * 8.0:.17g}bps",
              "frame_size": int(f)} for a, b, f, r in zip(src[on], dst[on], frame[on], fps[on])]
    return flows, float(fps[on].sum())


def fabric_document(layout: dict, flows: list[dict], duration_ns: float, seed: int, level: str,
                    flow_model: str = "hashed") -> dict:
    """A fabric-kind scenario document: ``layout`` with the explicit ``flows`` (pattern ``flows``)."""
    fab = copy.deepcopy(layout)
    eng = dict(fab.get("engine") or {})
    eng["level"] = level
    eng["flow_model"] = flow_model
    eng["pair_table_limit"] = 1_000_000       # every pair: the I/O path needs each one's latency
    eng["link_table_limit"] = 1_000_000
    fab["engine"] = eng
    frame = max((f["frame_size"] for f in flows), default=1518)
    return {"name": "storage-on-fabric", "seed": seed, "duration": f"{duration_ns:.0f}ns", "fabric": fab,
            "traffic": {"pattern": "flows", "flows": flows, "frame_size": frame},
            "limits": {"max_packets": 1e12}}


class FrameLog:
    """The fabric's deliveries (its public ``on_deliver`` hook): per frame its flow, offer and
    delivery times."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __call__(self, dst_hosts, packets, horizon_ns) -> None:
        self.parts.append((packets.flow.astype(np.int64), packets.t0_ns.copy(), packets.t_ns.copy()))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        return tuple(np.concatenate([p[k] for p in self.parts]) for k in range(3))  # type: ignore[return-value]


def pair_samples(flows: list[dict], log: FrameLog, cluster_of: dict[int, int], n: int,
                 nic_bps: float) -> dict[tuple[int, int], np.ndarray]:
    """Per cluster pair (a, b): its delivered frames' fabric times after a's NIC link
    (``jitter.frame_fabric_ns``)."""
    flow, t0, t = log.columns()
    if not len(flow):
        return {}
    fsrc = np.array([cluster_of[f["src"]] for f in flows], np.int64)
    fdst = np.array([cluster_of[f["dst"]] for f in flows], np.int64)
    fframe = np.array([f["frame_size"] for f in flows], np.float64)
    x = frame_fabric_ns(fsrc[flow], t0, t, fframe[flow], nic_bps, WIRE_GAP_BYTES)
    key = fsrc[flow] * n + fdst[flow]
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    parts = np.split(x[order], starts[1:])
    return {(int(k) // n, int(k) % n): v for k, v in zip(keys, parts)}


def _run(doc: dict, on_deliver: FrameLog | None = None) -> dict:
    from vnetsim.fabric import run_fabric_scenario

    try:
        return run_fabric_scenario(doc, on_deliver=on_deliver).to_dict()
    except ModelError as exc:
        raise ModelError(exc.field.replace("fabric.", "fabric.layout.", 1) if exc.field.startswith("fabric.")
                         else f"fabric.{exc.field}", exc.what, exc.fix) from None
    except ValueError as exc:      # pydantic: the layout is not a fabric the fabric kind can build
        detail = " ".join(line.strip() for line in str(exc).splitlines()[1:3])
        raise ModelError("fabric.layout", f"not a fabric the fabric kind accepts: {detail}",
                         "see docs/models/fabric.md, 'fabric'") from None


def fabric_topology(layout: dict) -> dict:
    """The fabric kind's ``topology`` of ``layout`` (switches by tier, cables, optics): a flow-level
    run of one small flow between its first two hosts (one host: a flow to itself is refused, so
    the layout's counts need two)."""
    flows = [{"src": 0, "dst": 1, "rate": "1Mbps", "frame_size": 1518}]
    return _run(fabric_document(layout, flows, MIN_DURATION_NS, 1, "flow"))["topology"]


def first_link_wait_ns(frame: np.ndarray, fps: np.ndarray, src: np.ndarray, hosts: int, nic_bps: float) -> np.ndarray:
    """Per source host, the Pollaczek-Khinchine mean wait of its NIC link fed by Poisson frames
    (``frame`` bytes at ``fps`` frames/s each, grouped by ``src``): ``lambda E[S^2] / (2 (1 - rho))``,
    infinite when ``rho >= 1``."""
    s = (frame + WIRE_GAP_BYTES) * 8e9 / nic_bps                 # ns
    lam = np.bincount(src, weights=fps, minlength=hosts) / 1e9   # frames per ns
    es = np.bincount(src, weights=fps * s, minlength=hosts) / 1e9
    es2 = np.bincount(src, weights=fps * s * s, minlength=hosts) / 1e9
    rho = es
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(rho < 1, es2 / (2 * (1 - rho)), np.inf)
    return np.where(lam > 0, w, 0.0)


def _tiers(d: dict) -> dict:
    """Per link tier: links, mean and max offered utilisation (offered bit/s over the link's rate;
    switch-to-switch classes from the fabric's ``link_classes``, the host links as ``host->switch``
    and ``switch->host`` from its link table, counting the links that carry traffic)."""
    tiers = {c: {"links": v["links"], "mean": v["mean"], "max": v["max"]} for c, v in d["link_classes"].items()}
    tab = d["links"]["table"]
    util = tab["offered_utilization"]
    up = [u for name, u in zip(tab["link"], util) if name.startswith("host")]
    down = [u for name, u in zip(tab["link"], util) if name.split("->")[1].startswith("host")]
    for name, us in (("host->switch", up), ("switch->host", down)):
        if us:
            tiers[name] = {"links": len(us), "mean": float(np.mean(us)), "max": float(np.max(us))}
    return tiers


def _merge_tiers(parts: list[dict]) -> dict:
    out: dict[str, dict] = {}
    for p in parts:
        for c, v in p.items():
            if c not in out:
                out[c] = dict(v)
            else:
                o = out[c]
                n = o["links"] + v["links"]
                o["mean"] = (o["mean"] * o["links"] + v["mean"] * v["links"]) / n
                o["max"] = max(o["max"], v["max"])
                o["links"] = n
    return out


def run_on_fabric(spec: IOPathSpec, placements: Sequence[FabricPlacement], *, seed: int,
                  mtu_bytes: int = DEFAULT_MTU_BYTES, level: str = "auto",
                  target_packets: float = DEFAULT_TARGET_PACKETS, duration_ns: float | None = None,
                  traffic: TrafficMatrix | None = None) -> FabricRun:
    """Run ``spec``'s traffic on its fabric(s) and return the spec with ``network.pair_ns`` set from
    what they measured, and the section describing the runs (see the module docstring).
    ``traffic``: ``traffic_matrix(spec, mtu_bytes)`` when the caller has it already."""
    tm = traffic_matrix(spec, mtu_bytes) if traffic is None else traffic
    n = spec.cluster.hosts
    src, dst, frame, fps = tm.frame_arrays()
    nic = spec.network.nic_bps
    pair_ns = np.full((n, n), np.nan)
    runs: list[dict] = []
    notes: list[str] = []
    pairs: dict[str, list] = {k: [] for k in ("src", "dst", "hops", "offered_bps", "frames_per_s", "unloaded_ns",
                                              "measured_ns", "p99_ns", "fabric_ns")}
    waits = [0.0]
    samples: dict[tuple[int, int], np.ndarray] = {}
    for p in placements:
        host_of = np.asarray(p.host_of, np.int64)
        flows, pps = _flows(src, dst, frame, fps, host_of)
        if not flows:
            continue
        on = (host_of[src] >= 0) & (host_of[dst] >= 0)      # what this fabric's NIC links carry
        wait = first_link_wait_ns(frame[on].astype(np.float64), fps[on], src[on], n, nic)
        waits += [float(w) for w in wait if np.isfinite(w)]
        dur = duration_ns if duration_ns is not None else \
            min(max(target_packets / pps * 1e9, MIN_DURATION_NS), MAX_DURATION_NS)
        log = FrameLog()
        d = _run(fabric_document(p.layout, flows, dur, seed, level), log)
        cluster_of = {int(f): h for h, f in enumerate(host_of.tolist()) if f >= 0}
        samples.update(pair_samples(flows, log, cluster_of, n, nic))
        pp = d["per_pair"]
        packet = d["level"] == "packet"
        lost = [(cluster_of[int(a)], cluster_of[int(b)]) for a, b, h in zip(pp["src"], pp["dst"], pp["hops"]) if h < 0]
        if lost:
            raise ModelError("fabric.layout.failures", f"{len(lost)} host pairs that exchange storage traffic have no "
                             f"path on the fabric (hosts {lost[0][0]} and {lost[0][1]}, ...)",
                             "fail fewer switches or links")
        # per cluster pair of this fabric: frames/s, mean and smallest serialization at the NIC
        ser = (frame + WIRE_GAP_BYTES) * 8e9 / nic
        key = src * n + dst
        pair_fps = np.bincount(key[on], weights=fps[on], minlength=n * n)
        pair_ser = np.bincount(key[on], weights=(fps * ser)[on], minlength=n * n)
        pair_min = np.full(n * n, np.inf)
        np.minimum.at(pair_min, key[on], ser[on])
        for i in range(len(pp["src"])):
            a, b = cluster_of[int(pp["src"][i])], cluster_of[int(pp["dst"][i])]
            k = a * n + b
            s_pair = float(pair_ser[k] / pair_fps[k])
            unloaded = float(pp["unloaded_ns"][i])
            seen = packet and pp["count"][i] > 0
            measured = float(pp["mean_ns"][i]) if seen else unloaded
            # ``unloaded`` is the idle latency of the pair's smallest frame (its first flow): a lower
            # bound of its frames' mean, so measured - unloaded bounds the queueing from above
            w1 = min(float(wait[a]), max(measured - unloaded, 0.0)) if packet else 0.0
            fab = max(measured - s_pair - w1, unloaded - float(pair_min[k]), 0.0)    # never below the idle fabric
            pair_ns[a, b] = fab
            for col, v in (("src", a), ("dst", b), ("hops", int(pp["hops"][i])),
                           ("offered_bps", float(pp["offered_bps"][i])), ("frames_per_s", float(pair_fps[k])),
                           ("unloaded_ns", unloaded), ("measured_ns", measured),
                           ("p99_ns", float(pp["p99_ns"][i]) if seen else None), ("fabric_ns", fab)):
                pairs[col].append(v)
        pk = d.get("packets") or {}
        runs.append({"level": d["level"], "duration_s": d["duration_ns"] / 1e9, "topology": d["topology"]["kind"],
                     "switches": d["topology"]["switches"], "optics": d["topology"]["optics"].get("total", 0),
                     "hosts": d["topology"]["hosts"], "oversubscription": d["oversubscription"],
                     "offered_bps": d["traffic"]["offered_bps"], "flows": d["traffic"]["flows"],
                     "max": d["links"]["max"], "overloaded_links": d["links"]["overloaded"],
                     "tiers": _tiers(d), "packets_offered": pk.get("offered"), "dropped": d["drops"]["total"],
                     "notes": d.get("notes", [])})
        if not packet:
            notes.append("flow level: the fabric's links are loaded but not queued; per-pair latency is the "
                         "unloaded latency")
        if d["drops"]["total"]:
            notes.append(f"the fabric dropped {d['drops']['total']} of {pk.get('offered', 0)} frames (the I/O path "
                         "does not retransmit: latency is that of the delivered frames)")
        if d["links"]["overloaded"]:
            notes.append(f"{d['links']['overloaded']} fabric links are offered more than their rate "
                         f"(busiest {d['links']['max']['link']} at {d['links']['max']['offered_utilization']:.0%})")
    if not runs:
        return FabricRun(spec, {"runs": 0, "notes": ["no traffic between hosts: the fabric carries nothing"]}, tm)
    jitter = pair_jitter(n, samples, pair_ns)
    net = dataclasses.replace(spec.network, pair_ns=pair_ns, pair_jitter=jitter)
    pairs["fabric_p99_ns"] = [_drawn_p99(jitter, pair_ns, a, b) for a, b in zip(pairs["src"], pairs["dst"])]
    fab_ns = np.asarray(pairs["fabric_ns"])
    weight = np.asarray(pairs["offered_bps"])
    busiest = max(runs, key=lambda r: r["max"]["utilization"])
    summary = {
        "level": runs[0]["level"], "runs": len(runs), "duration_s": max(r["duration_s"] for r in runs),
        "mtu_bytes": mtu_bytes, "topology": runs[0]["topology"], "fabric_hosts": sum(r["hosts"] for r in runs),
        "oversubscription": runs[0]["oversubscription"],
        "switches": {k: sum(r["switches"].get(k, 0) for r in runs) for k in runs[0]["switches"]},
        "optics": int(sum(r["optics"] for r in runs)),
        "offered_bps": float(sum(r["offered_bps"] for r in runs)),
        "message_bytes_per_s": float(tm.message_bytes.sum()), "write_bytes_per_s": float(tm.write_bytes.sum()),
        "resync_bytes_per_s": float(tm.background_bytes.sum()),
        "links": {"max_utilisation": float(busiest["max"]["utilization"]), "max_link": busiest["max"]["link"],
                  "overloaded": int(sum(r["overloaded_links"] for r in runs)),
                  "tiers": _merge_tiers([r["tiers"] for r in runs])},
        "drops": {"frames": int(sum(r["dropped"] for r in runs)),
                  "fraction": (sum(r["dropped"] for r in runs) / sum(r["packets_offered"] for r in runs)
                               if all(r["packets_offered"] for r in runs) else 0.0)},
        "first_link_wait_ns": {"max": max(waits)},
        "pair_fabric_ns": {"pairs": len(fab_ns), "min": float(fab_ns.min()), "max": float(fab_ns.max()),
                           "mean": float(np.average(fab_ns, weights=weight)) if weight.sum() > 0 else
                           float(fab_ns.mean())},
        "pairs": pairs,
        "notes": sorted(set(notes)) + [n for r in runs for n in r["notes"]],
    }
    return FabricRun(dataclasses.replace(spec, network=net), summary, tm)


def _drawn_p99(jitter: PairJitter | None, pair_ns: np.ndarray, a: int, b: int) -> float:
    """The 99th percentile of the fabric time pair (a, b)'s legs draw (its mean without a spread)."""
    if jitter is None or jitter.row[a, b] < 0:
        return float(pair_ns[a, b])
    return drawn_quantile(jitter.atoms_ns[jitter.row[a, b]], 0.99) + float(pair_ns[a, b])


def link_loads(tm: TrafficMatrix, placements: Sequence[FabricPlacement], background: bool, seed: int) -> dict:
    """Link name -> (offered bit/s, speed bit/s) of the foreground (``background`` False) or the
    resync traffic alone at flow level with ECMP's equal split (``flow_model: expected``: the same
    split for both, whatever the flows' hashes), per placement (names prefixed by its index)."""
    src, dst, frame, fps = tm.frame_arrays(background)
    out: dict[str, tuple[float, float]] = {}
    for k, p in enumerate(placements):
        flows, _ = _flows(src, dst, frame, fps, np.asarray(p.host_of, np.int64))
        if not flows:
            continue
        d = _run(fabric_document(p.layout, flows, MIN_DURATION_NS, seed, "flow", "expected"))
        tab = d["links"]["table"]
        for name, off, speed in zip(tab["link"], tab["offered_bps"], tab["speed_bps"]):
            out[f"{k}:{name}"] = (float(off), float(speed))
    return out


def resync_stretch(foreground: dict, resync: dict) -> tuple[float, str | None]:
    """How many times slower the resync must run for every switch-to-switch link of the fabric
    to carry it with the foreground within ``FABRIC_RESYNC_SHARE`` of its rate: ``max over links
    of resync / (share * rate - foreground)`` (infinite when the foreground alone fills a link the
    resync needs), and that link (None when no link carries resync). A host's own link, both
    directions, is its NIC: the rebuild model sets the resync rate from it (its resync capacity
    less the foreground replication, sent and received bytes against one rate), so it is not
    judged again here."""
    worst, where = 0.0, None
    for name, (bps, speed) in resync.items():
        ends = name.split(":", 1)[1].split("->")
        if bps <= 0 or any(e.startswith("host") for e in ends):
            continue                        # a host's own NIC: the rebuild model's resync rate covers it
        room = FABRIC_RESYNC_SHARE * speed - foreground.get(name, (0.0, speed))[0]
        s = bps / room if room > 0 else math.inf
        if s > worst:
            worst, where = s, name.split(":", 1)[1]
    return worst, where


def scale_background(spec: IOPathSpec, factor: float) -> IOPathSpec:
    """``spec`` with every background (resync) workload's IOPS times ``factor`` (0: without them)."""
    work = tuple(dataclasses.replace(w, iops=w.iops * factor) if w.background else w for w in spec.workloads
                 if factor > 0 or not w.background)
    return dataclasses.replace(spec, workloads=work)

