"""The Result's views agree with each other: JSON, the DataFrame and the rows."""

from __future__ import annotations

import json
import math

import pytest

import vnetsim

SCENARIO = {"name": "views", "duration": "20ms", "warmup": "2ms",
            "traffic": {"flows": [{"name": "a", "rate": "200kpps", "size": 256}]},
            "variants": [{"name": "interrupt"}, {"name": "poll", "host": {"service": {"mode": "poll"}}}]}


@pytest.fixture(scope="module")
def result():
    return vnetsim.run(SCENARIO)


def test_json_round_trips_and_has_no_nan(result):
    text = result.to_json()
    data = json.loads(text)
    assert data["kind"] == "host" and [v["name"] for v in data["variants"]] == ["interrupt", "poll"]
    assert "NaN" not in text and "Infinity" not in text
    assert text == vnetsim.run(SCENARIO).to_json(), "same scenario and seed: the same bytes"


def test_dataframe_columns_are_the_flattened_rows(result):
    df = result.to_dataframe()
    assert list(df.index) == ["interrupt", "poll"]
    for v in result.to_dict()["variants"]:
        assert df.loc[v["name"], "latency_ns.p99"] == v["latency_ns"]["p99"]
        assert df.loc[v["name"], "packets.delivered"] == v["packets"]["delivered"]
        cpu = [c for c in df.columns if c.startswith("cpu.") and c.endswith(".idle")]
        assert cpu and all(0.0 <= df.loc[v["name"], c] <= 1.0 for c in cpu)
    assert not any(isinstance(x, float) and math.isnan(x) for x in df["packets.offered"])


def test_variant_lookup(result):
    assert result.variant("poll")["name"] == "poll"
    with pytest.raises(KeyError):
        result.variant("nope")
