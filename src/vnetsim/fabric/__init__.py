"""Data-center fabrics: topologies, spanning tree, ECMP, traffic, flow and packet levels, planner.

Public entry points:
- ``run_fabric_scenario(scenario, seed, duration_ns)`` -> ``FabricResult`` (``to_dict()``, ``render(console)``)
- ``plan_fabric(hosts, leaf, spine, ...)`` -> ``FabricPlan``
- ``vnetsim.fabric.kind.KIND``: the ``fabric`` scenario kind (with the ``vnetsim fabric plan`` command)
"""

from vnetsim.fabric.config import FabricConfig, FabricScenario, TrafficConfig
from vnetsim.fabric.planner import FabricPlan, plan_fabric
from vnetsim.fabric.simulate import FabricResult, run_fabric_scenario

__all__ = ["FabricConfig", "FabricScenario", "TrafficConfig", "FabricPlan", "plan_fabric", "FabricResult",
           "run_fabric_scenario"]
