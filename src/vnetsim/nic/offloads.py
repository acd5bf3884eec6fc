"""Offloads as effects on packets and on CPU work (TX: CSO, TSO/GSO; RX: LRO/GRO, RX checksum).

Model (docs/references.md, Offloads and Offload CPU costs; costs in ``OffloadCostConfig``, several low confidence):

TX, per application send of ``payload`` bytes (at most ``tso_max_bytes``):
- ``segments = ceil(payload / mss)`` packets always reach the wire.
- For an encapsulated flow the NIC's TSO/CSO apply only with the tunnel offloads
  (``tx-udp_tnl-segmentation``, ``tx-udp_tnl-csum-segmentation``); TSO needs checksum offload.
- With (effective) TSO the stack handles 1 packet and the NIC segments. Without TSO but with GSO
  the stack handles 1 packet and software makes ``segments`` (``segment`` cost each). With
  neither, the stack handles every segment (``tx_packet`` each).
- Without (effective) checksum offload the CPU sums every payload byte (``checksum_per_byte``).
- Encapsulation in software (the tunnel device) costs ``encap`` per packet through the stack.

RX, per flow, ``wire_packets`` arriving in bursts of ``burst`` segments of one TCP flow:
- Aggregation (LRO in the NIC, or GRO in software) merges up to ``tso_max_bytes / mss``
  segments of a burst into one packet; UDP and non-TCP are not aggregated. For encapsulated
  traffic LRO needs the NIC to parse inner headers (``rx-udp_tunnel-port-offload``); GRO works
  in software either way (Linux GRO handles UDP tunnels).
- The stack handles ``ceil(wire_packets / aggregation)`` packets (``rx_packet`` each); GRO pays
  ``gro_merge`` per segment merged; software decapsulation pays ``encap`` per stack packet (the
  tunnel's GRO merges inner segments before the tunnel device decapsulates).
- The driver (``driver_packet``, optional) handles what the NIC hands it: every wire segment
  with GRO or without aggregation (GRO runs inside the driver's poll, after the descriptor and
  buffer work), one packet per merged super-packet with LRO (the NIC merged them).
- Without RX checksum offload (for tunnels: without inner parsing) the CPU sums every byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import OffloadConfig, OffloadCostConfig


@dataclass
class TxWork:
    """Per send: packets through the stack, packets on the wire, CPU cycles spent."""

    stack_packets: np.ndarray
    wire_packets: np.ndarray
    cpu_cycles: np.ndarray


@dataclass
class RxWork:
    """Per flow: packets through the stack, packets the driver handles, CPU cycles spent."""

    stack_packets: np.ndarray
    cpu_cycles: np.ndarray
    driver_packets: np.ndarray | None = None


def _cycles(cost, cpu_hz: float) -> float:
    """A cost in cycles (a ``Cost`` in ns is converted with the core clock)."""
    return cost.value if cost.unit == "cycles" else cost.value * cpu_hz / 1e9


def effective_tx(offloads: OffloadConfig, encapsulated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(checksum offloaded, TSO offloaded) per row, after tunnel requirements."""
    enc = np.asarray(encapsulated, bool)
    csum = offloads.tx_checksum & (~enc | offloads.tunnel_csum)
    tso = offloads.tso & csum & (~enc | offloads.tunnel_tso)
    return np.asarray(csum, bool), np.asarray(tso, bool)


def tx_work(payload_bytes, encapsulated, offloads: OffloadConfig, costs: OffloadCostConfig,
            cpu_hz: float = 3.0e9) -> TxWork:
    """TX cost of sends (vectorized over sends; ``payload_bytes`` capped at ``tso_max_bytes``)."""
    payload = np.minimum(np.asarray(payload_bytes, np.int64), offloads.tso_max_bytes)
    enc = np.broadcast_to(np.asarray(encapsulated, bool), payload.shape)
    segments = np.maximum(1, -(-payload // offloads.mss_bytes))
    csum, tso = effective_tx(offloads, enc)
    stack = np.where(tso | offloads.gso, 1, segments)
    soft_segments = np.where(~tso & offloads.gso & (segments > 1), segments, 0)
    cycles = (stack * _cycles(costs.tx_packet, cpu_hz)
              + soft_segments * _cycles(costs.segment, cpu_hz)
              + np.where(csum, 0, payload) * _cycles(costs.checksum_per_byte, cpu_hz)
              + np.where(enc, stack, 0) * _cycles(costs.encap, cpu_hz))
    return TxWork(stack.astype(np.int64), segments.astype(np.int64), cycles.astype(np.float64))


def aggregation_factor(offloads: OffloadConfig, encapsulated, is_tcp, burst) -> np.ndarray:
    """Segments merged into one stack packet on receive (1 = no aggregation)."""
    enc = np.asarray(encapsulated, bool)
    lro = offloads.lro & (~enc | offloads.rx_udp_tunnel_port)
    agg_on = (lro | offloads.gro) & np.asarray(is_tcp, bool)
    cap = max(1, offloads.tso_max_bytes // offloads.mss_bytes)
    return np.where(agg_on, np.clip(np.asarray(burst, np.int64), 1, cap), 1)


def rx_work(wire_packets, payload_bytes, encapsulated, is_tcp, offloads: OffloadConfig,
            costs: OffloadCostConfig, burst=1, cpu_hz: float = 3.0e9, driver_packet=None) -> RxWork:
    """RX cost per flow: ``wire_packets`` segments carrying ``payload_bytes`` in total; with
    ``driver_packet`` (a cost) the driver's work on what the NIC hands it is included."""
    wire = np.asarray(wire_packets, np.int64)
    enc = np.broadcast_to(np.asarray(encapsulated, bool), wire.shape)
    agg = aggregation_factor(offloads, enc, np.broadcast_to(is_tcp, wire.shape), np.broadcast_to(burst, wire.shape))
    stack = -(-wire // agg)
    lro = offloads.lro & (~enc | offloads.rx_udp_tunnel_port)
    gro_merged = np.where((agg > 1) & ~lro, wire, 0)
    csum = offloads.rx_checksum & (~enc | offloads.rx_udp_tunnel_port)
    cycles = (stack * _cycles(costs.rx_packet, cpu_hz)
              + gro_merged * _cycles(costs.gro_merge, cpu_hz)
              + np.where(csum, 0, np.asarray(payload_bytes, np.float64)) * _cycles(costs.checksum_per_byte, cpu_hz)
              + np.where(enc, stack, 0) * _cycles(costs.encap, cpu_hz))
    driver = np.where((agg > 1) & lro, stack, wire)
    if driver_packet is not None:
        cycles = cycles + driver * _cycles(driver_packet, cpu_hz)
    return RxWork(stack.astype(np.int64), cycles.astype(np.float64), driver.astype(np.int64))


def inner_rss_available(offloads: OffloadConfig) -> bool:
    """Inner-header RSS needs the NIC to parse the tunnel (``rx-udp_tunnel-port-offload``)."""
    return bool(offloads.rx_udp_tunnel_port)
