"""The storage I/O path: VM groups' reads and writes through NICs, the fabric, the inter-site link and
the devices, on the engine's pipeline (docs/models/storage-io.md).

Public exports (load on first use):
- the spec (``vnetsim.storage.iopath.spec``): ``IOPathSpec``, ``Cluster``, ``Network``,
  ``HostDevices``, ``DeviceKind``, ``ServiceTime``, ``Workload``, ``ObjectPlacement``, ``Copy``,
  ``HostFailure``; results ``IOPathResult``, ``GroupResult``, ``Latency``, ``Conservation``;
- ``simulate(spec, *, duration_s, seed, warmup_s=0.0, drain=True) -> IOPathResult``;
- ``DeviceStage``: the device stage (a stage of the engine contract), ``default_device_kinds()``;
- ``network_from_fabric(result, base)`` / ``network_from_fabric_scenario(doc, base)``: per-hop
  latency and hop counts from a fabric run;
- ``network_from_host(host, base, packets_per_s=, frame_bytes=)`` / ``nic_load(spec)``: host TX / RX
  data-path latency from a host-kind run at the storage NIC's frame rate;
- ``traffic_matrix(spec, mtu_bytes)`` -> ``TrafficMatrix``: what the spec puts on the network per
  host pair; ``run_on_fabric(spec, placements, seed=...)`` -> ``FabricRun``: that traffic on a
  fabric-kind run (``FabricPlacement``: the fabric and where the hosts are), the spec back with
  the per-pair latency it measured (``Network.pair_ns``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {name: "spec" for name in (
    "IOPathSpec", "Cluster", "Network", "HostDevices", "DeviceKind", "ServiceTime", "Workload",
    "ObjectPlacement", "Copy", "HostFailure", "IOPathResult", "GroupResult", "Latency", "Conservation")}
_EXPORTS.update({"simulate": "pathrun", "DeviceStage": "device", "default_device_kinds": "defaults",
                 "network_from_fabric": "hops", "network_from_fabric_scenario": "hops",
                 "network_from_host": "hostpath", "nic_load": "hostpath",
                 "traffic_matrix": "traffic", "TrafficMatrix": "traffic", "run_on_fabric": "onfabric",
                 "FabricPlacement": "onfabric", "FabricRun": "onfabric"})
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Exports load on first use: the spec does not need the compiled kernels."""
    if name in _EXPORTS:
        return getattr(import_module(f"vnetsim.storage.iopath.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'vnetsim.storage.iopath' has no attribute {name!r}")
