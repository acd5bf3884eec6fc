"""The three-step verdict for VXLAN and Geneve offload, for one Linux interface.

For each tunnel and capability (``tx``: TSO and checksum of encapsulated packets; ``rx_csum``: RX
inner checksum; ``inner_rss``) three steps, each ``pass`` / ``fail`` / ``unknown`` with evidence:
1. chipset: the family's silicon supports it (``capabilities.FAMILIES``);
2. driver: the driver exposes the feature (``ethtool -k`` lists it and it is not ``off [fixed]``;
   the UDP tunnel port table, ``ethtool --show-tunnels``, accepts the tunnel type);
3. configuration: the feature is on now and, on receive, the tunnel's UDP port is registered;
   when it is not, the exact command that would enable it.
The capability's result is ``fail`` if a step fails, else ``unknown`` if a step is unknown, else
``pass`` (docs/inspect.md, Verdict).
"""

from __future__ import annotations

from vnetsim.inspect.capabilities import Family

TUNNELS = ("vxlan", "geneve")
CAPABILITIES = ("tx", "rx_csum", "inner_rss")
DEFAULT_PORTS = {"vxlan": 4789, "geneve": 6081}
TX_FEATURES = ("tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation")
RX_PORT = "rx-udp_tunnel-port-offload"


def step(result: str, evidence: str, command: str | None = None) -> dict:
    out = {"result": result, "evidence": evidence}
    if command:
        out["command"] = command
    return out


def combine(steps: list[dict]) -> str:
    results = [s["result"] for s in steps]
    return "fail" if "fail" in results else "unknown" if "unknown" in results else "pass"


def chipset_step(family: Family | None, tunnel: str, capability: str, what: str) -> dict:
    if family is None:
        return step("unknown", f"chipset not in the capability table ({what})")
    support = family.support(tunnel, capability)
    result = {"yes": "pass", "no": "fail"}.get(support, "unknown")
    note = f"; {family.note}" if family.note else ""
    return step(result, f"{family.name}: {support} ({family.source}){note}")


def _feature(features: dict | None, name: str) -> dict | None:
    return None if features is None else features.get(name)


def _driver_has(features: dict | None, names: tuple[str, ...]) -> dict:
    if features is None:
        return step("unknown", "ethtool -k gave no feature list")
    missing = [n for n in names if n not in features]
    if missing:
        return step("unknown", f"ethtool -k does not list {', '.join(missing)}")
    fixed_off = [n for n in names if features[n]["fixed"] and not features[n]["on"]]
    if fixed_off:
        return step("fail", f"{', '.join(fixed_off)}: off [fixed] (the driver cannot turn it on)")
    return step("pass", ", ".join(f"{n}: {'on' if features[n]['on'] else 'off'}" for n in names) + " (changeable)")


def _table_types(tunnels: list[dict] | None) -> set[str] | None:
    if tunnels is None:
        return None
    return {t for table in tunnels for t in table["types"]}


def _registered(tunnels: list[dict] | None, tunnel: str, port: int | None) -> bool | None:
    if tunnels is None:
        return None
    return any(e["type"] == tunnel and (port is None or e["port"] == port) for t in tunnels for e in t["entries"])


def tx_steps(iface: str, family: Family | None, tunnel: str, features: dict | None, what: str) -> list[dict]:
    s1 = chipset_step(family, tunnel, "tx", what)
    s2 = _driver_has(features, TX_FEATURES)
    if s2["result"] == "pass" and features is not None:
        off = [n for n in TX_FEATURES if not features[n]["on"]]
        s3 = (step("pass", "on: " + ", ".join(TX_FEATURES)) if not off else
              step("fail", "off: " + ", ".join(off), "ethtool -K " + iface + " " + " ".join(f"{n} on" for n in off)))
    else:
        s3 = step("fail" if s2["result"] == "fail" else "unknown", "the driver does not offer it" if
                  s2["result"] == "fail" else "feature state unknown")
    return [s1, s2, s3]


def rx_steps(iface: str, family: Family | None, tunnel: str, capability: str, features: dict | None,
             tunnels: list[dict] | None, what: str, port: int | None) -> list[dict]:
    s1 = chipset_step(family, tunnel, capability, what)
    s2 = _driver_has(features, (RX_PORT,))
    types = _table_types(tunnels)
    if s2["result"] == "pass" and types is not None and tunnel not in types:
        s2 = step("fail", f"the UDP tunnel port table takes {', '.join(sorted(types)) or 'no type'}, not {tunnel}")
    elif s2["result"] == "pass" and types is not None:
        s2 = step("pass", s2["evidence"] + f"; UDP tunnel port table accepts {tunnel}")
    if capability == "inner_rss" and s2["result"] == "pass":
        s2 = step("unknown", s2["evidence"] + "; ethtool shows no inner-RSS flag: the chipset row decides")
    s3 = _rx_config(iface, tunnel, capability, features, tunnels, port, s2)
    return [s1, s2, s3]


def _rx_config(iface: str, tunnel: str, capability: str, features: dict | None, tunnels: list[dict] | None,
               port: int | None, s2: dict) -> dict:
    if s2["result"] == "fail":
        return step("fail", "the driver does not offer it")
    needed = [RX_PORT, "rx-checksumming" if capability == "rx_csum" else "receive-hashing"]
    if features is None or any(n not in features for n in needed):
        return step("unknown", "feature state unknown")
    off = [n for n in needed if not features[n]["on"]]
    if off:
        names = {"rx-checksumming": "rx", "receive-hashing": "rxhash"}
        return step("fail", "off: " + ", ".join(off),
                    "ethtool -K " + iface + " " + " ".join(f"{names.get(n, n)} on" for n in off))
    want = port or DEFAULT_PORTS[tunnel]
    reg = _registered(tunnels, tunnel, want)
    if reg is None:
        return step("unknown", f"{', '.join(needed)} on; the tunnel port table is not readable "
                    "(ethtool --show-tunnels)")
    if not reg:
        return step("fail", f"UDP port {want} ({tunnel}) is not registered with the NIC",
                    f"ip link add {tunnel}0 type {tunnel} id 1 dstport {want}" +
                    (f" dev {iface}" if tunnel == "vxlan" else " remote REMOTE_IP") + f"; ip link set {tunnel}0 up")
    return step("pass", f"{', '.join(needed)} on; UDP port {want} ({tunnel}) registered")


def verdict(iface: str, family: Family | None, features: dict | None, tunnels: list[dict] | None,
            what: str = "", ports: dict[str, int] | None = None) -> dict:
    """{tunnel: {capability: {"result", "steps": [chipset, driver, configuration]}}}."""
    ports = ports or {}
    out: dict = {}
    for tunnel in TUNNELS:
        out[tunnel] = {}
        for cap in CAPABILITIES:
            steps = (tx_steps(iface, family, tunnel, features, what) if cap == "tx" else
                     rx_steps(iface, family, tunnel, cap, features, tunnels, what, ports.get(tunnel)))
            out[tunnel][cap] = {"result": combine(steps), "steps": steps}
    return out
