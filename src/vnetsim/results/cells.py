"""Table cells every kind's tables share: durations, shares and bit rates as short text."""

from __future__ import annotations

from vnetsim.units import format_duration_ns


def duration(ns: float | None) -> str:
    """``12.3us``; ``-`` for a missing value (None or NaN)."""
    return "-" if ns is None or ns != ns else format_duration_ns(float(ns))


def share(x: float | None) -> str:
    """A fraction as a percentage with one decimal; ``-`` for None."""
    return "-" if x is None else f"{100 * float(x):.1f}%"


def bitrate(bps: float | None) -> str:
    """``25 Gb/s``: four significant digits in the largest unit that fits."""
    if bps is None:
        return "-"
    for unit, scale in (("Tb/s", 1e12), ("Gb/s", 1e9), ("Mb/s", 1e6)):
        if abs(bps) >= scale:
            return f"{bps / scale:.4g} {unit}"
    return f"{bps:.4g} b/s"
