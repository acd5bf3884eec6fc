"""Results the report tests draw: a small multi-queue host scenario with loads, a fabric, and the
edge example (central ingest against edge processing)."""

from __future__ import annotations

from pathlib import Path

import pytest

import vnetsim

HOST = {"name": "report host", "duration": "10ms", "warmup": "1ms", "seed": 5,
        "traffic": {"flows": [{"name": "udp", "count": 64, "rate": "400kpps", "size": 256}]},
        "host": {"pnic": {"rx_queues": 4}, "cores": 2},
        "loads": ["50kpps", "400kpps"],
        "variants": [{"name": "interrupt"}, {"name": "poll", "host": {"service": {"mode": "poll"}}}]}

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def host_result():
    return vnetsim.run(HOST)


@pytest.fixture(scope="session")
def fabric_result():
    return vnetsim.run(EXAMPLES / "fabric-to-vm.yaml", duration="2ms")


@pytest.fixture(scope="session")
def edge_result():
    return vnetsim.run(EXAMPLES / "factory-edge-vs-central.yaml", duration="30s")


@pytest.fixture(scope="session")
def sweep_store(tmp_path_factory):
    """A results store: ring size 256 and 1024 at two loads, three replications each (two RX
    queues, so the kinds' figures have bars as well as lines)."""
    from vnetsim.sweep.run import sweep

    path = tmp_path_factory.mktemp("store") / "runs.duckdb"
    doc = {"name": "report sweep", "duration": "4ms", "warmup": "1ms", "seed": 9,
           "traffic": {"flows": [{"name": "u", "count": 16, "rate": "300kpps", "size": 256}]},
           "host": {"pnic": {"rx_queues": 2}}, "loads": ["100kpps", "300kpps"]}
    sweep(doc, grid=["host.pnic.ring_size=256,1024"], replications=3, workers=1, store=path)
    return path
