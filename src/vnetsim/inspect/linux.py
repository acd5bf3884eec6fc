"""``vnetsim inspect`` on Linux: everything the host tells about each interface, and the verdict.

Read-only: sysfs and procfs files, ``ip -d -j link show`` once, and ethtool sub-commands per
interface, all in a thread pool (each is a short wait on the kernel, so 10 interfaces take well
under a second). Nothing is written on the host.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vnetsim.errors import UserError
from vnetsim.inspect import capabilities, ethtool, hostfacts, iplink, irqs, pciids, sysfs
from vnetsim.inspect.run import check_iface, valid_iface
from vnetsim.inspect.verdict import verdict

TUNNEL_KINDS = ("vxlan", "geneve")


def iface_type(name: str, link: dict, pci: dict | None) -> str:
    kind = link.get("kind")
    if kind:
        return kind
    if name == "lo":
        return "loopback"
    return "physical" if pci is not None or (sysfs.NET / name / "device").exists() else "virtual"


def _data(answer: dict) -> Any:
    return answer.get("data") if answer.get("ok") else None


def describe(name: str, link: dict, tools: dict, table: list[dict], names: dict) -> dict:
    """One interface: identity, link, queues, rings, coalescing, RSS, offloads, tunnels, IRQs,
    module, relations, and the verdict (not for tunnel devices: theirs is the lower device's)."""
    pci = sysfs.pci(name)
    drv = _data(tools["driver"]) or {}
    module = sysfs.driver_module(name) or (drv.get("driver") if isinstance(drv, dict) else None)
    kind = iface_type(name, link, pci)
    if pci is not None:
        vname, dname = names.get((pci["vendor"], pci["device"]), (None, None))
        pci = dict(pci, vendor_name=vname, device_name=dname)
    family = (capabilities.by_pci(pci["vendor"], pci["device"]) if pci else None) or \
        capabilities.by_driver(drv.get("driver") if isinstance(drv, dict) else None)
    virtio = None
    dev = sysfs.NET / name / "device"
    if dev.exists() and dev.resolve().name.startswith("virtio"):
        virtio = dev.resolve().name
    features = _data(tools["features"])
    tunnels = _data(tools["tunnels"])
    out = {
        "name": name, "type": kind, "pci": pci, "driver": drv or None,
        "family": family.name if family else None, "link": {**sysfs.link(name), **link},
        "channels": _data(tools["channels"]), "rings": _data(tools["rings"]),
        "coalesce": _data(tools["coalesce"]), "rss": _data(tools["rss"]),
        "flow_hash": {t: _data(tools[f"flow_hash_{t}"]) for t in ethtool.FLOW_TYPES},
        "features": features, "udp_tunnel_tables": tunnels,
        "module": sysfs.module_info(module), "queues": sysfs.queues(name),
        "irqs": irqs.for_device(table, name, pci["address"] if pci else None, virtio),
        "relations": sysfs.relations(name),
        "unavailable": {k: v["error"] for k, v in tools.items() if not v["ok"]},
        "commands": sorted(v["command"] for v in tools.values()),
    }
    if kind in TUNNEL_KINDS:
        out["tunnel"] = link.get("tunnel")
        out["verdict"] = None
        out["verdict_note"] = f"a {kind} device: the offload verdict is that of its lower device " \
                              f"({(link.get('tunnel') or {}).get('link') or 'none set'})"
    else:
        what = (f"PCI {pci['vendor']}:{pci['device']}" if pci else f"{kind} device, driver "
                f"{drv.get('driver') if isinstance(drv, dict) else None}")
        out["verdict"] = verdict(name, family, features, tunnels, what)
    return out


def inspect_host(wanted: list[str] | None = None) -> dict:
    """The host facts and every wanted interface (all of this namespace's when none are named)."""
    present = sysfs.interfaces()
    names = [check_iface(n) for n in wanted] if wanted else [n for n in present if n != "lo" and valid_iface(n)]
    odd = [] if wanted else [n for n in present if not valid_iface(n)]  # never put on a command line
    missing = [n for n in names if n not in present]
    if missing:
        raise UserError(f"interface {missing[0]!r}", "does not exist in this network namespace",
                        f"choose one of: {', '.join(present) or '(none)'}")
    with ThreadPoolExecutor(max_workers=16) as pool:
        links_f = pool.submit(iplink.links)
        tools_f = {n: pool.submit(ethtool.collect, n, None) for n in names}
        table = irqs.interrupts()
        facts = hostfacts.host()
        links = links_f.result()
        tools = {n: f.result() for n, f in tools_f.items()}
    pairs = set()
    for n in names:
        p = sysfs.pci(n)
        if p and p["vendor"] and p["device"]:
            pairs.add((p["vendor"], p["device"]))
    pci_names = pciids.names(pairs)
    interfaces = [describe(n, links.get(n, {}), tools[n], table, pci_names) for n in names]
    for entry in interfaces:  # a tunnel device's VNI and port tell its lower device which port to check
        tunnel = entry.get("tunnel") or {}
        lower = next((i for i in interfaces if i["name"] == tunnel.get("link")), None)
        if lower is not None and lower.get("verdict") is not None and tunnel.get("port"):
            lower["tunnel_devices"] = lower.get("tunnel_devices", []) + [
                {"name": entry["name"], "type": entry["type"], "port": tunnel["port"], "vni": tunnel.get("vni")}]
    return {"source": "linux", "host": facts, "interfaces": interfaces, "skipped_names": odd}
