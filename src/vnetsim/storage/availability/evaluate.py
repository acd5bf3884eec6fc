"""``evaluate``: one entry point for the three methods, so the kind and users pick by name."""

from __future__ import annotations

from vnetsim.errors import ModelError
from vnetsim.storage.availability.spec import AvailabilityResult, AvailabilitySpec

METHODS = ("markov", "montecarlo", "importance")
REPAIRS = ("exponential", "fixed")
DEFAULT_YEARS = 1e6            # simulated cluster-years of a Monte Carlo run
DEFAULT_PRECISION = 0.2        # importance sampling: stop at a +-20 % interval


def evaluate(spec: AvailabilitySpec, *, method: str = "markov", years: float = DEFAULT_YEARS, seed: int = 0,
             precision: float = DEFAULT_PRECISION, max_cycles: int = 10_000_000, max_seconds: float = 60.0,
             repair: str = "exponential") -> AvailabilityResult:
    """Availability and durability of ``spec`` by ``method``.

    ``markov``: exact solution of the chain (``years`` and ``seed`` unused).
    ``montecarlo``: ``years`` simulated cluster-years (compiled), 95 % intervals by batch means;
    ``repair="fixed"`` gives every repair its fixed duration instead of an exponential one (the
    figures then differ from the chain's: that is the point).
    ``importance``: regenerative simulation with balanced failure biasing, run until the loss
    rate's 95 % interval is within +-``precision`` (or ``max_cycles`` cycles, ``max_seconds``).
    """
    if repair not in REPAIRS:
        raise ModelError("repair", f"unknown repair-time model {repair!r}", f"choose one of: {', '.join(REPAIRS)}")
    if repair == "fixed" and method != "montecarlo":
        raise ModelError("repair", "fixed repair times need the montecarlo method",
                         "use method montecarlo, or exponential repairs")
    if method == "markov":
        from vnetsim.storage.availability.markov import solve
        return solve(spec)
    if method == "montecarlo":
        if repair == "fixed":
            from vnetsim.storage.availability.fixed import simulate_fixed
            return simulate_fixed(spec, years=years, seed=seed)
        from vnetsim.storage.availability.montecarlo import simulate
        return simulate(spec, years=years, seed=seed)
    if method == "importance":
        from vnetsim.storage.availability.rare import importance
        return importance(spec, precision=precision, max_cycles=max_cycles, seed=seed, max_seconds=max_seconds)
    raise ModelError("method", f"unknown method {method!r}", f"choose one of: {', '.join(METHODS)}")
