"""Vendor and device names from the pci.ids database (the distribution's hwdata/pciutils package)."""

from __future__ import annotations

from pathlib import Path

PATHS = (Path("/usr/share/hwdata/pci.ids"), Path("/usr/share/misc/pci.ids"), Path("/usr/share/pci.ids"))


def names(pairs: set[tuple[str, str]], paths: tuple[Path, ...] = PATHS) -> dict[tuple[str, str], tuple[str, str]]:
    """{(vendor, device): (vendor name, device name)} for the wanted hex ids (lower case); one pass
    over the file that stops once every wanted vendor has been read."""
    path = next((p for p in paths if p.is_file()), None)
    if path is None or not pairs:
        return {}
    vendors = {v for v, _ in pairs}
    out: dict[tuple[str, str], tuple[str, str]] = {}
    current, vname, seen = None, "", set()
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            if line[0] != "\t":
                if line.startswith("C "):  # device classes follow the vendor list
                    break
                if current is not None:
                    seen.add(current)
                    if seen >= vendors:
                        break
                vid = line[:4].lower()
                current, vname = (vid, line[4:].strip()) if vid in vendors else (None, "")
            elif current is not None and line[1] != "\t":
                did = line[1:5].lower()
                if (current, did) in pairs:
                    out[(current, did)] = (vname, line[5:].strip())
    return out
