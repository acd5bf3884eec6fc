"""RFC 2544-style zero-loss throughput: the highest offered rate at which nothing is dropped.

For each variant, a binary search over a common scale of all flow rates, between 0 and the
pNIC line rate (at the traffic's mean frame size, 20 bytes of wire overhead per frame). Each trial
runs the scenario for the trial duration with the same seed (common random numbers, so trials
differ only in rate); a trial passes when no packet of the statistics window is dropped, on the
way in or, for an answering or forwarding application, on the way back (``packets_tx``). The
search stops when the bracket is narrower than ``resolution`` of the line rate.
"""

from __future__ import annotations

from vnetsim.errors import ModelError
from vnetsim.host.path import HostPath
from vnetsim.host.plan import HostPlan, compile_host
from vnetsim.host.rates import LINE_RATE_FIX, check_line_rate
from vnetsim.host.report import variant_result
from vnetsim.host.scenario import HostScenario
from vnetsim.net.ethernet import WIRE_GAP_BYTES
from vnetsim.units import format_rate

# The fields of a zero-loss search that a run's rows carry (``zero_loss``).
ZERO_LOSS_SUMMARY = ("zero_loss_pps", "zero_loss_bps", "line_rate_fraction", "resolution", "trial_s", "at_zero_loss")


def _source(scenario: HostScenario, plan: HostPlan | None = None):
    plan = plan or compile_host(scenario.host, scenario.traffic.flows, scenario.seed)
    return plan, plan.source(scenario.traffic.flows, scenario.seed)


def load_scales(scenario: HostScenario, plan: HostPlan | None = None) -> list[tuple[str | None, float]]:
    """(label, rate scale) for each of the scenario's load levels, or [(None, 1.0)]."""
    if not scenario.loads:
        return [(None, 1.0)]
    _, src = _source(scenario, plan)
    base = src.offered_pps
    if base <= 0:
        raise ModelError("loads", "the traffic offers no packets to scale", "give the flows a rate > 0")
    out: list[tuple[str | None, float]] = []
    for k, load in enumerate(scenario.loads):
        pps = load.to_pps(src.mean_frame_bytes, WIRE_GAP_BYTES)
        what = str(load) if load.kind == "pps" else f"{load} ({format_rate(pps, 'pps')})"
        check_line_rate(f"loads[{k}]", what, pps, src.mean_frame_bytes, scenario.host.pnic.line_rate,
                        LINE_RATE_FIX)   # the flows' own rates follow the same rule (vnetsim.host.rates)
        out.append((str(load), pps / base))
    return out


def lost_packets(res: dict) -> int:
    """A trial's window drops: the receive path's and the transmit path's (answers, forwards)."""
    return int(res["packets"]["dropped"]) + int((res.get("packets_tx") or {}).get("dropped", 0))


def zero_loss_search(scenario: HostScenario, name: str, description: str, *, resolution: float | None = None,
                     max_trials: int = 20, plan: HostPlan | None = None) -> dict:
    """Search one validated host scenario; returns the throughput entry of its variant."""
    resolution = scenario.throughput.resolution if resolution is None else resolution
    trial_ns = scenario.throughput.trial
    plan, src = _source(scenario, plan)
    base_pps = src.offered_pps
    if base_pps <= 0:
        raise ModelError("traffic.flows", "the traffic offers no packets", "give the flows a rate > 0")
    line_pps = scenario.host.pnic.line_rate / ((src.mean_frame_bytes + WIRE_GAP_BYTES) * 8.0)
    top = line_pps / base_pps
    trials = []

    def trial(scale: float) -> dict:
        run = HostPath(scenario, rate_scale=scale, duration_ns=trial_ns, plan=plan).run()
        res = variant_result(name, description, run, scenario.seed, 0, scenario.host.cpu_clock)
        trials.append({"rate_pps": scale * base_pps, "line_rate_fraction": scale / top,
                       "dropped": lost_packets(res), "offered": res["packets"]["offered"]})
        return res

    best = None
    best_scale = 0.0
    res = trial(top)
    if lost_packets(res) == 0:
        best, best_scale = res, top
    else:
        lo, hi = 0.0, top
        while (hi - lo) / top > resolution and len(trials) < max_trials:
            mid = 0.5 * (lo + hi)
            res = trial(mid)
            if lost_packets(res) == 0:
                lo, best, best_scale = mid, res, mid
            else:
                hi = mid
    entry = {
        "name": name,
        "description": description,
        "line_rate_pps": line_pps,
        "zero_loss_pps": best_scale * base_pps,
        "zero_loss_bps": best_scale * base_pps * (src.mean_frame_bytes + WIRE_GAP_BYTES) * 8.0,
        "line_rate_fraction": best_scale / top,
        "resolution": resolution,
        "trial_s": (trial_ns or scenario.duration) / 1e9,
        "trials": trials,
        "at_zero_loss": None,
    }
    if best is not None:
        entry["at_zero_loss"] = {k: best[k] for k in ("delivered_pps", "latency_ns", "cpu")}
    return entry

