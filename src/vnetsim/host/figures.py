"""What a host result shows in a report: the kind's ``report`` hook (figure specs, no plotting).

Figures (each with its table): end-to-end latency CDF per variant (from ``latency_histogram``),
where the latency goes (mean per stage, stacked), CPU per core (useful / overhead / spin / idle,
stacked), pNIC queue shares against the balls-into-bins expectation of the busiest queue, and
interrupts per second against the offered load. Rows without a field (a throughput or flows
result) simply contribute no figure.
"""

from __future__ import annotations

from collections import defaultdict

from vnetsim.results import cells
from vnetsim.results.figures import Figure, Series, Table, latency_cdf, point_lines
from vnetsim.units import format_rate

CPU_BUCKETS = ("useful", "overhead", "spin", "idle")


def stage_breakdown(rows: list[dict]) -> Figure | None:
    """Mean latency per stage, stacked per variant (the stages sum to the mean end to end)."""
    rows = [v for v in rows if v.get("stage_latency_ns")]
    if not rows:
        return None
    stages = list(rows[0]["stage_latency_ns"])
    names = [v["name"] for v in rows]
    series = [Series(s, names, [_us(v["stage_latency_ns"].get(s)) for v in rows]) for s in stages]
    table = [[v["name"], *[cells.duration(v["stage_latency_ns"].get(s)) for s in stages]] for v in rows]
    return Figure("stage-latency", "Where the latency goes (mean per stage)", "stacked", series,
                  y_label="mean latency (us)", table=Table(["variant", *stages], table))


def cpu_per_core(rows: list[dict]) -> Figure | None:
    """Every core of every variant as one bar: useful, overhead, spin and idle shares stacked (many
    guest vCPUs as their mean, as in the terminal table)."""
    from vnetsim.host.render import _cpu_rows

    labels, values, table = [], defaultdict(list), []
    for v in rows:
        cores = [(core, c) for core, c, _ in _cpu_rows(v)] if v.get("cpu") and v.get("cores") else \
            list((v.get("cpu") or {}).items())
        for core, c in cores:
            label = f"{v['name']} | {core}" if len(rows) > 1 else core
            labels.append(label)
            for b in CPU_BUCKETS:
                values[b].append(100.0 * float(c[b]))
            table.append([v["name"], core, *[cells.share(c[b]) for b in CPU_BUCKETS]])
    if not labels:
        return None
    series = [Series(b, labels, values[b]) for b in CPU_BUCKETS]
    return Figure("cpu-per-core", "CPU per core (share of the window)", "stacked", series,
                  y_label="% of the window", y_range=(0.0, 100.0),
                  table=Table(["variant", "core", *CPU_BUCKETS], table),
                  note="busy = useful + overhead + spin; idle includes sleeping and waking from C-states")


def queue_load(rows: list[dict]) -> Figure | None:
    """Share of packets per pNIC queue per variant, with the share the busiest queue is expected to
    get when flows are hashed (balls into bins: E[max/mean] / queues)."""
    rows = [v for v in rows if len((v.get("steering") or {}).get("flows_per_queue", [])) > 1]
    if not rows:
        return None
    n_q = max(len(v["steering"]["flows_per_queue"]) for v in rows)
    queues = [f"q{q}" for q in range(n_q)]
    series, table = [], []
    for v in rows:
        shares = [100.0 * v["queues"].get(f"pnic/q{q}", {}).get("share", 0.0) for q in range(n_q)]
        series.append(Series(v["name"], queues, shares))
        pred = v["steering"].get("hashing_prediction")
        expected = None if not pred else 100.0 * pred["expected_max_over_mean"] / n_q
        if expected is not None:
            series.append(Series(f"{v['name']}: hashing E[busiest]", queues, [expected], mode="hline"))
        imb = v["imbalance"]["pnic_queues"]["max_over_mean"]
        table.append([v["name"], f"{sum(1 for s in shares if s)}/{n_q}", "-" if imb is None else f"{imb:.2f}",
                      "-" if not pred else f"{pred['expected_max_over_mean']:.2f}"])
    return Figure("queue-load", "pNIC RX queues: share of packets", "bar", series, x_label="queue",
                  y_label="% of packets", table=Table(["variant", "used", "max/mean", "hashing E[max/mean]"], table),
                  note="dashed: the busiest queue's expected share if flows were hashed onto the queues at random")


def interrupts_vs_load(rows: list[dict]) -> Figure | None:
    """Interrupts per second (host cores and guest vCPUs summed) against offered packets per second,
    one line per variant and combination of swept values that do not set the load (its load levels;
    ``point_lines``)."""
    lines = point_lines([v for v in rows if v.get("cores") and "offered_pps" in v],
                        lambda r: float(r["offered_pps"]), lambda r: r.get("load") or float(r["offered_pps"]))
    if not any(len(vs) > 1 for vs in lines.values()):
        return None   # a line needs load levels (`loads:`); one point per variant says nothing of load
    series, table = [], []
    for name, vs in lines.items():
        xs = [float(r["offered_pps"]) for r in vs]
        ys = [float(sum(c.get("interrupts_per_s", 0.0) for c in r["cores"].values())) for r in vs]
        series.append(Series(name, xs, ys))
        table += [[name, format_rate(x, "pps"), f"{y:,.0f}"] for x, y in zip(xs, ys)]
    if not any(any(s.y) for s in series):
        return None
    return Figure("interrupts-vs-load", "Interrupts per second against load", "line", series,
                  x_label="offered (packets/s)", y_label="interrupts/s (all cores)", x_log=True,
                  table=Table(["variant", "offered", "interrupts/s"], table))


def _us(ns: float | None) -> float | None:
    return None if ns is None else float(ns) / 1e3


def host_figures(result) -> list[Figure]:
    """The host kind's report: every figure the rows have data for."""
    rows = result.variants
    figs = [latency_cdf(rows), stage_breakdown(rows), cpu_per_core(rows), queue_load(rows), interrupts_vs_load(rows)]
    return [f for f in figs if f is not None]
