"""The "what if N hosts fail" table, in the manner of the vendor's what-if (data migration pre-check).

For each placement of the failed hosts (spread over as many fault domains as possible, the worst
case for a layout, or packed into as few as possible; in a stretched cluster also one site or both)
it says whether every object stays accessible, whether the lost components can be rebuilt at once
(enough healthy fault domains left), and whether data is at risk (one more failure makes some
object inaccessible). The witness is assumed up; it counts as one failure in the tolerance.
"""

from __future__ import annotations

import math

from vnetsim.errors import ModelError
from vnetsim.storage.availability.spec import AvailabilitySpec, WhatIfRow


def _placements(spec: AvailabilitySpec, n: int) -> list[tuple[str, tuple[int, ...]]]:
    """(label, failed fault domains per site) for each placement of ``n`` failed hosts."""
    f, h, hps = spec.fault_domains_per_site, spec.hosts_per_fault_domain, spec.hosts_per_site

    def spread(k: int) -> int:
        return min(k, f)

    def packed(k: int) -> int:
        return math.ceil(k / h)

    rows: list[tuple[str, tuple[int, ...]]]
    if spec.sites == 1:
        rows = [("spread over fault domains", (spread(n),))]
        if h > 1:
            rows.append(("packed into fewest fault domains", (packed(n),)))
        return rows
    rows = []
    if n <= hps:
        rows.append(("one site, spread over fault domains", (spread(n), 0)))
        if h > 1:
            rows.append(("one site, packed into fewest fault domains", (packed(n), 0)))
    a = min(hps, (n + 1) // 2)
    rows.append(("both sites, spread over fault domains", (spread(a), spread(n - a))))
    return rows


def _row(spec: AvailabilitySpec, n: int, label: str, failed: tuple[int, ...]) -> WhatIfRow:
    p, f, width = spec.tolerance, spec.fault_domains_per_site, spec.width
    ok = [k <= p for k in failed]
    if spec.sites == 1:
        accessible = ok[0]
        tolerance = p - failed[0]
        reprotectable = failed[0] == 0 or (accessible and f - failed[0] >= width)
    else:
        accessible = sum(not o for o in ok) <= 1
        to_kill = [p - k + 1 for k in failed]                     # fault-domain failures to lose a site's copy
        live = [t for t, o in zip(to_kill, ok, strict=True) if o]
        if len(live) == 2:
            tolerance = min(sum(live), min(live) + 1) - 1         # both copies, or one copy and the witness
        elif len(live) == 1:
            tolerance = min(live[0], 1) - 1                         # the witness alone is one failure away
        else:
            tolerance = -1
        reprotectable = accessible and all(k == 0 or f - k >= width for k in failed)
    tolerance = max(tolerance, -1) if accessible else -1
    return WhatIfRow(n, label, failed, accessible, reprotectable, (not accessible) or tolerance <= 0, tolerance)


def what_if(spec: AvailabilitySpec, failed_hosts: int) -> list[WhatIfRow]:
    """Rows for ``failed_hosts`` hosts down at once (one per placement)."""
    if not 0 <= failed_hosts <= spec.hosts:
        raise ModelError("failed_hosts", f"must be between 0 and the {spec.hosts} hosts, got {failed_hosts}",
                         "ask about fewer failed hosts")
    return [_row(spec, failed_hosts, label, failed) for label, failed in _placements(spec, failed_hosts)]
