"""``ip -d -j link show``: each interface's kind (veth, vxlan, geneve, bridge, bond, vlan, macvlan)
and, for tunnel devices, VNI, port, source-port range, lower device and checksum settings."""

from __future__ import annotations

import json

from vnetsim.inspect.run import run

TUNNEL_KEYS = ("id", "port", "port_range", "link", "local", "remote", "group", "ttl", "learning",
               "udp_csum", "udp_zero_csum6_tx", "udp_zero_csum6_rx", "remcsum_tx", "remcsum_rx", "df")


def parse_links(text: str) -> dict[str, dict]:
    """{ifname: {kind, slave_kind, link (lower device), tunnel details}} from ip's JSON."""
    try:
        rows = json.loads(text or "[]")
    except json.JSONDecodeError:
        return {}
    out = {}
    for row in rows if isinstance(rows, list) else []:
        info = row.get("linkinfo") or {}
        data = info.get("info_data") or {}
        kind = info.get("info_kind")
        entry = {"kind": kind, "slave_kind": info.get("info_slave_kind"), "link": row.get("link"),
                 "mtu": row.get("mtu"), "num_rx_queues": row.get("num_rx_queues"),
                 "num_tx_queues": row.get("num_tx_queues"), "gso_max_size": row.get("gso_max_size"),
                 "gro_max_size": row.get("gro_max_size"), "master": row.get("master")}
        if kind in ("vxlan", "geneve"):
            entry["tunnel"] = {k: data.get(k) for k in TUNNEL_KEYS if k in data}
            entry["tunnel"]["vni"] = entry["tunnel"].pop("id", None)
        elif kind == "vlan":
            entry["vlan"] = {"id": data.get("id"), "protocol": data.get("protocol")}
        elif kind in ("bond", "macvlan"):
            entry[kind] = {"mode": data.get("mode")}
        out[row.get("ifname")] = entry
    return out


def links() -> dict[str, dict]:
    r = run(["ip", "-d", "-j", "link", "show"])
    return parse_links(r.out) if r.ok else {}
