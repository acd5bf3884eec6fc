"""Storage devices: kinds, their default performance and failure figures, and the ``2x3.84TB-nvme`` notation.

Default figures per device kind (docs/models/storage.md, "Devices"): annual failure rates from the
Backblaze drive statistics (HDD 1.5 %, 2024; SSD 0.8 %, 2022); latency, IOPS and throughput are
typical datasheet values of current enterprise devices (low confidence: set them from your device's
datasheet or a measurement).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vnetsim.units import parse_bytes

DEVICE_KINDS: tuple[str, ...] = ("nvme", "sas-ssd", "sata-ssd", "hdd")


@dataclass(frozen=True)
class DeviceDefaults:
    """What a device kind is assumed to do when the scenario does not say."""

    read_latency_ns: float
    write_latency_ns: float
    iops: float              # 4 KiB random, per device
    throughput_bps: float    # sequential, bits per second
    afr: float               # annual failure rate (fraction per year)
    rebuild_rate_bps: float  # what one device sustains as a rebuild source or target


DEFAULTS: dict[str, DeviceDefaults] = {
    "nvme": DeviceDefaults(90e3, 30e3, 500_000, 3.0e9 * 8, 0.008, 1.0e9 * 8),
    "sas-ssd": DeviceDefaults(150e3, 60e3, 200_000, 1.0e9 * 8, 0.008, 0.5e9 * 8),
    "sata-ssd": DeviceDefaults(200e3, 80e3, 90_000, 0.5e9 * 8, 0.008, 0.25e9 * 8),
    "hdd": DeviceDefaults(6e6, 6e6, 200, 0.2e9 * 8, 0.015, 0.1e9 * 8),
}

_GROUP = re.compile(r"^\s*(\d+)\s*[xX*]\s*([0-9.]+\s*[kMGT]i?B)\s*-?\s*([a-z-]+)?\s*$")


def parse_device_groups(text: str) -> list[dict]:
    """``"2x3.84TB-nvme"`` or ``"1x800GB-nvme+4x3.84TB-sas-ssd"`` -> device groups (count, capacity
    bytes, kind). Raises ValueError with an example on anything else."""
    groups = []
    for part in str(text).split("+"):
        m = _GROUP.match(part)
        if not m:
            raise ValueError(f"expected devices like '2x3.84TB-nvme' (COUNTxSIZE-KIND, '+' between groups), "
                             f"got {part.strip()!r}")
        kind = m.group(3) or "nvme"
        if kind not in DEVICE_KINDS:
            raise ValueError(f"unknown device kind {kind!r} in {part.strip()!r}; use one of: {', '.join(DEVICE_KINDS)}")
        count = int(m.group(1))
        if not 1 <= count <= 64:
            raise ValueError(f"a host holds 1 to 64 devices of a group, got {count} in {part.strip()!r}")
        groups.append({"count": count, "capacity": parse_bytes(m.group(2).replace(" ", "")), "kind": kind})
    return groups
