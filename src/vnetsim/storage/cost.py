"""Cost and footprint: hosts, devices, switches, the witness, rack units, and money from an optional
price list (no prices: money figures are null, the footprint is still counted).

A witness appliance runs as a VM elsewhere (0 rack units); a witness host takes its rack units.
A two-node cluster with direct connect needs no switch for its storage traffic. With
``storage.fabric`` the switches are the fabric's (leaves, spines, ...; one fabric per data site).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from vnetsim.storage.config import Prices, Storage


@dataclass(frozen=True)
class Footprint:
    data_hosts: int
    witness_hosts: int
    devices: dict[str, int]
    raw_tb_by_kind: dict[str, float]
    switches: int
    rack_units: int
    currency: str = ""
    price_hosts: float | None = None
    price_devices: float | None = None
    price_switches: float | None = None
    price_witness: float | None = None
    price_total: float | None = None
    price_per_usable_tb: float | None = None
    rack_space_per_year: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def footprint(st: Storage, usable_bytes: float, prices: Prices | None, switches: int | None = None) -> Footprint:
    """``switches``: the cluster's switches when known otherwise (the switches of ``storage.fabric``,
    every site's); default ``switches_per_site`` per data site (none with direct connect)."""
    hosts = st.total_hosts
    devices: dict[str, int] = {}
    tb: dict[str, float] = {}
    device_price = 0.0
    priced = prices is not None
    notes = []
    for d in st.host.all_devices():
        devices[d.kind] = devices.get(d.kind, 0) + d.count * hosts
        tb[d.kind] = tb.get(d.kind, 0.0) + d.count * hosts * d.capacity / 1e12
        if d.price is not None:
            device_price += d.price * d.count * hosts
        elif prices is not None and d.kind in prices.device_per_tb:
            device_price += prices.device_per_tb[d.kind] * d.count * hosts * d.capacity / 1e12
        elif prices is not None:
            notes.append(f"no price for {d.kind} devices (prices.device_per_tb.{d.kind}): counted as 0")
    witness = st.witness_or_default if st.has_witness else None
    witness_hosts = 1 if witness is not None and witness.type == "host" else 0
    if switches is None:
        switches = 0 if st.direct_connect else st.switches_per_site * st.data_sites
    ru = hosts * st.host.rack_units + switches * st.switch_rack_units + witness_hosts * (witness.rack_units
                                                                                         if witness else 0)
    if not priced or prices is None:
        return Footprint(hosts, witness_hosts, devices, tb, switches, ru, notes=notes)
    host_price = st.host.price if st.host.price is not None else prices.host
    p_hosts = host_price * hosts
    p_switch = prices.switch * switches
    p_witness = (witness.price if witness is not None and witness.price is not None else prices.witness) \
        if witness is not None else 0.0
    total = p_hosts + device_price + p_switch + p_witness
    per_tb = total / (usable_bytes / 1e12) if usable_bytes > 0 else None
    return Footprint(hosts, witness_hosts, devices, tb, switches, ru, prices.currency, p_hosts, device_price, p_switch,
                     p_witness, total, per_tb, ru * prices.per_rack_unit_year, notes)
