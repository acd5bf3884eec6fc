"""``--emit-scenario``: the inspected interface as a host scenario that ``vnetsim run`` accepts.

Queues, ring size, interrupt coalescing, RSS key, indirection table and hashed fields, offloads
and the host's C-states become the scenario's ``host.pnic`` and ``host.service``; a small probe
traffic group makes the file runnable as it is. Values the model cannot take (a RETA that is not a
power of two, more than 256 queues) are left at their defaults and listed in the header.
"""

from __future__ import annotations

import yaml

FEATURES = {"tx_checksum": "tx-checksumming", "rx_checksum": "rx-checksumming", "tso": "tcp-segmentation-offload",
            "gso": "generic-segmentation-offload", "lro": "large-receive-offload",
            "gro": "generic-receive-offload", "tunnel_tso": "tx-udp_tnl-segmentation",
            "tunnel_csum": "tx-udp_tnl-csum-segmentation", "rx_udp_tunnel_port": "rx-udp_tunnel-port-offload"}


def _queues(entry: dict) -> int | None:
    cur = (entry.get("channels") or {}).get("current") or {}
    n = max((v for v in (cur.get("combined"), cur.get("rx")) if isinstance(v, int)), default=None)
    return n if n is not None and 1 <= n <= 256 else None


def _coalescing(c: dict | None, skipped: list[str]) -> dict | None:
    if not c or not isinstance(c.get("rx-usecs"), int):
        return None
    usecs, frames = c["rx-usecs"], c.get("rx-frames")
    if c.get("adaptive-rx"):
        skipped.append(f"adaptive RX coalescing is on (modelled as its current rx-usecs {usecs})")
    if usecs == 0 and (not isinstance(frames, int) or frames <= 1):
        return {"scheme": "off"}
    out: dict = {"scheme": "timer"}
    if usecs > 0:
        out["usecs"] = f"{usecs}us"
    if isinstance(frames, int) and frames >= 1:
        out["frames"] = min(frames, 65536)
    return out


def _steering(entry: dict, queues: int, skipped: list[str]) -> dict | None:
    rss = entry.get("rss") or {}
    key = rss.get("key")
    if not key:
        return None
    raw = key.replace(":", "")
    conf: dict = {"key": raw, "key_bytes": len(raw) // 2}
    table = rss.get("table")
    if table:
        n = len(table)
        if n & (n - 1) == 0 and max(table) < queues:
            conf["reta_size"], conf["reta"] = n, list(table)
        else:
            skipped.append(f"RSS table of {n} entries (not a power of two, or past {queues} queues)")
    fields = {}
    for t, fh in (entry.get("flow_hash") or {}).items():
        if fh and fh.get("letters") in ("sd", "sdfn"):
            fields[t] = fh["letters"]
    if fields:
        conf["fields"] = fields
    return {"mode": "rss", "rss": conf}


def host_fragment(entry: dict, host: dict) -> tuple[dict, list[str]]:
    """(host mapping, notes on what was left at its default) for one inspected interface."""
    skipped: list[str] = []
    pnic: dict = {"model": f"{entry.get('family') or (entry.get('driver') or {}).get('driver') or entry['type']} "
                           f"{entry['name']}"}
    speed = (entry.get("link") or {}).get("speed_mbps")
    if speed:
        pnic["line_rate"] = f"{speed}Mbps"
    else:
        skipped.append("link speed unknown: line_rate left at its default (10 Gb/s)")
    queues = _queues(entry)
    if queues:
        pnic["rx_queues"] = queues
    ring = ((entry.get("rings") or {}).get("current") or {}).get("rx")
    if isinstance(ring, int) and 1 <= ring <= 65536:
        pnic["ring_size"] = ring
    coal = _coalescing(entry.get("coalesce"), skipped)
    if coal:
        pnic["coalescing"] = coal
    steering = _steering(entry, queues or 1, skipped)
    if steering:
        pnic["steering"] = steering
    feats = entry.get("features") or {}
    offloads = {k: feats[v]["on"] for k, v in FEATURES.items() if v in feats}
    if offloads.get("tso") and not offloads.get("tx_checksum", True):
        offloads["tso"] = False
        skipped.append("TSO listed on with TX checksum off: TSO set off (it needs TX checksums)")
    if offloads:
        pnic["offloads"] = offloads
    out: dict = {"pnic": pnic}
    states = [s for s in host.get("cstates") or [] if not s.get("disabled")
              and isinstance(s.get("exit_latency_us"), int) and isinstance(s.get("target_residency_us"), int)]
    out["service"] = {"cstates": [{"name": s["name"] or f"state{i}", "exit_latency": f"{s['exit_latency_us']}us",
                                   "target_residency": f"{s['target_residency_us']}us"} for i, s in enumerate(states)]}
    return out, skipped


def pick(report: dict, name: str | None = None) -> dict:
    """The interface to emit: the one named, else the first physical one, else the first with a verdict."""
    entries = report["interfaces"]
    if name:
        return next(e for e in entries if e["name"] == name)
    return next((e for e in entries if e["type"] == "physical"), None) or \
        next((e for e in entries if e.get("verdict") is not None), entries[0])


def scenario_text(report: dict, name: str | None = None) -> str:
    """A complete host scenario (YAML text) built from one inspected interface, validated."""
    from vnetsim.host import Host

    entry = pick(report, name)
    host, skipped = host_fragment(entry, report.get("host") or {})
    Host.model_validate(host)  # the fragment must be one the model accepts
    doc = {"name": f"inspected {entry['name']}",
           "description": f"host settings read by vnetsim inspect from {entry['name']} ({report.get('source')})",
           "duration": "20ms",
           "traffic": {"flows": [{"name": "probe", "count": 64, "rate": "100kpps", "size": 128}]},
           "host": host}
    head = [f"# vnetsim inspect: {entry['name']} ({entry['type']}, {entry.get('family') or 'family unknown'})",
            "# Edit traffic for your workload; host.pnic and host.service are what the host runs with."]
    head += [f"# left at the default: {s}" for s in skipped]
    return "\n".join(head) + "\n" + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120)
