"""What ``/sys/class/net/IF`` tells about an interface: PCI identity, driver module, NUMA node,
link, queues with their RPS/XPS CPU masks, bridge/bond/upper/lower links. Read-only, no root."""

from __future__ import annotations

import os
from pathlib import Path

NET = Path("/sys/class/net")
MODULES = Path("/sys/module")


def read(path: Path) -> str | None:
    """A sysfs attribute's text, stripped; None when absent or unreadable (some need root)."""
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def read_int(path: Path) -> int | None:
    text = read(path)
    try:
        return int(text, 0) if text is not None else None
    except ValueError:
        return None


def interfaces() -> list[str]:
    """Interfaces of this network namespace, in name order."""
    try:
        return sorted(os.listdir(NET))
    except OSError:
        return []


def _pci_dir(dev: Path) -> Path | None:
    """The PCI function behind a net device (a virtio device's PCI parent included)."""
    try:
        real = dev.resolve()
    except OSError:
        return None
    for d in (real, real.parent):
        if (d / "vendor").exists() and (d / "class").exists() and "pci" in str(d):
            return d
    return None


def pci(iface: str) -> dict | None:
    """{address, vendor, device, subsystem_vendor, subsystem_device, numa_node, driver} or None."""
    d = _pci_dir(NET / iface / "device")
    if d is None:
        return None

    def hex4(name: str) -> str | None:
        v = read_int(d / name)
        return None if v is None else f"{v:04x}"

    driver = os.path.basename(os.readlink(d / "driver")) if (d / "driver").is_symlink() else None
    numa = read_int(d / "numa_node")
    return {"address": d.name, "vendor": hex4("vendor"), "device": hex4("device"),
            "subsystem_vendor": hex4("subsystem_vendor"), "subsystem_device": hex4("subsystem_device"),
            "numa_node": None if numa is None or numa < 0 else numa, "pci_driver": driver}


def driver_module(iface: str) -> str | None:
    """The kernel module of the interface's driver (``device/driver/module``), e.g. ixgbe."""
    link = NET / iface / "device" / "driver" / "module"
    try:
        return os.path.basename(os.readlink(link))
    except OSError:
        return None


def module_info(module: str | None) -> dict | None:
    """A loaded module's version and parameters (``/sys/module/M/{version,parameters/*}``)."""
    if not module or "/" in module or module.startswith("."):
        return None
    base = MODULES / module
    if not base.is_dir():
        return None
    params = {}
    pdir = base / "parameters"
    if pdir.is_dir():
        for p in sorted(pdir.iterdir()):
            params[p.name] = read(p)
    return {"name": module, "version": read(base / "version"), "parameters": params}


def _cpus_mask(text: str | None) -> list[int] | None:
    """A hex CPU mask ('00000003' or '0,00000003') as the CPU numbers it sets."""
    if text is None:
        return None
    try:
        value = int(text.replace(",", ""), 16)
    except ValueError:
        return None
    return [i for i in range(value.bit_length()) if value >> i & 1]


def queues(iface: str) -> dict:
    """RX queues with their RPS CPUs and flow count, TX queues with their XPS CPUs."""
    qdir = NET / iface / "queues"
    rx, tx = [], []
    try:
        names = sorted(os.listdir(qdir), key=lambda n: (n[:2], int(n.split("-")[1]) if "-" in n else 0))
    except (OSError, ValueError):
        names = []
    for n in names:
        if n.startswith("rx-"):
            rx.append({"queue": n, "rps_cpus": _cpus_mask(read(qdir / n / "rps_cpus")),
                       "rps_flow_cnt": read_int(qdir / n / "rps_flow_cnt")})
        elif n.startswith("tx-"):
            tx.append({"queue": n, "xps_cpus": _cpus_mask(read(qdir / n / "xps_cpus"))})
    return {"rx": rx, "tx": tx}


def link(iface: str) -> dict:
    """MTU, speed (Mb/s, None when unknown), duplex, operstate, address, napi/gro tunables."""
    base = NET / iface
    speed = read_int(base / "speed")
    return {"mtu": read_int(base / "mtu"), "speed_mbps": speed if speed and speed > 0 else None,
            "duplex": read(base / "duplex"), "operstate": read(base / "operstate"),
            "address": read(base / "address"), "tx_queue_len": read_int(base / "tx_queue_len"),
            "gro_flush_timeout_ns": read_int(base / "gro_flush_timeout"),
            "napi_defer_hard_irqs": read_int(base / "napi_defer_hard_irqs"),
            "threaded_napi": read_int(base / "threaded")}


def relations(iface: str) -> dict:
    """Bridge ports, bond slaves, upper and lower devices (sysfs links)."""
    base = NET / iface

    def names(prefix: str) -> list[str]:
        try:
            return sorted(n[len(prefix):] for n in os.listdir(base) if n.startswith(prefix))
        except OSError:
            return []

    slaves = read(base / "bonding" / "slaves")
    return {"bridge_ports": sorted(os.listdir(base / "brif")) if (base / "brif").is_dir() else [],
            "bond_slaves": slaves.split() if slaves else [],
            "upper": names("upper_"), "lower": names("lower_"),
            "master": os.path.basename(os.readlink(base / "master")) if (base / "master").is_symlink() else None}
