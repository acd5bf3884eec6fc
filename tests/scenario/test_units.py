"""Units are parsed once at the edge; every parser rejects typos with a message saying what it wanted."""

import pytest

from vnetsim.units import (
    Cost,
    parse_bit_rate_bps,
    parse_bytes,
    parse_cost,
    parse_duration_ns,
    parse_frequency_hz,
    parse_rate,
)


@pytest.mark.parametrize("text, ns", [("50us", 50e3), ("1.5 ms", 1.5e6), ("2s", 2e9), ("0", 0.0),
                                      ("120ns", 120.0), (0, 0.0), ("1e3us", 1e6)])
def test_durations(text, ns):
    assert parse_duration_ns(text) == pytest.approx(ns)


@pytest.mark.parametrize("text", ["50", "50 usec", "-3us", "fast", "1..2ms", True])
def test_bad_durations(text):
    with pytest.raises(ValueError) as err:
        parse_duration_ns(text)
    assert "duration" in str(err.value) or "unit" in str(err.value)


def test_rates_and_sizes():
    assert parse_bit_rate_bps("10Gbps") == 10e9
    assert parse_bit_rate_bps("25G") == 25e9
    assert parse_frequency_hz("4000/s") == 4000
    assert parse_frequency_hz("2.3GHz") == 2.3e9
    assert parse_bytes("9KiB") == 9216
    assert parse_bytes(1500) == 1500
    assert parse_rate("2Mpps").value == 2e6 and parse_rate("2Mpps").kind == "pps"
    assert parse_rate("10Gbps").kind == "bps"
    assert parse_cost("500cycles") == Cost(500, "cycles")
    assert parse_cost("500cycles").to_ns(2.5e9) == pytest.approx(200.0)
    assert parse_cost("120ns").to_ns(1e9) == 120.0


def test_line_rate_packets_per_second():
    """10 Gb/s at 64 B is 14,880,952 pps; 1538 B on the wire is 812,744 pps.

    docs/references.md, Line-rate packet rates.
    """
    assert int(parse_rate("10Gbps").to_pps(64)) == 14_880_952
    assert int(parse_rate("10Gbps").to_pps(1518)) == 812_743  # 1e10 / (1538*8) = 812743.8


@pytest.mark.parametrize("text", ["10Gbsp", "10", "3 Mbit"])
def test_bit_rate_typos(text):
    with pytest.raises(ValueError):
        parse_bit_rate_bps(text)


@pytest.mark.parametrize("text", ["2M", "2 Mpp", "fast"])
def test_rate_typos(text):
    with pytest.raises(ValueError) as err:
        parse_rate(text)
    assert "rate" in str(err.value)
