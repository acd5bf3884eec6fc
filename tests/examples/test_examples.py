"""The examples: every file validates, and the PGW example shows the seed post's claims."""

from pathlib import Path

import pytest

import vnetsim.api as api

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path):
    kind, _, variants = api.load(str(path))
    assert variants, path


@pytest.mark.parametrize("name", ["interrupt-mode.yaml", "poll-mode.yaml", "hybrid-mode.yaml"])
def test_mode_examples_run(name):
    path = Path(__file__).resolve().parents[2] / "examples" / name
    res = api.run(str(path), duration="30ms")
    assert all(v["packets"]["delivered"] > 0 for v in res.variants)


@pytest.fixture(scope="module")
def pgw():
    path = Path(__file__).resolve().parents[2] / "examples" / "pgw-poll-vs-interrupt.yaml"
    res = api.run(str(path))
    table = {}
    for v in res.variants:
        table.setdefault(v["variant"], {})[v["load"]] = v
    return table


INTERRUPT = "interrupt, VMXNET3 coalescing 4000/s"
OFF = "interrupt, coalescing off"
POLL = "DPDK poll mode"
HYBRID = "hybrid"


def busy(entry, core):
    return 1.0 - entry["cpu"][core]["idle"]


def test_poll_mode_lowest_latency_at_every_load(pgw):
    for load, entry in pgw[POLL].items():
        for other in (INTERRUPT, OFF, HYBRID):
            assert entry["latency_ns"]["p99"] < pgw[other][load]["latency_ns"]["p99"], (load, other)


def test_poll_mode_burns_whole_cores_at_any_load(pgw):
    for load, entry in pgw[POLL].items():
        for core in entry["cpu"]:
            assert busy(entry, core) > 0.999, (load, core)


def test_poll_mode_higher_zero_loss_rate(pgw):
    some_load = next(iter(pgw[POLL]))
    poll_rate = pgw[POLL][some_load]["zero_loss"]["zero_loss_pps"]
    assert poll_rate > 1.5 * pgw[INTERRUPT][some_load]["zero_loss"]["zero_loss_pps"]
    assert poll_rate > 1.5 * pgw[OFF][some_load]["zero_loss"]["zero_loss_pps"]


def test_interrupt_coalescing_saves_cpu_at_low_load(pgw):
    loads = list(pgw[INTERRUPT])
    low, high = loads[0], loads[-1]
    for core in pgw[INTERRUPT][low]["cpu"]:
        assert busy(pgw[INTERRUPT][low], core) < 0.05
    # many packets per virtual interrupt, fewer interrupts than with coalescing off
    vcpu = "pgw/vcpu0"
    assert pgw[INTERRUPT][high]["cores"][vcpu]["packets_per_interrupt"] > 10
    assert (pgw[INTERRUPT][high]["cores"][vcpu]["interrupts_per_s"]
            < pgw[OFF][high]["cores"][vcpu]["interrupts_per_s"])
    assert busy(pgw[INTERRUPT][high], vcpu) < busy(pgw[OFF][high], vcpu)


def test_interrupt_latency_cost_is_worst_at_low_rates(pgw):
    loads = list(pgw[INTERRUPT])
    low, high = loads[0], loads[-1]
    for variant in (INTERRUPT, OFF):
        cost_low = pgw[variant][low]["latency_ns"]["p50"] - pgw[POLL][low]["latency_ns"]["p50"]
        cost_high = pgw[variant][high]["latency_ns"]["p50"] - pgw[POLL][high]["latency_ns"]["p50"]
        assert cost_low > cost_high > 0, variant
