"""Sweep designs expand exactly: grid (full factorial, first axis slowest), zip (together), random
(seeded, within bounds), and bad input is one line naming the sweep entry."""

from __future__ import annotations

import itertools

import pytest

from vnetsim.errors import ScenarioError
from vnetsim.sweep.design import expand, parse_block, parse_grid, with_grid


def test_no_design_is_one_point():
    assert expand(parse_block(None, "f.yaml")) == [{}]


def test_grid_is_the_full_factorial_first_axis_slowest():
    block = parse_block({"grid": [{"path": "a", "values": [1, 2, 3]}, {"path": "b.c", "values": ["x", "y"]}]}, "f")
    assert expand(block) == [{"a": a, "b.c": b} for a, b in itertools.product([1, 2, 3], ["x", "y"])]


def test_zip_varies_together_and_combines_with_the_grid():
    block = parse_block({"grid": [{"path": "g", "values": [0, 1]}],
                         "zip": [{"path": "r", "values": ["1Mpps", "2Mpps", "3Mpps"]},
                                 {"path": "s", "values": [64, 512, 1500]}]}, "f")
    assert expand(block) == [{"g": g, "r": r, "s": s} for g in (0, 1)
                             for r, s in zip(["1Mpps", "2Mpps", "3Mpps"], [64, 512, 1500])]


def test_random_design_is_seeded_and_within_bounds():
    spec = {"random": {"samples": 200, "seed": 7, "params": [
        {"path": "n", "integers": [2, 5]},
        {"path": "x", "uniform": [1.0, 2.0]},
        {"path": "rate", "log_uniform": [0.1, 10], "unit": "Mpps"},
        {"path": "mode", "values": ["poll", "interrupt"]}]}}
    points = expand(parse_block(spec, "f"))
    assert len(points) == 200
    assert points == expand(parse_block(spec, "f"))                      # same seed, same points
    other = dict(spec, random=dict(spec["random"], seed=8))
    assert points != expand(parse_block(other, "f"))
    assert {p["n"] for p in points} == {2, 3, 4, 5}                       # integers: both ends included
    assert all(1.0 <= p["x"] < 2.0 for p in points)
    rates = [float(p["rate"].removesuffix("Mpps")) for p in points]
    assert all(p["rate"].endswith("Mpps") for p in points) and all(0.1 <= r <= 10 for r in rates)
    assert sum(r < 1 for r in rates) > 60                                # log-uniform: about half below 1
    assert {p["mode"] for p in points} == {"poll", "interrupt"}


@pytest.mark.parametrize(("text", "path", "values"), [
    ("host.pnic.rx_queues=1,2,4,8", "host.pnic.rx_queues", [1, 2, 4, 8]),
    ("loads=[1Mpps,2Mpps]", "loads", ["1Mpps", "2Mpps"]),
    ("loads=1Mpps", "loads", ["1Mpps"]),
    ("loads=[[1Mpps, 2Mpps]]", "loads", [["1Mpps", "2Mpps"]]),
    ("host.service.mode=poll,interrupt", "host.service.mode", ["poll", "interrupt"]),
    ("a=[1,2],3", "a", [[1, 2], 3]),
    ("x=0.5,2.5", "x", [0.5, 2.5]),
])
def test_grid_option_parses_values(text, path, values):
    axis = parse_grid(text)
    assert (axis.path, axis.values) == (path, values)


@pytest.mark.parametrize(("text", "start"), [
    ("norate", "--grid 'norate': expected PATH=VALUE"),
    ("a=1,,2", "--grid 'a=1,,2': an empty value"),
    ("variants=1,2", "--grid 'variants=1,2': 'variants' cannot be swept"),
    ("seed=1,2", "--grid 'seed=1,2': 'seed' cannot be swept"),
    ("a..b=1", "--grid 'a..b=1': the path must be dotted field names"),
])
def test_bad_grid_option_is_one_line(text, start):
    with pytest.raises(ScenarioError) as err:
        parse_grid(text)
    line = err.value.line()
    assert line.startswith(start) and "\n" not in line


@pytest.mark.parametrize(("block", "expected"), [
    ({"grid": [{"path": "a", "values": []}]}, "f.yaml: sweep.grid[0].values: List should have at least 1 item"),
    ({"grid": [{"path": "a"}]}, "f.yaml: sweep.grid[0].values: missing required field"),
    ({"grid": [{"path": "a", "values": [1], "colour": 1}]}, "f.yaml: sweep.grid[0].colour: unknown field"),
    ({"zip": [{"path": "a", "values": [1, 2]}, {"path": "b", "values": [1]}]},
     "f.yaml: sweep: zip fields need the same number of values (got a: 2, b: 1)"),
    ({"grid": [{"path": "a", "values": [1]}, {"path": "a", "values": [2]}]}, "f.yaml: sweep: a is swept twice"),
    ({"random": {"samples": 3, "params": [{"path": "a", "uniform": [2, 1]}]}},
     "f.yaml: sweep.random.params[0]: uniform needs finite [low, high] with low < high"),
    ({"random": {"samples": 3, "params": [{"path": "a"}]}},
     "f.yaml: sweep.random.params[0]: give exactly one of values, uniform, log_uniform, integers"),
    ({"replications": 0}, "f.yaml: sweep.replications: Input should be greater than or equal to 1"),
    ([1, 2], "f.yaml: sweep: Input should be a valid dictionary"),
])
def test_bad_sweep_block_is_one_line(block, expected):
    with pytest.raises(ScenarioError) as err:
        parse_block(block, "f.yaml")
    assert err.value.line().startswith(expected), err.value.line()


def test_command_line_axis_replaces_the_files_axis_of_the_same_path():
    block = parse_block({"grid": [{"path": "a", "values": [1, 2]}, {"path": "b", "values": [1]}],
                         "replications": 3}, "f")
    merged = with_grid(block, [parse_grid("a=5,6,7")], replications=2)
    assert [(a.path, a.values) for a in merged.grid] == [("b", [1]), ("a", [5, 6, 7])]
    assert merged.replications == 2
    assert len(expand(merged)) == 3
