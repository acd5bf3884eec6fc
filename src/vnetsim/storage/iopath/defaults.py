"""Device kinds for the I/O path from datasheet-style figures (latency, IOPS, throughput).

``device_kind`` turns the four figures a datasheet gives into a ``DeviceKind``: the service time of
a read or write is its latency (a lognormal with squared coefficient of variation ``scv``) plus the
transfer at the sequential throughput, and the parallelism (``queue_depth``) is what Little's law
needs for the rated IOPS: ``iops * read latency``. ``default_device_kinds`` uses the same figures as
the storage kind's device defaults (``vnetsim.storage.devices``; sources in docs/models/storage-io.md).
"""

from __future__ import annotations

from vnetsim.storage.iopath.spec import DeviceKind, ServiceTime

# name: (read latency ns, write latency ns, 4 KiB random IOPS, sequential throughput bits/s)
DEVICE_FIGURES: dict[str, tuple[float, float, float, float]] = {
    "nvme": (90e3, 30e3, 500_000, 3.0e9 * 8),
    "sas-ssd": (150e3, 60e3, 200_000, 1.0e9 * 8),
    "sata-ssd": (200e3, 80e3, 90_000, 0.5e9 * 8),
    "hdd": (6e6, 6e6, 200, 0.2e9 * 8),
}


def device_kind(name: str, read_latency_ns: float, write_latency_ns: float, iops: float, throughput_bps: float,
                scv: float = 0.25) -> DeviceKind:
    """A device kind serving ``iops`` at ``read_latency_ns`` (Little's law gives its parallelism)."""
    depth = max(1, round(iops * read_latency_ns / 1e9))
    return DeviceKind(name, ServiceTime(read_latency_ns, scv, throughput_bps),
                      ServiceTime(write_latency_ns, scv, throughput_bps), depth)


def default_device_kinds() -> dict[str, DeviceKind]:
    """``nvme``, ``sas-ssd``, ``sata-ssd`` and ``hdd`` with their default figures."""
    return {name: device_kind(name, *fig) for name, fig in DEVICE_FIGURES.items()}
