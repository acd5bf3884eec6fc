"""`vnetsim storage plan` timing, measured in one run (numbers, never assertions).

1. The solved planner (``vnetsim.storage.planner.plan``) on the issue's question (300 VMs x 200 GB,
   ESA RAID-5, hosts of 2 x 3.84 TB NVMe, single site), beside its peer: a brute-force search that
   runs the full capacity and component models on every host count (``check_fits`` for 3..64).
2. The same on a stretched cluster and on OSA RAID-6 (other layouts, other ranges).
3. The whole command in a fresh process (``vnetsim storage plan ...`` through ``vnetsim.cli.main``: interpreter
   start, imports, parsing, the answer, the table), best of ``--repeat``, beside its peer in the same
   minutes: the same interpreter starting and doing nothing (``python -c pass``, with the site
   packages' start-up hooks). The difference is what the command itself costs.

Run: PYTHONPATH=src python benchmarks/bench_storage_plan.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from vnetsim.storage.planner import FLAVOR_HOSTS, check_fits, plan, request_from_options

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    "issue: 300 VMs, ESA RAID-5, single": ("raid5", 1, "2x3.84TB-nvme", "single", "esa"),
    "300 VMs, RAID-1, stretched": ("raid1", 1, "4x7.68TB-nvme", "stretched", "esa"),
    "300 VMs, OSA RAID-6, single": ("raid6", 2, "1x800GB-nvme+6x3.84TB-sas-ssd", "single", "osa"),
}


def best_of(fn, repeat: int, inner: int) -> float:
    """Best mean seconds per call over ``repeat`` batches of ``inner`` calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def brute(req) -> int | None:
    lo, hi = FLAVOR_HOSTS[req.flavor]
    return next((n for n in range(lo, hi + 1) if check_fits(req, n)), None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'question':40s} {'answer':>7s} {'plan':>10s} {'brute force':>12s} {'ratio':>7s}")
    for label, (raid, ftt, host, flavor, arch) in QUESTIONS.items():
        req = request_from_options(300, "200GB", raid, ftt, host, flavor, arch)
        answer = plan(req).hosts_per_site
        assert answer == brute(req)
        t_plan = best_of(lambda req=req: plan(req), args.repeat, 200)
        t_brute = best_of(lambda req=req: brute(req), args.repeat, 20)
        print(f"{label:40s} {answer!s:>7s} {t_plan * 1e6:8.1f}us {t_brute * 1e6:10.1f}us {t_brute / t_plan:6.1f}x")
    entry = "import sys; from vnetsim.cli import main; main(sys.argv[1:])"
    cmd = [sys.executable, "-c", entry, "storage", "plan", "--vms", "300", "--vm-disk", "200GB",
           "--policy", "raid5", "--ftt", "1", "--host", "2x3.84TB-nvme", "--flavor", "single"]
    whole, bare = fresh_process(cmd, args.repeat), fresh_process([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'whole command, fresh process':40s} {'':>7s} {whole * 1e3:8.1f}ms")
    print(f"{'peer: the interpreter alone (-c pass)':40s} {'':>7s} {bare * 1e3:8.1f}ms")
    print(f"{'the command beyond the interpreter':40s} {'':>7s} {(whole - bare) * 1e3:8.1f}ms")


def fresh_process(cmd: list[str], repeat: int) -> float:
    """Best wall-clock seconds of ``cmd`` in a fresh process over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    return best


if __name__ == "__main__":
    main()
