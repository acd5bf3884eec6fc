"""Data-center fabrics: topologies, spanning tree, ECMP, traffic, flow and packet levels, planner.

Entry points:
- ``run_fabric_scenario(doc, seed, duration_ns)`` -> ``FabricResult`` (``to_dict()``, ``render(console)``)
- ``load_and_run(path)`` -> ``FabricComparison`` of every variant in a YAML file
- ``plan_fabric(hosts, leaf, spine, ...)`` -> ``FabricPlan``
- ``vnetsim.fabric.cli.app``: the ``fabric`` typer sub-app (``plan``)
"""

from vnetsim.fabric.config import FabricConfig, FabricScenario, TrafficConfig
from vnetsim.fabric.planner import FabricPlan, plan_fabric
from vnetsim.fabric.simulate import (FabricComparison, FabricResult, deep_merge, load_and_run, run_fabric_scenario,
                                     variant_documents)

__all__ = ["FabricConfig", "FabricScenario", "TrafficConfig", "FabricPlan", "plan_fabric", "FabricComparison",
           "FabricResult", "deep_merge", "load_and_run", "run_fabric_scenario", "variant_documents"]
