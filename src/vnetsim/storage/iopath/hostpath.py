"""Host TX / RX data-path latency of the I/O path from the host kind (``vnetsim.host``'s public
``HostPath``, the host kind's own scenario model from the kind registry).

``nic_load(spec)``: what the busiest host's NIC receives in a storage run, in frames per second and
mean frame bytes (every remote leg's request at its target and its reply at its owner; a message
over the MTU is several frames). ``network_from_host(host, base, packets_per_s, frame_bytes)`` runs
the host kind's receive path (pNIC rings and host threads: driver and vSwitch) at that rate and
sets ``Network.host_rx_ns`` to the mean time from the NIC to the end of the host thread's work
(the host kind's ``pnic_ring`` wait plus its ``vswitch`` work) and ``host_tx_ns`` to the host
thread's work alone (``vswitch``): the send side does the same driver and vSwitch work but no
interrupt or poll wait (**assumption**: the host kind models the receive side only). The guest
stages (vNIC ring, guest driver) are not part of the storage path: vSAN traffic ends in the
hypervisor's own stack, not in a VM.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from vnetsim.errors import ModelError
from vnetsim.storage.iopath.spec import IOPathSpec, Network
from vnetsim.storage.iopath.traffic import DEFAULT_MTU_BYTES, ETHERNET_HEADER_BYTES, traffic_matrix

RX_STAGES = ("pnic_ring", "vswitch")
TX_STAGES = ("vswitch",)


def nic_load(spec: IOPathSpec, mtu_bytes: int = DEFAULT_MTU_BYTES) -> tuple[float, float]:
    """(frames per second, mean frame bytes) received by the busiest host's NIC (most frames, then
    most bytes), in the first epoch (before any failure): the frames of the spec's traffic matrix
    (``traffic.traffic_matrix``: each remote leg's request at its target and its reply at its owner,
    an OSA read-modify-write at another host with its read phase too, messages over ``mtu_bytes``
    split into full frames and a last one) summed per receiving host."""
    tm = traffic_matrix(spec, mtu_bytes, epoch=0)
    frames = tm.frames_per_s().sum(axis=0)
    nbytes = tm.frame_bytes_per_s().sum(axis=0)
    busiest = int(np.lexsort((nbytes, frames))[-1])          # most frames, then most bytes
    if frames[busiest] <= 0:
        raise ModelError("workloads", "no I/O leaves its owner: the NICs receive nothing to measure",
                         "place a replica on another host, or keep the assumed host latency")
    return float(frames[busiest]), float(nbytes[busiest] / frames[busiest])


def host_scenario(host: dict | None, packets_per_s: float, frame_bytes: float, duration_ns: float,
                  seed: int, nic_bps: float) -> dict:
    """A host-kind scenario document: the storage NIC's frames (Poisson, 64 flows spread over the
    NIC's queues by RSS as the host kind does) into ``host`` (a host model document, ``None``: the
    host kind's defaults with one VM), its pNIC at ``nic_bps`` unless the document sets its rate."""
    frame = int(min(max(round(frame_bytes), 64), 9018))
    host = dict(host) if host is not None else {"vms": [{"name": "vsan"}]}
    pnic = dict(host.get("pnic") or {})
    pnic.setdefault("line_rate", f"{nic_bps / 1e6:.6g}Mbps")
    host["pnic"] = pnic
    return {"name": "storage-nic", "seed": seed, "duration": f"{duration_ns:.0f}ns",
            "warmup": f"{duration_ns * 0.1:.0f}ns",
            "traffic": {"flows": [{"name": "storage", "count": 64, "rate": f"{packets_per_s:.6g}pps",
                                   "size": frame}]},
            "host": host}


def host_latency_ns(doc: dict) -> dict[str, float]:
    """Mean latency per stage of the host kind's run of ``doc`` (``pnic_ring``, ``vswitch``, ...)."""
    from vnetsim.host import HostPath
    from vnetsim.kinds import get_kind

    try:
        model: Any = get_kind("host").model                 # the host kind's own schema (pydantic)
        scenario = model.model_validate(doc)
    except ValueError as exc:
        where = " ".join(line.strip() for line in str(exc).splitlines()[1:3])
        raise ModelError("host", f"not a valid host model: {where}",
                         "see docs/models/host.md") from None
    run = HostPath(scenario).run()
    return {name: float(h.mean) if h.count else math.nan for name, h in run.stages.items()}


def network_from_host(host: dict | None = None, base: Network | None = None, *, packets_per_s: float,
                      frame_bytes: float = 4096 + 128 + ETHERNET_HEADER_BYTES, duration_ns: float = 20e6,
                      seed: int = 1) -> Network:
    """``base`` (default ``Network()``) with ``host_rx_ns`` / ``host_tx_ns`` from a host-kind run of
    ``host`` at ``packets_per_s`` frames of ``frame_bytes`` (``nic_load`` gives both for a spec)."""
    base = base or Network()
    if not (math.isfinite(packets_per_s) and packets_per_s > 0):
        raise ModelError("packets_per_s", f"must be finite and > 0, got {packets_per_s}", "")
    means = host_latency_ns(host_scenario(host, packets_per_s, frame_bytes, duration_ns, seed,
                                                 base.nic_bps))
    rx = sum(means[s] for s in RX_STAGES)
    tx = sum(means[s] for s in TX_STAGES)
    if not (math.isfinite(rx) and math.isfinite(tx)):
        raise ModelError("host", "the host run delivered no packet to measure its latency from",
                         "run it longer or at a rate it can carry")
    return dataclasses.replace(base, host_rx_ns=rx, host_tx_ns=tx)
