"""Deprecated location of the host scenario model (moved to ``vnetsim.host.scenario``)."""

from vnetsim.host.scenario import HostScenario

__all__ = ["HostScenario"]
