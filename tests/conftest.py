"""Shared test helpers: where the repository and the shared data are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def shared_pcap() -> Path:
    """The real captures in ../shared/data/pcap; tests that need them skip on a fresh clone."""
    path = SHARED / "data" / "pcap"
    if not path.is_dir():
        pytest.skip("../shared/data/pcap is absent (a fresh clone): real-capture tests need it")
    return path
