"""Host tables (rich): variants side by side, the figures an architect compares."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vnetsim.host.report import busy_share
from vnetsim.results import cells
from vnetsim.results.result import warning_lines
from vnetsim.units import format_rate

_us, _pct = cells.duration, cells.share


BUSY_NOTE = ("CPU busy = useful + overhead + spin of each core (host cores, then vCPUs; the CPU table below "
             "splits it)")
UNSUPPORTED_NOTE = ("* too few samples for this figure: a p-quantile needs n(1-p) >= 10 samples above it "
                    "(p50 20, p99 1,000, p99.9 10,000 delivered packets), max is flagged with p99.9; lengthen "
                    "duration (docs/models/host.md, Honest statistics)")
STAGE_NOTE = "* fewer than 10 packets left this stage in the window: the mean is not supported"
REPLICATIONS_NOTE = ("mean ± half-width of the {confidence:.0%} Student-t interval over {n} replications (seeds "
                     "splitmix64 of {base}); the tables above show replication 0 (seed {first}); CPU busy: "
                     "cores busy, all cores together")
HASHING_NOTE = ("hashing E\\[max/mean]: the busiest queue's expected load over the mean if the flows were hashed "
                "onto the queues at random (balls into bins); max/mean above it means worse than chance")


def render_host(result, console: Console) -> None:
    """Print host-path variants as rows: rates, drops, latency; then where latency goes; then CPU.

    The summary leads with what differs between variants: columns equal in every row are said
    once under the table."""
    variants = result.variants
    zero_loss = any("zero_loss" in v for v in variants)
    columns = ["variant", "offered", "delivered", "dropped", "samples", "p50", "p99", "p99.9", "max", "CPU busy/core"]
    if zero_loss:
        columns.append("zero-loss rate")
    rows = []
    for v in variants:
        lat = v["latency_ns"]
        row = [v["name"], format_rate(v["offered_pps"], "pps"), format_rate(v["delivered_pps"], "pps"),
               _drops(v), _samples(lat), *(_latency(lat, k) for k in ("p50", "p99", "p999", "max")), _busy(v)]
        if zero_loss:
            z = v.get("zero_loss")
            row.append(f"{format_rate(z['zero_loss_pps'], 'pps')}" if z else "-")
        rows.append(row)
    keep, same = cells.split_constant(columns, rows)
    flagged = any(v["latency_ns"].get("unsupported") for v in variants)
    notes = ([f"same in every variant: {'; '.join(same)}"] if same else []) + [BUSY_NOTE] + \
        ([UNSUPPORTED_NOTE] if flagged else [])
    table = Table(title=f"{result.scenario}", title_justify="left", caption="\n".join(notes),
                  caption_justify="left", caption_style="dim")
    for j in keep:
        table.add_column(columns[j], justify="left" if j == 0 else "right",
                         overflow="fold" if columns[j] in ("variant", "dropped", "CPU busy/core") else "ellipsis")
    for row in rows:
        table.add_row(*[row[j] for j in keep])
    cells.print_table(console, table)
    if any("round_trip_ns" in v for v in variants):
        cells.print_table(console, _round_trip_table(variants))
    _warnings(variants, console)
    if any("replications" in v for v in variants):
        cells.print_table(console, _replications_table(variants))

    if any(len(v["steering"]["flows_per_queue"]) > 1 for v in variants if "steering" in v):
        cells.print_table(console, _queue_table(variants))

    stages = list(dict.fromkeys(s for v in variants for s in v["stage_latency_ns"]))   # path order, all rows
    where = Table(title="where the latency goes (mean per stage)", title_justify="left")
    where.add_column("variant")
    for s in stages:
        where.add_column(s, justify="right")
    for v in variants:
        flags = v.get("stage_latency_unsupported", {})
        where.add_row(v["name"], *[_us(v["stage_latency_ns"][s]) + ("*" if "mean" in flags.get(s, ()) else "")
                                   if s in v["stage_latency_ns"] else "-" for s in stages])
    if any("mean" in f for v in variants for f in v.get("stage_latency_unsupported", {}).values()):
        where.caption, where.caption_justify, where.caption_style = STAGE_NOTE, "left", "dim"
    cells.print_table(console, where)

    cpu = Table(title="CPU per core (share of the window)", title_justify="left")
    reserved = any(c.get("reserved", 0.0) > 0 for v in variants for c in v["cpu"].values())
    shares = ("useful", "overhead", "spin", "idle") + (("reserved",) if reserved else ())
    for col in ("variant", "core", *shares, "irq/s", "pkts/irq"):
        cpu.add_column(col, justify="left" if col in ("variant", "core") else "right")
    for v in variants:
        for k, (core, c, counters) in enumerate(_cpu_rows(v)):
            ppi = counters.get("packets_per_interrupt")
            irq = counters.get("interrupts_per_s")
            cpu.add_row(v["name"] if k == 0 else "", core, *(_pct(c.get(s, 0.0)) for s in shares),
                        "-" if irq is None else f"{irq:,.0f}", "-" if ppi is None else f"{ppi:.1f}")
        cpu.add_section()
    cells.print_table(console, cpu, keep=2)
    console.print(f"latency percentiles within {100 * variants[0].get('histogram_relative_error', 0):.2f}% "
                  "(log-bucketed histogram); irq/s = interrupts per second, pkts/irq = packets per interrupt",
                  style="dim")


ROUND_TRIP_NOTE = ("round trip: from the client (or tester) sending to the answer (or forwarded packet) back at it, "
                   "its own turnaround included; answered = round trips completed in the window")


def _round_trip_table(variants) -> Table:
    """Request/response and forwarding: the round trip's distribution, and the transmit side's drops."""
    flagged = any(v.get("round_trip_ns", {}).get("unsupported") for v in variants)
    table = Table(title="round trip", title_justify="left", caption="\n".join(
        [ROUND_TRIP_NOTE] + ([UNSUPPORTED_NOTE] if flagged else [])), caption_justify="left", caption_style="dim")
    for col in ("variant", "answered", "TX dropped", "samples", "mean", "p50", "p99", "p99.9", "max"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for v in variants:
        rt = v.get("round_trip_ns")
        if rt is None:
            continue
        tx = v["packets_tx"]
        table.add_row(v["name"], format_rate(v["round_trip_pps"], "pps"), f"{tx['dropped']:,}", _samples(rt),
                      *(_latency(rt, k) for k in ("mean", "p50", "p99", "p999", "max")))
    return table


def _samples(lat: dict) -> str:
    """Delivered packets behind the latency figures ('-' for a row from before they were counted)."""
    n = lat.get("samples")
    return "-" if n is None else f"{n:,}"


def _latency(lat: dict, key: str) -> str:
    """A latency figure, marked ``*`` when too few samples support it (vnetsim.host.stats)."""
    return _us(lat.get(key)) + ("*" if key in lat.get("unsupported", ()) else "")


def _interval(entry: dict | None, fmt) -> str:
    """``mean ±half`` of a replications interval (``-`` without one)."""
    if not entry or entry.get("mean") is None:
        return "-"
    half = entry.get("half_width")
    return fmt(entry["mean"]) + ("" if half is None else f" ±{fmt(half)}")


def _replications_table(variants) -> Table:
    """Each row's headline figures across its replications: mean and interval half-width."""
    first = next(v["replications"] for v in variants if "replications" in v)
    caption = REPLICATIONS_NOTE.format(confidence=first["confidence"], n=first["n"], base=first["base_seed"],
                                       first=first["seeds"][0])
    if any(v.get("replications", {}).get("unsupported") for v in variants):
        caption += "\n* some replication had too few samples for this figure (see the note above)"
    table = Table(title="replications", title_justify="left", caption=caption, caption_justify="left",
                  caption_style="dim")
    cols = (("delivered", "delivered_pps", lambda x: format_rate(x, "pps")),
            ("dropped", "packets.dropped", lambda x: f"{x:,.4g}"),
            ("mean", "latency_ns.mean", _us), ("p50", "latency_ns.p50", _us), ("p99", "latency_ns.p99", _us),
            ("CPU busy", "cpu_busy_cores", lambda x: f"{x:.3g}"))
    table.add_column("variant")
    table.add_column("n", justify="right")
    for head, _, _ in cols:
        table.add_column(head, justify="right")
    for v in variants:
        rep = v.get("replications")
        if rep is None:
            continue
        flags = rep.get("unsupported", ())
        table.add_row(v["name"], str(rep["n"]), *[_interval(rep["metrics"].get(path), fmt) + ("*" if path in flags
                                                                                           else "")
                                                  for _, path, fmt in cols])
    return table


def _warnings(variants, console: Console) -> None:
    """The rows' warnings (resources left unused, a queue still growing at the end): each distinct
    one once, with the rows that give it (a warning every load level repeats is said once)."""
    for line in warning_lines(variants):
        console.print(line, style="yellow", markup=False)


def _cpu_rows(v, max_guest_rows: int = 4):
    """(core, cpu, counters) rows: every host core; guest vCPUs one by one, or averaged when many."""
    guests = [n for n in v["cpu"] if not n.startswith("host/")]
    rows = [(n, c, v["cores"].get(n, {})) for n, c in v["cpu"].items() if n.startswith("host/")]
    if len(guests) <= max_guest_rows:
        return rows + [(n, v["cpu"][n], v["cores"].get(n, {})) for n in guests]
    mean = {k: sum(v["cpu"][n][k] for n in guests) / len(guests) for k in ("useful", "overhead", "spin", "idle")}
    irq = sum(v["cores"][n]["interrupts_per_s"] for n in guests) / len(guests)
    pkts = sum(v["cores"][n]["packets"] for n in guests)
    irqs = sum(v["cores"][n]["interrupts_per_s"] for n in guests)
    window = v["window_s"][1] - v["window_s"][0]
    ppi = pkts / (irqs * window) if irqs else None
    return rows + [(f"{len(guests)} guest vCPUs (mean)", mean, {"interrupts_per_s": irq, "packets_per_interrupt": ppi})]


def _queue_table(variants) -> Table:
    """Where the packets went: share of each pNIC queue, queues used, imbalance against hashing."""
    n_q = max(len(v["steering"]["flows_per_queue"]) for v in variants)
    table = Table(title="pNIC RX queues: share of packets (and the core serving each queue)", title_justify="left",
                  caption=HASHING_NOTE, caption_justify="left", caption_style="dim")
    table.add_column("variant")
    for q in range(n_q):
        table.add_column(f"q{q}", justify="right")
    for col in ("used", "max/mean", "hashing E\\[max/mean]", "busiest host core"):
        table.add_column(col, justify="right")
    for v in variants:
        shares = [v["queues"].get(f"pnic/q{q}", {}).get("share", 0.0) for q in range(n_q)]
        st = v["steering"]
        pred = st.get("hashing_prediction")
        host = {n: busy_share(c) for n, c in v["cpu"].items() if n.startswith("host/core")}
        busiest = max(host.items(), key=lambda kv: kv[1]) if host else None
        imb = v["imbalance"]["pnic_queues"]["max_over_mean"]
        table.add_row(v["name"], *[f"{100 * x:.0f}%" if x else "." for x in shares],
                      f"{sum(1 for x in shares if x)}/{n_q}", "-" if imb is None else f"{imb:.2f}",
                      f"{pred['expected_max_over_mean']:.2f}" if pred else "-",
                      f"{busiest[0]} {_pct(busiest[1])}" if busiest else "-")
    return table


def _busy(v) -> str:
    """Busy share of each core; with many cores, the busiest and the mean of host and guest cores."""
    cpu = v["cpu"]
    if len(cpu) <= 4:
        return " ".join(f"{_pct(busy_share(c))}" for c in cpu.values())
    parts = []
    for label, pick in (("host", lambda n: n.startswith("host/")), ("vms", lambda n: not n.startswith("host/"))):
        busy = [busy_share(c) for n, c in cpu.items() if pick(n)]
        if busy:
            parts.append(f"{label} max {_pct(max(busy))} mean {_pct(sum(busy) / len(busy))}")
    return "; ".join(parts)


def _drops(v) -> str:
    total = v["packets"]["dropped"]
    if not total:
        return "0"
    parts = ", ".join(f"{k} {n}" for k, n in v["drops_by_stage"].items() if n)
    share = total / max(1, v["packets"]["offered"])
    return f"{total} ({share:.2%}: {parts})"




def render_throughput(result, console: Console) -> None:
    """Print each variant's zero-loss rate and the latency and CPU at that rate."""
    table = Table(title=f"{result.scenario}: zero-loss throughput (RFC 2544 search)", title_justify="left")
    for col in ("variant", "zero-loss rate", "of line rate", "p50", "p99", "p99.9", "busiest core", "trials"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for v in result.variants:
        at = v["at_zero_loss"] or {}
        lat = at.get("latency_ns", {})
        cpu = at.get("cpu", {})
        busiest = max(cpu.items(), key=lambda kv: busy_share(kv[1]), default=None)
        table.add_row(
            v["name"], format_rate(v["zero_loss_pps"], "pps"), _pct(v["line_rate_fraction"]),
            _latency(lat, "p50"), _latency(lat, "p99"), _latency(lat, "p999"),
            f"{busiest[0]} {_pct(busy_share(busiest[1]))}" if busiest else "-", str(len(v["trials"])))
    cells.print_table(console, table)


FLOW_COLUMNS = ("flow", "queue", "core", "vm", "reason", "ip_src", "ip_dst", "src_port", "dst_port", "tunnel",
                "outer_ip_src", "outer_src_port", "hash")
_NUMERIC = ("flow", "queue", "src_port", "dst_port", "outer_src_port")


def render_flows(result, console: Console) -> None:
    """Each listed flow's headers and the RX queue, core and VM it lands on, per variant."""
    for v in result.variants:
        rows = v["flow_queues"]
        table = Table(title=f"{v['name']}: {v['flows']} flows on {len(v['flows_per_queue'])} queues "
                      f"({v['queues_used']} used); first {len(rows)}", title_justify="left")
        cols = [c for c in FLOW_COLUMNS if any(c in r for r in rows)]
        for c in cols:
            table.add_column(c, justify="right" if c in _NUMERIC else "left")
        for r in rows:
            table.add_row(*[str(r.get(c, "")) for c in cols])
        cells.print_table(console, table)
