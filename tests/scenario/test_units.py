"""Units are parsed once at the edge; every parser rejects typos with a message saying what it wanted,
and (property-based) every input either parses to a finite value >= 0 of the right unit or raises
ValueError, never another exception."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.units import (
    MAX_BIT_RATE_BPS,
    MAX_BYTES,
    MAX_DURATION_NS,
    MAX_FREQUENCY_HZ,
    MIN_BIT_RATE_BPS,
    MIN_RATE_PPS,
    Cost,
    Rate,
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


# --- hardening: every input either parses to a finite value >= 0 of the right unit, or is a ValueError

UNITS = ["", "ns", "us", "µs", "ms", "s", "sec", "min", "h", "B", "b", "kB", "KiB", "MiB", "GiB", "TiB", "TB",
         "bps", "kbps", "Mbps", "Gbps", "Tbps", "G", "M", "k", "T", "b/s", "Gb/s", "bit/s", "pps", "kpps", "Mpps",
         "Gpps", "Hz", "kHz", "GHz", "/s", "k/s", "cycles", "cycle", "cyc", "x", "%", "Pbps", "nan", "inf"]
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "-0", "1e308", "1e309", "1e-320", "5e-324", "1e400", ".5", "5.", "1_000", "1e", "1.2.3",
                     "nan", "inf", "-inf", "NaN", "Infinity", "0x10", "٣", "1" * 500, "9" * 5000]),
)
TEXTS = st.one_of(
    st.builds(lambda n, sp, u: f"{n}{sp}{u}", NUMBERS, st.sampled_from(["", " ", "  "]), st.sampled_from(UNITS)),
    st.text(max_size=20),
)
VALUES = st.one_of(TEXTS, st.integers(-10**400, 10**400), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.none(), st.lists(st.integers(), max_size=2), st.binary(max_size=4))
PROPERTY = settings(max_examples=200, deadline=None)


def _finite_nonneg(x: float, limit: float) -> None:
    assert isinstance(x, float) and math.isfinite(x) and 0 <= x <= limit, x
    assert math.copysign(1.0, x) == 1.0          # no -0.0


def _parses_or_value_error(parse, value):
    try:
        return parse(value)
    except ValueError as exc:   # any other exception fails the test
        message = str(exc)
        assert message and "\n" not in message and len(message) < 300
        return None


@PROPERTY
@given(VALUES)
def test_duration_parser_total(value):
    out = _parses_or_value_error(parse_duration_ns, value)
    if out is not None:
        _finite_nonneg(out, MAX_DURATION_NS)


@PROPERTY
@given(VALUES)
def test_bytes_parser_total(value):
    out = _parses_or_value_error(parse_bytes, value)
    if out is not None:
        assert isinstance(out, int) and 0 <= out <= MAX_BYTES


@PROPERTY
@given(VALUES)
def test_bit_rate_parser_total(value):
    out = _parses_or_value_error(parse_bit_rate_bps, value)
    if out is not None:
        _finite_nonneg(out, MAX_BIT_RATE_BPS)
        assert out == 0 or out >= MIN_BIT_RATE_BPS


@PROPERTY
@given(VALUES)
def test_frequency_parser_total(value):
    out = _parses_or_value_error(parse_frequency_hz, value)
    if out is not None:
        _finite_nonneg(out, MAX_FREQUENCY_HZ)


@PROPERTY
@given(VALUES)
def test_rate_parser_total(value):
    out = _parses_or_value_error(parse_rate, value)
    if out is not None:
        assert isinstance(out, Rate) and out.kind in ("pps", "bps")
        _finite_nonneg(out.value, MAX_BIT_RATE_BPS)
        assert out.value == 0 or out.value >= (MIN_RATE_PPS if out.kind == "pps" else MIN_BIT_RATE_BPS)
        pps = out.to_pps(64)
        assert math.isfinite(pps) and pps >= 0


@PROPERTY
@given(VALUES)
def test_cost_parser_total(value):
    out = _parses_or_value_error(parse_cost, value)
    if out is not None:
        assert isinstance(out, Cost) and out.unit in ("ns", "cycles")
        assert math.isfinite(out.value) and out.value >= 0
        assert math.isfinite(out.to_ns(2.3e9))


@pytest.mark.parametrize("parse, text", [
    (parse_rate, "1e-300pps"), (parse_rate, "nanpps"), (parse_rate, "1e400pps"), (parse_rate, float("nan")),
    (parse_frequency_hz, float("inf")), (parse_frequency_hz, 10**400), (parse_duration_ns, "1e300s"),
    (parse_duration_ns, float("nan")), (parse_bytes, 10**400), (parse_bytes, "2PiB"), (parse_bit_rate_bps, "2Pbps"),
    (parse_bit_rate_bps, "1e20G"), (parse_cost, "1e300cycles"),
])
def test_absurd_values_are_refused_in_one_line(parse, text):
    with pytest.raises(ValueError) as err:
        parse(text)
    assert "\n" not in str(err.value) and len(str(err.value)) < 200


def test_zero_stays_allowed_and_negative_zero_is_zero():
    assert parse_rate("0pps").value == 0.0
    assert math.copysign(1.0, parse_duration_ns("-0us")) == 1.0
    assert parse_bit_rate_bps(0) == 0.0
