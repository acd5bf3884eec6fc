"""Rich tables of an inspect report: one summary row per interface, then the verdicts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vnetsim.inspect.verdict import CAPABILITIES, TUNNELS

COLOURS = {"pass": "green", "fail": "red", "unknown": "yellow"}
CAP_NAMES = {"tx": "TX TSO+csum", "rx_csum": "RX inner csum", "inner_rss": "inner RSS"}


def _queues(e: dict) -> str:
    cur = (e.get("channels") or {}).get("current") or {}
    parts = [f"{k} {v}" for k, v in cur.items() if isinstance(v, int) and v]
    if parts:
        return ", ".join(parts)
    q = e.get("queues_esxi")
    return ", ".join(f"{k} {v}" for k, v in q.items()) if q else "-"


def _mark(result: str) -> str:
    return f"[{COLOURS[result]}]{result}[/]"


def render_report(report: dict, console: Console, details: bool = False) -> None:
    host = report.get("host") or {}
    if host:
        states = ", ".join(f"{s['name']} {s['exit_latency_us']}/{s['target_residency_us']}us" for s in host["cstates"])
        sc = host.get("sysctls") or {}
        console.print(f"host: kernel {host.get('kernel')}, {host.get('cpus')} CPUs, C-states {states or 'none'}, "
                      f"cpufreq {host.get('cpufreq_governor') or 'n/a'}, busy_poll {sc.get('busy_poll_us')} us, "
                      f"busy_read {sc.get('busy_read_us')} us")
    t = Table(title=f"interfaces ({report.get('source')})", title_justify="left")
    for col in ("interface", "type", "driver / family", "PCI", "MTU", "speed", "queues", "RX ring", "coalescing"):
        t.add_column(col)
    for e in report["interfaces"]:
        drv = e.get("driver") or {}
        pci = e.get("pci") or {}
        link = e.get("link") or {}
        ring = ((e.get("rings") or {}).get("current") or {}).get("rx")
        c = e.get("coalesce") or {}
        coal = (f"{'adaptive ' if c.get('adaptive-rx') else ''}rx-usecs {c.get('rx-usecs')}" if c else "-")
        who = f"{drv.get('driver') or '-'} {drv.get('version') or ''}\n{e.get('family') or ''}"
        t.add_row(e["name"], e["type"], who,
                  f"{pci.get('vendor')}:{pci.get('device')}" if pci else "-", str(link.get("mtu") or "-"),
                  f"{link['speed_mbps']} Mb/s" if link.get("speed_mbps") else "-", _queues(e),
                  str(ring or "-"), coal)
    console.print(t)
    v = Table(title="VXLAN / Geneve offload: chipset, driver, configuration", title_justify="left")
    v.add_column("interface")
    for tunnel in TUNNELS:
        for cap in CAPABILITIES:
            v.add_column(f"{tunnel} {CAP_NAMES[cap]}")
    commands = []
    for e in report["interfaces"]:
        if e.get("verdict") is None:
            continue
        cells = []
        for tunnel in TUNNELS:
            for cap in CAPABILITIES:
                res = e["verdict"][tunnel][cap]
                cells.append(_mark(res["result"]) + " (" + "/".join(s["result"][0] for s in res["steps"]) + ")")
                commands += [s["command"] for s in res["steps"] if s.get("command")]
        v.add_row(e["name"], *cells)
    console.print(v)
    console.print("steps: (chipset/driver/configuration) p = pass, f = fail, u = unknown; --json has the evidence")
    for cmd in dict.fromkeys(commands):
        console.print(f"  to enable: {cmd}")
    if details:
        for e in report["interfaces"]:
            for tunnel in TUNNELS:
                for cap in CAPABILITIES:
                    for n, s in enumerate((e.get("verdict") or {}).get(tunnel, {}).get(cap, {}).get("steps", []), 1):
                        console.print(f"{e['name']} {tunnel} {cap} step {n}: {_mark(s['result'])} {s['evidence']}")
