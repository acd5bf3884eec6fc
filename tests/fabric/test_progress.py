"""The fabric kind reports progress as its packet-level run advances, and it changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vnetsim.kinds import RunOptions, get_kind
from vnetsim.scenario.loader import load_variants, option_overrides, read_yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fabric-to-vm.yaml"


def run_kind(kind_name: str, path: Path, sets: list[str], duration: str,
             with_progress: bool) -> tuple[list[dict], list[list[float]]]:
    """Every variant through the kind itself (not the API, which adds its own final 1.0), with the
    ``sets`` overrides; the rows and each variant's fractions (the edge kind's test uses it too)."""
    kind = get_kind(kind_name)
    rows: list[dict] = []
    seen: list[list[float]] = []
    for v in load_variants(read_yaml(path), str(path), kind.model, option_overrides(sets, None, duration)):
        seen.append([])
        rows += kind.run_variant(v, RunOptions(None, seen[-1].append if with_progress else None))
    return rows, seen


def test_fractions_rise_to_one_per_variant_and_the_result_is_unchanged():
    sets = ["fabric.engine.chunk_packets=2000"]     # chunks of 2,000 packets: a short run has several
    with_bar, seen = run_kind("fabric", EXAMPLE, sets, "2ms", True)
    plain, _ = run_kind("fabric", EXAMPLE, sets, "2ms", False)
    assert json.dumps(with_bar, sort_keys=True) == json.dumps(plain, sort_keys=True)
    assert len(seen) == len(plain) == 2
    for f in seen:
        r = np.array(f)
        assert (np.diff(r) >= 0).all() and r[-1] == 1.0 and ((0 <= r) & (r <= 1)).all()
        assert ((r > 0) & (r < 1)).sum() >= 2          # several chunks before the end


def test_a_flow_level_run_says_done():
    doc = {k: v for k, v in read_yaml(EXAMPLE).items() if k not in ("edge", "variants")}
    doc["fabric"]["engine"] = {"level": "flow"}
    kind = get_kind("fabric")
    seen: list[float] = []
    for v in load_variants(doc, "<doc>", kind.model, option_overrides((), None, "2ms")):
        kind.run_variant(v, RunOptions(None, seen.append))
    assert seen and seen[-1] == 1.0
