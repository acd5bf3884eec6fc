"""Fixtures for capture tests: the real captures in ../shared and the tshark binary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_PCAP = REPO_ROOT.parent / "shared" / "data" / "pcap"


@pytest.fixture(scope="session")
def real_pcap_dir() -> Path:
    if not SHARED_PCAP.is_dir():
        pytest.skip(f"{SHARED_PCAP} is absent (a fresh clone has no ../shared): real-capture tests need it")
    return SHARED_PCAP


@pytest.fixture(scope="session")
def tshark() -> str:
    path = shutil.which("tshark") or ("/usr/bin/tshark" if Path("/usr/bin/tshark").exists() else None)
    if path is None:
        pytest.skip("tshark is not installed (Debian package 'tshark'; .ci/run installs it)")
    return path
