"""Packet headers as arrays: one module per protocol, the flow table, bulk frame building.

Protocol modules (``ethernet``, ``ipv4``, ``ipv6``, ``udp``, ``tcp``, ``vxlan``, ``geneve``) hold
constants and compiled ``write_*``/``read_*`` helpers shared by the frame builder and the pcap
reader; ``ipaddr`` the 16-byte address convention; ``encap`` tunnel kinds and overheads;
``flows`` the FlowTable; ``frames`` bulk frame building; ``synth`` synthetic flow tables.
"""

from .encap import TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN, encap_overhead_bytes, line_rate_pps, wire_bytes
from .flows import FlowTable, HeaderLayer

__all__ = [
    "FlowTable", "HeaderLayer", "TUNNEL_GENEVE", "TUNNEL_NONE", "TUNNEL_VXLAN",
    "encap_overhead_bytes", "line_rate_pps", "wire_bytes",
]
