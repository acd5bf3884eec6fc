"""Points: seeds from splitmix64, keys stable and sensitive to every input, documents resolved by
the one merge rule, and bad swept values named by the sweep entry that set them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from vnetsim.errors import ScenarioError
from vnetsim.kinds import get_kind
from vnetsim.sweep import plan
from vnetsim.sweep.points import design_key, largest_first, point_key, replication_seed

from .conftest import mm1_doc

HOST = {"name": "h", "seed": 3, "duration": "2ms", "warmup": "0.5ms",
        "traffic": {"flows": [{"name": "udp", "count": 16, "rate": "200kpps", "size": 64}]},
        "host": {"service": {"mode": "poll"}, "vms": [{"name": "vnf", "guest": {"service": {"mode": "poll"}}}]}}


def test_replication_seeds_are_splitmix64_outputs():
    # splitmix64 by hand in Python integers: state += gamma; z = mix(state)
    def reference(seed: int, n: int) -> list[int]:
        out, state, mask = [], seed, (1 << 64) - 1
        for _ in range(n):
            state = (state + 0x9E3779B97F4A7C15) & mask
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            out.append((z ^ (z >> 31)) >> 32)
        return out

    assert [replication_seed(5, r) for r in range(6)] == reference(5, 6)
    # the compiled generator the kinds use agrees, wrap-around included
    import numpy as np

    from vnetsim.engine.rng import GOLDEN_GAMMA, splitmix64

    for seed in (0, 7, 2**63, 2**64 - 1):
        for r in (0, 1, 1000):
            state = np.uint64((seed + r * int(GOLDEN_GAMMA)) % 2**64)
            assert replication_seed(seed, r) == int(splitmix64(state)) >> 32
    seeds = [replication_seed(1, r) for r in range(1000)]
    assert len(set(seeds)) == 1000 and all(0 <= s < 2**32 for s in seeds)


def test_key_is_stable_across_processes():
    doc = {"b": [1, 2.5, "x"], "a": {"z": None, "y": True}, "seed": 4}
    here = point_key("host", "v", doc, 4, "0.1.0")
    code = ("from vnetsim.sweep.points import point_key; "
            "print(point_key('host', 'v', {'a': {'y': True, 'z': None}, 'seed': 4, 'b': [1, 2.5, 'x']}, 4, '0.1.0'))")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert here == there and len(here) == 64


def test_key_changes_with_every_input():
    doc = {"a": {"b": 1}, "seed": 4}
    base = point_key("host", "v", doc, 4, "0.1.0")
    changed = [point_key("fabric", "v", doc, 4, "0.1.0"), point_key("host", "w", doc, 4, "0.1.0"),
               point_key("host", "v", {"a": {"b": 2}, "seed": 4}, 4, "0.1.0"),
               point_key("host", "v", {"a": {"b": 1.0000001}, "seed": 4}, 4, "0.1.0"),
               point_key("host", "v", {"a": {"b": 1, "c": None}, "seed": 4}, 4, "0.1.0"),
               point_key("host", "v", doc, 5, "0.1.0"), point_key("host", "v", doc, 4, "0.1.1")]
    assert len({base, *changed}) == len(changed) + 1
    assert design_key("host", "v", doc) == design_key("host", "v", dict(doc, seed=9))


def test_points_resolve_variants_overrides_and_seeds(mm1):
    doc = mm1_doc(grid=[{"path": "link.arrival_rate", "values": ["100kpps", "200kpps"]}], replications=3)
    doc["variants"] = [{"name": "a"}, {"name": "b", "link": {"service_rate": "2Mpps"}}]
    name, kind, block, points = plan(doc, overrides=["duration=5ms"])
    assert (name, kind, len(points)) == ("mm1", "mm1", 2 * 2 * 3)
    p = points[-1]
    assert (p.variant, p.replication, p.params) == ("b", 2, {"link.arrival_rate": "200kpps"})
    assert p.doc["link"] == {"arrival_rate": "200kpps", "service_rate": "2Mpps"} and p.doc["duration"] == "5ms"
    assert p.doc["seed"] == p.seed == replication_seed(1, 2)
    assert "sweep" not in p.doc and "variants" not in p.doc
    assert len({q.key for q in points}) == 12 and len({q.design for q in points}) == 4
    # the same sweep planned again has the same keys; another base seed, other keys
    assert [q.key for q in plan(doc, overrides=["duration=5ms"])[3]] == [q.key for q in points]
    assert not {q.key for q in plan(doc, seed=2, overrides=["duration=5ms"])[3]} & {q.key for q in points}


def test_a_scalar_swept_into_a_list_field_becomes_one_item():
    _, _, _, points = plan(HOST, grid=["loads=[100kpps,200kpps]", "host.pnic.rx_queues=1,2"])
    assert [(p.doc["loads"], p.doc["host"]["pnic"]["rx_queues"]) for p in points] == [
        (["100kpps"], 1), (["100kpps"], 2), (["200kpps"], 1), (["200kpps"], 2)]
    get_kind("host").model.model_validate(points[0].doc)


@pytest.mark.parametrize(("grid", "expected"), [
    ("host.pnic.rx_queues=1,x", "--grid host.pnic.rx_queues: host.pnic.rx_queues='x': Input should be a valid integer"),
    ("host.pnic.rx_queues=0", "--grid host.pnic.rx_queues: host.pnic.rx_queues=0: Input should be greater than"),
    ("host.pnic.rx_queues.x=1", "--grid host.pnic.rx_queues.x: host.pnic.rx_queues.x=1: host.pnic.rx_queues: "
                                "Input should be a valid integer"),
])
def test_bad_swept_values_name_the_axis(grid, expected):
    with pytest.raises(ScenarioError) as err:
        plan(HOST, grid=[grid])
    assert err.value.line().startswith(expected), err.value.line()


def test_bad_value_in_the_files_block_names_the_entry():
    doc = dict(HOST, sweep={"grid": [{"path": "host.pnic.rx_queues", "values": [1, -1]}]})
    with pytest.raises(ScenarioError) as err:
        plan(doc)
    assert err.value.line().startswith("<scenario>: sweep.grid[0]: host.pnic.rx_queues=-1: ")


def test_plain_run_ignores_the_sweep_block():
    import vnetsim

    res = vnetsim.run(dict(HOST, sweep={"grid": [{"path": "host.pnic.rx_queues", "values": [1, 2]}]}))
    assert len(res.variants) == 1 and np.isfinite(res.variants[0]["latency_ns"]["mean"])


def test_host_points_carry_their_offered_packets_and_the_largest_run_first():
    _, _, _, points = plan(HOST, grid=["traffic.flows.udp.rate=100kpps,400kpps,200kpps"], replications=2)
    # Kind.work of the host kind: offered packets, rate x duration (2 ms), the same for each replication
    assert [p.work for p in points] == pytest.approx([200, 200, 800, 800, 400, 400])
    ordered = largest_first(points)
    assert [(p.work, p.index) for p in ordered] == [(800, 2), (800, 3), (400, 4), (400, 5), (200, 0), (200, 1)]


def test_points_of_a_kind_without_estimates_keep_the_sweep_order(mm1):
    _, _, _, points = plan(mm1_doc(grid=[{"path": "link.arrival_rate", "values": ["100kpps", "300kpps"]}],
                                   replications=2))
    assert {p.work for p in points} == {0.0}
    assert [p.index for p in largest_first(points)] == [0, 1, 2, 3]
