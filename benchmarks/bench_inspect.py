"""`vnetsim inspect` on 10 interfaces, against the same commands run one after another.

    sudo python benchmarks/bench_inspect.py [--pairs 5] [--runs 5]

Makes a network namespace with ``--pairs`` veth pairs (10 interfaces by default, one VXLAN device
on the first), then, inside it, times (best of ``--runs``):
- vnetsim: ``inspect_host()`` in-process (sysfs, procfs, one ``ip -d -j link``, 11 ethtool
  sub-commands per interface in a thread pool, the verdicts);
- peer: the same ethtool and ip commands run one after another, the way a shell script collects
  them (``for i in ...; do ethtool -i $i; ethtool -k $i; ...; done``), without parsing.
Target (issue 10): 10 interfaces in under 1 s. Needs root (ip netns); removes the namespace after.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid

CHILD = r"""
import json, subprocess, sys, time
from vnetsim.inspect import inspect_host
from vnetsim.inspect.ethtool import COMMANDS, _cmd
names = sys.argv[1].split(",")
runs = int(sys.argv[2])
def ours():
    return inspect_host(names)
def peer():
    subprocess.run(["ip", "-d", "-j", "link", "show"], capture_output=True)
    for n in names:
        for args, _ in COMMANDS.values():
            subprocess.run(_cmd(n, *args), capture_output=True)
out = {}
for label, fn in (("vnetsim", ours), ("peer", peer)):
    fn()
    best = min((lambda t: (fn(), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(runs))
    out[label] = best
report = inspect_host(names)
out["interfaces"] = len(report["interfaces"])
out["commands_per_interface"] = len(COMMANDS)
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    ns = f"vnbench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        names = []
        for i in range(a.pairs):
            subprocess.run(["ip", "-n", ns, "link", "add", f"va{i}", "type", "veth", "peer", "name", f"vb{i}"],
                           check=True)
            names += [f"va{i}", f"vb{i}"]
        subprocess.run(["ip", "-n", ns, "link", "add", "vx0", "type", "vxlan", "id", "1", "dstport", "4789",
                        "dev", "va0"], check=True)
        out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", CHILD, ",".join(names), str(a.runs)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        n = r["interfaces"]
        print(f"interfaces: {n} (veth), ethtool sub-commands per interface: {r['commands_per_interface']}")
        print(f"vnetsim inspect_host: {r['vnetsim'] * 1e3:8.1f} ms  ({r['vnetsim'] / n * 1e3:.1f} ms per interface; "
              f"target < 1000 ms for 10)")
        print(f"peer, sequential:     {r['peer'] * 1e3:8.1f} ms  (the same commands, no parsing)")
        print(f"ratio peer / vnetsim: {r['peer'] / r['vnetsim']:8.2f}x")
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


if __name__ == "__main__":
    main()
