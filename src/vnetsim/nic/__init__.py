"""NIC steering policy: Toeplitz RSS and RETA, NetQueue filters, VTEPs, offloads.

Entry point: ``steer(flows, config)`` -> the RX queue of each flow (see ``steering``). Other domains
(the host) use the NIC through these exports only.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    **dict.fromkeys(("NetQueueConfig", "NicConfig", "OffloadConfig", "OffloadCostConfig", "OverlayConfig",
                     "QueueFilterConfig", "RssConfig", "RssFieldsConfig", "SteeringConfig", "VtepConfig",
                     "parse_config"), "config"),
    "QueueFilter": "netqueue",
    **dict.fromkeys(("inner_rss_available", "rx_work", "tx_work"), "offloads"),
    **dict.fromkeys(("REASONS", "Steering", "balls_into_bins", "jain_index", "max_mean", "queue_counts", "steer"),
                    "steering"),
    "host_overlay_flows": "vtep",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use: validating a NIC configuration does not load the hash kernels."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.nic.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.nic' has no attribute {name!r}")
