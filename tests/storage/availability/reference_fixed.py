"""An obviously correct, slow reference of the fixed-repair Monte Carlo, written the other way round.

Every healthy fault domain has its own failure clock, every failed one its repair time, every
site its site-event clock and the witness its own: all of them sit in one heap of scheduled
events, invalidated by a per-item epoch when their owner changes. The compiled kernel instead
draws the next failure from the total rate; both are the same process (competing exponentials),
so their figures must agree within their statistics. Tests only; plain Python and heapq.
"""

from __future__ import annotations

import heapq
import random

from vnetsim.storage.availability.chain import Rates, repair_rate


def simulate(r: Rates, years: float, seed: int) -> tuple[float, int]:
    """(inaccessible years, data-loss events) of one trajectory of ``years`` cluster-years."""
    rng = random.Random(seed)
    lam = [float(x) for x in r.failure]
    lam_sum = sum(lam)
    sites = r.sites
    status = [[0] * r.fault_domains for _ in range(sites)]
    epoch = [[0] * r.fault_domains for _ in range(sites)]
    mode = [0] * sites                     # 0 normal, 1 copy lost, 2 site event
    mode_epoch = [0] * sites
    witness_up = True
    heap: list = []
    t = 0.0

    def failed(s: int) -> int:
        return sum(1 for v in status[s] if v)

    def arm_fd(s: int, k: int) -> None:
        epoch[s][k] += 1
        if lam_sum > 0:
            heapq.heappush(heap, (t + rng.expovariate(lam_sum), "fail", s, k, epoch[s][k]))

    def arm_site(s: int) -> None:
        mode_epoch[s] += 1
        for k in range(r.fault_domains):
            status[s][k] = 0
            arm_fd(s, k)
        if r.site_failure > 0:
            heapq.heappush(heap, (t + rng.expovariate(r.site_failure), "site", s, -1, mode_epoch[s]))

    def drop_site(s: int, new_mode: int, back_in_years: float) -> None:
        mode[s] = new_mode
        mode_epoch[s] += 1
        for k in range(r.fault_domains):
            status[s][k] = 0
            epoch[s][k] += 1                # cancels every clock of the site's fault domains
        heapq.heappush(heap, (t + back_in_years, "back", s, -1, mode_epoch[s]))

    def accessible() -> bool:
        if sites == 2:
            return sum(m != 0 for m in mode) + (0 if witness_up else 1) <= 1
        if mode[0] != 0:
            return False
        return failed(0) + (1 if (r.witness and not witness_up) else 0) <= r.tolerance

    for s in range(sites):
        arm_site(s)
    if r.witness and r.witness_failure > 0:
        heapq.heappush(heap, (rng.expovariate(r.witness_failure), "witness", -1, -1, 0))
    downtime = 0.0
    losses = 0
    while heap:
        when, kind, s, k, ep = heapq.heappop(heap)
        if kind in ("fail", "repair") and ep != epoch[s][k]:
            continue
        if kind in ("site", "back") and ep != mode_epoch[s]:
            continue
        if not accessible():
            downtime += min(when, years) - t
        t = when
        if t >= years:
            break
        if kind == "witness":
            witness_up = not witness_up
            if witness_up and r.witness_failure > 0:
                heapq.heappush(heap, (t + rng.expovariate(r.witness_failure), "witness", -1, -1, 0))
            elif not witness_up:
                heapq.heappush(heap, (t + 1.0 / r.witness_return, "witness", -1, -1, 0))
        elif kind == "site":
            drop_site(s, 2, 1.0 / r.site_return)
        elif kind == "back":
            mode[s] = 0
            arm_site(s)
        elif kind == "repair":
            status[s][k] = 0
            arm_fd(s, k)
        else:                                              # a failure of fault domain k
            cls = rng.choices(range(3), weights=lam)[0]
            if failed(s) == r.tolerance:
                other_ok = sites == 2 and mode[1 - s] == 0
                drop_site(s, 1, 1.0 / (r.lost_resync if other_ok else r.lost_return))
                if all(m == 1 for m in mode):
                    losses += 1
                continue
            status[s][k] = cls + 1
            epoch[s][k] += 1
            heapq.heappush(heap, (t + 1.0 / repair_rate(r, cls, failed(s)), "repair", s, k, epoch[s][k]))
    return downtime, losses
