"""A quick static figure (PNG, matplotlib): ``vnetsim run ... --plot OUT.png``.

The same figure specs as the HTML report, drawn on a grid of small panels (at most
``MAX_PANELS``), without tables. Uses matplotlib's non-interactive Agg backend, so it works on a
machine without a display.
"""

from __future__ import annotations

import math

from vnetsim.results.figures import Figure

MAX_PANELS = 6


def _short(text: str, limit: int = 36) -> str:
    """A label cut to ``limit`` characters in the middle (a static figure has no hover to show the
    rest): both ends stay, so labels that differ only at the end (``... ring_size=256``, ``...
    1024``; ``(thousand EUR)``) still read apart."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def _draw(ax, fig: Figure) -> None:
    import numpy as np

    data = [s for s in fig.series if s.mode == "data"]
    if fig.kind == "line":
        for s in data:
            x = np.array(s.x, float)
            y = np.array([np.nan if v is None else v for v in s.y], float)
            if s.lower is not None and s.upper is not None:
                lo = np.array([np.nan if v is None else v for v in s.lower], float)
                hi = np.array([np.nan if v is None else v for v in s.upper], float)
                ax.fill_between(x, lo, hi, alpha=0.2)
            cdf = fig.y_range == (0.0, 1.0)
            ax.plot(x, y, label=_short(s.name), drawstyle="steps-post" if cdf else "default",
                    marker="o" if len(x) < 20 and not cdf else None)
    else:
        cats = list(dict.fromkeys(c for s in data for c in s.x))
        pos = np.arange(len(cats))
        bottom = np.zeros(len(cats))
        width = 0.8 if fig.kind == "stacked" else 0.8 / max(1, len(data))
        for k, s in enumerate(data):
            y = np.zeros(len(cats))
            for c, v in zip(s.x, s.y):
                y[cats.index(c)] = 0.0 if v is None else v
            if fig.kind == "stacked":
                ax.bar(pos, y, width, bottom=bottom, label=_short(s.name))
                bottom += y
            else:
                err = None
                if s.lower is not None and s.upper is not None:
                    lo, hi = np.zeros(len(cats)), np.zeros(len(cats))
                    for c, v, a, b in zip(s.x, s.y, s.lower, s.upper):
                        if v is not None and a is not None and b is not None:
                            lo[cats.index(c)], hi[cats.index(c)] = max(0.0, v - a), max(0.0, b - v)
                    err = np.vstack([lo, hi])
                ax.bar(pos - 0.4 + width * (k + 0.5), y, width, yerr=err, capsize=2, label=_short(s.name))
        for s in fig.series:
            if s.mode == "hline":
                ax.axhline(s.y[0], linestyle="--", color="0.3", linewidth=1)
        ax.set_xticks(pos)
        if len(cats) <= 40:
            ax.set_xticklabels([_short(str(c)) for c in cats], rotation=60 if len(cats) > 4 else 0, ha="right",
                               fontsize=6)
        else:
            ax.set_xticklabels([])  # too many to read: the HTML report has them, with hover
    if fig.x_log:
        ax.set_xscale("log")
    if fig.y_log:
        ax.set_yscale("log")
    if fig.y_range is not None:
        ax.set_ylim(*fig.y_range)
    ax.set_title(fig.title, fontsize=9)
    ax.set_xlabel(fig.x_label, fontsize=8)
    ax.set_ylabel(fig.y_label, fontsize=8)
    ax.tick_params(labelsize=7)
    if len(fig.series) <= 8:
        ax.legend(fontsize=6)


def render_png(figures: list[Figure], title: str) -> bytes:
    """PNG bytes of the first ``MAX_PANELS`` figures on one page."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = figures[:MAX_PANELS] or []
    cols = 1 if len(figs) <= 1 else 2
    rows = max(1, math.ceil(len(figs) / cols))
    page, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.2 * rows), squeeze=False)
    for ax, fig in zip(axes.flat, figs):
        _draw(ax, fig)
    for ax in list(axes.flat)[len(figs):]:
        ax.axis("off")
    if not figs:
        axes.flat[0].text(0.5, 0.5, "nothing to plot in this result", ha="center", va="center")
    page.suptitle(title, fontsize=11)
    page.tight_layout()
    buf = io.BytesIO()
    page.savefig(buf, format="png", dpi=110)
    plt.close(page)
    return buf.getvalue()
