"""Tables of a calibration: the fitted costs, then each held-out point's prediction and error."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _value(row: dict) -> tuple[str, str]:
    if row["kind"] == "latency":
        lo, hi = row["ci95_ns"]
        return f"{row['value_ns'] / 1e3:.2f} us", f"{lo / 1e3:.2f}-{hi / 1e3:.2f}"
    lo, hi = row["ci95_pps"]
    return f"{row['value_pps'] / 1e3:.1f} kpps", f"{lo / 1e3:.1f}-{hi / 1e3:.1f}"


def render_calibration(result: dict, console: Console) -> None:
    c = result["costs"]
    console.print(f"fitted path: per_packet {c['per_packet_ns']:.0f} ns, per_byte {c['per_byte_ns']:.3f} ns, "
                  f"encap {c['encap_ns']:.0f} ns, wakeup {c['wakeup_ns']:.0f} ns; bottleneck: "
                  f"{c['rate_per_packet_ns']:.0f} ns + {c['rate_per_byte_ns']:.3f} ns/B, VXLAN "
                  f"{c['rate_vxlan_ns']:+.0f} ns {c['rate_vxlan_per_byte_ns']:+.3f} ns/B")
    t = Table(title="fit points (median of repeats, 95 % CI)", title_justify="left")
    for col in ("point", "measured", "95 % CI"):
        t.add_column(col)
    for row in result["fit"]:
        if row["repeats"]:
            t.add_row(row["point"], *_value(row))
    console.print(t)
    h = Table(title="held out: predicted before measured", title_justify="left")
    for col in ("point", "predicted", "measured", "95 % CI", "error"):
        h.add_column(col)
    for row in result["holdout"]:
        pred = f"{row['predicted'] / 1e3:.2f} us" if row["kind"] == "latency" else f"{row['predicted'] / 1e3:.1f} kpps"
        if row["repeats"]:
            h.add_row(row["point"], pred, *_value(row), f"{100 * row['error']:+.1f} %")
    console.print(h)
    s = result["summary"]
    lat, rate = s["median_abs_error_latency"], s["median_abs_error_rate"]
    console.print(f"median |error|: latency {100 * lat:.1f} %, rate {100 * rate:.1f} % (goal {100 * s['goal']:.0f} %: "
                  f"{'met' if s['goal_met'] else 'not met'}); {result['elapsed_s']:.0f} s" if lat is not None
                  and rate is not None else "no held-out point measured")
