"""``vnetsim inspect --esxcli DIR``: text saved from an ESXi host, read into the same report.

Each file in DIR is recognised by what it holds (any name will do; lines starting with ``#`` are
comments, prompt lines are skipped):
- ``esxcli network nic list`` (or ``esxcfg-nics -l``): name, PCI address, driver, link, speed,
  MTU, description;
- ``esxcli network nic get -n vmnicX``: driver, driver version, firmware, bus address, link;
- ``esxcli system module parameters list -m MODULE``: Name / Type / Value / Description rows
  (RSS, DRSS, VMDQ and tunnel-offload parameters among them);
- ``vmkchdev -l``: PCI vendor:device and subsystem ids per vmnic;
- ``esxcli network nic queue count get``: RX/TX queue counts per vmnic (columns as printed);
- ``vsish -e get /net/pNics/vmnicX/hwCapabilities/CAP_ENCAP`` (or CAP_GENEVE_OFFLOAD): 0/1.
The verdict follows the same three steps as on Linux (docs/inspect.md, ESXi).
"""

from __future__ import annotations

import re
from pathlib import Path

from vnetsim.errors import UserError
from vnetsim.inspect import capabilities
from vnetsim.inspect.verdict import CAPABILITIES, TUNNELS, chipset_step, combine, step

MAX_FILE_BYTES = 4 * 1024 * 1024
_PROMPT = re.compile(r"^(\[[^\]]*\]\s*|~\s*#\s*|\S+\s*#\s+)")
_NIC_ROW = re.compile(r"^(vmnic\d+)\s+(\d{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d|\S+)\s+(\S+)\s+(.*)$", re.I)
_CHDEV = re.compile(r"^(\S+)\s+([0-9a-f]{4}):([0-9a-f]{4})\s+([0-9a-f]{4}):([0-9a-f]{4})\s+\S+\s+(\S+)$", re.I)
RSS_PARAMS = ("RSS", "DRSS", "VMDQ", "NUM_QUEUES")
_TUNNEL_PARAM = re.compile(r"vxlan|geneve|encap|tunnel|tnl", re.I)


def _lines(text: str) -> tuple[list[str], list[str]]:
    """(content lines, the commands named in prompt lines)."""
    body, commands = [], []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):  # blank, or a comment (a citation)
            continue
        m = _PROMPT.match(line)
        if m and ("esxcli" in line or "vmkchdev" in line or "vsish" in line or "esxcfg" in line):
            commands.append(line[m.end():].strip())
            continue
        if m and line[m.end():].strip() == "":
            continue
        body.append(line)
    return body, commands


def parse_nic_get(lines: list[str]) -> dict:
    """``Key: value`` lines (the Driver Info block nested or flat) into one mapping."""
    out: dict = {}
    for line in lines:
        key, sep, val = line.strip().partition(":")
        if sep and key and not key.startswith("-"):
            out[key.strip()] = val.strip()
    return out


def parse_nic_list(lines: list[str]) -> list[dict]:
    """Rows of ``nic list`` / ``esxcfg-nics -l``: name, pci, driver and the rest of the line."""
    rows = []
    for line in lines:
        m = _NIC_ROW.match(line.strip())
        if not m:
            continue
        rest = m.group(4)
        speed = re.search(r"\b(\d+)\s*(Mbps|Gbps)?\b", rest)
        mtu = re.search(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\s+(\d+)\s+(.*)$", rest, re.I)
        rows.append({"name": m.group(1), "pci": m.group(2), "driver": m.group(3),
                     "link": "Up" if re.match(r"(Up\s+)?Up\b", rest) else rest.split()[0] if rest else None,
                     "speed_mbps": int(speed.group(1)) * (1000 if speed.group(2) == "Gbps" else 1) if speed else None,
                     "mtu": int(mtu.group(1)) if mtu else None, "description": mtu.group(2) if mtu else rest})
    return rows


def parse_module_parameters(lines: list[str]) -> list[dict]:
    """Rows under the ``Name Type Value Description`` header: a value is present when the third
    field is not the first word of the description (esxcli leaves unset values blank)."""
    rows, started = [], False
    for line in lines:
        s = line.strip()
        if s.startswith("Name") and "Type" in s and "Description" in s:
            started = True
            continue
        if not started or set(s) <= {"-", " "}:
            continue
        parts = s.split(None, 3)
        if len(parts) < 2:
            continue
        name, typ = parts[0], parts[1]
        value: str | None = None
        desc = " ".join(parts[2:])
        if len(parts) >= 3 and re.fullmatch(r"-?\d+(,-?\d+)*|0x[0-9a-f]+|true|false", parts[2], re.I):
            value, desc = parts[2], " ".join(parts[3:])
        rows.append({"name": name, "type": typ, "value": value, "description": desc})
    return rows


def parse_vmkchdev(lines: list[str]) -> dict[str, dict]:
    out = {}
    for line in lines:
        m = _CHDEV.match(line.strip())
        if m:
            out[m.group(6)] = {"address": m.group(1), "vendor": m.group(2).lower(), "device": m.group(3).lower(),
                               "subsystem_vendor": m.group(4).lower(), "subsystem_device": m.group(5).lower()}
    return out


def parse_queue_count(lines: list[str]) -> dict[str, dict]:
    """``esxcli network nic queue count get``: the header names the columns; vmnic rows give counts."""
    header: list[str] = []
    out = {}
    for line in lines:
        s = line.strip()
        if s.lower().startswith("nic") and "queue" in s.lower():
            header = re.split(r"\s{2,}", s)
            continue
        parts = s.split()
        if parts and re.fullmatch(r"vmnic\d+", parts[0]) and all(p.isdigit() for p in parts[1:]):
            names = header[1:] if len(header) == len(parts) else [f"count{i}" for i in range(1, len(parts))]
            out[parts[0]] = {n: int(v) for n, v in zip(names, parts[1:])}
    return out


def _kind(lines: list[str], commands: list[str]) -> str | None:
    text = "\n".join(lines)
    cmd = " ".join(commands)
    if "Driver Info:" in text or "nic get" in cmd:
        return "nic_get"
    if "parameters list" in cmd or re.search(r"^\s*Name\s+Type\s+Value\s+Description", text, re.M):
        return "module_parameters"
    if "queue count" in cmd:
        return "queue_count"
    if "vmkchdev" in cmd or any(_CHDEV.match(s.strip()) for s in lines):
        return "vmkchdev"
    if "hwCapabilities" in cmd:
        return "capability"
    if any(_NIC_ROW.match(s.strip()) for s in lines):
        return "nic_list"
    return None


def read_dir(folder: str | Path) -> dict:
    """Every recognised file of ``folder``, parsed; unrecognised files are listed, not fatal."""
    base = Path(folder)
    if not base.is_dir():
        raise UserError(f"--esxcli {folder}", "is not a folder", "save the esxcli outputs as text files in one folder")
    found: dict = {"nic_list": [], "nic_get": {}, "module_parameters": {}, "vmkchdev": {}, "queue_count": {},
                   "capabilities": {}, "files": {}, "ignored": []}
    for path in sorted(base.iterdir()):
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES or path.suffix.lower() == ".md":
            continue
        lines, commands = _lines(path.read_text(encoding="utf-8", errors="replace"))
        kind = _kind(lines, commands)
        found["files"][path.name] = kind
        if kind is None:
            found["ignored"].append(path.name)
        elif kind == "nic_get":
            data = parse_nic_get(lines)
            found["nic_get"][data.get("Name") or path.stem] = data
        elif kind == "module_parameters":
            m = re.search(r"-m\s+(\S+)|--module[= ](\S+)", " ".join(commands))
            module = (m.group(1) or m.group(2)) if m else path.stem.rsplit("-", 1)[-1]
            found["module_parameters"][module] = parse_module_parameters(lines)
        elif kind == "nic_list":
            found["nic_list"] += parse_nic_list(lines)
        elif kind == "vmkchdev":
            found["vmkchdev"].update(parse_vmkchdev(lines))
        elif kind == "queue_count":
            found["queue_count"].update(parse_queue_count(lines))
        elif kind == "capability":
            m = re.search(r"/net/pNics/(vmnic\d+)/hwCapabilities/(\w+)", " ".join(commands))
            value = next((s.strip() for s in lines if s.strip()), None)
            if m and value is not None:
                found["capabilities"].setdefault(m.group(1), {})[m.group(2)] = value
    return found


def _esx_steps(nic: str, driver: str | None, version: str | None, firmware: str | None, family, tunnel: str,
               cap: str, params: list[dict] | None, hw: dict, what: str) -> list[dict]:
    s1 = chipset_step(family, tunnel, cap, what)
    capname = "CAP_ENCAP" if tunnel == "vxlan" else "CAP_GENEVE_OFFLOAD"
    if capname in hw:
        on = hw[capname].strip() not in ("0", "false", "False")
        s2 = step("pass" if on else "fail", f"vsish hwCapabilities/{capname} = {hw[capname]} (read as 0/1: "
                  "this output's format is not verified on a published sample)")
    elif driver:
        s2 = step("unknown", f"driver {driver} {version or '?'} (firmware {firmware or '?'}): check this driver "
                  f"version's {tunnel.upper()} offload entry in the VMware Compatibility Guide, or save `vsish -e "
                  f"get /net/pNics/{nic}/hwCapabilities/{capname}`")
    else:
        s2 = step("unknown", f"no `esxcli network nic get -n {nic}` output")
    if params is None:
        s3 = step("unknown", f"no `esxcli system module parameters list -m {driver or 'DRIVER'}` output")
    else:
        tun = [p for p in params if _TUNNEL_PARAM.search(p["name"])]
        if not tun:
            s3 = step("pass", f"module {driver} has no tunnel-offload parameter: nothing to configure "
                      f"({len(params)} parameters read)")
        else:
            off = [p for p in tun if p["value"] in ("0", "false")]
            unset = [p for p in tun if p["value"] is None]
            if off:
                cmd = f"esxcli system module parameters set -m {driver} -p " + " ".join(f"{p['name']}=1" for p in off)
                s3 = step("fail", "set off: " + ", ".join(p["name"] for p in off), cmd)
            elif unset:
                s3 = step("unknown", "left at the driver default: " + ", ".join(p["name"] for p in unset))
            else:
                s3 = step("pass", ", ".join(f"{p['name']}={p['value']}" for p in tun))
    if cap != "tx" and s2["result"] == "pass":
        s2 = step("unknown", s2["evidence"] + f"; the capability shows TX encapsulation offload, not {cap}")
    return [s1, s2, s3]


def _advertised_mbps(get: dict) -> int | None:
    """The fastest of ``Advertised Link Modes`` (e.g. '10000BaseT/Full') when nic list gave no speed."""
    speeds = [int(m) for m in re.findall(r"(\d+)Base", get.get("Advertised Link Modes") or "")]
    return max(speeds) if speeds else None


def inspect_esxcli(folder: str | Path) -> dict:
    """The ESXi host's vmnics with the same fields where esxcli gives them, and the verdict."""
    data = read_dir(folder)
    names = sorted(set(data["nic_get"]) | {r["name"] for r in data["nic_list"]} | set(data["vmkchdev"]),
                   key=lambda n: (len(n), n))
    if not names:
        raise UserError(f"--esxcli {folder}", "holds no esxcli output that names a vmnic",
                        "save `esxcli network nic list` and `esxcli network nic get -n vmnicX` there (docs/inspect.md)")
    interfaces = []
    for nic in names:
        get = data["nic_get"].get(nic, {})
        row: dict = next((r for r in data["nic_list"] if r["name"] == nic), {})
        pci = data["vmkchdev"].get(nic)
        driver = get.get("Driver") or row.get("driver")
        family = (capabilities.by_pci(pci["vendor"], pci["device"]) if pci else None) or \
            capabilities.by_description(row.get("description")) or capabilities.by_driver(driver)
        what = (f"PCI {pci['vendor']}:{pci['device']}" if pci else
                f"driver {driver}; save `vmkchdev -l` for the PCI ids" if driver else "no PCI ids")
        params = data["module_parameters"].get(driver) if driver else None
        hw = data["capabilities"].get(nic, {})
        verdict: dict = {t: {} for t in TUNNELS}
        for t in TUNNELS:
            for cap in CAPABILITIES:
                steps = _esx_steps(nic, driver, get.get("Version"), get.get("Firmware Version"), family, t, cap,
                                   params, hw, what)
                verdict[t][cap] = {"result": combine(steps), "steps": steps}
        rss = {p["name"]: p["value"] for p in params or [] if p["name"].upper() in RSS_PARAMS}
        interfaces.append({
            "name": nic, "type": "physical", "pci": pci, "family": family.name if family else None,
            "driver": {"driver": driver, "version": get.get("Version"), "firmware-version": get.get("Firmware Version"),
                       "bus-info": get.get("Bus Info") or row.get("pci")},
            "link": {"speed_mbps": row.get("speed_mbps") or _advertised_mbps(get), "mtu": row.get("mtu"),
                     "operstate": (get.get("Link Status") or row.get("link") or "").lower() or None,
                     "description": row.get("description")},
            "queues_esxi": data["queue_count"].get(nic), "rss_parameters": rss or None,
            "module": {"name": driver, "version": get.get("Version"),
                       "parameters": {p["name"]: p["value"] for p in params}} if params is not None else None,
            "verdict": verdict})
    return {"source": "esxcli", "folder": str(folder), "files": data["files"], "ignored": data["ignored"],
            "host": {}, "interfaces": interfaces}
