"""The edge kind reports progress as its run advances, and it changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tests.fabric.test_progress import run_kind

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "factory-edge-vs-central.yaml"


def test_fractions_rise_to_one_per_variant_and_the_result_is_unchanged():
    sets = ["chunk_messages=16384"]           # chunks of 16,384 messages: a short run has several
    with_bar, seen = run_kind("edge", EXAMPLE, sets, "30s", True)
    plain, _ = run_kind("edge", EXAMPLE, sets, "30s", False)
    assert json.dumps(with_bar, sort_keys=True) == json.dumps(plain, sort_keys=True)
    assert len(seen) == len(plain) == 3
    for f in seen:
        r = np.array(f)
        assert len(r) and (np.diff(r) >= 0).all() and r[-1] == 1.0 and ((0 <= r) & (r <= 1)).all()
    # central ingest: 30 s x 8,000 messages/s in chunks of 16,384 -> about 15 steps below 1
    assert ((np.array(seen[0]) > 0) & (np.array(seen[0]) < 1)).sum() >= 10
