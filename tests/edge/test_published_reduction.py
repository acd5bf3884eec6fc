"""Published worked examples of edge data reduction, reproduced from their stated inputs by an
edge scenario (sources in docs/references.md, "Edge data reduction")."""

from __future__ import annotations

import vnetsim

NO_EVENTS = {"rate": 0.0}


def edge_row(doc: dict) -> dict:
    res = vnetsim.run({"kind": "edge", "seed": 1, "duration": "3s", "events": NO_EVENTS, **doc})
    (row,) = res.variants
    return row


def test_iotclass_industrial_vibration_example():
    """iotclass, "Edge Review: Data Reduction Calculations", industrial vibration monitoring: 500
    sensors at 1 kHz, 16-byte readings, downsampled to 10 Hz, summarised per group of 100 sensors
    in 200-byte records: 28.8 GB an hour raw, 3.6 MB an hour sent, 8,000x. The page's window is
    not stated where we could read it; one summary per group per second is the one that gives
    its 3.6 MB an hour."""
    row = edge_row({
        "sensors": [{"name": "vibration", "count": 500, "sample_rate": "1kHz", "sample_bytes": 16}],
        "edge": {"flush": "1s", "message_bytes": 1200,
                 "stages": [{"kind": "downsample", "factor": 100},                    # 1 kHz -> 10 Hz
                            {"kind": "aggregate", "window": "1s", "group": 100, "summary_bytes": 200}]},
    })
    raw_per_hour = row["raw_payload_bytes_per_s"] * 3600
    down, agg = row["edge"]["stages"]
    assert raw_per_hour == 28.8e9                                          # 28.8 GB/hour
    assert down["samples_out_per_s"] == 500 * 10 and down["bytes_out_per_s"] * 3600 == 288e6
    assert agg["bytes_out_per_s"] * 3600 == 3.6e6                          # 3.6 MB/hour
    assert row["links"]["central"]["bytes_per_hour"] == 3.6e6              # what the centre ingests
    assert raw_per_hour / row["links"]["central"]["bytes_per_hour"] == 8000.0
    assert row["data"]["delivered_bytes"] > 0 and row["uplink"]["messages"]["dropped"] == 0


def test_reductstore_one_second_rms_example():
    """ReductStore, "How to Store Vibration Sensor Data | Part 1": a signal sampled at 10 kHz cut
    into 1 s chunks, one RMS value per chunk, is 10,000 times smaller."""
    row = edge_row({
        "sensors": [{"name": "accelerometer", "count": 1, "sample_rate": "10kHz", "sample_bytes": 4}],
        "edge": {"stages": [{"kind": "aggregate", "window": "1s", "group": 1, "summary_bytes": 4}]},
    })
    (agg,) = row["edge"]["stages"]
    assert agg["bytes_in_per_s"] / agg["bytes_out_per_s"] == 10_000.0
    assert row["raw_payload_bytes_per_s"] / row["links"]["central"]["bytes_per_s"] == 10_000.0
