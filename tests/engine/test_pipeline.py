"""The stage contract and the pipeline: stages defined here (no engine edit) plugged into pipelines,
an M/D/1 stage against Pollaczek-Khinchine, merges and splits, chunk-size independence, warm-up."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from vnetsim.engine.merge import merge_runs, split_runs
from vnetsim.engine.packets import Packets
from vnetsim.engine.pipeline import Pipeline, chunk_bounds
from vnetsim.engine.rng import stream
from vnetsim.engine.stage import NO_DROPS, FifoStage, Stage, StageOutput
from vnetsim.traffic.arrivals import SuperposedPoissonArrivals
from vnetsim.traffic.source import FlowSource


def poisson_source(rate_pps: float, n_flows: int, frame_bytes, end_ns: float, seed: int = 1) -> FlowSource:
    rates = np.full(n_flows, rate_pps / n_flows)
    arrivals = SuperposedPoissonArrivals(rates, stream(seed, "test/gaps"), stream(seed, "test/flows"))
    return FlowSource(rates, np.broadcast_to(np.asarray(frame_bytes, np.int32), (n_flows,)), arrivals, end_ns)


class Delay:
    """A constant delay (a fixed-latency hop): decided at arrival, order kept, holds nothing."""

    name = "delay"

    def __init__(self, delay_ns: float) -> None:
        self.delay_ns = delay_ns
        self.count = 0

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        assert (arrivals.t_ns < horizon_ns).all()
        self.count += len(arrivals)
        return StageOutput(arrivals.with_times(arrivals.t_ns + self.delay_ns), NO_DROPS)

    def start_window(self) -> None:
        self.count = 0

    def held(self) -> int:
        return 0

    def stats(self) -> int:
        return self.count


class MD1:
    """One server, deterministic service ``service_ns``, unbounded FIFO, in numpy: with a constant
    service the Lindley recursion d_i = max(a_i, d_{i-1}) + D unrolls to a running maximum,
    d_i = (i + 1) D + max_{j <= i} (a_j - j D) (packets numbered from the start of the run)."""

    name = "md1"

    def __init__(self, service_ns: float) -> None:
        self.service_ns = service_ns
        self.n = 0
        self.run_max = -np.inf
        self.waits: list[np.ndarray] = []
        self.windows = 0

    def advance(self, arrivals: Packets, horizon_ns: float) -> StageOutput:
        a = arrivals.t_ns
        j = self.n + np.arange(len(a))
        m = np.maximum.accumulate(np.concatenate(([self.run_max], a - j * self.service_ns)))[1:]
        d = (j + 1) * self.service_ns + m
        if len(a):
            self.n += len(a)
            self.run_max = float(m[-1])
            self.waits.append(d - a - self.service_ns)
        return StageOutput(arrivals.with_times(d), NO_DROPS)

    def start_window(self) -> None:
        self.windows += 1

    def held(self) -> int:
        return 0

    def stats(self) -> np.ndarray:
        return np.concatenate(self.waits) if self.waits else np.empty(0)


class Collect:
    """A sink that keeps what it is given, and checks the sink contract on the way."""

    def __init__(self) -> None:
        self.parts: list[Packets] = []
        self.last_horizon = -np.inf

    def __call__(self, packets: Packets, horizon_ns: float) -> None:
        assert (packets.t_ns < horizon_ns).all() and (packets.t_ns >= self.last_horizon).all()
        assert (np.diff(packets.t_ns) >= 0).all()
        self.last_horizon = horizon_ns
        self.parts.append(packets)

    def all(self) -> Packets:
        return merge_runs(self.parts) if len(self.parts) > 1 else (self.parts[0] if self.parts else Packets.empty())


def _batch_ci(x: np.ndarray, batches: int = 40, level: float = 0.999):
    """Mean and half-width of a batch-means confidence interval (first batch dropped: warm-up)."""
    b = np.array_split(x, batches + 1)[1:]
    means = np.array([v.mean() for v in b])
    half = stats.t.ppf(1 - (1 - level) / 2, batches - 1) * means.std(ddof=1) / np.sqrt(batches)
    return means.mean(), half


def test_stages_defined_here_meet_the_protocol():
    assert isinstance(Delay(1.0), Stage) and isinstance(MD1(1.0), Stage) and isinstance(FifoStage(1e9), Stage)


def test_delay_stage_in_a_pipeline():
    src = poisson_source(1e6, 4, 100, 1e6)
    pipe = Pipeline()
    s = pipe.source(src)
    d = pipe.add(Delay(500.0))
    sink = Collect()
    out = pipe.sink(sink)
    pipe.connect(s, d)
    pipe.connect(d, out)
    pipe.run(1e6, src.offered_pps, 100, drain=True)
    got = sink.all()
    offered = poisson_source(1e6, 4, 100, 1e6).until(1e6)
    assert np.array_equal(got.pkt_id, offered.pkt_id)
    assert np.array_equal(got.t_ns, offered.t_ns + 500.0) and np.array_equal(got.t0_ns, offered.t0_ns)
    assert pipe.held() == 0 and d.received == out.received == len(offered)


def test_md1_stage_against_pollaczek_khinchine():
    """M/D/1: mean wait rho * D / (2 (1 - rho)); the 99.9 % batch-means interval must cover it."""
    rho, service = 0.7, 100.0
    src = poisson_source(rho / service * 1e9, 8, 64, 0.1e9, seed=3)
    pipe = Pipeline()
    s = pipe.source(src)
    md1 = MD1(service)
    node = pipe.add(md1)
    pipe.connect(s, node)
    pipe.connect(node, pipe.sink(lambda p, h: None))
    pipe.run(0.1e9, src.offered_pps, 50_000)
    waits = md1.stats()
    mean, half = _batch_ci(waits)
    theory = rho * service / (2 * (1 - rho))
    assert len(waits) > 500_000
    assert abs(mean - theory) < half, (mean, theory, half)
    assert half < 0.05 * theory                # the test has power


def test_fifo_stage_is_md1_too():
    """The engine's FIFO stage with fixed frames on one link: the same closed form."""
    rho = 0.6
    frame = 1230                                # (1230 + 20) * 8 bits at 10 Gb/s: D = 1000 ns
    src = poisson_source(rho * 1e6, 4, frame, 0.2e9, seed=5)
    pipe = Pipeline()
    wire = FifoStage(10e9, sojourn_histogram=True)
    s, w = pipe.source(src), pipe.add(wire)
    waits = []
    pipe.connect(s, w)
    pipe.connect(w, pipe.sink(lambda p, h: waits.append(p.t_ns - p.t0_ns - 1000.0)))
    pipe.run(0.2e9, src.offered_pps, 65_536, drain=True)
    mean, half = _batch_ci(np.concatenate(waits))
    theory = rho * 1000.0 / (2 * (1 - rho))
    assert abs(mean - theory) < half and half < 0.05 * theory
    st = wire.stats()
    assert st.queues["accepted"][0] == wire.sojourn.count == sum(len(x) for x in waits)
    assert st.sojourn.mean == pytest.approx(theory + 1000.0, rel=3 * half / theory)


def test_fifo_stage_overloaded_link_serves_at_line_rate():
    """Twice the line rate into an 8-packet buffer: accepted + dropped = offered, and the link sends
    back to back (its busy time is the run, less the start, plus one buffer to drain)."""
    end = 1e6
    src = poisson_source(2e6, 2, 1230, end, seed=6)         # 1250 B on the wire: 1 us at 10 Gb/s
    pipe = Pipeline()
    link = FifoStage(10e9, cap_pkts=[8], stat_hi_ns=end)
    s, node = pipe.source(src), pipe.add(link)
    pipe.connect(s, node)
    pipe.connect(node, pipe.sink(lambda p, h: None))
    pipe.run(end, src.offered_pps, 1000, drain=True)
    q = link.stats().queues[0]
    assert q["accepted"] + q["dropped"] == s.sent == node.received and q["dropped"] > 0.4 * s.sent
    assert q["busy_ns"] == pytest.approx(1000.0 * q["accepted"])
    assert end - 50e3 < q["busy_window_ns"] <= end and q["busy_ns"] <= end + 8 * 1000.0


def _split_merge_run(chunk: int, warmup_ns: float = 0.0, workers: int = 1, log: list | None = None):
    """source -> wire -> (even flows: delay | odd flows: M/D/1) -> two bounded links -> sink;
    ``log`` gets every drop callback and delivery, in the order they happen."""
    end = 2e6
    src = poisson_source(3e6, 6, [64, 1500, 300, 700, 64, 9000], end, seed=9)
    pipe = Pipeline()
    s = pipe.source(src)
    wire = pipe.add(FifoStage(40e9), "wire")
    slow = pipe.add(Delay(250.0))
    md1 = pipe.add(MD1(180.0))
    # two links, flows 0-2 on link 0 and 3-5 on link 1, 4 KB buffers: tail drops
    links_stage = FifoStage([10e9, 25e9], queue_of_flow=np.array([0, 0, 0, 1, 1, 1]), cap_bytes=[4000, 4000])
    drops: list[np.ndarray] = []
    def dropped_at_links(pid):
        drops.append(pid)
        if log is not None:
            log.append(("drop", pid.tolist()))

    def deliver(packets, horizon_ns):
        sink(packets, horizon_ns)
        if log is not None:
            log.append(("deliver", horizon_ns, packets.pkt_id.tolist()))

    links = pipe.add(links_stage, "links", on_drop=dropped_at_links)
    sink = Collect()
    out = pipe.sink(deliver)
    pipe.connect(s, wire)
    pipe.connect(wire, [slow, md1], classify=lambda p: p.flow % 2)
    pipe.connect(slow, links)
    pipe.connect(md1, links)
    pipe.connect(links, out)
    pipe.run(end, src.offered_pps, chunk, warmup_ns=warmup_ns, drain=True, workers=workers)
    dropped = np.concatenate(drops) if drops else np.empty(0, np.int64)
    return sink.all(), np.sort(dropped), links_stage.stats().queues, pipe


def test_results_do_not_depend_on_chunk_size():
    ref, ref_drops, ref_q, pipe = _split_merge_run(10**7)
    assert len(ref_drops) > 0 and pipe.held() == 0
    assert len(ref) + len(ref_drops) == pipe.nodes[0].sent           # conservation
    for chunk in (1, 37, 1000):
        got, drops, q, _ = _split_merge_run(chunk)
        for col in ("t_ns", "t0_ns", "size_bytes", "flow", "pkt_id"):
            assert np.array_equal(getattr(got, col), getattr(ref, col)), (chunk, col)
        assert np.array_equal(drops, ref_drops)
        assert q.tobytes() == ref_q.tobytes()


@pytest.mark.parametrize("workers", [2, 3, 8])
def test_threaded_run_is_the_serial_run(workers):
    """Nodes running side by side (software pipelining) see exactly the serial calls: the same
    deliveries and drop callbacks in the same order, the same statistics, nothing left held."""
    serial_log: list = []
    ref, ref_drops, ref_q, ref_pipe = _split_merge_run(97, warmup_ns=0.61e6, log=serial_log)
    log: list = []
    got, drops, q, pipe = _split_merge_run(97, warmup_ns=0.61e6, workers=workers, log=log)
    assert log == serial_log and len(log) > 100 and any(e[0] == "drop" for e in log)
    for col in ("t_ns", "t0_ns", "size_bytes", "flow", "pkt_id"):
        assert np.array_equal(getattr(got, col), getattr(ref, col)), col
    assert q.tobytes() == ref_q.tobytes() and np.array_equal(drops, ref_drops)
    counts = lambda pl: [(n.received, n.sent, n.dropped) for n in pl.nodes]  # noqa: E731
    assert counts(pipe) == counts(ref_pipe) and pipe.held() == 0


def test_threaded_run_starts_every_window_once_at_the_warmup_chunk():
    src = poisson_source(2e6, 3, 64, 1e6, seed=4)
    pipe = Pipeline()
    s = pipe.source(src)
    delay, md1 = Delay(10.0), MD1(50.0)
    a, b = pipe.add(delay), pipe.add(md1)
    pipe.connect(s, a)
    pipe.connect(a, b)
    pipe.connect(b, pipe.sink(lambda p, h: None))
    pipe.run(1e6, src.offered_pps, 333, warmup_ns=0.3137e6, workers=2)
    offered = poisson_source(2e6, 3, 64, 1e6, seed=4).until(1e6)
    assert md1.windows == 1 and delay.stats() == int((offered.t_ns >= 0.3137e6).sum()) > 0


def test_warmup_window():
    """One chunk ends exactly at the end of warm-up; every stage's window starts there, once."""
    bounds = chunk_bounds(1e6, 0.3e6, 1e6, 100)
    assert 0.3e6 in bounds and bounds[-1] == 1e6 and bounds == sorted(bounds)
    warmup = 0.3137e6                       # not on the regular grid of bounds
    src = poisson_source(2e6, 3, 64, 1e6, seed=4)
    pipe = Pipeline()
    s = pipe.source(src)
    delay, md1 = Delay(10.0), MD1(50.0)
    a, b = pipe.add(delay), pipe.add(md1)
    pipe.connect(s, a)
    pipe.connect(a, b)
    pipe.connect(b, pipe.sink(lambda p, h: None))
    pipe.run(1e6, src.offered_pps, 333, warmup_ns=warmup)
    offered = poisson_source(2e6, 3, 64, 1e6, seed=4).until(1e6)
    assert md1.windows == 1
    # the delay's input is the source's output: it counted exactly the packets offered at or after
    # the end of warm-up, not one more or less
    assert delay.stats() == int((offered.t_ns >= warmup).sum()) > 0
    assert a.received == len(offered)


def test_merge_and_split_keep_the_total_order():
    rng = np.random.default_rng(0)
    runs = []
    pid = rng.permutation(3000)
    for k in range(5):
        n = 600
        t = np.sort(rng.integers(0, 500, n)).astype(float)      # many equal times
        p = pid[k * n:(k + 1) * n]
        order = np.lexsort((p, t))
        runs.append(Packets(t[order], t[order], np.zeros(n, np.int32), np.full(n, k, np.int32), p[order]))
    for m in (runs[:2], runs[:3], runs):
        merged = merge_runs(m)
        cat = Packets(*(np.concatenate([getattr(r, c) for r in m]) for c in ("t_ns", "t0_ns", "size_bytes", "flow",
                                                                            "pkt_id")))
        want = np.lexsort((cat.pkt_id, cat.t_ns))
        assert np.array_equal(merged.pkt_id, cat.pkt_id[want]) and np.array_equal(merged.t_ns, cat.t_ns[want])
    merged = merge_runs(runs)
    parts = split_runs(merged, np.where(merged.flow == 4, -1, merged.flow % 3), 3)     # flow 4 leaves
    assert sum(len(p) for p in parts) == len(merged) - 600
    for c, p in enumerate(parts):
        sel = merged.take(np.flatnonzero((merged.flow % 3 == c) & (merged.flow != 4)))
        assert np.array_equal(p.pkt_id, sel.pkt_id)


def test_graph_must_be_feed_forward_and_connected():
    pipe = Pipeline()
    s = pipe.source(poisson_source(1e6, 1, 64, 1e3))
    a, b = pipe.add(Delay(1.0)), pipe.add(Delay(1.0))
    with pytest.raises(ValueError, match="feed-forward"):
        pipe.connect(b, a)
    with pytest.raises(ValueError, match="classify"):
        pipe.connect(s, [a, b])
    pipe.connect(s, a)
    pipe.connect(a, b)
    with pytest.raises(ValueError, match="not connected"):
        pipe.step(1e3)


def test_vnetsim_threads_is_checked(monkeypatch):
    from vnetsim.engine.pipeline import default_workers, usable_cpus
    from vnetsim.errors import UserError

    monkeypatch.setenv("VNETSIM_THREADS", "3")
    assert default_workers() == 3
    monkeypatch.delenv("VNETSIM_THREADS")
    assert default_workers() == min(usable_cpus(), 8) >= 1
    for bad in ("two", "0", "-1", "1.5"):
        monkeypatch.setenv("VNETSIM_THREADS", bad)
        with pytest.raises(UserError) as err:
            default_workers()
        assert err.value.where == "VNETSIM_THREADS" and "\n" not in err.value.line()
