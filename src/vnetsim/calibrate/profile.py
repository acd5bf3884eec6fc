"""The calibration profile: the fitted costs as host settings a scenario includes with
``host: {profile: PROFILE.yaml}`` (the scenario's own values win).

- ``host.service``: interrupt mode with the fitted per-packet and per-byte costs, the wake-up,
  no separate interrupt cost (it is inside the wake-up here) and no C-states (their exits are in
  the measured wake-up too);
- ``host.pnic.coalescing: off`` (a veth has none) and ``offload_costs.encap`` (the VXLAN cost);
- ``host.vswitch.per_packet: 0ns``: the measured per-packet cost is the whole kernel path.
"""

from __future__ import annotations

import yaml

from vnetsim.calibrate.model import Costs


def _ns(x: float) -> str:
    return f"{x:.4g}ns"


def host_settings(c: Costs) -> dict:
    return {"service": {"mode": "interrupt", "per_packet": _ns(c.per_packet_ns), "per_byte": _ns(c.per_byte_ns),
                        "wakeup": _ns(c.wakeup_ns), "irq_cost": "0ns", "cstates": "none"},
            "pnic": {"coalescing": {"scheme": "off"}, "offload_costs": {"encap": _ns(c.encap_ns)}},
            "vswitch": {"per_packet": "0ns"}}


def profile_text(c: Costs, measured: dict) -> str:
    """The profile file: a header, ``vnetsim_profile: 1``, what was measured, and ``host``."""
    doc = {"vnetsim_profile": 1, "measured": measured, "host": host_settings(c)}
    head = ("# vnetsim calibration profile (vnetsim calibrate): this host's kernel path, measured with sockperf\n"
            "# over a veth pair in network namespaces, with and without VXLAN. Include it in a host scenario\n"
            "# with `host: {profile: THIS_FILE}`; docs/calibrate.md says what each value means.\n")
    return head + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)
