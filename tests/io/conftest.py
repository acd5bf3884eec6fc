"""Fixtures for capture tests: the tshark binary (the real captures are ``real_pcap_dir`` in tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tshark() -> str:
    path = shutil.which("tshark") or ("/usr/bin/tshark" if Path("/usr/bin/tshark").exists() else None)
    if path is None:
        pytest.skip("tshark is not installed (Debian package 'tshark'; .ci/run installs it)")
    return path
