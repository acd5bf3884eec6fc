"""Storage availability benchmarks, measured in one run (figures and ratios, never assertions).

1. Monte Carlo: simulated cluster-years per second on one core for a 16-host cluster (4 racks of
   4 hosts, RAID-1 FTT 1, device, host, rack and site events), compiled kernel vs the same event
   loop interpreted by Python (the same kernel in a subprocess with NUMBA_DISABLE_JIT=1, so the
   model, the random numbers and every event are identical: the counts are compared), with the
   events per cluster-year and the Markov figures beside the simulated ones; then the same cluster
   with fixed repair durations (the simulation's own figures: no chain gives them).
2. Rare events: a 16-host RAID-6 (4+2) cluster in 8 racks of 2 hosts with rack events, whose
   annual loss probability is about 1e-7: balanced failure biasing run to a +-20 % interval, its
   wall time, and the exact Markov figure shown inside (or outside) that interval; the same for a
   stretched cluster (a chain of 50 states, loss about 4e-13 a year) and a deeper one (128 states,
   FTT 2 in each site, about 1e-18 a year).

Run: PYTHONPATH=src python benchmarks/bench_storage_availability.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from vnetsim.storage.availability import AvailabilitySpec, Estimate, evaluate
from vnetsim.storage.availability.chain import rates_of
from vnetsim.storage.availability.montecarlo import kernel_args, simulate_kernel

MC_SPEC = AvailabilitySpec(hosts=16, hosts_per_fault_domain=4, data_fragments=1, parity_fragments=1,
                           fault_domain_rate_per_year=0.05, site_rate_per_year=0.1)
RARE_SPEC = AvailabilitySpec(hosts=16, hosts_per_fault_domain=2, data_fragments=4, parity_fragments=2,
                             fault_domain_rate_per_year=0.05, host_afr=0.06)
STRETCHED_SPEC = AvailabilitySpec(hosts=12, sites=2, site_mirroring=True, witness=True, site_rate_per_year=0.1)
DEEP_SPEC = AvailabilitySpec(hosts=40, sites=2, site_mirroring=True, witness=True, parity_fragments=2,
                             hosts_per_fault_domain=2, site_rate_per_year=0.1)


def _show(label: str, exact, est) -> str:
    inside = "inside" if est.contains(exact) else "OUTSIDE"
    return f"  {label}: Markov {exact:.6g}, estimate {est.value:.6g} [{est.low:.6g}, {est.high:.6g}] -> Markov {inside}"


def _unavailability(a: Estimate) -> Estimate:
    return Estimate(1 - a.value, 1 - a.high, 1 - a.low)


PEER = """
import json, sys, time
import numpy as np
from vnetsim.storage.availability.chain import rates_of
from vnetsim.storage.availability.montecarlo import kernel_args, simulate_kernel
from vnetsim.storage.availability.spec import AvailabilitySpec
spec = AvailabilitySpec(**json.loads(sys.argv[2]))
args = kernel_args(rates_of(spec))
with np.errstate(over="ignore"):
    t0 = time.perf_counter()
    out = simulate_kernel(float(sys.argv[1]), np.uint64(1), *args)
    wall = time.perf_counter() - t0
print(json.dumps({"counts": [float(x) for x in out], "wall": wall}))
"""


def _interpreted(years: float) -> tuple[list[float], float]:
    """The Monte Carlo kernel run by the Python interpreter (numba's JIT off) in a subprocess."""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run([sys.executable, "-c", PEER, str(years), json.dumps(MC_SPEC.__dict__)], env=env,
                          capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    return out["counts"], out["wall"]


def bench_montecarlo(quick: bool) -> float:
    """Prints the Monte Carlo figures; returns the compiled kernel's cluster-years per second."""
    evaluate(MC_SPEC, method="montecarlo", years=1e3)          # compile (or load the cache) outside the timing
    years = 2e6 if quick else 2e7
    t0 = time.perf_counter()
    mc = evaluate(MC_SPEC, method="montecarlo", years=years, seed=1)
    fast_wall = time.perf_counter() - t0
    py_years = 2e3 if quick else 1e4
    counts, py_wall = _interpreted(py_years)
    same = counts[1:] == list(simulate_kernel(py_years, np.uint64(1), *kernel_args(rates_of(MC_SPEC))))[1:]
    fast, slow = years / fast_wall, py_years / py_wall
    exact = evaluate(MC_SPEC)
    print("Monte Carlo, 16 hosts (4 racks x 4, RAID-1 FTT 1, device/host/rack/site events), one core:")
    print(f"  {mc.events_per_cluster_year:.2f} events per cluster-year")
    print(f"  compiled: {years:.3g} cluster-years in {fast_wall:.2f} s -> {fast / 1e6:.2f} M cluster-years/s "
          f"({fast * mc.events_per_cluster_year / 1e6:.2f} M events/s)")
    print(f"  plain Python event loop (NUMBA_DISABLE_JIT=1): {py_years:.3g} cluster-years in {py_wall:.2f} s -> "
          f"{slow / 1e3:.2f} k cluster-years/s; same events as compiled: {'yes' if same else 'NO'}")
    print(f"  ratio compiled / Python: {fast / slow:,.0f}x")
    print(_show("unavailability", 1 - exact.availability.value, _unavailability(mc.availability)))
    print(_show("loss rate per year", exact.loss_rate_per_year.value, mc.loss_rate_per_year))
    evaluate(MC_SPEC, method="montecarlo", repair="fixed", years=1e3)
    t0 = time.perf_counter()
    fixed = evaluate(MC_SPEC, method="montecarlo", repair="fixed", years=years, seed=1)
    fixed_wall = time.perf_counter() - t0
    f = fixed.loss_rate_per_year
    print(f"  fixed repair durations (no chain can say): {years / fixed_wall / 1e6:.2f} M cluster-years/s; "
          f"loss rate {f.value:.4g} [{f.low:.4g}, {f.high:.4g}], unavailability {1 - fixed.availability.value:.4g} "
          f"(exponential: {exact.loss_rate_per_year.value:.4g}, {1 - exact.availability.value:.4g})")
    return fast


def bench_rare(label: str, spec: AvailabilitySpec, mc_years_per_s: float) -> None:
    exact = evaluate(spec)
    evaluate(spec, method="importance", max_cycles=1000)   # compile outside the timing
    t0 = time.perf_counter()
    rare = evaluate(spec, method="importance", precision=0.2, seed=1)
    wall = time.perf_counter() - t0
    est = rare.annual_loss_probability
    print(f"Rare events, {label}, balanced failure biasing:")
    print(f"  {'; '.join(rare.notes[:2])}")
    print(f"  wall {wall:.3f} s for +-{est.relative_half_width * 100:.1f} % (target +-20 %)")
    print(_show("annual loss probability", exact.annual_loss_probability.value, est))
    print(_show("unavailability", 1 - exact.availability.value, _unavailability(rare.availability)))
    losses = (1.96 / 0.2) ** 2                                  # Poisson: +-20 % at 95 % needs ~96 losses
    years = losses / exact.loss_rate_per_year.value
    print(f"  plain Monte Carlo would need ~{years:.2g} cluster-years for +-20 %: ~{years / mc_years_per_s:.2g} s "
          f"at the rate above ({years / mc_years_per_s / max(wall, 1e-9):.2g}x this run's wall time)")
    print(f"  Markov: {exact.states} states, {exact.nines.value:.2f} nines, "
          f"MTTDL {exact.mttdl_years.value:.4g} years")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    opts = parser.parse_args()
    rate = bench_montecarlo(opts.quick)
    bench_rare("16 hosts (8 racks x 2, RAID-6 4+2, rack events)", RARE_SPEC, rate)
    bench_rare("stretched 6+6 hosts + witness (RAID-1 FTT 1 in each site, site events)", STRETCHED_SPEC, rate)
    bench_rare("stretched 20+20 hosts in racks of 2 + witness (RAID-1 FTT 2 in each site)", DEEP_SPEC, rate)


if __name__ == "__main__":
    main()
