"""The chipset table: every PCI id is the device pci.ids names, and lookups work."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnetsim.inspect import capabilities, pciids

WORDS = {"Intel 82599 / X540 (ixgbe)": ("82599", "X540", "X520"), "Intel X550 family (ixgbe)": ("X55",),
         "Intel X710 / XL710 / XXV710 / X722 (i40e)": ("X710", "XL710", "XXV710", "X722", "X557"),
         "Intel E810 (ice)": ("E810",), "NVIDIA ConnectX-4 / 4 Lx (mlx5)": ("ConnectX-4",),
         "NVIDIA ConnectX-5 / 6 / 6 Dx / 6 Lx / 7 (mlx5)": ("ConnectX-5", "ConnectX-6", "ConnectX-7"),
         "Broadcom NetXtreme-C/E (bnxt_en)": ("NetXtreme-C", "NetXtreme-E", "NetXtreme"),
         "QLogic / Broadcom 57810 (bnx2x)": ("57810",), "virtio-net": ("Virtio",),
         "VMware VMXNET3 (vmxnet3)": ("VMXNET3",)}


@pytest.mark.skipif(not any(p.is_file() for p in pciids.PATHS), reason="no pci.ids (install hwdata or pciutils)")
def test_every_pci_id_is_the_family_in_pci_ids():
    pairs = {(f.vendor, d) for f in capabilities.FAMILIES if f.vendor for d in f.devices}
    names = pciids.names(pairs)
    wrong = []
    for f in capabilities.FAMILIES:
        for d in f.devices:
            got = names.get((f.vendor, d))
            if got is None or not any(w.lower() in got[1].lower() for w in WORDS[f.name]):
                wrong.append(f"{f.name} {f.vendor}:{d} -> {got}")
    assert not wrong, "\n".join(wrong)


def test_lookups():
    assert capabilities.by_pci("8086", "10FB").name.startswith("Intel 82599")
    assert capabilities.by_pci("15b3", "101d").support("geneve", "inner_rss") == "yes"
    assert capabilities.by_pci("1234", "5678") is None
    assert capabilities.by_driver("veth").name.startswith("veth")
    assert capabilities.by_driver("ixgbe") is None  # two families: the PCI id decides
    assert capabilities.by_description("NetXtreme II BCM57810 10 Gigabit Ethernet").drivers[0] == "bnx2x"


def test_every_row_cites_a_source():
    assert all(len(f.source) > 20 for f in capabilities.FAMILIES)
    assert Path(__file__).resolve().parents[2].joinpath("docs", "references.md").read_text().count("Inspect") >= 1
