"""Fuzz the scenario loader, --set and short runs for a given time; report every crash.

    python benchmarks/fuzz_scenarios.py --seconds 60 [--out fuzz-crashes/]

Random documents are built from the real field names of the built-in kinds with hostile values
(negative, zero, NaN, huge, wrong types, unit typos), or are the examples with some fields set to
such values; each is loaded with random ``--set``
overrides and, when it validates, run for at most 1 ms of simulated time. Every outcome must be a
result or a ``vnetsim.errors.UserError`` (one line); anything else is a crash, saved as a JSON
reproducer. Prints how many inputs were tried, how many validated and ran, and the crashes.
Exit status 1 when a crash was found.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
import traceback
from pathlib import Path

import yaml

FIELDS = ["name", "duration", "warmup", "seed", "traffic", "flows", "rate", "count", "size", "arrival", "kind",
          "host", "pnic", "rx_queues", "ring_size", "line_rate", "vms", "guest", "vcpus", "service", "mode",
          "coalescing", "scheme", "usecs", "frames", "vnic", "queues", "steering", "rss", "layer", "overlay",
          "loads", "fabric", "topology", "racks", "hosts_per_rack", "pattern", "engine", "level", "cpu_clock",
          "per_packet", "app", "cores", "batch", "weights", "sizes", "on", "off", "shape", "vms+", "vms-"]
VALUES = [0, 1, 2, -1, 3, 64, 1500, 10**12, 1e-300, 1e300, float("nan"), float("inf"), True, None, "", "x",
          "1Mpps", "0pps", "1e-300pps", "10Gbps", "10Gbsp", "50us", "0ns", "-5ms", "poll", "interrupt", "hybrid",
          "rss", "netqueue", "spine_leaf", "fat_tree", "l2_stp", "off", "rate", "timer", "static", "imix",
          "poisson", "constant", "onoff", "9KiB", "4000/s", "500cycles", [1, 2], {"kind": "fixed"}]


def random_doc(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 3 or r < 0.35:
        return copy.deepcopy(rng.choice(VALUES))
    if r < 0.55:
        return [random_doc(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(FIELDS): random_doc(rng, depth + 1) for _ in range(rng.randint(0, 4))}


HOST_PATHS = ["host.cpu_clock", "host.pnic.rx_queues", "host.pnic.ring_size", "host.pnic.line_rate",
              "traffic.flows.a.rate", "traffic.flows.a.count", "traffic.flows.a.size", "traffic.flows.a.arrival",
              "host.service.mode", "host.service.batch", "host.pnic.coalescing", "host.vms.0.guest.vcpus",
              "host.vms.0.vnic.queues", "duration", "warmup", "seed", "chunk_packets", "host.cores",
              "host.vswitch.per_packet", "host.pnic.steering.mode", "loads"]
FABRIC_PATHS = ["fabric.racks", "fabric.hosts_per_rack", "fabric.topology", "traffic.pattern", "traffic.frame_size",
                "traffic.load", "fabric.switch.buffer.size", "fabric.switch.latency", "fabric.engine.level",
                "duration", "seed", "fabric.host.nic_speed", "fabric.spine.count"]


def hostile_overrides(rng: random.Random) -> tuple[dict, list[str]]:
    """A valid scenario with one or two fields set to hostile values: reaches the models' code."""
    if rng.random() < 0.5:
        doc = {"name": "fuzz", "duration": "1ms", "traffic": {"flows": [{"name": "a", "rate": "100kpps"}]}}
        paths = HOST_PATHS
    else:
        doc = {"name": "fuzz", "duration": "1ms", "fabric": {"topology": "spine_leaf", "racks": 2,
                                                             "hosts_per_rack": 2}}
        paths = FABRIC_PATHS
    value = lambda: yaml.safe_dump(rng.choice(VALUES), default_flow_style=True).strip().removesuffix("...").strip()  # noqa: E731
    return doc, [f"{rng.choice(paths)}={value()}" for _ in range(rng.randint(1, 2))]


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Host and fabric examples run for 1 ms; the storage and edge kinds' examples are only loaded (their
# runs are not bounded by a duration override).
_RUNNABLE = ("host", "fabric")


def _kind(doc: dict) -> str:
    return str(doc.get("kind") or ("fabric" if "fabric" in doc else "host"))


def _leaves(node, path=()):
    """Every (container, key) holding a scalar, list or dict in ``node``, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield node, k
        yield from _leaves(v, path + (k,))


def mutated_example(rng: random.Random) -> tuple[dict, list[str]]:
    """A real example with one to three of its fields set to hostile values (reaches the newest
    models' code: deployments, answers, drivers, idle states, storage, edge)."""
    files = sorted(EXAMPLES.glob("*.yaml"))
    doc = yaml.safe_load(rng.choice(files).read_text())
    for _ in range(rng.randint(1, 3)):
        node, key = rng.choice(list(_leaves(doc)))
        node[key] = copy.deepcopy(rng.choice(VALUES)) if rng.random() < 0.8 else random_doc(rng, 2)
    return doc, []


def random_case(rng: random.Random) -> tuple[dict, list[str]]:
    if rng.random() < 0.4:
        return mutated_example(rng)
    if rng.random() < 0.5:
        return hostile_overrides(rng)
    doc = {"name": "fuzz", "duration": "1ms", "traffic": {"flows": [{"name": "a", "rate": "100kpps"}]}}
    if rng.random() < 0.3:
        doc = {"name": "fuzz", "duration": "1ms", "fabric": {"topology": "spine_leaf", "racks": 2,
                                                             "hosts_per_rack": 2}}
    for _ in range(rng.randint(1, 4)):   # graft random sub-documents at random places
        node = doc
        for _ in range(rng.randint(0, 2)):
            inner = [v for v in node.values() if isinstance(v, dict)]
            if not inner:
                break
            node = rng.choice(inner)
        node[rng.choice(FIELDS)] = random_doc(rng)
    sets = [f"{'.'.join(rng.choice(FIELDS) for _ in range(rng.randint(1, 3)))}={rng.choice(VALUES)!s}"
            for _ in range(rng.randint(0, 2))]
    return doc, sets


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("fuzz-crashes"))
    args = ap.parse_args()

    import vnetsim
    from vnetsim.errors import UserError

    rng = random.Random(args.seed)
    tried = loaded = ran = 0
    crashes = []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        doc, sets = random_case(rng)
        tried += 1
        try:
            vnetsim.load(doc, overrides=sets)
            loaded += 1
            if isinstance(doc, dict) and _kind(doc) in _RUNNABLE:
                vnetsim.run(doc, overrides=sets + ["duration=1ms"])
                ran += 1
        except UserError:
            pass
        except Exception:  # noqa: BLE001 - the point is to find exactly these
            crashes.append({"doc": doc, "overrides": sets, "error": traceback.format_exc(limit=4)})
    print(f"tried {tried} inputs in {args.seconds:.0f} s: {loaded} validated, {ran} ran, {len(crashes)} crashes")
    if crashes:
        args.out.mkdir(parents=True, exist_ok=True)
        for k, c in enumerate(crashes[:50]):
            (args.out / f"crash-{k}.json").write_text(json.dumps(c, indent=2, default=str))
        print(f"reproducers in {args.out}/; first:\n{crashes[0]['error']}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
