"""Reports: one self-contained HTML file of plots and tables, and a quick static PNG.

- ``write_report(source, out)``: ``source`` is a Result, a RESULT.json path or a results store;
  the HTML embeds plotly.js and every figure's data, so it opens with no network;
- ``write_plot(result, out)``: a PNG of the result's figures (matplotlib), for ``run --plot``.

Figures come from each kind's ``report`` hook (``vnetsim.kinds.Kind.report``): nothing here knows
a kind by name. Layer: may use everything below it, never ``vnetsim.api`` or ``vnetsim.cli``.
"""

from __future__ import annotations

from pathlib import Path

from vnetsim.io.outputs import AtomicFile, write_atomic
from vnetsim.results.result import Result


def write_report(source: Result | str | Path, out: str | Path, option: str = "-o") -> int:
    """Write the HTML report of ``source`` to ``out`` (atomically); returns the number of figures."""
    from vnetsim import __version__
    from vnetsim.report.build import sections_of
    from vnetsim.report.html import render_html

    title, sections = sections_of(source)
    text = render_html(title or "vnetsim report", sections, meta=f"vnetsim {__version__}")
    write_atomic(str(out), text, option)
    return sum(len(figs) for _, figs, _ in sections)


def write_plot(result: Result, out: str | Path, option: str = "--plot") -> int:
    """Write a PNG of the result's figures to ``out`` (atomically); returns the panels drawn."""
    from vnetsim.report.build import figures_of
    from vnetsim.report.static import MAX_PANELS, render_png

    figures = figures_of(result)
    png = render_png(figures, result.scenario)
    f = AtomicFile(out, option, binary=True)
    try:
        f.write(png)
        f.commit()
    except BaseException:
        f.abort()
        raise
    return min(len(figures), MAX_PANELS)


__all__ = ["write_plot", "write_report"]
