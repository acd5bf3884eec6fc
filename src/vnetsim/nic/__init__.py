"""NIC steering policy: Toeplitz RSS and RETA, NetQueue filters, VTEPs, offloads.

Entry point: ``steer(flows, config)`` -> the RX queue of each flow (see ``steering``). Other domains
(the host) use the NIC through these exports only.
"""

from .config import (
                     NetQueueConfig,
                     NicConfig,
                     OffloadConfig,
                     OffloadCostConfig,
                     OverlayConfig,
                     QueueFilterConfig,
                     RssConfig,
                     RssFieldsConfig,
                     SteeringConfig,
                     VtepConfig,
                     parse_config,
)
from .netqueue import QueueFilter
from .offloads import inner_rss_available, rx_work, tx_work
from .steering import REASONS, Steering, balls_into_bins, jain_index, max_mean, queue_counts, steer
from .vtep import host_overlay_flows

__all__ = [
    "NetQueueConfig", "NicConfig", "OffloadConfig", "OffloadCostConfig", "OverlayConfig", "QueueFilterConfig",
    "RssConfig", "RssFieldsConfig", "SteeringConfig", "Steering", "VtepConfig", "balls_into_bins", "jain_index",
    "max_mean", "parse_config", "queue_counts", "steer", "QueueFilter", "inner_rss_available", "rx_work", "tx_work",
    "REASONS", "host_overlay_flows",
]
