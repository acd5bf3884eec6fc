"""``evaluate``: one entry point for the three methods, so the kind and users pick by name."""

from __future__ import annotations

from vnetsim.errors import ModelError
from vnetsim.storage.availability.spec import AvailabilityResult, AvailabilitySpec

METHODS = ("markov", "montecarlo", "importance")
DEFAULT_YEARS = 1e6            # simulated cluster-years of a Monte Carlo run
DEFAULT_PRECISION = 0.2        # importance sampling: stop at a +-20 % interval


def evaluate(spec: AvailabilitySpec, *, method: str = "markov", years: float = DEFAULT_YEARS, seed: int = 0,
             precision: float = DEFAULT_PRECISION, max_cycles: int = 10_000_000) -> AvailabilityResult:
    """Availability and durability of ``spec`` by ``method``.

    ``markov``: exact solution of the chain (``years`` and ``seed`` unused).
    ``montecarlo``: ``years`` simulated cluster-years (compiled), 95 % intervals by batch means.
    ``importance``: regenerative simulation with balanced failure biasing, run until the loss
    rate's 95 % interval is within +-``precision`` or ``max_cycles`` regeneration cycles.
    """
    if method == "markov":
        from vnetsim.storage.availability.markov import solve
        return solve(spec)
    if method == "montecarlo":
        from vnetsim.storage.availability.montecarlo import simulate
        return simulate(spec, years=years, seed=seed)
    if method == "importance":
        from vnetsim.storage.availability.rare import importance
        return importance(spec, precision=precision, max_cycles=max_cycles, seed=seed)
    raise ModelError("method", f"unknown method {method!r}", f"choose one of: {', '.join(METHODS)}")
