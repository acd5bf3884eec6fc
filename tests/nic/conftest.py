"""Fixtures for NIC steering tests (shared data lives in nic_vectors.py)."""

from __future__ import annotations

import numpy as np
import pytest
from nic_vectors import N_VMS

from vnetsim.net.synth import vm_flows


@pytest.fixture(scope="session")
def inner_flows():
    """4000 TCP flows from random clients to 64 VMs (fixed seed: the tests are deterministic)."""
    return vm_flows(4000, N_VMS, np.random.default_rng(20240611))
