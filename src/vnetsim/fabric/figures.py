"""What a fabric result shows in a report: the kind's ``report`` hook (figure specs, no plotting).

Figures (each with its table): with the receiving hosts modelled, the end-to-end latency CDF
(sender to the application in the VM); the loaded latency CDF per variant (offer to destination
NIC, from ``latency_histogram``; packet level only); and the utilisation of the most loaded links per
variant (offered by the flow-level loads, and measured at the packet level).
"""

from __future__ import annotations

from vnetsim.results import cells
from vnetsim.results.figures import Figure, Series, Table, latency_cdf

TOP_LINKS = 16


def link_utilisation(rows: list[dict], top: int = TOP_LINKS) -> list[Figure]:
    """Per variant: the ``top`` most loaded links, offered and (packet level) measured utilisation."""
    figs = []
    for k, v in enumerate(rows):
        tab = (v.get("links") or {}).get("table")
        if not tab or not tab.get("link"):
            continue
        util = tab.get("utilization") or tab["offered_utilization"]
        order = sorted(range(len(tab["link"])), key=lambda i: (-(util[i] or 0), i))[:top]
        names = [tab["link"][i] for i in order]
        series = [Series("offered", names, [100.0 * (tab["offered_utilization"][i] or 0) for i in order])]
        if "utilization" in tab:
            series.append(Series("measured", names, [100.0 * (tab["utilization"][i] or 0) for i in order]))
        series.append(Series("line rate", names, [100.0], mode="hline"))
        rows_t = [[tab["link"][i], cells.bitrate(tab["speed_bps"][i]), cells.share(tab["offered_utilization"][i]),
                   cells.share(tab["utilization"][i]) if "utilization" in tab else "-", str(tab["drops"][i])]
                  for i in order]
        figs.append(Figure(f"link-utilisation-{k}", f"{v['name']}: most loaded links", "bar", series,
                           x_label="link", y_label="% of line rate",
                           table=Table(["link", "speed", "offered", "measured", "drops"], rows_t),
                           note=f"{v['links'].get('overloaded', 0)} links offered above line rate"))
    return figs


def end_to_end_cdf(rows: list[dict]) -> Figure | None:
    """With the receiving hosts modelled (``edge``): latency from the sender to the application in
    the VM, per variant (``edge_hosts.latency_histogram``)."""
    edge = [{"name": v["name"], **v["edge_hosts"]} for v in rows
            if (v.get("edge_hosts") or {}).get("latency_histogram")]
    return latency_cdf(edge, fig_id="end-to-end-cdf", title="End to end: sender to the application in the VM (CDF)")


def fabric_figures(result) -> list[Figure]:
    """The fabric kind's report."""
    rows = result.variants
    cdfs = [end_to_end_cdf(rows), latency_cdf(rows, title="Loaded latency, offer to destination NIC (CDF)")]
    return [f for f in cdfs if f is not None] + link_utilisation(rows)
