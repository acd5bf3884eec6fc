"""Terminal tables (rich) for fabric results and variant comparisons."""

from __future__ import annotations

from rich.table import Table

from vnetsim.results import cells

_ns, _pct, _bps = cells.duration, cells.share, cells.bitrate


def _hops(d: dict) -> str:
    return ", ".join(f"{h}:{n}" for h, n in sorted(d.items(), key=lambda kv: int(kv[0]))) or "-"


def render_result(d: dict, console) -> None:
    """Tables for one run (a FabricResult dictionary)."""
    topo = d["topology"]
    console.print(f"[bold]{d['name']}[/bold]: {topo['kind']}, {topo['hosts']} hosts in {topo['racks']} racks, "
                  f"{d['level']} level, {_ns(d['duration_ns'])}, seed {d['seed']}")
    for note in d.get("notes", []):
        console.print(f"note: {note}", style="yellow", markup=False)
    for w in d.get("warnings", []):
        console.print(f"warning: {w}", style="yellow", markup=False)
    t = Table(title="Fabric")
    t.add_column("item")
    t.add_column("value")
    t.add_row("switches", ", ".join(f"{k} {v}" for k, v in topo["switches"].items()))
    t.add_row("cables / optics", f"{topo['cables']['total']} / {topo['optics']['total']}")
    t.add_row("switch ports used", f"{topo['switch_ports']['used']} of {topo['switch_ports']['total']}")
    for tier, o in d["oversubscription"].items():
        parts = [f"{o[k]['max']:.2f}:1 {k}" for k in ("built", "usable") if k in o]
        t.add_row(f"oversubscription {tier}", ", ".join(parts) or "-")
    t.add_row("bisection", _bps(d["bisection_bps"]))
    if d.get("stp"):
        blocked: list[str] = sum((x["blocked"] for x in d["stp"]["domains"]), [])
        t.add_row("spanning tree", f"{len(blocked)} links blocked: {', '.join(blocked[:6])}"
                  + (" ..." if len(blocked) > 6 else ""))
    if d.get("failures"):
        t.add_row("failed", ", ".join(str(f.get("switch") or "-".join(f["link"])) for f in d["failures"]))
    console.print(t)

    t = Table(title="Hops (switches crossed) and unloaded latency")
    t.add_column("pairs")
    t.add_column("hops: pairs")
    t.add_column("unloaded min")
    t.add_column("max")
    t.add_column("spread")
    for key, label in (("all_pairs", "all host pairs"), ("cross_rack", "cross-rack pairs")):
        u = d["unloaded_latency_ns"][key]
        t.add_row(label, _hops(d["hops"][key]), _ns(u.get("min_ns")), _ns(u.get("max_ns")), _ns(u.get("spread_ns")))
    console.print(t)

    if "latency_ns" in d:
        lat = d["latency_ns"]
        t = Table(title="Loaded latency (offer to destination NIC)")
        for c in ("", "mean", "p50", "p99", "p99.9", "max"):
            t.add_column(c)
        o = lat["overall"]
        t.add_row("all packets", _ns(o["mean"]), _ns(o["p50"]), _ns(o["p99"]), _ns(o["p999"]), _ns(o["max"]))
        for key, label in (("pair_mean", "per-pair mean"), ("pair_p99", "per-pair p99")):
            s = lat[key]
            if s.get("pairs"):
                t.add_row(f"{label} (min..max over {s['pairs']} pairs)", _ns(s["mean"]), "", "", "",
                          f"{_ns(s['min'])}..{_ns(s['max'])}")
        console.print(t)
        p = d["packets"]
        console.print(f"packets: {p['offered']} offered, {p['delivered']} delivered, {p['dropped']} dropped "
                      f"({_pct(p['drop_fraction'])}), {p['link_hops']} link hops")

    links = d["links"]
    tab = links["table"]
    util = tab.get("utilization", tab["offered_utilization"])
    order = sorted(range(len(tab["link"])), key=lambda i: (-(util[i] or 0), i))[:8]
    t = Table(title=f"Most loaded links ({links['overloaded']} offered above line rate)")
    for c in ("link", "speed", "offered", "utilization", "drops"):
        t.add_column(c)
    for i in order:
        t.add_row(tab["link"][i], _bps(tab["speed_bps"][i]), _pct(tab["offered_utilization"][i]), _pct(util[i]),
                  str(tab["drops"][i]))
    console.print(t)
    render_edge(d, console)


def render_edge(d: dict, console) -> None:
    """The receiving hosts' own path (when the scenario models them): sender to application."""
    e = d.get("edge_hosts")
    if not e:
        return
    t = Table(title=f"Receiving hosts ({e['hosts']} modelled): offer to the application in the VM",
              title_justify="left")
    for col in ("", "mean", "p50", "p99", "p99.9", "max"):
        t.add_column(col, justify="left" if not col else "right")
    lat = e["latency_ns"]
    t.add_row("end to end", *[_ns(lat[k]) for k in ("mean", "p50", "p99", "p999", "max")])
    console.print(t)
    stages = ", ".join(f"{k} {_ns(v)}" for k, v in e["stage_latency_ns"].items())
    drops = e["drops_by_stage"]
    console.print(f"inside the hosts (mean): {stages}; drops: pNIC rings {drops['pnic_ring']}, vNIC rings "
                  f"{drops['vnic_ring']}; host cores busy max {_pct(e['host_core_busy']['max'])} "
                  f"mean {_pct(e['host_core_busy']['mean'])}, vCPUs max {_pct(e['vcpu_busy']['max'])}")


def comparison_rows(results: dict) -> list[dict]:
    """One summary row per variant (the figures the comparison table shows)."""
    rows = []
    for name, r in results.items():
        d = r.data if hasattr(r, "data") else r
        cross = d["unloaded_latency_ns"]["cross_rack"]
        lat = d.get("latency_ns", {})
        edge = (d.get("edge_hosts") or {}).get("latency_ns", {})
        rows.append({
            "variant": name, "topology": d["topology"]["kind"], "switches": d["topology"]["switches"]["total"],
            "cross_rack_hops": sorted(int(h) for h in d["hops"]["cross_rack"]),
            "unloaded_cross_rack_spread_ns": cross.get("spread_ns"),
            "p50_ns": lat.get("overall", {}).get("p50"), "p99_ns": lat.get("overall", {}).get("p99"),
            "pair_p99_spread_ns": lat.get("pair_p99", {}).get("spread"),
            "end_to_end_p50_ns": edge.get("p50"), "end_to_end_p99_ns": edge.get("p99"),
            "max_link": d["links"]["max"]["link"], "max_link_utilization": d["links"]["max"]["utilization"],
            "drops": d["drops"]["total"], "bisection_bps": d["bisection_bps"],
            "blocked_links": (d.get("stp") or {}).get("blocked_links", 0),
        })
    return rows


COMPARISON_COLUMNS = ("variant", "end-to-end p50", "end-to-end p99", "switches", "cross-rack hops",
                      "unloaded spread", "p50", "p99", "pair p99 spread", "busiest link", "util", "drops",
                      "bisection", "STP blocked")


def render_comparison(results: dict, console) -> None:
    """One row per variant; ``results`` maps names to FabricResults or their dictionaries.

    Leads with what differs: end to end into the VMs first (when the receiving hosts are modelled),
    then every column whose value differs between variants; the columns equal in every variant
    are said once under the table."""
    rows = comparison_rows(results)
    edge = any(r["end_to_end_p50_ns"] is not None for r in rows)
    text = [[r["variant"], _ns(r["end_to_end_p50_ns"]), _ns(r["end_to_end_p99_ns"]), str(r["switches"]),
             ",".join(map(str, r["cross_rack_hops"])), _ns(r["unloaded_cross_rack_spread_ns"]), _ns(r["p50_ns"]),
             _ns(r["p99_ns"]), _ns(r["pair_p99_spread_ns"]), r["max_link"], _pct(r["max_link_utilization"]),
             str(r["drops"]), _bps(r["bisection_bps"]), str(r["blocked_links"])] for r in rows]
    columns = list(COMPARISON_COLUMNS)
    if not edge:
        columns, text = [columns[0], *columns[3:]], [[t[0], *t[3:]] for t in text]
    keep, same = cells.split_constant(columns, text)
    t = Table(title="Fabric variants, same racks and traffic" + ("" if not edge else
              " (end to end: from the sender to the application in the VM)"),
              caption=f"same in every variant: {'; '.join(same)}" if same else None, caption_justify="left")
    for j in keep:
        t.add_column(columns[j], justify="left" if j == 0 or columns[j] in ("busiest link", "cross-rack hops")
                     else "right")
    for row in text:
        t.add_row(*[row[j] for j in keep])
    cells.print_table(console, t)
