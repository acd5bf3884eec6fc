"""The host data path: pNIC, host RX threads, vSwitch, vNIC, guest.

Public exports, what other domains use (a fabric's edge hosts run the receiving host behind the
fabric's last link): the host model ``Host``, the flow catalog ``FlowCatalog`` (headers per flow),
``compile_host`` / ``compile_host_flows`` (model and flows to a ``HostPlan``), and the runs:
``HostReceive`` (from the NIC on, fed chunk by chunk), ``HostPath`` (source, wire, receive) and
its outcome ``HostRun``.
"""

from vnetsim.host.config import Host
from vnetsim.host.flows import FlowCatalog
from vnetsim.host.path import HostPath, HostReceive, HostRun
from vnetsim.host.plan import HostPlan, compile_host, compile_host_flows

__all__ = ["Host", "FlowCatalog", "HostPlan", "HostPath", "HostReceive", "HostRun", "compile_host",
           "compile_host_flows"]
