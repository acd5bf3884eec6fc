"""Network sizing against the vendors' published formulas and examples."""

from __future__ import annotations

import pytest

from vnetsim.storage.network import inter_site_bps, rtt_from_distance_ns, witness_bps


def test_inter_site_bandwidth_published_example():
    """core.vmware.com "vSAN Stretched Cluster Bandwidth Sizing", and Dell "VxRail Architecture
    Overview: bandwidth calculation examples": 10,000 writes/s of 4 KB = 40 MB/s = 320 Mbps;
    B = Wb x 1.4 x 1.25 = 560 Mbps."""
    assert inter_site_bps(10_000 * 4e3) == pytest.approx(560e6, rel=1e-12)


def test_witness_bandwidth_formula_and_the_2mbps_per_1000_components_rule():
    """Same sources: witness bandwidth = 1138 B x components / 5 s; with a 10 % margin about 2 Mbps
    per 1,000 components (the documented rule of thumb)."""
    assert witness_bps(1000, margin=1.0) == pytest.approx(1138 * 8 * 1000 / 5)     # 1.8208 Mbps
    assert witness_bps(1000) == pytest.approx(2.00288e6)
    assert witness_bps(1000) == pytest.approx(2e6, rel=0.002)
    assert witness_bps(25_000) == pytest.approx(25 * witness_bps(1000))


def test_rtt_from_distance():
    """Light in fibre: about 4.9 us per km one way (refractive index ~1.47): 100 km -> 0.98 ms RTT."""
    assert rtt_from_distance_ns(100) == pytest.approx(0.98e6)
    assert rtt_from_distance_ns(0) == 0.0
