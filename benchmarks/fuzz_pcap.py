"""Fuzz the capture reader (and a capture's replay as traffic) for a given time; report every crash.

    python benchmarks/fuzz_pcap.py --seconds 60 [--out fuzz-pcap-crashes/] [--seed 1] [--jobs 1]

Inputs are mutations of the real captures in tests/data and of pcapngs built from them (bit and
byte flips, header fields set to hostile values, truncation, cut, repeated and inserted slices:
tests/io/pcapfuzz.py). Each is read with ``read_pcap`` and, when that works, replayed
(``as_traffic``, a looped ``TraceArrivals``) with the invariants of a good read checked. Every
outcome must be a trace or a one-line ``InputFileError``.

Batches run in subprocesses, so a floating-point trap, a segfault or a hang (a batch past its time
limit) is caught too: the input being read when the process died is saved as the reproducer.
A Python exception is saved with its traceback. Prints how many inputs were tried, how many read,
how many were refused with a one-line error, and the crashes with their reproducer files.
Exit status 1 when a crash was found.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MUTATOR = REPO / "tests" / "io" / "pcapfuzz.py"
HANG_S = 120.0  # a batch that takes this much longer than planned is hung


def _run_batch(seed: int, count: int, work: Path, crashes: Path,
               limit_s: float) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """One batch in a subprocess: its tally and the crashes it leaves (hard ones saved here)."""
    progress = work.with_suffix(".idx")
    for p in (work, progress):
        p.unlink(missing_ok=True)
    cmd = [sys.executable, str(MUTATOR), str(seed), str(count), str(work), str(crashes)]
    found: list[tuple[str, str]] = []
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=limit_s)
        rc, out, err = res.returncode, res.stdout, res.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out = None, ""
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
    tally = {"tried": 0, "ok": 0, "error": 0, "crash": 0}
    for line in out.splitlines():
        if line.startswith("tried="):
            tally.update({k: int(v) for k, v in (kv.split("=") for kv in line.split())})
    if rc == 0:
        return tally, found
    # the process died, hung or failed outside an input: the input in hand is the reproducer
    done = int(progress.read_text() or 0) if progress.exists() else 0
    tally["tried"] = max(tally["tried"], done + 1)
    tally["crash"] += 1
    crashes.mkdir(parents=True, exist_ok=True)
    how = "hung" if rc is None else (f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exit status {rc}")
    stem = crashes / f"hard-{seed}-{done}"
    if work.exists():
        shutil.copyfile(work, stem.with_suffix(".pcap"))
    stem.with_suffix(".txt").write_text(f"seed {seed}, input {done}: {how}\n{err[-5000:]}")
    found.append((str(stem.with_suffix(".pcap")), how))
    return tally, found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz")
    ap.add_argument("--out", type=Path, default=Path("fuzz-pcap-crashes"), help="where reproducers go")
    ap.add_argument("--seed", type=int, default=int(time.time()), help="first batch seed")
    ap.add_argument("--jobs", type=int, default=1, help="batches run side by side")
    args = ap.parse_args(argv)
    start = time.monotonic()
    total = {"tried": 0, "ok": 0, "error": 0, "crash": 0}
    reproducers: list[tuple[str, str]] = []
    count, seed = 200, args.seed
    with tempfile.TemporaryDirectory(prefix="fuzz-pcap-") as tmp:
        while time.monotonic() - start < args.seconds:
            left = args.seconds - (time.monotonic() - start)
            jobs = []
            for j in range(max(1, args.jobs)):
                work = Path(tmp) / f"work-{j}.pcap"
                jobs.append((seed, work))
                seed += 1
            t0 = time.monotonic()
            if len(jobs) == 1:
                results = [_run_batch(jobs[0][0], count, jobs[0][1], args.out, left + HANG_S)]
            else:
                from concurrent.futures import ThreadPoolExecutor
                with ThreadPoolExecutor(len(jobs)) as pool:
                    results = list(pool.map(_run_batch, [j[0] for j in jobs], [count] * len(jobs),
                                            [j[1] for j in jobs], [args.out] * len(jobs),
                                            [left + HANG_S] * len(jobs)))
            took = time.monotonic() - t0
            for tally, found in results:
                for k in total:
                    total[k] += tally[k]
                reproducers += found
            # next batches: about 10 s each, not past the time asked for
            rate = sum(t["tried"] for t, _ in results) / len(results) / max(took, 1e-3)
            count = int(max(50, min(rate * min(10.0, max(1.0, args.seconds - (time.monotonic() - start))), 50_000)))
    for s in range(args.seed, seed):  # Python exceptions, saved by the batches of this run
        reproducers += [(str(p), "traceback in " + p.with_suffix(".txt").name)
                        for p in sorted(args.out.glob(f"crash-{s}-*.pcap"))]
    elapsed = time.monotonic() - start
    print(f"inputs tried: {total['tried']} in {elapsed:.0f} s ({total['tried'] / max(elapsed, 1e-9):.0f}/s)")
    print(f"  read as a capture and replayed: {total['ok']}")
    print(f"  refused with a one-line error:  {total['error']}")
    print(f"  crashes (tracebacks, signals, hangs): {total['crash']}")
    for path, how in reproducers[:20]:
        print(f"    {how}: {path}")
    if len(reproducers) > 20:
        print(f"    ... and {len(reproducers) - 20} more in {args.out}")
    if reproducers:
        print(f"  reproduce one: python -c \"from vnetsim.io import read_pcap; read_pcap('{reproducers[0][0]}')\"")
    return 1 if total["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
