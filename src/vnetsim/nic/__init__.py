"""NIC steering policy: Toeplitz RSS and RETA, NetQueue filters, VTEPs, offloads.

Entry point: ``steer(flows, config)`` -> the RX queue of each flow (see ``steering``).
"""

from .config import (NetQueueConfig, NicConfig, OffloadConfig, OffloadCostConfig, OverlayConfig, QueueFilterConfig,
                     RssConfig, RssFieldsConfig, SteeringConfig, VtepConfig, parse_config)
from .steering import Steering, balls_into_bins, jain_index, max_mean, queue_counts, steer

__all__ = [
    "NetQueueConfig", "NicConfig", "OffloadConfig", "OffloadCostConfig", "OverlayConfig", "QueueFilterConfig",
    "RssConfig", "RssFieldsConfig", "SteeringConfig", "Steering", "VtepConfig", "balls_into_bins", "jain_index",
    "max_mean", "parse_config", "queue_counts", "steer",
]
