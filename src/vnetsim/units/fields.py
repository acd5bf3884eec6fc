"""Pydantic field types for quantities with units: parsed on input by ``vnetsim.units``' parsers,
described in the JSON Schema, serialised back to readable strings where the value is not a plain
number.

Kept apart from the parsers so that a command that only parses units (``vnetsim storage plan``)
does not import pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from vnetsim.units import (
    Cost,
    Rate,
    parse_bit_rate_bps,
    parse_bytes,
    parse_cost,
    parse_duration_ns,
    parse_frequency_hz,
    parse_rate,
)

__all__ = ["BitRateBps", "Bytes", "CostSpec", "DurationNs", "FrequencyHz", "RateSpec"]


def _unit_schema(what: str, example: str, number_too: bool = True) -> WithJsonSchema:
    text = {"type": "string", "description": f"{what}, e.g. {example!r}"}
    return WithJsonSchema({"anyOf": [text, {"type": "number"}]} if number_too else text)


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
