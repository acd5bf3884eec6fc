"""The HTML report in a real browser (headless Chromium): every plot drawn, no errors, no network.

Skipped only when Chromium is missing (CI installs Debian's chromium package).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from tests.report.browser import CHROMIUM, open_page, screenshot

from vnetsim.report import write_report

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)")


@pytest.fixture(scope="module")
def reports(tmp_path_factory, host_result, fabric_result, edge_result, sweep_store):
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    json_path = folder / "host.json"
    json_path.write_text(host_result.to_json(), encoding="utf-8")
    for name, result in (("host", host_result), ("fabric", fabric_result), ("edge", edge_result),
                         ("json", json_path), ("store", sweep_store)):
        if name == "json":   # the same page as from the Result itself (checked below), not opened again
            write_report(result, folder / "json.html")
            continue
        path = folder / f"{name}.html"
        n = write_report(result, path)
        out[name] = (path, n, _figure_ids(path))
    return folder, out


def _figure_ids(page: Path) -> list[str]:
    return re.findall(r'<div class="figure" data-figure="([^"]+)">', page.read_text(encoding="utf-8"))


def _plots(dom: str) -> dict[str, str]:
    """Each figure's plot element (by its data-figure id) and the markup inside it."""
    found = {}
    for m in re.finditer(r'<div class="figure" data-figure="([^"]+)"><div class="plot[^"]*"[^>]*>(.*?)'
                         r'</div><div class="side">', dom, re.S):
        found.setdefault(m.group(1), m.group(2))
    return found


@needs_chromium
@pytest.mark.parametrize("name", ["host", "fabric", "edge", "store"])
def test_every_plot_renders_without_errors_or_network(reports, name, tmp_path):
    _, out = reports
    path, n, ids = out[name]
    host = {"latency-cdf", "stage-latency", "cpu-per-core", "queue-load", "interrupts-vs-load"}
    fabric = {"end-to-end-cdf", "latency-cdf", "link-utilisation-0", "link-utilisation-1"}
    edge = {"edge-link-volume", "edge-monthly-cost", "edge-event-latency", "edge-uplink", "edge-upf-latency"}
    expected = {"host": host, "fabric": fabric, "edge": edge,
                "store": host | {"sweep-host.pnic.ring_size-latency_ns.p99",
                                                "sweep-host.pnic.ring_size-delivered_pps"}}[name]
    assert expected <= set(ids) and n == len(ids)
    page = open_page(path, tmp_path)
    assert page.attr("data-probe-done") == "1", "the page's scripts did not finish: " + page.stderr[-2000:]
    assert page.errors == [], page.errors
    assert page.network == [], f"the report fetched {page.network}"
    body = re.search(r"<body[^>]*>", page.dom).group(0)
    assert f'data-rendered="{n}"' in body and f'data-figures="{n}"' in body, body
    plots = _plots(page.dom)
    assert set(plots) == set(ids)
    for fid, inner in plots.items():
        assert 'class="main-svg"' in inner, f"{fid}: plotly drew nothing"
        assert re.search(r'class="[^"]*\b(trace|point)\b', inner), f"{fid}: no traces drawn"
    if name == "store":   # replications merged: the queue bars carry their intervals, drawn as error bars
        assert re.search(r'class="yerror"', plots["queue-load"]), "no error bars drawn on the queue bars"


@needs_chromium
def test_screenshot_is_not_blank(reports, tmp_path):
    import matplotlib.image as mpimg

    _, out = reports
    shot = screenshot(out["host"][0], tmp_path / "host.png", tmp_path)
    img = mpimg.imread(shot)[..., :3]
    gray = img.mean(axis=2)
    assert img.shape[0] > 1000 and gray.std() > 0.05, "screenshot is blank"
    ink = (gray < 0.9).mean()               # share of non-white pixels: text, axes, bars, lines
    colour = (img.max(axis=2) - img.min(axis=2) > 0.25).mean()   # coloured pixels: the data
    assert ink > 0.02 and colour > 0.005, (ink, colour)


@needs_chromium
def test_the_probe_sees_errors_and_network(tmp_path):
    """The checks above could fail: a page with a script error, a console error and a remote image."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head></head><body><script>console.error("boom"); nothing();</script>'
                   '<img src="https://example.invalid/x.png"></body></html>', encoding="utf-8")
    page = open_page(bad, tmp_path)
    assert any("boom" in e for e in page.errors) and any("nothing" in e for e in page.errors)
    assert page.network == ["https://example.invalid/x.png"]


def test_a_result_json_gives_the_same_page_as_the_result(reports):
    folder, out = reports
    assert (folder / "json.html").read_bytes() == out["host"][0].read_bytes()


def test_report_file_makes_no_network_references(reports):
    _, out = reports
    for path, _, _ in out.values():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""<(script|link|img|iframe|source|video|audio)\b[^>]*\s(src|href)\s*=\s*["']?\s*"""
                             r"""(https?:)?//""", text, re.I)
        assert not re.search(r"""@import\s+(url\()?\s*["']?(https?:)?//""", text, re.I)
        assert "<script src" not in text.lower() and '<link rel="stylesheet"' not in text.lower()


def test_static_plot_draws_every_panel(host_result, tmp_path):
    import matplotlib.image as mpimg

    from vnetsim.report import write_plot

    n = write_plot(host_result, tmp_path / "p.png")
    img = mpimg.imread(tmp_path / "p.png")[..., :3]
    assert n == 5 and img.std() > 0.05
    assert np.isfinite(img).all()


def test_sweep_figures_have_confidence_bands_from_the_replications(sweep_store):
    from vnetsim.report.sweep import store_sections
    from vnetsim.results.store import read_rows
    from vnetsim.sweep.ci import interval

    _, sections = store_sections(sweep_store)
    figs = {f.id: f for f in sections[0][1]}
    fig = figs["sweep-host.pnic.ring_size-latency_ns.p99"]
    rows = read_rows(sweep_store)
    for s in fig.series:
        assert s.lower is not None and len(s.x) == 2 and s.x == sorted(s.x)
        for y, lo, hi in zip(s.y, s.lower, s.upper):
            assert lo <= y <= hi
    # an independent recomputation of one point: the mean and CI of p99 over its three replications
    s = fig.series[0]
    vals = [r["latency_ns.p99"] for r in rows if r["name"] == s.name and r["param.host.pnic.ring_size"] == s.x[0]]
    assert len(vals) == 3
    ci = interval(vals)
    assert s.y[0] == pytest.approx(ci["mean"] / 1e3) and s.lower[0] == pytest.approx(ci["low"] / 1e3)
