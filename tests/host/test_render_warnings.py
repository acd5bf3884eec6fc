"""The host table says each distinct warning once, with the rows that give it, not once a row."""

from __future__ import annotations

import io

from rich.console import Console

import vnetsim
from vnetsim.host.render import render_host

DOC = {"name": "w", "duration": "2ms", "warmup": "5ms", "loads": ["10kpps", "100kpps", "1Mpps"],
       "traffic": {"flows": [{"name": "f", "count": 1, "rate": "100kpps"}]},
       "host": {"pnic": {"rx_queues": 4}}}


def _text(result) -> str:
    out = io.StringIO()
    render_host(result, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_a_warning_every_load_level_gives_is_said_once():
    result = vnetsim.run(DOC)
    rows = result.variants
    assert len(rows) == 3 and all(any("warm-up" in w for w in r["warnings"]) for r in rows)
    text = _text(result)
    lines = [line for line in text.splitlines() if line.startswith("warning:")]
    assert len([line for line in lines if "warm-up" in line]) == 1, lines
    assert any(line.startswith("warning: every row: ") for line in lines)
