"""Shared test helpers: where the repository and its test data are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"  # real captures from tcpdump's test suite (tests/data/README.md)


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_pcap_dir() -> Path:
    """The real captures in tests/data (part of the repository: a missing file is a failure)."""
    assert DATA.is_dir(), f"{DATA} is missing: the real captures belong to the repository (tests/data/README.md)"
    return DATA
