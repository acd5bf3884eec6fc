"""Figure specs as plotly figure objects (plain JSON: traces and a layout), for the HTML report."""

from __future__ import annotations

from vnetsim.results.figures import Figure, Series

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def _band(s: Series, color: str) -> list[dict]:
    """A shaded band between ``lower`` and ``upper`` (drawn under the line)."""
    fill = color + "33"
    return [
        {"type": "scatter", "mode": "lines", "x": s.x, "y": s.upper, "line": {"width": 0, "color": color},
         "showlegend": False, "hoverinfo": "skip", "name": f"{s.name} upper"},
        {"type": "scatter", "mode": "lines", "x": s.x, "y": s.lower, "line": {"width": 0, "color": color},
         "fill": "tonexty", "fillcolor": fill, "showlegend": False, "hoverinfo": "skip",
         "name": f"{s.name} lower"},
    ]


def _error_bars(s: Series) -> dict:
    """Asymmetric error bars from ``lower``/``upper`` (none where a bound or the value is missing)."""
    up = [None if y is None or hi is None else max(0.0, hi - y) for y, hi in zip(s.y, s.upper or [])]
    down = [None if y is None or lo is None else max(0.0, y - lo) for y, lo in zip(s.y, s.lower or [])]
    return {"type": "data", "symmetric": False, "array": up, "arrayminus": down, "color": "#333",
            "thickness": 1.2, "width": 4}


def _categories(fig: Figure) -> list:
    seen: dict = {}
    for s in fig.series:
        if s.mode == "data":
            for x in s.x:
                seen.setdefault(x, None)
    return list(seen)


def to_plotly(fig: Figure) -> dict:
    """``{"data": [...], "layout": {...}}`` for ``Plotly.newPlot``."""
    data: list[dict] = []
    cats = _categories(fig) if fig.kind != "line" else []
    k = 0
    for s in fig.series:
        color = PALETTE[k % len(PALETTE)]
        if s.mode == "hline":
            xs = cats or s.x
            data.append({"type": "scatter", "mode": "lines", "name": s.name, "x": xs, "y": [s.y[0]] * len(xs),
                         "line": {"dash": "dash", "color": "#444" if fig.kind != "line" else color}})
            continue
        k += 1
        if fig.kind == "line":
            if s.lower is not None and s.upper is not None:
                data += _band(s, color)
            data.append({"type": "scatter", "mode": "lines+markers" if len(s.x) < 40 else "lines", "name": s.name,
                         "x": s.x, "y": s.y, "line": {"color": color, "shape": "hv" if fig.x_log and
                                                          fig.y_range == (0.0, 1.0) else "linear"}})
        else:
            bar = {"type": "bar", "name": s.name, "x": s.x, "y": s.y, "marker": {"color": color}}
            if s.lower is not None and s.upper is not None:
                bar["error_y"] = _error_bars(s)
            data.append(bar)
    layout: dict = {
        "title": {"text": fig.title},
        "xaxis": {"title": {"text": fig.x_label}, "type": "log" if fig.x_log else ("category" if cats else "-"),
                  "automargin": True},
        "yaxis": {"title": {"text": fig.y_label}, "type": "log" if fig.y_log else "-", "automargin": True},
        "legend": {"orientation": "h", "y": -0.25},
        "margin": {"t": 50, "r": 20},
        "height": 420,
    }
    if fig.y_range is not None:
        layout["yaxis"]["range"] = list(fig.y_range)
    if fig.kind in ("bar", "stacked"):
        layout["barmode"] = "stack" if fig.kind == "stacked" else "group"
    return {"data": data, "layout": layout}
