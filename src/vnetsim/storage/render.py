"""Terminal tables of a storage result: the variants (flavors) side by side, then their notes."""

from __future__ import annotations

import functools
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from vnetsim.results.cells import bitrate, duration, share


def _tb(x: float | None) -> str:
    return "-" if x is None else f"{x / 1e12:.2f} TB"


def _bps(x: float | None) -> str:
    """Bit rates down to kb/s (witness links carry a few hundred kb/s)."""
    if x is not None and 0 < abs(x) < 1e6:
        return f"{x / 1e3:.4g} kb/s"
    return bitrate(x)


def _money(row: dict, key: str) -> str:
    cost = row["cost"]
    v = cost.get(key)
    return "-" if v is None else f"{v:,.0f} {cost.get('currency', '')}".strip()


def _get(row: dict, *path: str):
    cur: object = row
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _ok(row: dict, name: str) -> str:
    for c in row["checks"]:
        if c["name"] == name:
            return "ok" if c["ok"] else "OVER"
    return "-"


ROWS: list[tuple[str, Callable[[dict], str]]] = [
    ("flavor", lambda r: r["cluster"]["flavor"]),
    ("architecture", lambda r: r["cluster"]["architecture"].upper()),
    ("hosts (sites x per site)", lambda r: f"{r['cluster']['data_sites']} x {r['cluster']['hosts_per_site']}"
     + (f" + {r['cluster']['witness']} witness" if r["cluster"]["witness"] else "")),
    ("policy", lambda r: r["policy"]["label"]),
    ("raw multiplier", lambda r: f"{r['policy']['multiplier']:.3g}x"),
    ("raw capacity", lambda r: _tb(r["capacity"]["raw_bytes"])),
    ("reserve", lambda r: r["capacity"]["reserve"]),
    ("usable capacity", lambda r: _tb(r["capacity"]["usable_bytes"])),
    ("workload needs (raw)", lambda r: _tb(r["capacity"]["required_raw_bytes"])),
    ("capacity used", lambda r: share(r["capacity"]["utilization"])
     + ("" if r["capacity"]["fits"] else " DOES NOT FIT")),
    ("components / host", lambda r: f"{r['components']['per_host']:.0f} of {r['components']['host_limit']}"),
    ("witness components", lambda r: "-" if r["components"]["witness_limit"] is None
     else f"{r['components']['witness']} of {r['components']['witness_limit']}"),
    ("VM writes", lambda r: bitrate(r["network"]["write_bytes_per_s"] * 8)),
    ("replication / host", lambda r: bitrate(r["network"]["replication_per_host_bps"])
     + f" ({share(r['network']['host_nic_load'])} of NIC)"),
    ("inter-site needed / link", lambda r: "-" if r["network"]["inter_site_required_bps"] is None
     else f"{bitrate(r['network']['inter_site_required_bps'])} / {bitrate(r['network']['inter_site_link_bps'])}"),
    ("inter-site RTT", lambda r: duration(r["network"]["inter_site_rtt_ns"])),
    ("witness needed / link", lambda r: "-" if r["network"]["witness_required_bps"] is None
     else f"{_bps(r['network']['witness_required_bps'])} / {_bps(r['network']['witness_link_bps'])} "
     f"({_ok(r, 'witness_bandwidth')})"),
    ("rack units", lambda r: str(r["cost"]["rack_units"])),
    ("switches", lambda r: str(r["cost"]["switches"])),
    ("price", lambda r: _money(r, "price_total")),
    ("price / usable TB", lambda r: _money(r, "price_per_usable_tb")),
]


def _latency(row: dict, group: str, op: str) -> str:
    lat = _get(row, "io", "groups", group, op)
    return "-" if lat is None else f"{duration(lat['p50'])} / {duration(lat['p99'])}"


def _data_at_risk(row: dict) -> str:
    risk = _get(row, "availability", "data_at_risk")
    if risk is None:
        return "-"
    per_year = risk["expected_bytes_lost_per_year"]
    yearly = f"{per_year / 1e9:.3g} GB" if per_year >= 1e6 else f"{per_year:.3g} B"
    return f"{_tb(risk['bytes_lost_per_event'])} / {yearly}"


def _what_if(row: dict) -> str:
    """The most failed hosts every placement of the what-if table survives (objects accessible), and
    the most after which every placement can still be re-protected."""
    rows = _get(row, "availability", "what_if") or []
    if not rows:
        return "-"

    def upto(key: str) -> int:
        n = 0
        for k in sorted({r["failed_hosts"] for r in rows}):
            if all(r[key] for r in rows if r["failed_hosts"] == k):
                n = k
            else:
                break
        return n

    return f"{upto('accessible')} / {upto('reprotectable')}"


def _montecarlo_downtime(row: dict, where: tuple[str, ...] = ()) -> str:
    mc = _get(row, "availability", *where, "montecarlo", "downtime_s_per_year")
    if mc is None:
        return "-"
    return f"{duration(mc['value'] * 1e9)} [{duration(mc['low'] * 1e9)}, {duration(mc['high'] * 1e9)}]"


def _first_outcome(row: dict) -> dict | None:
    outs = _get(row, "rebuild", "outcomes") or []
    return outs[0] if outs else None


def _seconds(x: float | None) -> str:
    return "-" if x is None else ("never" if x == float("inf") else duration(x * 1e9))


def _rebuild_rows(rows: list[dict]) -> list[tuple[str, Callable[[dict], str]]]:
    """The first failure of each variant: what it did and what re-protecting took."""
    def cell(fn: Callable[[dict], str]) -> Callable[[dict], str]:
        return lambda r: "-" if _first_outcome(r) is None else fn(_first_outcome(r) or {})

    out: list[tuple[str, Callable[[dict], str]]] = [
        ("failure", cell(lambda o: f"{o['name']} ({o['semantics']})")),
        ("objects inaccessible / affected", cell(lambda o: f"{o['objects_inaccessible']} / {o['objects_affected']}")),
        ("I/O stall", cell(lambda o: _seconds(o["io_stall_s"]))),
        ("resync volume", cell(lambda o: _tb(o["resync_bytes"]))),
        ("resync time / rate", cell(lambda o: f"{_seconds(o['resync_duration_s'])} / {bitrate(o['resync_rate_bps'])}")),
        ("re-protected after", cell(lambda o: _seconds(o["reprotected_s"] - o["event"]["t_s"]
                                                        if o["reprotected_s"] is not None else None))),
        ("cannot re-protect", cell(lambda o: str(o["reprotect_impossible_objects"]))),
    ]
    groups: list[str] = []
    for r in rows:
        for g in (_get(r, "rebuild", "foreground_before", "groups") or {}):
            if g not in groups:
                groups.append(g)
    for g in groups:
        out.append((f"{g} write p99 before / after / in resync", functools.partial(_resync_latency, group=g)))
    out.append(("write p99 in each resync", _each_resync_write_p99))
    return out


def _each_resync_write_p99(row: dict) -> str:
    """Each failure's resync: the VM groups' write p99 while it runs (its own foreground run)."""
    parts = []
    for o in _get(row, "rebuild", "outcomes") or []:
        fg = o.get("foreground_during_resync")
        if fg:
            parts.append(f"{o['name']}: " + ", ".join(
                f"{g} {duration(v['writes']['p99'])}" for g, v in fg["groups"].items() if v["writes"]["count"]))
    return "; ".join(parts) or "-"


def _resync_latency(row: dict, group: str) -> str:
    cells_ = [duration(_get(row, "rebuild", part, "groups", group, "writes", "p99"))
              for part in ("foreground_before", "foreground_after_failure", "foreground_during_resync")]
    return " / ".join(cells_)


def _fabric_bound_loss(row: dict) -> str:
    """The annual loss probability with the rebuilds on the fabric (Markov's, else the first method's)."""
    fb = _get(row, "availability", "fabric_bound")
    if fb is None:
        return "-"
    if "not_computed" in fb:
        return f"- ({fb['not_computed']})"
    method = "markov" if "markov" in fb else next((m for m in ("montecarlo", "importance") if m in fb), None)
    if method is None:
        return "-"
    tail = "" if method == "markov" else f" ({method})"
    return f"{fb[method]['annual_loss_probability']['value']:.3g}{tail}"


def _fabric_stretches(row: dict) -> str:
    """Each rebuild class's fabric stretch (device / host / fault domain), a borrowed one marked *."""
    st = _get(row, "availability", "fabric_bound", "stretches")
    if not st:
        return "-"
    return " / ".join("never" if v["stretch"] is None else f"{v['stretch']:.3g}x" + ("" if v["own"] else "*")
                      for v in (st["device"], st["host"], st["fault_domain"]))


def _availability_rows(rows: list[dict]) -> list[tuple[str, Callable[[dict], str]]]:
    out: list[tuple[str, Callable[[dict], str]]] = []
    if any("availability" in r for r in rows):
        out += [
            ("availability (nines)", lambda r: "-" if _get(r, "availability", "markov") is None
             else f"{r['availability']['markov']['nines']['value']:.2f}"),
            ("downtime / year", lambda r: "-" if _get(r, "availability", "markov") is None
             else duration(r["availability"]["markov"]["downtime_s_per_year"]["value"] * 1e9)),
            ("data loss / year", lambda r: "-" if _get(r, "availability", "markov") is None
             else f"{r['availability']['markov']['annual_loss_probability']['value']:.3g}"),
            ("data lost per loss / expected per year", _data_at_risk),
        ]
    if any(_get(r, "availability", "fabric_bound") for r in rows):
        out.append(("data loss / year, rebuild on the fabric", _fabric_bound_loss))
        out.append(("fabric stretch of device / host / rack rebuilds", _fabric_stretches))
    if any(_get(r, "availability", "what_if") for r in rows):
        out.append(("hosts that may fail: accessible / re-protectable", _what_if))
    if any(_get(r, "availability", "montecarlo") is not None for r in rows):
        out.append(("downtime / year (Monte Carlo, 95 %)", _montecarlo_downtime))
    if any(_get(r, "availability", "fabric_bound", "montecarlo") is not None for r in rows):
        out.append(("same, rebuild on the fabric", functools.partial(_montecarlo_downtime, where=("fabric_bound",))))
    groups: list[str] = []
    for r in rows:
        for g in (_get(r, "io", "groups") or {}):
            if g not in groups:
                groups.append(g)
    for g in groups:
        for op in ("writes", "reads"):
            out.append((f"{g} {op[:-1]} p50 / p99", functools.partial(_latency, group=g, op=op)))
    if any("rebuild" in r for r in rows):
        out += _rebuild_rows(rows)
    if groups:
        out.append(("busiest device / NIC", lambda r: "-" if "io" not in r else
                    f"{share(r['io']['device_utilisation']['max'])} / {share(r['io']['nic_utilisation']['max'])}"))
    if any(_get(r, "io", "fabric", "links") for r in rows):
        fabric = _fabric_rows()
        if not any(_get(r, "rebuild", "fabric") for r in rows):      # no failures: no resync rows
            fabric = [f for f in fabric if "resync" not in f[0]]
        out += fabric
    return out


def _oversubscription(fab: dict) -> str:
    """The lowest switch tier's built oversubscription (leaf, ToR or access)."""
    tiers = fab.get("oversubscription") or {}
    first = next(iter(tiers.values()), None)
    return "" if not first else f", {first['built']['max']:.3g}:1"


def _fabric_cell(part: dict | None, fn: Callable[[dict], str]) -> str:
    return "-" if not part or "links" not in part else fn(part)


def _fabric_rows() -> list[tuple[str, Callable[[dict], str]]]:
    """The fabric under the cluster: what the run's traffic did to it, normally and in the resync."""
    def busiest(f: dict) -> str:
        return f"{share(f['links']['max_utilisation'])} ({f['links']['max_link']})"

    def uplinks(f: dict) -> str:
        """leaf->spine, else the busiest switch-to-switch tier (named)."""
        tiers = {k: v for k, v in f["links"]["tiers"].items() if "host" not in k}
        if not tiers:
            return "-"
        name = "leaf->spine" if "leaf->spine" in tiers else max(tiers, key=lambda k: tiers[k]["max"])
        tier = tiers[name]
        return f"{share(tier['mean'])} / {share(tier['max'])}" + ("" if name == "leaf->spine" else f" ({name})")

    def pairs(f: dict) -> str:
        p = f["pair_fabric_ns"]
        return f"{duration(p['mean'])} / {duration(p['max'])}"

    def judged(r: dict) -> list[tuple[dict, dict]]:
        """(outcome, its resync on the fabric) of every outcome that had one."""
        outs = _get(r, "rebuild", "outcomes") or []
        resyncs = _get(r, "rebuild", "fabric", "resyncs") or []
        return [(o, rs) for o, rs in zip(outs, resyncs) if rs]

    def one(o: dict, rs: dict) -> str:
        if rs["duration_s"] is None:
            return f"never (the foreground fills {rs['bottleneck_link']})"
        tail = f" (fabric-bound: {rs['bottleneck_link']})" if rs["fabric_bound"] else " (host-bound)"
        again = "" if rs.get("reprotected_s") is None else \
            f", re-protected after {_seconds(rs['reprotected_s'] - o['event']['t_s'])}"
        return _seconds(rs["duration_s"]) + tail + again

    def resync_time(r: dict) -> str:
        both = judged(r)
        return "-" if not both else one(*both[0])

    def later(r: dict) -> str:
        both = judged(r)[1:]
        return "-" if not both else "; ".join(f"{o['name']}: {one(o, rs)}" for o, rs in both)

    return [
        ("fabric", lambda r: _fabric_cell(_get(r, "io", "fabric"), lambda f: f"{f['topology']} ({f['level']} level"
                                          f"{_oversubscription(f)})")),
        ("fabric switches / optics", lambda r: _fabric_cell(_get(r, "io", "fabric"), lambda f: " + ".join(
            f"{v} {k}" for k, v in f["switches"].items() if k != "total") + f" / {f['optics']}")),
        ("fabric busiest link", lambda r: _fabric_cell(_get(r, "io", "fabric"), busiest)),
        ("fabric leaf->spine (uplinks) mean / max", lambda r: _fabric_cell(_get(r, "io", "fabric"), uplinks)),
        ("fabric per pair: mean / max", lambda r: _fabric_cell(_get(r, "io", "fabric"), pairs)),
        ("fabric drops", lambda r: _fabric_cell(_get(r, "io", "fabric"), lambda f: str(f["drops"]["frames"]))),
        ("fabric busiest link in resync", lambda r: _fabric_cell(_get(r, "rebuild", "fabric", "during_resync"),
                                                                 busiest)),
        ("fabric per pair in resync", lambda r: _fabric_cell(_get(r, "rebuild", "fabric", "during_resync"), pairs)),
        ("resync time on the fabric", resync_time),
        ("later resyncs on the fabric", later),
    ]


def render_rows(result, console: Console) -> None:
    """The variants side by side, then each variant's notes."""
    rows = result.variants
    table = Table(title=f"{result.scenario}", show_lines=False)
    table.add_column("")
    for r in rows:
        table.add_column(str(r["name"]), justify="right")
    for label, cell in ROWS + _availability_rows(rows):
        table.add_row(label, *[cell(r) for r in rows])
    console.print(table)
    for r in rows:
        for note in r.get("notes", []):
            console.print(f"[yellow]{r['name']}[/yellow]: {note}")
