"""Parsers of ``ethtool`` text output, one per sub-command, and the calls that collect them.

Text, not ``--json``: JSON output exists for some sub-commands only since ethtool 5.10-6.2 (ethtool
NEWS), the text layout is the same across those versions. Each parser takes the text a command
printed and returns plain data; ``collect`` runs every sub-command for one interface in parallel.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from vnetsim.inspect.run import Ran, check_iface, run

FLOW_TYPES = ("tcp4", "udp4", "tcp6", "udp6")
# ethtool -n rx-flow-hash lines -> the letters of ``ethtool -N ... rx-flow-hash TYPE LETTERS``
_HASH_FIELDS = {"L2DA": "m", "VLAN tag": "v", "L3 proto": "t", "IP SA": "s", "IP DA": "d",
                "L4 bytes 0 & 1 [TCP/UDP src port]": "f", "L4 bytes 2 & 3 [TCP/UDP dst port]": "n"}


def _value(text: str) -> int | str | None:
    text = text.strip()
    if text in ("n/a", ""):
        return None
    try:
        return int(text)
    except ValueError:
        return text


def parse_driver(text: str) -> dict:
    """``ethtool -i``: driver, version, firmware-version, bus-info, ... (empty values -> None)."""
    out: dict = {}
    for line in text.splitlines():
        key, sep, val = line.partition(":")
        if sep:
            out[key.strip()] = val.strip() or None
    return out


def _two_sections(text: str, first: str, second: str) -> dict:
    """``-l`` and ``-g`` print a maximum section and a current section of ``Name: value`` lines."""
    out: dict = {"max": {}, "current": {}}
    part = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(first):
            part = "max"
        elif s.startswith(second):
            part = "current"
        elif part and ":" in s:
            key, _, val = s.partition(":")
            out[part][key.strip().lower().replace(" ", "_")] = _value(val)
    return out


def parse_channels(text: str) -> dict:
    """``ethtool -l``: {max: {rx, tx, other, combined}, current: {...}} (n/a -> None)."""
    return _two_sections(text, "Pre-set maximums", "Current hardware settings")


def parse_rings(text: str) -> dict:
    """``ethtool -g``: {max: {rx, rx_mini, rx_jumbo, tx, ...}, current: {...}}."""
    return _two_sections(text, "Pre-set maximums", "Current hardware settings")


def parse_coalesce(text: str) -> dict:
    """``ethtool -c``: adaptive RX/TX and every ``name: value`` setting (rx-usecs, rx-frames, ...)."""
    out: dict = {}
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"Adaptive RX:\s*(\S+)\s+TX:\s*(\S+)", s)
        if m:
            out["adaptive-rx"], out["adaptive-tx"] = m.group(1) == "on", m.group(2) == "on"
            continue
        if ":" in s and not s.startswith(("Coalesce parameters", "CQE mode")):
            key, _, val = s.partition(":")
            out[key.strip()] = _value(val)
    return out


def parse_features(text: str) -> dict:
    """``ethtool -k``: {feature: {"on": bool, "fixed": bool, "requested": bool | None}}."""
    out: dict = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\w-]+):\s+(on|off)(.*)$", line)
        if not m:
            continue
        rest = m.group(3)
        req = re.search(r"\[requested (on|off)\]", rest)
        out[m.group(1)] = {"on": m.group(2) == "on", "fixed": "[fixed]" in rest,
                           "requested": None if req is None else req.group(1) == "on"}
    return out


def parse_rss(text: str) -> dict:
    """``ethtool -x``: {ring_count, table (queue per entry), key (hex), hash_function}."""
    table: list[int] = []
    key_lines: list[str] = []
    funcs: dict = {}
    ring_count = None
    section = None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"RX flow hash indirection table for \S+ with (\d+) RX ring", s)
        if m:
            ring_count, section = int(m.group(1)), "table"
            continue
        if s.startswith("RSS hash key"):
            section = "key"
            continue
        if s.startswith("RSS hash function"):
            section = "func"
            continue
        if section == "table":
            m = re.match(r"^\s*(\d+):\s+(.*)$", line)
            if m:
                table += [int(x) for x in m.group(2).split()]
        elif section == "key" and re.fullmatch(r"[0-9a-fA-F:]+", s):
            key_lines.append(s)
        elif section == "func" and ":" in s:
            name, _, on = s.partition(":")
            funcs[name.strip()] = on.strip() == "on"
    key = ":".join(key_lines).replace("::", ":") if key_lines else None
    return {"ring_count": ring_count, "table": table or None, "key": key,
            "hash_function": next((n for n, on in funcs.items() if on), None)}


def parse_flow_hash(text: str) -> dict:
    """``ethtool -n IF rx-flow-hash TYPE``: the hashed fields and their ``-N`` letters ('sd', 'sdfn')."""
    fields = []
    letters = ""
    for line in text.splitlines():
        s = line.strip()
        if s in _HASH_FIELDS:
            fields.append(s)
            letters += _HASH_FIELDS[s]
    return {"fields": fields, "letters": letters or None}


def parse_tunnels(text: str) -> list[dict]:
    """``ethtool --show-tunnels`` (ethtool 5.9+): UDP port tables {size, types, entries [(port, type)]}."""
    tables: list[dict] = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("UDP port table"):
            tables.append({"size": None, "types": [], "entries": []})
        elif not tables:
            continue
        elif s.startswith("Size:"):
            tables[-1]["size"] = _value(s[5:])
        elif s.startswith("Types:"):
            tables[-1]["types"] = [t.strip() for t in s[6:].split(",") if t.strip()]
        else:
            m = re.match(r"port (\d+), (\S+)", s)
            if m:
                tables[-1]["entries"].append({"port": int(m.group(1)), "type": m.group(2)})
    return tables


def _cmd(iface: str, *args: str) -> list[str]:
    return ["ethtool", *args, iface] if args[0] != "-n" else ["ethtool", "-n", iface, *args[1:]]


COMMANDS: dict[str, tuple[tuple[str, ...], object]] = {
    "driver": (("-i",), parse_driver),
    "channels": (("-l",), parse_channels),
    "rings": (("-g",), parse_rings),
    "coalesce": (("-c",), parse_coalesce),
    "features": (("-k",), parse_features),
    "rss": (("-x",), parse_rss),
    "tunnels": (("--show-tunnels",), parse_tunnels),
    **{f"flow_hash_{t}": (("-n", "rx-flow-hash", t), parse_flow_hash) for t in FLOW_TYPES},
}


def collect(iface: str, pool: ThreadPoolExecutor | None = None) -> dict:
    """Every ethtool sub-command for ``iface``: {name: {"command", "ok", "data" | "error"}}."""
    check_iface(iface)
    argvs = {name: _cmd(iface, *args) for name, (args, _) in COMMANDS.items()}
    if pool is None:
        ran = {name: run(argv) for name, argv in argvs.items()}
    else:
        futures = {name: pool.submit(run, argv) for name, argv in argvs.items()}
        ran = {name: f.result() for name, f in futures.items()}
    return {name: _answer(r, COMMANDS[name][1]) for name, r in ran.items()}


def _answer(r: Ran, parse) -> dict:
    if not r.ok:
        lines = (r.err or r.out).strip().splitlines()
        return {"command": r.command, "ok": False, "error": lines[-1] if lines else "failed"}
    return {"command": r.command, "ok": True, "data": parse(r.out)}  # type: ignore[operator]
