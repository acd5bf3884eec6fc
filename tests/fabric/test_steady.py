"""Fabric runs too short for steady state say the queues were still growing; stable runs say nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import vnetsim

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "storage-fabric.yaml"


@pytest.fixture(scope="module")
def runs():
    return {(d, name): vnetsim.run(EXAMPLE, duration=d, variant=name).variants[0]
            for d, name in (("5ms", "l2-stp"), ("50ms", "l2-stp"), ("5ms", "spine-leaf"))}


def test_overloaded_short_run_says_still_growing(runs):
    row = runs["5ms", "l2-stp"]
    (w,) = row["warnings"]
    assert "still growing" in w and "tor" in w and f"{row['packets']['drop_fraction']:.1%}" in w


def test_the_same_run_long_enough_says_nothing(runs):
    short, long = runs["5ms", "l2-stp"], runs["50ms", "l2-stp"]
    assert long["packets"]["drop_fraction"] > 3 * short["packets"]["drop_fraction"], "the short run was a transient"
    assert long["warnings"] == []


def test_stable_fabric_says_nothing(runs):
    row = runs["5ms", "spine-leaf"]
    assert row["packets"]["dropped"] == 0 and row["warnings"] == []


def test_flow_level_rows_carry_an_empty_list():
    doc = {"kind": "fabric", "duration": "1ms", "fabric": {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 2,
                                                        "engine": {"level": "flow"}}}
    assert vnetsim.run(doc).variants[0]["warnings"] == []
