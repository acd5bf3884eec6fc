"""Independent, event-driven reference models of the engine (SimPy), written from
docs/models/engine.md only. They are slow and small on purpose: every rule of the spec is one
visible line here, so that the compiled kernels can be checked packet for packet against them.

Tie-breaking is explicit. SimPy orders events by (time, priority, insertion order); we use
two priorities:

- ``FIRST`` (0): arrivals to a ring server (admitted or dropped), departures of a FIFO server;
- ``THEN`` (1): decisions (polls, interrupt fires, blocking, sleeping) and FIFO arrivals.

All arrival events are scheduled up front in input order, so at any time ``t`` every arrival
with time ``t`` is handled before any decision at ``t``, and equal-time arrivals keep their order.
"""

from __future__ import annotations

import simpy

FIRST = 0
THEN = 1


class At(simpy.events.Event):
    """An event that happens at absolute time ``t`` with the given priority."""

    def __init__(self, env: simpy.Environment, t: float, priority: int = THEN) -> None:
        delay = t - env.now
        if delay < 0:
            raise ValueError(f"event in the past: {t} < {env.now}")
        self.env = env
        self.callbacks = []
        self._value = None
        self._ok = True
        env.schedule(self, priority, delay)
