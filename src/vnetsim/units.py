"""Quantities with units, parsed once at the edge (YAML, CLI) into SI-based numbers.

Inside vnetsim every number carries its unit in its name (``_ns``, ``_bps``, ``_pps``,
``_hz``, ``_bytes``). Users may write units in values: ``"10Gbps"``, ``"4000/s"``,
``"50us"``, ``"2.5Mpps"``, ``"9KiB"``, ``"500cycles"``. Each parser raises ``ValueError``
with a message that says what was expected, so schema errors read well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_QUANTITY = re.compile(rf"^\s*{_NUMBER}\s*([A-Za-z/%µ]*(?:/s)?)\s*$")

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

DURATION_NS = {
    "ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "sec": 1e9,
    "min": 60e9, "h": 3600e9,
}
BYTES = {
    "b": 1, "B": 1, "": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
}


def _split(text: object, what: str, example: str) -> tuple[float, str]:
    if isinstance(text, bool):
        raise ValueError(f"expected {what} like {example!r}, got {text!r}")
    if isinstance(text, (int, float)):
        return float(text), ""
    if not isinstance(text, str):
        raise ValueError(f"expected {what} like {example!r}, got {text!r}")
    match = _QUANTITY.match(text.replace("_", ""))
    if not match:
        raise ValueError(f"expected {what} like {example!r}, got {text!r}")
    return float(match.group(1)), match.group(2)


def _non_negative(value: float, text: object, what: str) -> float:
    if value != value or value < 0 or value == float("inf"):
        raise ValueError(f"{what} must be a finite number >= 0, got {text!r}")
    return value


def parse_duration_ns(text: object) -> float:
    """``"50us"`` -> 50000.0. A bare number is accepted only when it is 0."""
    value, unit = _split(text, "a duration", "50us")
    if unit == "":
        if value == 0:
            return 0.0
        raise ValueError(f"a duration needs a unit (ns, us, ms, s), e.g. '{text}us'; got {text!r}")
    if unit not in DURATION_NS:
        raise ValueError(f"unknown time unit {unit!r} in {text!r}; use ns, us, ms, s, min or h")
    return _non_negative(value * DURATION_NS[unit], text, "a duration")


def parse_bytes(text: object) -> int:
    """``"9KiB"`` -> 9216; a bare number means bytes."""
    value, unit = _split(text, "a size in bytes", "1500B")
    if unit not in BYTES:
        raise ValueError(f"unknown size unit {unit!r} in {text!r}; use B, kB, MB, GB, KiB, MiB or GiB")
    out = value * BYTES[unit]
    _non_negative(out, text, "a size")
    if out != int(out):
        raise ValueError(f"a size in bytes must be whole, got {text!r}")
    return int(out)


def parse_bit_rate_bps(text: object) -> float:
    """``"10Gbps"`` or ``"25G"`` -> bits per second."""
    value, unit = _split(text, "a bit rate", "10Gbps")
    if unit == "" and value != 0:
        raise ValueError(f"a bit rate needs a unit, e.g. '10Gbps'; got {text!r}")
    m = re.fullmatch(r"([kKMGT]?)(?:bps|b/s|bit/s)?", unit)
    if not m:
        raise ValueError(f"unknown bit-rate unit {unit!r} in {text!r}; use bps, kbps, Mbps, Gbps or Tbps")
    return _non_negative(value * _SI[m.group(1)], text, "a bit rate")


def parse_frequency_hz(text: object) -> float:
    """``"4000/s"``, ``"4kHz"`` or ``"2.3GHz"`` -> events per second."""
    value, unit = _split(text, "a rate per second", "4000/s")
    m = re.fullmatch(r"([kKMGT]?)(?:Hz|/s)", unit)
    if unit == "":
        return _non_negative(value, text, "a rate")
    if not m:
        raise ValueError(f"expected a rate per second like '4000/s' or '2.3GHz', got {text!r}")
    return _non_negative(value * _SI[m.group(1)], text, "a rate")


@dataclass(frozen=True)
class Rate:
    """A traffic rate: packets per second or bits per second (on the wire, 20-byte overhead)."""

    value: float
    kind: Literal["pps", "bps"]

    def to_pps(self, mean_frame_bytes: float, wire_overhead_bytes: int = 20) -> float:
        if self.kind == "pps":
            return self.value
        return self.value / ((mean_frame_bytes + wire_overhead_bytes) * 8.0)

    def __str__(self) -> str:
        return format_rate(self.value, self.kind)


def parse_rate(text: object) -> Rate:
    """``"2Mpps"`` -> Rate(2e6, "pps"); ``"10Gbps"`` -> Rate(1e10, "bps")."""
    if isinstance(text, Rate):
        return text
    value, unit = _split(text, "a rate", "2Mpps or 10Gbps")
    m = re.fullmatch(r"([kKMGT]?)(pps|bps|b/s)", unit)
    if not m:
        raise ValueError(f"a rate needs a unit: packets ('2Mpps') or bits ('10Gbps') per second; got {text!r}")
    kind: Literal["pps", "bps"] = "pps" if m.group(2) == "pps" else "bps"
    return Rate(_non_negative(value * _SI[m.group(1)], text, "a rate"), kind)


@dataclass(frozen=True)
class Cost:
    """A CPU cost per operation, in nanoseconds or in cycles of the core that pays it."""

    value: float
    unit: Literal["ns", "cycles"]

    def to_ns(self, cpu_hz: float) -> float:
        return self.value if self.unit == "ns" else self.value / cpu_hz * 1e9

    def __str__(self) -> str:
        return f"{self.value:g}cycles" if self.unit == "cycles" else format_duration_ns(self.value)


def parse_cost(text: object) -> Cost:
    """``"500cycles"`` or ``"120ns"`` -> Cost; converted to ns with the core's clock."""
    if isinstance(text, Cost):
        return text
    value, unit = _split(text, "a cost", "500cycles or 120ns")
    if unit in ("cycles", "cycle", "cyc"):
        return Cost(_non_negative(value, text, "a cost"), "cycles")
    return Cost(parse_duration_ns(text), "ns")


def format_duration_ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.4g}{unit}"
    return f"{ns:.4g}ns"


def format_rate(value: float, kind: str) -> str:
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.4g}{prefix}{kind}"
    return f"{value:.4g}{kind}"


def _unit_schema(what: str, example: str, number_too: bool = True) -> WithJsonSchema:
    text = {"type": "string", "description": f"{what}, e.g. {example!r}"}
    return WithJsonSchema({"anyOf": [text, {"type": "number"}]} if number_too else text)


# Pydantic field types: parse on input (the JSON Schema says what may be written), serialise back
# to readable strings where the value is not a plain number.
DurationNs = Annotated[float, BeforeValidator(parse_duration_ns),
                       _unit_schema("a duration with a unit (ns, us, ms, s); a bare 0 is allowed", "50us")]
Bytes = Annotated[int, BeforeValidator(parse_bytes), _unit_schema("bytes (B, kB, MB, KiB, MiB...)", "9KiB")]
BitRateBps = Annotated[float, BeforeValidator(parse_bit_rate_bps),
                       _unit_schema("a bit rate (bps, kbps, Mbps, Gbps)", "10Gbps", False)]
FrequencyHz = Annotated[float, BeforeValidator(parse_frequency_hz),
                        _unit_schema("a rate per second (/s, Hz, kHz, GHz); a bare number is per second", "4000/s")]
RateSpec = Annotated[Rate, BeforeValidator(parse_rate), PlainSerializer(str, return_type=str),
                     _unit_schema("a traffic rate: packets (pps) or bits on the wire (bps) per second", "2Mpps", False)]
CostSpec = Annotated[Cost, BeforeValidator(parse_cost), PlainSerializer(str, return_type=str),
                     _unit_schema("CPU work: a duration or cycles of the core's clock", "500cycles", False)]
