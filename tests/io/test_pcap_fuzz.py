"""Fuzzing the capture reader with mutations of real captures (tests/io/pcapfuzz.py): every outcome
is a PcapTrace that meets the invariants of a good read (and replays as traffic), or a one-line
InputFileError; never another exception, never a crash.

A floating-point trap or a segfault in a compiled kernel would kill pytest itself, so a batch of
mutations also runs in a subprocess that must exit cleanly; ``benchmarks/fuzz_pcap.py`` runs the
same for as long as asked.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_SPEC = importlib.util.spec_from_file_location("pcapfuzz", Path(__file__).with_name("pcapfuzz.py"))
assert _SPEC is not None and _SPEC.loader is not None
pcapfuzz = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(pcapfuzz)

SEEDS = pcapfuzz.seeds()
OPS = st.lists(st.tuples(st.sampled_from(pcapfuzz.KINDS), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
               min_size=1, max_size=4)


def test_seeds_read_cleanly(tmp_path):
    for name, data in SEEDS:
        assert pcapfuzz.outcome(data, tmp_path / name) == "ok", name


def test_a_batch_in_a_subprocess_exits_cleanly(tmp_path):
    """300 random mutations in a fresh process: a trap or segfault shows as a signal here."""
    script = Path(pcapfuzz.__file__)
    res = subprocess.run([sys.executable, str(script), "20240601", "300", str(tmp_path / "work.pcap")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"exit {res.returncode}; reproducer: {tmp_path / 'work.pcap'}\n{res.stderr[-3000:]}"
    assert "tried=300" in res.stdout and "crash=0" in res.stdout, res.stdout


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, len(SEEDS) - 1), ops=OPS)
def test_mutated_captures_read_or_fail_in_one_line(tmp_path, seed, ops):
    name, data = SEEDS[seed]
    assert pcapfuzz.outcome(pcapfuzz.apply(data, ops), tmp_path / f"m-{name}") in ("ok", "error")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, len(SEEDS) - 1), cut=st.integers(0, 1 << 16))
def test_truncated_captures_read_or_fail_in_one_line(tmp_path, seed, cut):
    name, data = SEEDS[seed]
    assert pcapfuzz.outcome(data[:cut % (len(data) + 1)], tmp_path / f"t-{name}") in ("ok", "error")
