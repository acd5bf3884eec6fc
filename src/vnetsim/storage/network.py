"""Network sizing: inter-site bandwidth from the write rate, witness bandwidth from the component
count, replication load on the hosts' NICs, and RTT from distance.

- Inter-site bandwidth (stretched): B = Wb x md x mr, with Wb the VMs' write bandwidth, md = 1.4
  (metadata and other traffic) and mr = 1.25 (room for resynchronization). Published example:
  10,000 writes/s of 4 KB = 40 MB/s = 320 Mbps -> 320 x 1.4 x 1.25 = 560 Mbps.
- Witness bandwidth: 1138 B per component every 5 s when ownership moves to the other site, with a
  10 % margin: B = 1138 x 8 x N / 5 x 1.1 bit/s, i.e. about 2 Mbps per 1,000 components.
- RTT from distance: light in fibre takes 4.9 us per km one way, so RTT = 2 x 4.9 us x km.
- Replication: every VM write is written to all copies; the copies that are not on the VM's host
  cross the network (no data locality assumed inside a site).

Sources in docs/models/storage.md, "Network sizing".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

DATA_MULTIPLIER = 1.4
RESYNC_MULTIPLIER = 1.25
WITNESS_BYTES_PER_COMPONENT = 1138
WITNESS_INTERVAL_S = 5.0
WITNESS_MARGIN = 1.1
FIBRE_NS_PER_KM = 4.9e3


def inter_site_bps(write_bytes_per_s: float, md: float = DATA_MULTIPLIER, mr: float = RESYNC_MULTIPLIER) -> float:
    """Bandwidth between the two data sites: write bandwidth (bits) x md x mr."""
    return write_bytes_per_s * 8 * md * mr


def witness_bps(components: int, margin: float = WITNESS_MARGIN) -> float:
    """Bandwidth from a data site to the witness: 1138 B x components / 5 s (bits), times the margin."""
    return WITNESS_BYTES_PER_COMPONENT * 8 * components / WITNESS_INTERVAL_S * margin


def rtt_from_distance_ns(distance_km: float) -> float:
    """Round trip over ``distance_km`` of fibre (propagation only)."""
    return 2 * FIBRE_NS_PER_KM * distance_km


@dataclass(frozen=True)
class NetworkSizing:
    write_bytes_per_s: float
    read_bytes_per_s: float
    replication_bps: float          # write copies crossing the network, whole cluster
    replication_per_host_bps: float
    host_nic_bps: float             # active storage bandwidth of one host
    host_nic_load: float
    inter_site_required_bps: float | None
    inter_site_link_bps: float | None
    inter_site_rtt_ns: float | None
    witness_required_bps: float | None
    witness_link_bps: float | None
    witness_rtt_ns: float | None

    def to_dict(self) -> dict:
        return asdict(self)
