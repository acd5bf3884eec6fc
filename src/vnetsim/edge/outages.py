"""When each site's uplink is down: an alternating renewal (on/off) process and a fixed schedule.

Each site's link starts up at time 0; up times are exponential with mean ``mean_up``, down times
exponential (or fixed) with mean ``mean_down``, all independent (one random stream per site).
Explicit ``schedule`` outages apply to every site. Overlapping outages are merged. Outages are
drawn up to ``horizon_ns`` (the run and a margin for messages still queued at the end); after it
the link stays up.

The long-run share of time down is ``mean_down / (mean_up + mean_down)`` (the renewal-reward
theorem), which the tests check.
"""

from __future__ import annotations

import numpy as np

from vnetsim.engine.rng import stream
from vnetsim.errors import ModelError

MAX_OUTAGES = 2_000_000   # intervals over all sites, drawn before the run


def _merge(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of intervals [start, end), sorted."""
    if not len(start):
        return start, end
    order = np.argsort(start, kind="stable")
    s, e = start[order], end[order]
    run_end = np.maximum.accumulate(e)
    new = np.ones(len(s), bool)
    new[1:] = s[1:] > run_end[:-1]
    idx = np.flatnonzero(new)
    return s[idx], np.maximum.reduceat(e, idx)


def draw_outages(outages, sites: int, horizon_ns: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per site, outage starts and ends (``sites x k`` arrays, padded with +inf)."""
    per_site: list[tuple[np.ndarray, np.ndarray]] = []
    fixed = np.array(outages.schedule, np.float64).reshape(-1, 2)
    fs, fe = fixed[:, 0], fixed[:, 0] + fixed[:, 1]
    cycle = outages.mean_up + outages.mean_down
    expected = sites * (horizon_ns / cycle if cycle > 0 else 0.0) + sites * len(fs)
    if expected > MAX_OUTAGES:
        raise ModelError("uplink.outages", f"about {expected:.3g} outages over the run, more than {MAX_OUTAGES:,}",
                         "make outages rarer (mean_up) or the run shorter")
    for site in range(sites):
        starts, ends = [fs], [fe]
        if cycle > 0:
            rng = stream(seed, f"edge/uplink/outages/{site}")
            n = int(horizon_ns / cycle * 1.5 + 10 * np.sqrt(horizon_ns / cycle + 1) + 10)
            while True:
                up = rng.exponential(outages.mean_up, n)
                down = (np.full(n, outages.mean_down) if outages.down == "fixed"
                        else rng.exponential(outages.mean_down, n))
                s = np.cumsum(up + down) - down
                if s[-1] >= horizon_ns:
                    break
                n *= 2
            keep = s < horizon_ns
            starts.append(s[keep])
            ends.append((s + down)[keep])
        s_all, e_all = _merge(np.concatenate(starts), np.concatenate(ends))
        per_site.append((s_all, e_all))
    width = max([1] + [len(s) for s, _ in per_site])
    out_s = np.full((sites, width), np.inf)
    out_e = np.full((sites, width), np.inf)
    for i, (s, e) in enumerate(per_site):
        out_s[i, :len(s)] = s
        out_e[i, :len(e)] = e
    return out_s, out_e


def down_time_ns(starts: np.ndarray, ends: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per site, the time down inside [lo, hi]."""
    s = np.clip(starts, lo, hi)
    e = np.clip(ends, lo, hi)
    return np.where(np.isfinite(starts), e - s, 0.0).sum(axis=1)
