"""What a storage result shows in a report: the kind's ``report`` hook (figure specs, no plotting).

Figures, each with its table, one bar group per variant (flavor): where the raw capacity goes;
downtime per year (Markov, and Monte Carlo with its interval when run, and Markov with the
rebuilds on the fabric when a fabric judged them); write latency p99 per VM
group in normal operation and during the first resync; with a fabric under the cluster, its
busiest link normally and in the resync; price per usable TB and rack units.
"""

from __future__ import annotations

from vnetsim.results import cells
from vnetsim.results.figures import Figure, Series, Table

TB = 1e12


def capacity_figure(rows: list[dict]) -> Figure:
    names = [r["name"] for r in rows]
    parts = [("workload (raw)", lambda c: c["required_raw_bytes"]),
             ("free", lambda c: max(c["free_raw_bytes"] - c["required_raw_bytes"], 0.0)),
             ("slack / reserve", lambda c: c["slack_bytes"] + c["operations_reserve_bytes"]
              + c["host_rebuild_reserve_bytes"]),
             ("dedupe metadata", lambda c: c["dedupe_metadata_bytes"])]
    series = [Series(label, names, [f(r["capacity"]) / TB for r in rows]) for label, f in parts]
    table = Table(["variant", "raw", "usable", "workload (raw)", "used"],
                  [[r["name"], f"{r['capacity']['raw_bytes'] / TB:.2f} TB",
                    f"{r['capacity']['usable_bytes'] / TB:.2f} TB",
                    f"{r['capacity']['required_raw_bytes'] / TB:.2f} TB", cells.share(r["capacity"]["utilization"])]
                   for r in rows])
    return Figure("storage-capacity", "Where the raw capacity goes", "stacked", series, x_label="variant",
                  y_label="TB (raw)", table=table)


def downtime_figure(rows: list[dict]) -> Figure | None:
    have = [r for r in rows if (r.get("availability") or {}).get("markov")]
    if not have:
        return None
    names = [r["name"] for r in have]
    series = [Series("Markov", names, [r["availability"]["markov"]["downtime_s_per_year"]["value"] for r in have])]
    if all("montecarlo" in r["availability"] for r in have):
        mc = [r["availability"]["montecarlo"]["downtime_s_per_year"] for r in have]
        series.append(Series("Monte Carlo", names, [m["value"] for m in mc], [m["low"] for m in mc],
                             [m["high"] for m in mc]))
    columns = ["variant", "nines", "downtime / year", "annual loss probability"]
    body = [[r["name"], f"{r['availability']['markov']['nines']['value']:.2f}",
             cells.duration(r["availability"]["markov"]["downtime_s_per_year"]["value"] * 1e9),
             f"{r['availability']['markov']['annual_loss_probability']['value']:.3g}"] for r in have]
    on_fabric = [_fabric_bound_markov(r) for r in have]
    if any(m is not None for m in on_fabric):
        series.append(Series("Markov, rebuilds on the fabric", names,
                             [None if m is None else m["downtime_s_per_year"]["value"] for m in on_fabric]))
        columns.append("annual loss probability, rebuilds on the fabric")
        for line, m in zip(body, on_fabric):
            line.append("-" if m is None else f"{m['annual_loss_probability']['value']:.3g}")
    table = Table(columns, body)
    return Figure("storage-downtime", "Downtime per year", "bar", series, x_label="variant", y_label="seconds",
                  y_log=True, table=table)


def _fabric_bound_markov(row: dict) -> dict | None:
    """The Markov result with the rebuilds on the fabric: ``availability.fabric_bound.markov``; the
    host-bound one when the fabric judged the resyncs and bound none of them; else None."""
    av = row.get("availability") or {}
    fb = av.get("fabric_bound")
    if fb is not None:
        return fb.get("markov")
    judged = any(((row.get("rebuild") or {}).get("fabric") or {}).get("resyncs") or [])
    return av.get("markov") if judged else None


def latency_figure(rows: list[dict]) -> Figure | None:
    groups: list[str] = []
    for r in rows:
        for g in ((r.get("io") or {}).get("groups") or {}):
            if g not in groups:
                groups.append(g)
    if not groups:
        return None
    names = [r["name"] for r in rows]

    def p99(r: dict, section: str, g: str) -> float | None:
        part = r.get("io") if section == "io" else (r.get("rebuild") or {}).get(section)
        lat = ((part or {}).get("groups") or {}).get(g)
        return None if lat is None else lat["writes"]["p99"] / 1e3

    series = [Series(f"{g} normal", names, [p99(r, "io", g) for r in rows]) for g in groups]
    if any((r.get("rebuild") or {}).get("foreground_during_resync") for r in rows):
        series += [Series(f"{g} in resync", names, [p99(r, "foreground_during_resync", g) for r in rows])
                   for g in groups]
    table = Table(["variant"] + [s.name for s in series],
                  [[r["name"]] + [cells.duration(None if s.y[i] is None else float(s.y[i] or 0) * 1e3)
                                  for s in series] for i, r in enumerate(rows)])
    return Figure("storage-write-latency", "Write latency p99 per VM group", "bar", series, x_label="variant",
                  y_label="us", table=table)


def fabric_figure(rows: list[dict]) -> Figure | None:
    """With ``storage.fabric``: the busiest fabric link normally and during the first resync, and
    the resync's time on the fabric."""
    have = [r for r in rows if ((r.get("io") or {}).get("fabric") or {}).get("links")]
    if not have:
        return None
    names = [r["name"] for r in have]

    def during(r: dict) -> dict | None:
        part = ((r.get("rebuild") or {}).get("fabric") or {}).get("during_resync")
        return part if part and part.get("links") else None

    series = [Series("busiest link, normal", names, [r["io"]["fabric"]["links"]["max_utilisation"] * 100
                                                      for r in have])]
    if any(during(r) for r in have):
        series.append(Series("busiest link, in resync", names,
                             [None if during(r) is None else (during(r) or {})["links"]["max_utilisation"] * 100
                              for r in have]))

    def resync(r: dict) -> str:
        """Every resync's time on the fabric, in the order of the failures' outcomes."""
        rss = [rs for rs in ((r.get("rebuild") or {}).get("fabric") or {}).get("resyncs") or [] if rs]
        return "-" if not rss else " / ".join(
            cells.duration(None if rs["duration_s"] is None else rs["duration_s"] * 1e9) for rs in rss)

    table = Table(["variant", "level", "busiest link", "per-pair mean", "drops", "resync on the fabric"],
                  [[r["name"], r["io"]["fabric"]["level"], r["io"]["fabric"]["links"]["max_link"],
                    cells.duration(r["io"]["fabric"]["pair_fabric_ns"]["mean"]),
                    str(r["io"]["fabric"]["drops"]["frames"]), resync(r)] for r in have])
    return Figure("storage-fabric", "The fabric under the cluster: busiest link", "bar", series, x_label="variant",
                  y_label="% of link rate", table=table)


def cost_figure(rows: list[dict]) -> Figure:
    names = [r["name"] for r in rows]
    series = [Series("rack units", names, [float(r["cost"]["rack_units"]) for r in rows])]
    priced = all(r["cost"].get("price_per_usable_tb") is not None for r in rows)
    if priced:
        series.append(Series(f"price per usable TB (thousand {rows[0]['cost'].get('currency', '')})".strip(), names,
                             [r["cost"]["price_per_usable_tb"] / 1e3 for r in rows]))
    table = Table(["variant", "hosts", "switches", "rack units", "price", "price / usable TB"],
                  [[r["name"], str(r["cost"]["data_hosts"]), str(r["cost"]["switches"]), str(r["cost"]["rack_units"]),
                    "-" if r["cost"].get("price_total") is None else f"{r['cost']['price_total']:,.0f}",
                    "-" if r["cost"].get("price_per_usable_tb") is None else f"{r['cost']['price_per_usable_tb']:,.0f}"]
                   for r in rows])
    return Figure("storage-cost", "Footprint and cost", "bar", series, x_label="variant", table=table)


def storage_figures(result) -> list[Figure]:
    """The storage kind's report."""
    rows = result.variants
    figs = [capacity_figure(rows), downtime_figure(rows), latency_figure(rows), fabric_figure(rows), cost_figure(rows)]
    return [f for f in figs if f is not None]
