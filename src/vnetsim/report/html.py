"""One self-contained HTML file: plotly.js, every figure's data and its table, all embedded.

Why plotly: interactive plots (hover for exact values, zoom into a CDF's tail, hide a variant by
clicking its legend entry) in one file that opens with no network; plotly's JavaScript bundle is
embedded from the installed Python package (about 4.8 MB). The page marks itself rendered
(``data-rendered`` on ``<body>``) once every plot is drawn, and records script errors in
``data-errors``, so a headless browser can check it.
"""

from __future__ import annotations

import html
import json

from vnetsim.report.plotly_spec import to_plotly
from vnetsim.results.figures import Figure, Table

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin:1.6em 0 .4em}
.meta{color:#666;margin-bottom:1em}
.figure{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start;border-top:1px solid #ddd;padding-top:.8em}
.plot{flex:3 1 620px;min-width:420px;min-height:420px}
.side{flex:2 1 420px;min-width:320px;max-height:460px;overflow:auto}
table{border-collapse:collapse;font-size:.85em}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right;white-space:nowrap}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.note{color:#666;font-size:.85em;margin-top:.5em}
.warn{color:#8a4b00;background:#fff4e0;padding:.3em .6em;margin:.2em 0}
"""

SCRIPT = """
(function(){
  var errors = [];
  function record(msg){ errors.push(String(msg)); document.body.setAttribute('data-errors', errors.join(' | ')); }
  window.addEventListener('error', function(e){ record(e.message); });
  var figs = JSON.parse(document.getElementById('vnetsim-figures').textContent);
  var done = 0;
  figs.forEach(function(f){
    try {
      Plotly.newPlot(f.id, f.data, f.layout, {responsive: true, displaylogo: false}).then(function(){
        done += 1; document.body.setAttribute('data-rendered', String(done));
      }, function(err){ record(err); });
    } catch (err) { record(err); }
  });
})();
"""


def _table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _script_json(obj) -> str:
    """JSON safe inside a <script> element (no ``</script>`` can end it early)."""
    return json.dumps(obj, allow_nan=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def _clean(obj):
    """NaN and infinity as null (JSON has neither)."""
    if isinstance(obj, float) and obj != obj or obj in (float("inf"), float("-inf")):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def render_html(title: str, sections: list[tuple[str, list[Figure], list[str]]], meta: str = "") -> str:
    """The report page: per section (heading, figures, warnings), each figure beside its table."""
    from plotly.offline import get_plotlyjs

    specs, parts = [], []
    n = 0
    for heading, figures, warnings in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts += [f'<div class="warn">{html.escape(w)}</div>' for w in warnings]
        for fig in figures:
            n += 1
            div = f"fig-{n}-{fig.id}"
            spec = to_plotly(fig)
            specs.append({"id": div, **_clean(spec)})
            side = _table(fig.table) if fig.table is not None else ""
            note = f'<div class="note">{html.escape(fig.note)}</div>' if fig.note else ""
            parts.append(f'<div class="figure" data-figure="{html.escape(fig.id)}"><div class="plot" id="{div}">'
                         f'</div><div class="side">{side}{note}</div></div>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head>\n"
        f'<body data-figures="{len(specs)}" data-rendered="0"><h1>{html.escape(title)}</h1>'
        f'<div class="meta">{html.escape(meta)}</div>\n' + "\n".join(parts)
        + f'\n<script type="application/json" id="vnetsim-figures">{_script_json(specs)}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
