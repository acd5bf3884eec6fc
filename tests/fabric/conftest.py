"""Fixtures of the fabric tests: small scenarios and a helper to build routes and flows."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from vnetsim.fabric.config import FabricConfig, TrafficConfig
from vnetsim.fabric.routing import build_routing
from vnetsim.fabric.topology import build_fabric
from vnetsim.fabric.traffic import build_flows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "storage-fabric.yaml"


class Built:
    """A fabric with routes and flows (and their paths) for tests."""

    def __init__(self, fabric_kw: dict, traffic_kw: dict | None = None, seed: int = 1, same_seed: bool = False):
        self.fc = FabricConfig(**fabric_kw)
        self.tc = TrafficConfig(**(traffic_kw or {}))
        self.fabric = build_fabric(self.fc)
        self.routing = build_routing(self.fabric, seed, same_seed=same_seed)
        self.flows = build_flows(self.fc, self.tc, self.fabric, seed)
        self.paths, self.plen = self.routing.paths(self.flows.src, self.flows.dst, self.flows.key0, self.flows.key1)

    def link_ids(self, a: str, b: str) -> np.ndarray:
        """Directed link ids from node a to node b."""
        f = self.fabric
        return np.nonzero((f.link_src == f.index[a]) & (f.link_dst == f.index[b]))[0]


@pytest.fixture
def build():
    return Built


@pytest.fixture
def small_doc() -> dict:
    """A 4-rack x 8-host spine-leaf scenario, short enough for packet runs in tests."""
    return copy.deepcopy({
        "name": "small", "seed": 3, "duration": "200us",
        "fabric": {"topology": "spine_leaf", "racks": 4, "hosts_per_rack": 8,
                   "spine": {"count": 4}},
        "traffic": {"pattern": "replication", "load": 0.3, "frame_size": "1518B"},
    })


@pytest.fixture
def example_path() -> Path:
    return EXAMPLE
