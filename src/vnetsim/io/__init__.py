"""Captures in and out (pcap/pcapng reading into arrays and flows, pcap writing of simulated
traffic) and output files (plain JSON, atomic writes).

The capture names are loaded on first use, so writing a JSON file does not compile capture kernels.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PcapTrace", "PcapWriter", "read_pcap", "write_pcap"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from vnetsim.io import pcap

        return getattr(pcap, name)
    raise AttributeError(f"module 'vnetsim.io' has no attribute {name!r}")
