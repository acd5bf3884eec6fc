"""A third-party scenario kind, as a plug-in package would ship it: one FIFO link fed by Poisson
traffic with exponential service times (an M/M/1 queue).

It is registered only through the ``vnetsim.kinds`` entry-point group (the test writes the
distribution metadata into a temporary folder), and built from vnetsim's public pieces: the
``Kind`` contract, the traffic package's Poisson arrivals, the engine's FIFO (Lindley) kernel and
its random streams. Nothing in vnetsim knows about it.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vnetsim.engine.fifo import lindley_single
from vnetsim.engine.rng import stream
from vnetsim.errors import ModelError
from vnetsim.kinds import Kind, RunOptions
from vnetsim.traffic.arrivals import PoissonArrivals
from vnetsim.units.fields import DurationNs, RateSpec


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    arrival_rate: RateSpec = Field(description="Poisson arrivals, e.g. 500kpps")
    service_rate: RateSpec = Field(description="exponential service, e.g. 1Mpps")


class MM1Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "mm1"
    description: str = ""
    seed: int = 1
    duration: DurationNs = 1e9
    batches: int = Field(20, ge=2, description="batches for the batch-means confidence interval")
    link: Link
    variants: list[dict] = Field(default_factory=list)


def run(v, options: RunOptions) -> list[dict]:
    sc: MM1Scenario = v.model
    lam = sc.link.arrival_rate.to_pps(0.0, 0)
    mu = sc.link.service_rate.to_pps(0.0, 0)
    if lam >= mu:
        raise ModelError("link.arrival_rate", f"{lam:g}/s is not below the service rate {mu:g}/s (unstable)",
                         "lower the arrival rate")
    t, _ = PoissonArrivals(lam, 1, stream(sc.seed, "mm1/arrivals")).until(sc.duration)
    service_ns = stream(sc.seed, "mm1/service").standard_exponential(len(t)) * (1e9 / mu)
    dep, _ = lindley_single(t, service_ns, -np.inf)
    sojourn = dep - t
    batch_means = np.array([b.mean() for b in np.array_split(sojourn, sc.batches)])
    return [{"name": v.name, "description": v.description, "packets": int(len(t)),
             "sojourn_ns": {"mean": float(sojourn.mean()),
                            "batch_se": float(batch_means.std(ddof=1) / np.sqrt(sc.batches))},
             "utilization": float(service_ns.sum() / sc.duration)}]


def render(result, console) -> None:
    for row in result.variants:
        console.print(f"{row['name']}: {row['packets']} packets, mean sojourn {row['sojourn_ns']['mean']:.1f} ns")


KIND = Kind(name="mm1", summary="one FIFO link, Poisson in, exponential service (test plug-in)",
            model=MM1Scenario, run=run, render=render, detect=lambda doc: "link" in doc)
