"""A pipeline: a feed-forward graph of stages, advanced chunk by chunk of source time.

The pipeline owns everything between stages, so a stage only serves packets (the contract is in
``vnetsim.engine.stage``). Per chunk, with horizon ``H`` (``chunk_bounds``: the run cut into
chunks of about ``chunk_packets`` offered packets, one bound exactly at the end of warm-up,
generated lazily so memory does not grow with the run's length):

1. **Sources** hand out their packets offered before ``H`` (``source.until(H)``), or, for a source
   node without an object, whatever the caller pushes into ``step(H, {node: packets})`` (a
   sub-pipeline fed by another model, e.g. a fabric feeding a host).
2. Nodes are visited in the order they were added, which must be a topological order (``connect``
   only accepts edges from an earlier node to later ones). A stage's **inputs** are merged
   k-way by ``(t_ns, pkt_id)`` (``engine.merge.merge_runs``): arrivals held from earlier chunks
   and this chunk's departures of every upstream node. Arrivals at or after ``H`` are **held**
   for the next chunk; the rest (complete below ``H``, because every upstream node was advanced
   to ``H`` first and the contract forbids later departures below ``H``) go to
   ``stage.advance(due, H)``. A stage that holds late arrivals itself
   (``holds_late_arrivals = True``, the ring server) gets this chunk's input whole instead, with no
   copy for a single upstream.
3. A node's departures go to its successors: all to one, or **split** by a vectorized
   classification ``classify(packets) -> int array`` (index into the successor list, -1 = leaves
   the pipeline); each part keeps the time order (a stable counting sort, no sorting).
4. **Sinks** get their due packets once per chunk, time-ordered, with the horizon:
   ``deliver(packets, H)``. Every later delivery is at or after ``H``. ``flush()`` hands sinks
   what they still hold (horizon infinity) after the last chunk.
5. After the chunk whose horizon is the end of warm-up, ``start_window()`` of every stage.

Results do not depend on the chunk size: each stage sees the same arrivals in the same order
whatever the bounds (tests/engine/test_pipeline.py checks it byte for byte).

How to add a stage: write a class with ``advance``, ``start_window``, ``held``, ``stats`` and a
``name`` (the contract, with a worked example, is in ``vnetsim.engine.stage``), then::

    pipe = Pipeline()
    src = pipe.source(traffic)                 # until(horizon_ns) -> Packets, offered_pps
    a = pipe.add(FifoStage(10e9), "wire")
    b = pipe.add(MyStage(...), "mine")         # no engine edit needed
    c = pipe.add(FifoStage([10e9, 25e9], queue_of_flow=q), "links")
    out = pipe.sink(lambda packets, horizon_ns: record(packets), "app")
    pipe.connect(src, a)
    pipe.connect(a, [b, c], classify=lambda p: side_of_flow[p.flow])   # split by flow
    pipe.connect(b, c)                                                   # c merges a's and b's
    pipe.connect(c, out)
    pipe.run(duration_ns=1e7, offered_pps=traffic.offered_pps, chunk_packets=65_536, warmup_ns=1e6)
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vnetsim.engine.merge import in_sequence, merge_runs, split_runs
from vnetsim.engine.packets import Packets
from vnetsim.errors import UserError

DeliverFn = Callable[[Packets, float], None]      # (packets, horizon_ns)
ClassifyFn = Callable[[Packets], np.ndarray]       # packets -> successor index per packet (-1: leaves)

SOURCE, STAGE, SINK = "source", "stage", "sink"


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """Threads a pipeline run may use: ``VNETSIM_THREADS`` if set, else the CPUs this process may
    run on (at most 8)."""
    env = os.environ.get("VNETSIM_THREADS", "").strip()
    if not env:
        return min(usable_cpus(), 8)
    if not env.isdigit() or int(env) < 1:
        raise UserError("VNETSIM_THREADS", f"{env!r} is not a number of threads (a whole number >= 1)",
                        "set it to 1 for one thread, or unset it to use every CPU")
    return int(env)


def iter_chunk_bounds(duration_ns: float, warmup_ns: float, offered_pps: float,
                      chunk_packets: int) -> Iterator[float]:
    """Chunk horizons covering ``(0, duration]``, about ``chunk_packets`` offered packets apart, one
    of them exactly at the end of warm-up (so counters can start there), in increasing order.

    Generated one at a time: memory does not grow with the number of chunks (a run of 1e9 s at
    10 Mpps has 1.5e11 of them). The horizons are ``step + i * step`` (i = 0, 1, ...) below the
    end, then the end: bit for bit the values of ``numpy.arange(step, duration, step)``. A rate so
    low that one chunk spans the whole run (or an infinite step) gives the end alone.
    """
    step = chunk_packets / offered_pps * 1e9 if offered_pps > 0 else duration_ns
    step = max(step, 1.0)
    # numpy.arange's length: ceil((stop - start) / step), at least 0 (NaN or inf step: none)
    ratio = (duration_ns - step) / step if math.isfinite(step) else 0.0
    count = math.ceil(ratio) if math.isfinite(ratio) and ratio > 0 else 0
    tail = [float(duration_ns)]
    if 0 < warmup_ns < duration_ns:
        tail.append(float(warmup_ns))
    last = None
    for b in heapq.merge((step + i * step for i in range(count)), sorted(tail)):
        if b != last:
            yield float(b)
            last = b


def chunk_bounds(duration_ns: float, warmup_ns: float, offered_pps: float, chunk_packets: int) -> list[float]:
    """``iter_chunk_bounds`` as a list (for tests and small runs; ``Pipeline.run`` streams them)."""
    return list(iter_chunk_bounds(duration_ns, warmup_ns, offered_pps, chunk_packets))


def chunk_count(duration_ns: float, offered_pps: float, chunk_packets: int) -> int:
    """About how many chunks ``iter_chunk_bounds`` gives (without generating them)."""
    step = max(chunk_packets / offered_pps * 1e9 if offered_pps > 0 else duration_ns, 1.0)
    return 1 + (math.ceil(duration_ns / step) if math.isfinite(step) and step > 0 else 0)


@dataclass(eq=False)
class Node:
    """A source, stage or sink of a pipeline, with what passed through it."""

    name: str
    kind: str
    obj: Any
    index: int
    on_drop: Callable[[np.ndarray], None] | None = None
    targets: list[Node] = field(default_factory=list)
    classify: ClassifyFn | None = None
    inbox: list[Packets] = field(default_factory=list)    # held runs first, then this chunk's
    inbox_chunk: list[int] = field(default_factory=list)  # the chunk each inbox run came from
    late: bool = False     # the stage holds arrivals at or after the horizon itself
    in_parts: bool = False  # a sink that may take a chunk's input as consecutive parts
    received: int = 0      # packets handed to the stage or sink
    sent: int = 0          # packets passed on to successors
    dropped: int = 0       # packets the stage dropped

    def held(self) -> int:
        """Arrivals waiting at this node's input for a later chunk."""
        return sum(len(r) for r in self.inbox)


class Pipeline:
    """A feed-forward graph of stages between sources and sinks (see the module docstring)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._checked = False

    # -- building ------------------------------------------------------------------------------
    def source(self, source=None, name: str = "source") -> Node:
        """A node whose packets come from ``source.until(horizon_ns)``, or (``None``) are pushed in
        ``step``."""
        return self._node(name, SOURCE, source)

    def add(self, stage, name: str | None = None, on_drop: Callable[[np.ndarray], None] | None = None) -> Node:
        """A stage node; ``on_drop(pkt_ids)`` is called with the packets it drops in each chunk."""
        node = self._node(str(name or getattr(stage, "name", f"stage{len(self.nodes)}")), STAGE, stage)
        node.on_drop = on_drop
        node.late = bool(getattr(stage, "holds_late_arrivals", False))
        return node

    def sink(self, deliver: DeliverFn, name: str = "sink", in_parts: bool = False) -> Node:
        """A node where packets leave the model: ``deliver(packets, horizon_ns)`` once per chunk.

        ``in_parts``: ``deliver`` only accumulates packet by packet in order (calling it with two
        consecutive parts is the same as calling it with their concatenation), so a chunk whose
        input runs already follow one another is handed over run by run, without merging them
        into one copy; ``deliver`` may then be called several times per chunk (or not at all)."""
        node = self._node(name, SINK, deliver)
        node.in_parts = in_parts
        return node

    def connect(self, upstream: Node, targets: Node | Sequence[Node], classify: ClassifyFn | None = None) -> None:
        """Send ``upstream``'s departures to ``targets`` (split by ``classify`` when there are several)."""
        targets = [targets] if isinstance(targets, Node) else list(targets)
        if upstream.kind == SINK:
            raise ValueError(f"{upstream.name} is a sink: nothing leaves it")
        if upstream.targets:
            raise ValueError(f"{upstream.name} is already connected")
        if not targets or (len(targets) > 1 and classify is None):
            raise ValueError(f"{upstream.name}: several successors need a classify function")
        for t in targets:
            if t.kind == SOURCE:
                raise ValueError(f"{t.name} is a source: it has no inputs")
            if t.index <= upstream.index:
                raise ValueError(f"{upstream.name} -> {t.name}: add nodes in feed-forward order")
        upstream.targets, upstream.classify = targets, classify

    def _node(self, name: str, kind: str, obj) -> Node:
        node = Node(name, kind, obj, len(self.nodes))
        self.nodes.append(node)
        self._checked = False
        return node

    # -- running -------------------------------------------------------------------------------
    def run(self, duration_ns: float, offered_pps: float, chunk_packets: int, warmup_ns: float = 0.0,
            drain: bool = False, workers: int = 1) -> None:
        """Advance chunk by chunk to ``duration_ns`` (``chunk_bounds``), starting every stage's
        statistics window at ``warmup_ns``; with ``drain``, one more chunk with an infinite horizon
        lets every packet offered before the end finish. With ``workers > 1`` the nodes run
        concurrently on that many threads (``_run_waves``); the results are the same bit for bit."""
        bounds: Iterator[float] = iter_chunk_bounds(duration_ns, warmup_ns, offered_pps, chunk_packets)
        if drain:
            bounds = itertools.chain(bounds, [np.inf])
        if workers > 1 and len(self.nodes) > 1:
            self._run_waves(bounds, warmup_ns, workers)
            return
        for horizon in bounds:
            self.step(horizon)
            if horizon == warmup_ns:
                self.start_window()

    def _run_waves(self, bounds: Iterator[float], warmup_ns: float, workers: int) -> None:
        """Software pipelining: in wave ``w`` node ``i`` advances chunk ``w - i``, so every node of a
        wave works on inputs complete since the last wave, and the wave's calls (compiled kernels
        that release the GIL) run side by side. Each node sees exactly the calls a serial run makes;
        drop callbacks and sinks run on this thread in the serial order (chunk, then node) once a
        chunk has passed the last node."""
        if not self._checked:
            self._check()
        last = len(self.nodes) - 1
        horizons: dict[int, float] = {}
        drops: dict[int, list[tuple[Node, np.ndarray]]] = {}
        n_chunks: int | None = None
        w = 0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vnetsim-pipeline") as pool:
            while n_chunks is None or w - last < n_chunks:
                if n_chunks is None:
                    h = next(bounds, None)
                    if h is None:
                        n_chunks = w
                    else:
                        horizons[w] = h
                calls = []
                for node in self.nodes:
                    k = w - node.index
                    if node.kind == SINK or k < 0 or (n_chunks is not None and k >= n_chunks):
                        continue
                    if node.kind == SOURCE:
                        obj = node.obj
                        calls.append((node, k, pool.submit(obj.until, horizons[k]) if obj is not None else None))
                        continue
                    due = self._due(node, np.inf if node.late else horizons[k], k)
                    node.received += len(due)
                    calls.append((node, k, pool.submit(node.obj.advance, due, horizons[k])))
                done: list[tuple[Node, int, Any]] = [(node, k, None if f is None else f.result())
                                                     for node, k, f in calls]
                for node, k, res in done:
                    if node.kind == SOURCE:
                        self._route(node, res if res is not None else Packets.empty(), k)
                        continue
                    if len(res.drop_pid):
                        node.dropped += len(res.drop_pid)
                        drops.setdefault(k, []).append((node, res.drop_pid))
                    for run in res.runs():
                        self._route(node, run, k)
                    if horizons[k] == warmup_ns:
                        node.obj.start_window()
                k = w - last
                if k >= 0 and (n_chunks is None or k < n_chunks):
                    self._release(k, horizons.pop(k), drops.pop(k, []))
                w += 1

    def _release(self, k: int, horizon_ns: float, drops: list[tuple[Node, np.ndarray]]) -> None:
        """Chunk ``k`` has passed every node: its drop callbacks and sink deliveries, in node order."""
        dropped = {id(node): pid for node, pid in drops}
        for node in self.nodes:
            if node.kind == STAGE and id(node) in dropped and node.on_drop is not None:
                node.on_drop(dropped[id(node)])
            elif node.kind == SINK:
                self._deliver(node, horizon_ns, k)

    def step(self, horizon_ns: float, pushed: Mapping[Node, Packets] | None = None) -> None:
        """Advance every node to ``horizon_ns`` (one chunk)."""
        if not self._checked:
            self._check()
        for node in self.nodes:
            if node.kind == SOURCE:
                if node.obj is not None:
                    out = node.obj.until(horizon_ns)
                else:
                    out = pushed.get(node, Packets.empty()) if pushed else Packets.empty()
                self._route(node, out)
                continue
            if node.kind == SINK:
                self._deliver(node, horizon_ns)
                continue
            due = self._due(node, np.inf if node.late else horizon_ns)
            node.received += len(due)
            res = node.obj.advance(due, horizon_ns)
            if len(res.drop_pid):
                node.dropped += len(res.drop_pid)
                if node.on_drop is not None:
                    node.on_drop(res.drop_pid)
            for run in res.runs():
                self._route(node, run)

    def flush(self) -> None:
        """After the last chunk: every sink takes what it still holds (horizon infinity)."""
        for node in self.nodes:
            if node.kind == SINK:
                self._deliver(node, np.inf)

    def start_window(self) -> None:
        """The statistics window starts now, for every stage."""
        for node in self.nodes:
            if node.kind == STAGE:
                node.obj.start_window()

    def held(self) -> int:
        """Packets inside the pipeline: held at node inputs, or inside stages."""
        return sum(n.held() for n in self.nodes) + sum(n.obj.held() for n in self.nodes if n.kind == STAGE)

    def _deliver(self, sink: Node, horizon_ns: float, chunk: int | None = None) -> None:
        """Hand a sink its input before the horizon (of runs from chunks up to ``chunk``, when
        given): in one call, or (``in_parts``, when those runs follow one another) run by run, the
        last one cut at the horizon, with no copy."""
        if sink.in_parts and len(sink.inbox) > 1:
            mine = [k for k, c in enumerate(sink.inbox_chunk) if chunk is None or c <= chunk]
            runs = [sink.inbox[k] for k in mine]
            if in_sequence(runs):
                later = [(r, c) for k, (r, c) in enumerate(zip(sink.inbox, sink.inbox_chunk)) if k not in set(mine)]
                rest: list[Packets] = []
                for k, run in enumerate(runs):
                    cut = len(run) if horizon_ns == np.inf else int(np.searchsorted(run.t_ns, horizon_ns, side="left"))
                    if cut:
                        sink.received += cut
                        sink.obj(run.take(slice(0, cut)) if cut < len(run) else run, horizon_ns)
                    if cut < len(run):             # this run's rest and every later one of these wait
                        rest = [run.take(slice(cut, None))] + runs[k + 1:]
                        break
                sink.inbox = rest + [r for r, _ in later]
                sink.inbox_chunk = [-1] * len(rest) + [c for _, c in later]
                return
        due = self._due(sink, horizon_ns, chunk)
        sink.received += len(due)
        sink.obj(due, horizon_ns)

    def _due(self, node: Node, horizon_ns: float, chunk: int | None = None) -> Packets:
        """Merged input of ``node`` before the horizon (of runs from chunks up to ``chunk``, when
        given); the rest stays held."""
        if chunk is None or all(c <= chunk for c in node.inbox_chunk):
            runs, node.inbox, node.inbox_chunk = node.inbox, [], []
        else:
            runs = [r for r, c in zip(node.inbox, node.inbox_chunk) if c <= chunk]
            later = [(r, c) for r, c in zip(node.inbox, node.inbox_chunk) if c > chunk]
            node.inbox, node.inbox_chunk = [r for r, _ in later], [c for _, c in later]
        merged = merge_runs(runs)
        cut = len(merged) if horizon_ns == np.inf else int(np.searchsorted(merged.t_ns, horizon_ns, side="left"))
        if cut < len(merged):                       # held for a later chunk, before every later run
            node.inbox.insert(0, merged.take(slice(cut, None)))
            node.inbox_chunk.insert(0, -1)
            merged = merged.take(slice(0, cut))
        return merged

    def _route(self, node: Node, out: Packets, chunk: int = -1) -> None:
        if not len(out):
            return
        targets = node.targets
        if node.classify is None:
            targets[0].inbox.append(out)
            targets[0].inbox_chunk.append(chunk)
            node.sent += len(out)
            return
        parts = split_runs(out, node.classify(out), len(targets))
        for t, part in zip(targets, parts):
            if len(part):
                t.inbox.append(part)
                t.inbox_chunk.append(chunk)
                node.sent += len(part)

    def _check(self) -> None:
        for node in self.nodes:
            if node.kind != SINK and not node.targets:
                raise ValueError(f"pipeline node {node.name} is not connected to anything")
        self._checked = True
