"""FlowTable: construction, layers, dedup (exact, also under forced hash collisions)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetsim.net import flows as flows_mod
from vnetsim.net.flows import COLUMNS, FlowTable


def _table():
    return FlowTable.build(eth_dst=["00:00:00:00:00:01", "00:00:00:00:00:02"], ip_src="10.0.0.1",
                           ip_dst=["10.0.0.2", "fe80::2"], ip_version=[4, 6], ip_proto=6, src_port=[1, 2],
                           dst_port=80, tunnel=[1, 0], vni=[7, -1], outer_ip_src="172.16.0.1",
                           outer_ip_dst="172.16.0.2", outer_src_port=50000, outer_dst_port=4789,
                           outer_eth_dst="00:50:56:00:00:01", outer_vlan=[10, -1])


def test_build_broadcasts_and_validates():
    t = _table()
    assert len(t) == 2
    t.validate()
    assert t.describe(0)["outer_ip_dst"] == "172.16.0.2"
    assert t.describe(0)["vni"] == 7
    assert t.describe(1)["tunnel"] == "none" and "vni" not in t.describe(1)


def test_layers_pick_outer_headers_only_for_tunneled_flows():
    t = _table()
    outer = t.layer("outer")
    assert outer.ip_proto.tolist() == [17, 6]
    assert outer.src_port.tolist() == [50000, 2]
    assert outer.dst_port.tolist() == [4789, 80]
    assert outer.vlan.tolist() == [10, -1]
    assert outer.eth_dst.tolist() == [0x005056000001, 2]
    inner = t.layer("inner")
    assert inner.dst_port.tolist() == [80, 80]


def test_overhead_per_flow():
    assert _table().encap_overhead_bytes().tolist() == [54, 0]


def test_take_concat_copy():
    t = _table()
    both = FlowTable.concat([t, t.take([1])])
    assert len(both) == 3 and both.describe(2) == t.describe(1)
    c = t.copy()
    c.src_port[0] = 9
    assert t.src_port[0] == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 1)), min_size=1, max_size=60))
def test_unique_matches_python_set(rows):
    a = np.array(rows)
    t = FlowTable.empty(len(rows))
    t.src_port[:] = a[:, 0]
    t.ip_src[:, 15] = a[:, 1]
    t.tunnel[:] = a[:, 2]
    u, inv = t.unique()
    seen = list(dict.fromkeys(rows))  # first-appearance order
    assert len(u) == len(seen)
    for i, r in enumerate(rows):
        assert seen[inv[i]] == r
    rec = t.records()
    assert (u.records()[inv] == rec).all()


def test_unique_stays_exact_when_hashes_collide(monkeypatch):
    t = FlowTable.empty(6)
    t.src_port[:] = [1, 2, 1, 3, 2, 1]
    monkeypatch.setattr(flows_mod, "_hash_columns", lambda *cols: np.zeros(len(cols[0]), np.uint64))
    u, inv = t.unique()
    assert u.src_port.tolist() == [1, 2, 3]
    assert inv.tolist() == [0, 1, 0, 2, 1, 0]


def test_records_width_covers_every_column():
    assert FlowTable.empty(2).records().shape == (2, flows_mod.RECORD_BYTES)
    assert set(COLUMNS) == set(FlowTable.__dataclass_fields__)


def test_canonical_resets_meaningless_columns():
    t = _table()
    c = t.canonical()
    assert c.outer_src_port.tolist() == [50000, 0] and c.outer_vlan.tolist() == [10, -1]
    assert (c.outer_ip_src[1] == 0).all() and c.vni.tolist() == [7, -1]
    assert c.describe(0) == t.describe(0)
