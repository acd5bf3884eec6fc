"""Labels of the static figure (``vnetsim run --plot``): cut in the middle, so that labels that
differ only at their end still read apart."""

from __future__ import annotations


def test_static_labels_keep_both_ends():
    from vnetsim.report.static import _short

    a, b = (_short(f"report sweep (host.pnic.ring_size={n})") for n in (256, 1024))
    assert a != b and a.endswith("=256)") and b.endswith("=1024)") and len(a) <= 36 and len(b) <= 36
    assert a.startswith("report sweep") and "…" in a
    assert _short("burst 32 @ 10kpps") == "burst 32 @ 10kpps"
