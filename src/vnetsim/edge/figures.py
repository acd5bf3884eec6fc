"""What an edge result shows in a report: the kind's ``report`` hook (figure specs, no plotting).

Figures (each with its table), the variants side by side (central ingest against edge processing):
the volume on every link per month, the monthly cost by item (stacked: the items sum to the
total), event latency to the centre (a CDF when the row has a histogram, else its percentiles),
the uplink's utilisation and what its buffer and radio lost, and the UPF's latency percentiles
(variants with the UPF modelled). The row fields are documented in docs/models/edge.md.
"""

from __future__ import annotations

from vnetsim.results import cells
from vnetsim.results.figures import Figure, Series, Table, latency_cdf
from vnetsim.units import format_rate

LINKS = ("sensors", "uplink", "n3", "central")
PERCENTILES = (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9"), ("max", "max"))


def _edge_rows(rows: list[dict]) -> list[dict]:
    return [v for v in rows if "links" in v and "cost_usd_month" in v]


def link_volume(rows: list[dict]) -> Figure | None:
    """Bytes per month on every link (all sites), one bar per variant; log scale, since edge
    processing cuts the uplink by orders of magnitude."""
    if not rows:
        return None
    links = [k for k in LINKS if any(k in v["links"] for v in rows)]
    links += [k for v in rows for k in v["links"] if k not in links]
    series, table = [], []
    for v in rows:
        series.append(Series(v["name"], links, [_gb(v["links"][k]["bytes_per_month"]) if k in v["links"] else None
                                                for k in links]))
        table += [[v["name"], k, format_rate(8 * lk["bytes_per_s"], "b/s"), f"{lk['messages_per_s']:,.1f}",
                   f"{_gb(lk['bytes_per_month']):,.1f}"] for k, lk in v["links"].items() if k in links]
    return Figure("edge-link-volume", "Volume on every link (all sites, per month)", "bar", series, x_label="link",
                  y_label="GB per month", y_log=True,
                  table=Table(["variant", "link", "rate", "messages/s", "GB/month"], table),
                  note="sensors: what the sensors send the gateway; uplink: what crosses the WAN; n3: the same "
                       "in GTP-U at the UPF; central: the payload the centre ingests")


def monthly_cost(rows: list[dict]) -> Figure | None:
    """The monthly cost of each variant by item, stacked (the items sum to the total)."""
    if not rows:
        return None
    items = [k for k in rows[0]["cost_usd_month"] if k != "total"]
    items += [k for v in rows for k in v["cost_usd_month"] if k != "total" and k not in items]
    used = [k for k in items if any(v["cost_usd_month"].get(k) for v in rows)] or items[:1]
    names = [v["name"] for v in rows]
    series = [Series(k, names, [float(v["cost_usd_month"].get(k, 0.0)) for v in rows]) for k in used]
    table = [[v["name"], *[_usd(v["cost_usd_month"].get(k, 0.0)) for k in used], _usd(v["cost_usd_month"]["total"]),
              "-" if v.get("breakeven_reduction_ratio") is None else f"{v['breakeven_reduction_ratio']:.3g}",
              "-" if v.get("reduction_ratio") is None else f"{v['reduction_ratio']:.3g}"] for v in rows]
    return Figure("edge-monthly-cost", "Monthly cost by item (all sites)", "stacked", series,
                  y_label="USD per month",
                  table=Table(["variant", *used, "total", "break-even", "reduction"], table),
                  note="items that are zero in every variant are left out; edge processing pays off when its "
                       "reduction ratio (central ingest's uplink bytes over its own) is above the break-even ratio")


def _percentile_figure(rows: list[dict], key, fig_id: str, title: str, scale_ns: float, unit: str,
                       note: str, y_log: bool) -> Figure | None:
    """Grouped bars: the percentiles of ``key(row)`` (a latency summary in ns) per variant."""
    found = [(v["name"], key(v)) for v in rows]
    found = [(n, s) for n, s in found if s and s.get("count")]
    if not found:
        return None
    labels = [label for _, label in PERCENTILES]
    series = [Series(n, labels, [float(s[k]) / scale_ns for k, _ in PERCENTILES]) for n, s in found]
    table = [[n, str(s["count"]), *[cells.duration(s[k]) for k, _ in PERCENTILES]] for n, s in found]
    return Figure(fig_id, title, "bar", series, x_label="percentile", y_label=f"latency ({unit})", y_log=y_log,
                  table=Table(["variant", "count", *labels], table), note=note)


def event_latency(rows: list[dict]) -> Figure | None:
    """Important events, from production to the central decision: a CDF per variant from
    ``events.latency_histogram`` when the rows carry one, else the percentiles as bars."""
    with_hist = [{"name": v["name"], **v["events"]} for v in rows if (v.get("events") or {}).get("latency_histogram")]
    if with_hist:
        return latency_cdf(with_hist, fig_id="edge-event-latency", title="Event latency to the centre (CDF)")
    return _percentile_figure(rows, lambda v: (v.get("events") or {}).get("latency_ns"), "edge-event-latency",
                              "Event latency to the centre (percentiles)", 1e6, "ms",
                              "from production to the central decision: uplink wait and transmission, radio latency, "
                              "central processing; an outage shows in the tail (log scale)", y_log=True)


def uplink_loss(rows: list[dict]) -> Figure | None:
    """Per variant: the uplink's utilisation and offered load, and the share of bytes the edge
    buffer dropped (outages, overload) or the radio lost."""
    rows = [v for v in rows if v.get("uplink")]
    if not rows:
        return None
    measures = ("utilisation", "offered load", "buffer drops", "radio loss")
    names = [v["name"] for v in rows]
    values: dict[str, list[float]] = {m: [] for m in measures}
    table = []
    for v in rows:
        u = v["uplink"]
        b_in = u["bytes"]["in"] or 0.0
        dropped = u["bytes"]["dropped"] / b_in if b_in else 0.0
        lost = u["bytes"]["lost"] / b_in if b_in else 0.0
        for m, x in zip(measures, (u["utilization"], u["offered_load"], dropped, lost)):
            values[m].append(100.0 * float(x))
        table.append([v["name"], cells.bitrate(u["rate_bps"]), cells.share(u["utilization"]),
                      cells.share(u["offered_load"]), f"{u['messages']['dropped']:,} ({cells.share(dropped)})",
                      f"{u['messages']['lost']:,}", cells.share(u["outages"]["availability"]),
                      f"{u['max_backlog_bytes'] / 2**20:.2f} / {u['buffer_bytes'] / 2**20:.2f} MiB"])
    series = [Series(m, names, values[m]) for m in measures]
    return Figure("edge-uplink", "Uplink: utilisation and loss", "bar", series, y_label="% (of line rate; of bytes in)",
                  table=Table(["variant", "rate", "utilisation", "offered", "buffer drops", "radio lost",
                               "availability", "max backlog / buffer"], table),
                  note="utilisation and offered load: share of the uplink's rate; drops and loss: share of the "
                       "bytes handed to the uplink (drops: the edge buffer overflowed, e.g. during an outage)")


def upf_latency(rows: list[dict]) -> Figure | None:
    """The UPF host's latency (N3 wire to the UPF application) per variant that models the UPF."""
    return _percentile_figure(rows, lambda v: (v.get("upf") or {}).get("latency_ns"), "edge-upf-latency",
                              "UPF latency (percentiles)", 1e3, "us",
                              "N3 wire to the UPF application in its VM, through the host's NIC, vSwitch and vNIC",
                              y_log=False)


def _gb(n_bytes: float) -> float:
    return float(n_bytes) / 1e9


def _usd(x: float) -> str:
    return f"${float(x):,.2f}"


def edge_figures(result) -> list[Figure]:
    """The edge kind's report: every figure the rows have data for."""
    rows = _edge_rows(result.variants)
    figs = [link_volume(rows), monthly_cost(rows), event_latency(rows), uplink_loss(rows), upf_latency(rows)]
    return [f for f in figs if f is not None]
