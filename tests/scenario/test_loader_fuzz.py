"""Property-based fuzzing of the one loader and of --set: whatever the document, loading gives
validated variants or one UserError line, never another exception.

Documents are built from the real field names of both built-in kinds (so the fuzzer reaches deep
into the models) mixed with arbitrary keys and values; raw text goes through the YAML reader.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnetsim
from vnetsim.errors import UserError

FIELDS = ["name", "duration", "warmup", "seed", "traffic", "flows", "rate", "count", "size", "arrival", "kind",
          "host", "pnic", "rx_queues", "ring_size", "line_rate", "vms", "guest", "vcpus", "service", "mode",
          "coalescing", "scheme", "vnic", "steering", "rss", "key", "reta", "overlay", "variants", "loads",
          "fabric", "topology", "racks", "hosts_per_rack", "pattern", "failures", "edge", "vms+", "vms-",
          "flows+", "chunk_packets", "throughput", "enabled", "trial", "cpu_clock", "description"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.sampled_from(["1Mpps", "10Gbps", "50us", "poll", "interrupt", "rss", "spine_leaf", "off",
                                     "-5Mpps", "1e-300pps", "0", "nan", "inf", "9KiB", "4000/s", ""]),
                    st.text(max_size=8))
KEYS = st.one_of(st.sampled_from(FIELDS), st.text(string.ascii_lowercase + "_+-", min_size=1, max_size=6))
DOCS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)
SETS = st.lists(st.builds(lambda k, v: f"{k}={v}", st.lists(KEYS, min_size=1, max_size=4).map(".".join),
                          st.one_of(st.sampled_from(["1", "x", "[1, 2]", "{a: 1}", "2Mpps", "", "[", "{"]),
                                    st.text(max_size=6))), max_size=3)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _loads_or_one_line(doc, sets=()) -> None:
    try:
        kind, source, variants = vnetsim.load(doc, overrides=list(sets))
    except UserError as exc:
        line = exc.line()
        assert line and "\n" not in line
        return
    assert kind in vnetsim.kinds() and variants


@FUZZ
@given(st.dictionaries(KEYS, DOCS, max_size=6), SETS)
def test_any_document_and_overrides_load_or_fail_in_one_line(doc, sets):
    _loads_or_one_line(doc, sets)


@FUZZ
@given(DOCS, st.lists(st.dictionaries(KEYS, DOCS, max_size=3), max_size=3))
def test_any_variants_load_or_fail_in_one_line(traffic, variants):
    doc = {"name": "fuzz", "traffic": traffic,
           "variants": [dict(v, name=f"v{i}") for i, v in enumerate(variants)]}
    _loads_or_one_line(doc)


@FUZZ
@given(st.text(max_size=200))
def test_any_text_file_reads_or_fails_in_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_text(text, encoding="utf-8")
    _loads_or_one_line(str(path))
