"""Named driver profiles: the defaults a real pNIC or vNIC driver starts with (ring size, RX
interrupt moderation, UDP RSS hashing), as plain data the scenario schema fills in.

Sources (docs/references.md, "Driver profiles and adaptive moderation"): the drivers' headers and
their ``ethtool -c`` defaults. Explicit scenario settings override a profile; docs/models/host.md
("Driver profiles and adaptive moderation") gives each value with its confidence.

Two adaptive moderation schemes of Intel's drivers:

- ``ixgbe-itr`` (the ixgbe and i40e profiles): the packet-count dynamic ITR of ixgbe since Linux
  4.17 (i40e's from the same rework has its own details, approximated by ixgbe's): at
  each update the interval, in whole microseconds from 50, goes to latency mode by size for a few
  packets, grows 2 us for 4-47 packets per interrupt, stays for 48-95, halves for 96-255 and is
  computed from the average frame size for more (``vnetsim.engine.ring_server``, docs/models/
  engine.md);
- ``ixgbe-aim`` (the generic and ice profiles; selectable by name): ixgbe's three-level scheme
  before 4.17: the minimum interrupt interval moves one level at a time between 10 us (100,000
  interrupts/s), 50 us (20,000/s) and 84 us (about 12,000/s; the register values
  ``IXGBE_100K_ITR`` 40, ``IXGBE_20K_ITR`` 200, ``IXGBE_12K_ITR`` 336, each in quarter
  microseconds) as the bytes taken per microsecond of the current interval cross 10 and 20 B/us,
  exponentially smoothed as ``ixgbe_set_itr`` did.

ice uses the kernel's net_dim since 2021, approximated by ``ixgbe-aim`` (low confidence); mlx5's
net_dim is not modelled (its profile is the static moderation of ``adaptive-rx off``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdaptiveAlgorithm:
    """An adaptive moderation scheme: its levels (minimum interrupt intervals, lowest latency first),
    the bytes per microsecond between them, and whether each change is smoothed."""

    levels_us: tuple[float, ...]
    thresholds_bpus: tuple[float, ...]
    smoothing: bool
    kind: str = "levels"      # the ring server's adaptive algorithm: "levels" or "ixgbe-itr" (no levels)


ADAPTIVE_ALGORITHMS: dict[str, AdaptiveAlgorithm] = {
    # ixgbe.h / ixgbevf.h: IXGBE_100K_ITR 40, IXGBE_20K_ITR 200, IXGBE_12K_ITR 336 (>> 2 = us);
    # ixgbevf_update_itr: > 10 B/us leaves "lowest", > 20 B/us leaves "low"; ixgbe_set_itr smooths
    "ixgbe-aim": AdaptiveAlgorithm(levels_us=(10.0, 50.0, 84.0), thresholds_bpus=(10.0, 20.0), smoothing=True),
    # ixgbe_update_itr / ixgbe_set_itr since Linux 4.17 (commit b4ded8327fea, 2018): no levels
    "ixgbe-itr": AdaptiveAlgorithm(levels_us=(), thresholds_bpus=(), smoothing=False, kind="ixgbe-itr"),
}


@dataclass(frozen=True)
class PnicProfile:
    """A pNIC driver's receive defaults. ``coalescing`` is the scenario form of ``Coalescing``."""

    ring_size: int
    coalescing: dict
    udp_hash: str            # "sd" (IPs only) or "sdfn" (IPs and ports) for UDP over IPv4 and IPv6
    note: str


_ADAPTIVE = {"scheme": "adaptive", "algorithm": "ixgbe-aim"}
_ITR = {"scheme": "adaptive", "algorithm": "ixgbe-itr"}

PNIC_PROFILES: dict[str, PnicProfile] = {
    # IXGBE_DEFAULT_RXD 512; rx-usecs 1 = dynamic ITR (the default): the packet-count one since 4.17;
    # UDP hashed on IPs only
    "ixgbe": PnicProfile(512, _ITR, "sd", "Intel 82599/X540/X550 (ixgbe)"),
    # I40E_DEFAULT_NUM_DESCRIPTORS 512; adaptive ITR on by default (the packet-count rework of 4.17,
    # approximated by ixgbe's constants)
    "i40e": PnicProfile(512, _ITR, "sd", "Intel X710/XL710 (i40e)"),
    # ICE_DFLT_NUM_RX_DESC 2048; dynamic ITR (net_dim since 2021; approximated)
    "ice": PnicProfile(2048, _ADAPTIVE, "sd", "Intel E810 (ice)"),
    # MLX5E_PARAMS_DEFAULT_LOG_RQ_SIZE: 1024; RX_CQ_MODERATION_USEC 0x10, _PKTS 0x20; UDP 4-tuple RSS
    "mlx5": PnicProfile(1024, {"scheme": "timer", "usecs": "16us", "frames": 32}, "sdfn",
                        "NVIDIA ConnectX-4 and later (mlx5); its net_dim is not modelled"),
    # a 10 Gb/s NIC with ixgbe's defaults before Linux 4.17 (the three-level moderation)
    "generic": PnicProfile(512, _ADAPTIVE, "sd", "a 10G NIC with ixgbe's defaults (three-level moderation)"),
}


@dataclass(frozen=True)
class VnicProfile:
    """A vNIC type's receive defaults."""

    ring_size: int
    coalescing: dict
    note: str


VNIC_PROFILES: dict[str, VnicProfile] = {
    # vmxnet3: 1024 RX descriptors (multiple of 32); ethernetX.coalescingScheme default rbc, 4000/s
    "vmxnet3": VnicProfile(1024, {"scheme": "rate", "rate": 4000.0}, "VMware VMXNET3"),
    # virtio-net: 256 descriptors per queue (QEMU default); no interrupt moderation by default
    "virtio": VnicProfile(256, {"scheme": "off"}, "virtio-net"),
}

NAPI_BATCH = 64   # every Linux driver above polls with NAPI's dev_weight (64 packets per poll)


def pnic_profile(driver: str) -> PnicProfile:
    """The profile of ``driver`` (a ValueError naming the choices otherwise)."""
    if driver not in PNIC_PROFILES:
        raise ValueError(f"unknown pNIC driver {driver!r}; use one of {', '.join(PNIC_PROFILES)}")
    return PNIC_PROFILES[driver]
