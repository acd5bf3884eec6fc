"""The ``host`` scenario kind: traffic into one host, from the wire to the application in its VMs.

Registered under the ``vnetsim.kinds`` entry-point group (pyproject.toml). It is the fallback kind:
a scenario file without ``kind:`` that no other kind recognises is a host scenario. Capabilities:
``throughput`` (RFC 2544 zero-loss search), ``flows`` (each flow's queue, core and VM, without
simulating) and pcap output of the offered traffic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vnetsim.kinds import Capability, Kind, RunOptions, lazy

if TYPE_CHECKING:
    from vnetsim.host.scenario import HostScenario
    from vnetsim.scenario.loader import LoadedVariant


def run_variant(v: LoadedVariant, options: RunOptions) -> list[dict]:
    """One row per load level (or one at the scenario's own rates), with the zero-loss rate when
    the scenario asks for the search during the run. With ``replications`` N >= 2, every level runs
    N times with independent seeds (``vnetsim.host.replicate``): each row is replication 0's, with
    the replications' intervals added."""
    from vnetsim.host.replicate import replication_summary
    from vnetsim.results.ci import replication_seed

    scenario: HostScenario = v.model
    for note in scenario.notes:        # what validation changed (a scaled warm-up): said on stderr too
        print(f"vnetsim: warning: {v.where}: {note}", file=sys.stderr, flush=True)
    n = scenario.replications
    if n == 1:
        return _run_levels(scenario, v, options)
    seeds = [replication_seed(scenario.seed, r) for r in range(n)]
    reps = []
    for r, seed in enumerate(seeds):
        progress = None if options.progress is None else (
            lambda f, r=r: options.progress((r + f) / n))  # type: ignore[misc]
        reps.append(_run_levels(scenario.model_copy(update={"seed": seed}), v,
                                RunOptions(options.pcap if r == 0 else None, progress), zero_loss=r == 0))
    rows = reps[0]
    for k, row in enumerate(rows):
        row["replications"] = replication_summary([rep[k] for rep in reps], seeds, scenario.seed)
    return rows


def _run_levels(scenario: HostScenario, v: LoadedVariant, options: RunOptions, zero_loss: bool = True) -> list[dict]:
    """The rows of one seed: every load level of the variant."""
    from vnetsim.host.path import HostPath
    from vnetsim.host.plan import compile_host
    from vnetsim.host.report import variant_result
    from vnetsim.host.throughput import ZERO_LOSS_SUMMARY, load_scales, zero_loss_search

    # one line-rate rule for what the run offers: the flows' own rates, or each load level instead
    plan = compile_host(scenario.host, scenario.traffic.flows, scenario.seed, check_rate=not scenario.loads)
    levels = load_scales(scenario, plan)     # refused before anything runs (a load above line rate)
    search = None
    if zero_loss and scenario.throughput.enabled:
        search = zero_loss_search(scenario, v.name, v.description, plan=plan)
    pcap = options.pcap
    rows = []
    for k, (label, scale) in enumerate(levels):
        path = HostPath(scenario, rate_scale=scale, plan=plan)
        if options.progress is not None:
            path.source = _Progress(path.source, path.t_end, k, len(levels), options.progress)  # type: ignore[assignment]
        if pcap is not None and not pcap.done:
            from vnetsim.io.pcap import PcapWriter

            with PcapWriter(pcap.path, plan.catalog.flows, size_is="outer", epoch_ns=pcap.epoch_ns) as writer:
                path.write_pcap(writer, pcap.limit)
                run = path.run()
            pcap.done = True
        else:
            run = path.run()
        row = variant_result(v.name if label is None else f"{v.name} @ {label}", v.description, run,
                             scenario.seed, scenario.report.flow_listing, scenario.host.cpu_clock)
        row["variant"] = v.name
        row["load"] = label
        row["warnings"] = scenario.notes + row["warnings"]
        if search is not None:
            row["zero_loss"] = {k: search[k] for k in ZERO_LOSS_SUMMARY}
        rows.append(row)
    return rows


class _Progress:
    """The traffic source, telling ``progress`` how far the run is each time the pipeline asks it
    for a chunk (level ``k`` of ``levels``); everything else is the source's."""

    def __init__(self, source, t_end: float, k: int, levels: int, progress) -> None:
        self._source, self._t_end, self._k, self._levels, self._progress = source, t_end, k, levels, progress

    def until(self, horizon: float):
        self._progress((self._k + min(1.0, horizon / self._t_end)) / self._levels)
        return self._source.until(horizon)

    def __getattr__(self, name: str):
        return getattr(self._source, name)


def search_throughput(v: LoadedVariant, resolution: float | None = None) -> dict:
    """The zero-loss throughput row of one variant."""
    from vnetsim.host.throughput import zero_loss_search

    for note in v.model.notes:
        print(f"vnetsim: warning: {v.where}: {note}", file=sys.stderr, flush=True)
    return zero_loss_search(v.model, v.name, v.description, resolution=resolution)


def list_flows(v: LoadedVariant, limit: int = 50) -> dict:
    """Each flow's headers and the queue, core and VM it lands on (no simulation)."""
    from vnetsim.host.plan import compile_host
    from vnetsim.host.report import steering_summary

    scenario: HostScenario = v.model
    plan = compile_host(scenario.host, scenario.traffic.flows, scenario.seed)
    return {"name": v.name, **steering_summary(plan, limit)}


def merge_profile(doc: dict, base: Path) -> dict:
    """``host: {profile: FILE}``: the calibration profile's ``host`` settings under the scenario's own
    (the scenario's values win, by the one merge rule); FILE is relative to the scenario's folder."""
    host = doc.get("host")
    if not isinstance(host, dict) or not isinstance(host.get("profile"), str):
        return doc
    from vnetsim.errors import ScenarioError
    from vnetsim.scenario.merge import deep_merge
    from vnetsim.scenario.yamlfile import read_yaml

    path = Path(host["profile"]) if Path(host["profile"]).is_absolute() else base / host["profile"]
    try:
        profile = read_yaml(path)
    except ScenarioError as exc:
        raise ScenarioError(f"host.profile: {path}", exc.what,
                            "write one with `vnetsim calibrate --out FILE`") from None
    if profile.get("vnetsim_profile") != 1 or not isinstance(profile.get("host"), dict):
        raise ScenarioError(f"host.profile: {path}", "is not a vnetsim calibration profile "
                            "(vnetsim_profile: 1, host: ...)", "write one with `vnetsim calibrate --out FILE`")
    own = {k: v for k, v in host.items() if k != "profile"}
    return dict(doc, host={**deep_merge(profile["host"], own), "profile": str(path)})


def resolve_paths(doc: dict, base: Path) -> dict:
    """Relative capture paths (``traffic.flows[].trace.pcap``) are relative to the scenario's folder;
    a calibration profile (``host.profile``) is merged in."""
    doc = merge_profile(doc, base)
    traffic = doc.get("traffic")
    if not isinstance(traffic, dict) or not isinstance(traffic.get("flows"), list):
        return doc
    groups = []
    for g in traffic["flows"]:
        trace = g.get("trace") if isinstance(g, dict) else None
        if isinstance(trace, dict) and isinstance(trace.get("pcap"), str) and not Path(trace["pcap"]).is_absolute():
            g = dict(g, trace=dict(trace, pcap=str(base / trace["pcap"])))
        groups.append(g)
    return dict(doc, traffic=dict(traffic, flows=groups))






KIND = Kind(
    name="host",
    summary="traffic into one host: pNIC rings, host RX threads, vSwitch, vNIC, guest vCPUs, application",
    model="vnetsim.host.scenario:HostScenario",
    run=run_variant,
    render=lazy("vnetsim.host.render:render_host"),
    detect=lambda doc: "host" in doc,
    fallback=True,
    prepare=resolve_paths,
    capabilities={
        "throughput": Capability(search_throughput, lazy("vnetsim.host.render:render_throughput"),
                                 "RFC 2544 zero-loss rate"),
        "flows": Capability(list_flows, lazy("vnetsim.host.render:render_flows"), "each flow's RX queue, core and VM"),
    },
    writes_pcap=True,
    report=lazy("vnetsim.host.figures:host_figures"),
    kernels=lambda: ["vnetsim.engine.fifo", "vnetsim.engine.ring_server", "vnetsim.host.kernels"],
    work=lambda scenario: scenario.packets_estimate()[0] * scenario.replications,
)
