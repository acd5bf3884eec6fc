"""IRQs of an interface's queues (``/proc/interrupts``) and the CPUs each may run on
(``/proc/irq/N/smp_affinity_list``, readable without root)."""

from __future__ import annotations

from pathlib import Path

from vnetsim.inspect.sysfs import read


def parse_interrupts(text: str) -> list[dict]:
    """Every numbered line of /proc/interrupts: irq, per-CPU counts, and the name (last field)."""
    lines = text.splitlines()
    if not lines:
        return []
    ncpu = len(lines[0].split())
    out = []
    for line in lines[1:]:
        head, sep, rest = line.partition(":")
        if not sep or not head.strip().isdigit():
            continue
        fields = rest.split()
        counts = [int(x) for x in fields[:ncpu] if x.isdigit()]
        out.append({"irq": int(head), "counts": counts, "name": fields[-1] if len(fields) > ncpu else "",
                    "chip": " ".join(fields[len(counts):-1])})
    return out


def for_device(table: list[dict], iface: str, pci_address: str | None, virtio: str | None = None) -> list[dict]:
    """The IRQs whose name carries the interface name, its PCI address or its virtio device name,
    each with its total count and the CPUs of its affinity."""
    keys = [k for k in (iface, pci_address, virtio) if k]
    out = []
    for row in table:
        name = row["name"]
        if any(name == k or name.startswith(k + "-") or name.startswith(k + "@") or k in row["chip"].split()
               or (k == virtio and name.startswith(k + "-")) for k in keys):
            out.append({"irq": row["irq"], "name": name, "count": sum(row["counts"]),
                        "affinity": read(Path("/proc/irq") / str(row["irq"]) / "smp_affinity_list")})
    return out


def interrupts() -> list[dict]:
    text = read(Path("/proc/interrupts"))
    return parse_interrupts(text or "")
