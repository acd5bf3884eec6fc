"""The transmit side of the host path: the stages a packet crosses after the application, when the
application answers (request/response) or forwards what it received (a VNF).

``build_transmit`` returns the stage plans (``vnetsim.host.plan.PathStagePlan``) that follow the
receive path; a host whose applications neither answer nor forward transmits nothing here (its
bulk sends are the analytic ``TxTraffic`` work).
"""

from __future__ import annotations

from vnetsim.host.config import Host
from vnetsim.host.flows import FlowCatalog


def build_transmit(host: Host, catalog: FlowCatalog) -> list:
    """The stage plans after the application, in order (none: nothing answers or forwards)."""
    return []
