"""Step 1 of the offload check: what each NIC chipset family's silicon supports for VXLAN/Geneve.

Each row: the family, its Linux driver (and ESXi drivers), PCI vendor and device ids (checked
against pci.ids), and per capability ``yes`` / ``no`` / ``unknown``:
- ``tx``: TX segmentation (TSO) and checksum of encapsulated packets,
- ``rx_csum``: RX checksum of the inner headers (the NIC parses the tunnel),
- ``inner_rss``: RSS on the inner headers,
separately for VXLAN and Geneve. ``source`` names the vendor datasheet or driver documentation
(docs/references.md, "Inspect: NIC tunnel offloads by family"). ``unknown`` means no source here
states it; the verdict then says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

Support = str  # "yes" | "no" | "unknown"


@dataclass(frozen=True)
class Family:
    name: str
    drivers: tuple[str, ...]
    vendor: str | None
    devices: tuple[str, ...]
    vxlan: dict[str, Support]
    geneve: dict[str, Support]
    source: str
    note: str = ""
    match: tuple[str, ...] = ()   # words of a device description (ESXi nic list) that name the family

    def support(self, tunnel: str, capability: str) -> Support:
        return (self.vxlan if tunnel == "vxlan" else self.geneve).get(capability, "unknown")


def _caps(tx: str, rx_csum: str, inner_rss: str) -> dict[str, Support]:
    return {"tx": tx, "rx_csum": rx_csum, "inner_rss": inner_rss}


FAMILIES: tuple[Family, ...] = (
    Family("Intel 82599 / X540 (ixgbe)", ("ixgbe", "ixgben"), "8086",
           ("10f8", "10f9", "10fb", "10fc", "1507", "1514", "1517", "151c", "1528", "1529", "152a",
            "154a", "154d", "1557", "1558", "1560"),
           _caps("yes", "no", "no"), _caps("yes", "no", "no"),
           "Linux ixgbe_main.c: UDP-tunnel TSO through GSO partial (IXGBE_GSO_PARTIAL_FEATURES, outer headers "
           "copied), no UDP tunnel port table before X550; Intel 82599 datasheet: no tunnel parsing",
           "TX only via GSO partial: the outer UDP checksum is not computed by the NIC",
           ("82599", "X540")),
    Family("Intel X550 family (ixgbe)", ("ixgbe", "ixgben"), "8086",
           ("1563", "15ab", "15ac", "15ad", "15ae", "15c2", "15c3", "15c4", "15c6", "15c7", "15c8", "15ce",
            "15d1", "15e4", "15e5"),
           _caps("yes", "yes", "no"), _caps("yes", "yes", "no"),
           "Linux ixgbe_main.c: UDP tunnel port table (VXLAN, Geneve) for X550 only; TSO by GSO partial",
           "", ("X550", "X552", "X553")),
    Family("Intel X710 / XL710 / XXV710 / X722 (i40e)", ("i40e", "i40en"), "8086",
           ("1572", "1574", "1580", "1581", "1583", "1584", "1585", "1586", "1587", "1588", "1589", "158a",
            "158b", "37ce", "37cf", "37d0", "37d1", "37d2", "37d3"),
           _caps("yes", "yes", "unknown"), _caps("yes", "yes", "unknown"),
           "Intel Ethernet Controller X710/XXV710/XL710 datasheet (tunnel offloads: VXLAN, Geneve, NVGRE); "
           "Linux i40e_main.c (UDP tunnel port table, GSO_UDP_TUNNEL(_CSUM))",
           "Geneve needs firmware API > 1.4", ("X710", "XL710", "XXV710", "X722")),
    Family("Intel E810 (ice)", ("ice", "icen"), "8086", ("1591", "1592", "1593", "1599", "159a", "159b"),
           _caps("yes", "yes", "unknown"), _caps("yes", "yes", "unknown"),
           "Intel Ethernet Controller E810 datasheet (VXLAN/Geneve offloads); Linux ice_main.c (UDP tunnel "
           "port table, GSO_UDP_TUNNEL(_CSUM))", "", ("E810",)),
    Family("NVIDIA ConnectX-4 / 4 Lx (mlx5)", ("mlx5_core", "nmlx5_core"), "15b3", ("1013", "1014", "1015", "1016"),
           _caps("yes", "yes", "yes"), _caps("unknown", "unknown", "unknown"),
           "NVIDIA MLNX_OFED 'VXLAN Hardware Stateless Offloads' (inner checksum generation and validation, "
           "TSO, inner RSS; firmware >= 12.14 / 14.14)",
           "Geneve depends on a firmware capability bit", ("ConnectX-4",)),
    Family("NVIDIA ConnectX-5 / 6 / 6 Dx / 6 Lx / 7 (mlx5)", ("mlx5_core", "nmlx5_core"), "15b3",
           ("1017", "1018", "1019", "101a", "101b", "101c", "101d", "101f", "1021"),
           _caps("yes", "yes", "yes"), _caps("yes", "yes", "yes"),
           "NVIDIA MLNX_OFED / DOCA 'VXLAN Hardware Stateless Offloads'; Linux mlx5 en_main.c (Geneve "
           "offload when the firmware reports it)", "", ("ConnectX-5", "ConnectX-6", "ConnectX-7")),
    Family("Broadcom NetXtreme-C/E (bnxt_en)", ("bnxt_en", "bnxtnet"), "14e4",
           ("16c8", "16c9", "16ca", "16cc", "16cf", "16d0", "16d1", "16d2", "16d6", "16d7", "16d8", "16d9",
            "16df", "16e2", "16e3", "1750", "1751", "1752"),
           _caps("yes", "yes", "yes"), _caps("yes", "yes", "yes"),
           "Broadcom NetXtreme-E product brief (VXLAN, NVGRE, Geneve stateless offloads); Linux bnxt.c (UDP "
           "tunnel port table, GSO_UDP_TUNNEL(_CSUM))", "firmware-gated", ("NetXtreme-E", "NetXtreme-C", "BCM575")),
    Family("QLogic / Broadcom 57810 (bnx2x)", ("bnx2x", "qfle3"), "14e4", ("168e", "16ae"),
           _caps("yes", "unknown", "yes"), _caps("unknown", "unknown", "unknown"),
           "QLogic FastLinQ 3400/8400 series FAQ (VXLAN packet task offloads, UDP/TCP RSS acceleration on "
           "ESXi 5.5); Niels Hagoort 'VXLAN Offloading Support' (2017-09-04)",
           "on ESXi 6.7 the move from bnx2x to qfle3 regressed performance (VMware KB 52044)", ("57810",)),
    Family("virtio-net", ("virtio_net",), "1af4", ("1000", "1041"),
           _caps("unknown", "unknown", "no"), _caps("unknown", "unknown", "no"),
           "Linux include/uapi/linux/virtio_net.h (UDP-tunnel GSO feature bits, 2025 kernels): support "
           "depends on the host's device and the guest kernel", "", ("Virtio",)),
    Family("VMware VMXNET3 (vmxnet3)", ("vmxnet3",), "15ad", ("07b0",),
           _caps("yes", "unknown", "unknown"), _caps("yes", "unknown", "unknown"),
           "Linux vmxnet3 driver, version 4 encapsulation offload (kernel commit dacce2be3312, 2020): "
           "VXLAN and Geneve TSO/checksum, on the default ports", "needs ESXi 7.0+ and a version-4 device",
           ("VMXNET3",)),
    Family("veth (software)", ("veth",), None, (),
           _caps("yes", "no", "no"), _caps("yes", "no", "no"),
           "Linux drivers/net/veth.c: the tunnel's GSO packet passes through unsegmented (segmentation in "
           "software where needed); rx-udp_tunnel-port-offload fixed off; no RSS",
           "software device: 'yes' means the packet is never segmented on the veth itself", ()),
)


def by_pci(vendor: str | None, device: str | None) -> Family | None:
    if vendor is None or device is None:
        return None
    for f in FAMILIES:
        if f.vendor == vendor.lower() and device.lower() in f.devices:
            return f
    return None


def by_driver(driver: str | None) -> Family | None:
    """The family of a driver that binds one family only (virtual NICs); None when ambiguous."""
    found = [f for f in FAMILIES if driver and driver in f.drivers]
    return found[0] if len(found) == 1 else None


def by_description(text: str | None) -> Family | None:
    """The family named in a device description (ESXi ``nic list``), e.g. 'NetXtreme II BCM57810'."""
    if not text:
        return None
    low = text.lower()
    for f in FAMILIES:
        if any(word.lower() in low for word in f.match):
            return f
    return None
