"""Quantities with units, parsed once at the edge (YAML, CLI) into SI-based numbers.

Inside vnetsim every number carries its unit in its name (``_ns``, ``_bps``, ``_pps``,
``_hz``, ``_bytes``). Users may write units in values: ``"10Gbps"``, ``"4000/s"``,
``"50us"``, ``"2.5Mpps"``, ``"9KiB"``, ``"500cycles"``. Each parser raises ``ValueError``
with a message that says what was expected, so schema errors read well.

Every parser returns a finite number >= 0 or raises ``ValueError`` (never another exception): NaN
and infinities are refused, whether written as numbers (YAML ``.nan``, ``.inf``) or produced by a
huge mantissa times a unit prefix, and so are values beyond the sane ranges below (``MAX_*``), so
no division or allocation downstream meets an absurd number. A positive rate must be at least
``MIN_RATE_PPS`` / ``MIN_BIT_RATE_BPS`` / ``MIN_FREQUENCY_HZ`` (0 stays allowed: no traffic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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


# Sane ranges (inclusive). Beyond them a value is a typo or an overflow, not a design.
MAX_DURATION_NS = 1e9 * 3600 * 24 * 365 * 1000    # 1000 years of simulated time
MAX_BYTES = 2**50                                 # 1 PiB
MAX_BIT_RATE_BPS = 1e15                           # 1 Pb/s (the fastest ports are 1.6 Tb/s)
MAX_RATE_PPS = 1e13                               # 10 T packets/s
MAX_FREQUENCY_HZ = 1e13                           # events (interrupts, clock cycles) per second
MAX_COST_CYCLES = 1e15
MIN_RATE_PPS = 1e-3         # a positive rate below one packet in 1000 s is a typo (and underflows)
MIN_BIT_RATE_BPS = 1.0
MIN_FREQUENCY_HZ = 1e-3


def _show(text: object) -> str:
    """The value as written, cut to a readable length (a message stays one short line)."""
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _split(text: object, what: str, example: str) -> tuple[float, str]:
    if isinstance(text, bool):
        raise ValueError(f"expected {what} like {example!r}, got {_show(text)}")
    if isinstance(text, (int, float)):
        try:
            return float(text), ""
        except OverflowError:   # an int beyond float's range
            raise ValueError(f"{what} must be a finite number, got {_show(text)}") from None
    if not isinstance(text, str):
        raise ValueError(f"expected {what} like {example!r}, got {_show(text)}")
    match = _QUANTITY.match(text.replace("_", ""))
    if not match:
        raise ValueError(f"expected {what} like {example!r}, got {_show(text)}")
    return float(match.group(1)), match.group(2)


def _non_negative(value: float, text: object, what: str, limit: float = float("inf"),
                  unit: str = "", floor: float = 0.0) -> float:
    """``value`` if it is finite, >= 0 and at most ``limit``; 0 or at least ``floor``."""
    if value != value or value < 0 or value == float("inf"):
        raise ValueError(f"{what} must be a finite number >= 0, got {_show(text)}")
    if value > limit:
        raise ValueError(f"{what} must be at most {limit:g}{unit}, got {_show(text)}")
    if 0 < value < floor:
        raise ValueError(f"{what} must be 0 or at least {floor:g}{unit}, got {_show(text)}")
    return value if value else 0.0      # -0.0 -> 0.0


def parse_duration_ns(text: object) -> float:
    """``"50us"`` -> 50000.0. A bare number is accepted only when it is 0."""
    value, unit = _split(text, "a duration", "50us")
    if unit == "":
        _non_negative(value, text, "a duration")
        if value == 0:
            return 0.0
        raise ValueError(f"a duration needs a unit (ns, us, ms, s), e.g. '{value:g}us'; got {_show(text)}")
    if unit not in DURATION_NS:
        raise ValueError(f"unknown time unit {_show(unit)} in {_show(text)}; use ns, us, ms, s, min or h")
    return _non_negative(value * DURATION_NS[unit], text, "a duration", MAX_DURATION_NS, "ns")


def parse_bytes(text: object) -> int:
    """``"9KiB"`` -> 9216; a bare number means bytes."""
    value, unit = _split(text, "a size in bytes", "1500B")
    if unit not in BYTES:
        raise ValueError(f"unknown size unit {_show(unit)} in {_show(text)}; use B, kB, MB, GB, KiB, MiB or GiB")
    out = value * BYTES[unit]
    _non_negative(out, text, "a size", MAX_BYTES, " bytes")
    if out != int(out):
        raise ValueError(f"a size in bytes must be whole, got {_show(text)}")
    return int(out)


def parse_bit_rate_bps(text: object) -> float:
    """``"10Gbps"`` or ``"25G"`` -> bits per second."""
    value, unit = _split(text, "a bit rate", "10Gbps")
    if unit == "" and value != 0:
        raise ValueError(f"a bit rate needs a unit, e.g. '10Gbps'; got {_show(text)}")
    m = re.fullmatch(r"([kKMGT]?)(?:bps|b/s|bit/s)?", unit)
    if not m:
        raise ValueError(f"unknown bit-rate unit {_show(unit)} in {_show(text)}; use bps, kbps, Mbps, Gbps or Tbps")
    return _non_negative(value * _SI[m.group(1)], text, "a bit rate", MAX_BIT_RATE_BPS, "bps", MIN_BIT_RATE_BPS)


def parse_frequency_hz(text: object) -> float:
    """``"4000/s"``, ``"4kHz"`` or ``"2.3GHz"`` -> events per second."""
    value, unit = _split(text, "a rate per second", "4000/s")
    m = re.fullmatch(r"([kKMGT]?)(?:Hz|/s)", unit)
    if unit == "":
        return _non_negative(value, text, "a rate", MAX_FREQUENCY_HZ, "/s", MIN_FREQUENCY_HZ)
    if not m:
        raise ValueError(f"expected a rate per second like '4000/s' or '2.3GHz', got {_show(text)}")
    return _non_negative(value * _SI[m.group(1)], text, "a rate", MAX_FREQUENCY_HZ, "/s", MIN_FREQUENCY_HZ)


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
        raise ValueError(f"a rate needs a unit: packets ('2Mpps') or bits ('10Gbps') per second; got {_show(text)}")
    kind: Literal["pps", "bps"] = "pps" if m.group(2) == "pps" else "bps"
    limit, floor = (MAX_RATE_PPS, MIN_RATE_PPS) if kind == "pps" else (MAX_BIT_RATE_BPS, MIN_BIT_RATE_BPS)
    return Rate(_non_negative(value * _SI[m.group(1)], text, "a rate", limit, kind, floor), kind)


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
        return Cost(_non_negative(value, text, "a cost", MAX_COST_CYCLES, "cycles"), "cycles")
    return Cost(parse_duration_ns(text), "ns")


def format_duration_ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.4g}{unit}"
    return f"{ns:.4g}ns"


def format_seconds(seconds: float) -> str:
    """A long wall-clock or simulated time, readably: '40 s', '3.2 min', '5.1 h', '2.4 days', '19 years'."""
    for unit, scale in (("years", 365 * 86400.0), ("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def format_rate(value: float, kind: str) -> str:
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.4g}{prefix}{kind}"
    return f"{value:.4g}{kind}"
