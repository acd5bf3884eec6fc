"""Start-up of the command line: how long a warm ``vnetsim run`` spends outside simulation.

    python benchmarks/bench_start.py               # 7 repeats of each figure
    python benchmarks/bench_start.py --repeat 15 --json start.json

Each figure runs in a fresh process with the numba cache filled (one unmeasured run first), the
same way ``benchmarks/run.py`` measures ``warm_start.poll_mode_s``:

- ``run``: wall seconds of ``vnetsim run examples/poll-mode.yaml -q``;
- ``simulation``: the same variants run a second time inside one process (every import, cache
  load and set-up already done), i.e. the time the run cannot avoid;
- ``outside``: ``run`` minus ``simulation`` (the issue-7 budget is 1 s);
- ``help``: ``vnetsim --help``; ``kinds``: ``vnetsim kinds``;
- a breakdown of one run in one process (imports, kinds, loading the file, numba's set-up, the
  first run with its cache loads, the second run).

The machine is shared, so each figure is printed as best and median of ``--repeat`` runs, with the
CPU seconds (user + system) of the best run. Nothing is asserted.

``--bytecode`` runs the children with Python's bytecode cache on, in a private folder (filled by
the unmeasured first run): set ``PYTHONDONTWRITEBYTECODE=1`` (as in some containers and CI) and
every start compiles vnetsim's ~95 modules from source, 0.15-0.25 s that an installed package
(compiled at install) or an ordinary editable checkout does not pay.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "poll-mode.yaml")
CLI = "import sys; from vnetsim.cli.app import main; sys.argv = sys.argv[1:]; main()"

PHASES = """
import sys, time, json
t, c = [time.perf_counter()], [time.process_time()]
mark = lambda: (t.append(time.perf_counter()), c.append(time.process_time()))
import numpy, numba, pydantic, yaml                              # third-party base
mark()
import typer, rich.console
from vnetsim.cli import app                                      # the command line
mark()
from vnetsim import api
kind, source, variants = api._load(sys.argv[1], None, None, [], None)   # kinds, file, validation
mark()
if kind.kernels is not None:
    import importlib; [importlib.import_module(m) for m in kind.kernels()]   # kernel modules
    try:
        from vnetsim.engine.jit import prepare_numba
    except ImportError:                                          # code from before prepare_numba
        from numba.core.registry import cpu_target
        prepare_numba = cpu_target.target_context.refresh
    prepare_numba()                                              # numba's tables
mark()
for v in variants:
    kind.run_variant(v)                                          # first run: cached-kernel loads
mark()
for v in variants:
    kind.run_variant(v)                                          # simulation alone
mark()
names = ["numpy_numba_pydantic_yaml", "typer_rich_cli", "kinds_and_load", "numba_setup", "first_run", "second_run"]
print(json.dumps({**{n: b - a for n, a, b in zip(names, t, t[1:])},
                  **{"cpu." + n: b - a for n, a, b in zip(names, c, c[1:])}}))
"""


ENV: dict | None = None  # the children's environment (None: this process's)


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout) of one command in a fresh process."""
    before = os.times()
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env or ENV)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, out.stdout


def figure(name: str, samples: list[tuple[float, float]]) -> dict:
    walls = sorted(w for w, _ in samples)
    best = min(samples)
    row = {"best_s": best[0], "median_s": statistics.median(walls), "best_cpu_s": best[1], "n": len(samples)}
    print(f"{name:<28} best {row['best_s']:6.3f} s   median {row['median_s']:6.3f} s   "
          f"(cpu of best {row['best_cpu_s']:5.2f} s, n={row['n']})")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--bytecode", action="store_true", help="children keep Python's bytecode cache (see above)")
    args = ap.parse_args()
    global ENV
    if args.bytecode:
        cache = tempfile.mkdtemp(prefix="vnetsim-pyc-")
        atexit.register(shutil.rmtree, cache, True)
        ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        ENV["PYTHONPYCACHEPREFIX"] = cache
    py = sys.executable
    run_cmd = [py, "-c", CLI, "vnetsim", "run", EXAMPLE, "-q"]
    timed(run_cmd)                                           # fill the numba cache if it is empty
    runs, sims, helps, kinds, phases = [], [], [], [], []
    for _ in range(max(1, args.repeat)):                     # interleaved: load changes hit all alike
        runs.append(timed(run_cmd)[:2])
        wall, cpu, out = timed([py, "-c", PHASES, EXAMPLE])
        phase = json.loads(out.strip().splitlines()[-1])
        phases.append(phase)
        sims.append((phase["second_run"], 0.0))
        helps.append(timed([py, "-c", CLI, "vnetsim", "--help"])[:2])
        kinds.append(timed([py, "-c", CLI, "vnetsim", "kinds"])[:2])
    figs = {"run": figure("warm run poll-mode -q", runs),
            "simulation": figure("simulation (in process)", sims),
            "help": figure("vnetsim --help", helps),
            "kinds": figure("vnetsim kinds", kinds)}
    outside = [r[0] - s[0] for r, s in zip(sorted(runs), sorted(sims))]
    figs["outside"] = {"best_s": min(outside), "median_s": statistics.median(outside)}
    print(f"{'outside simulation':<28} best {figs['outside']['best_s']:6.3f} s   "
          f"median {figs['outside']['median_s']:6.3f} s   (budget 1 s)")
    print("breakdown of one run in one process (median wall s, median CPU s):")
    for name in phases[0]:
        if not name.startswith("cpu."):
            print(f"  {name:<28} {statistics.median(p[name] for p in phases):6.3f}"
                  f"   {statistics.median(p['cpu.' + name] for p in phases):6.3f}")
    figs["phases"] = {n: statistics.median(p[n] for p in phases) for n in phases[0]}
    if args.json:
        Path(args.json).write_text(json.dumps(figs, indent=2) + "\n")


if __name__ == "__main__":
    main()
