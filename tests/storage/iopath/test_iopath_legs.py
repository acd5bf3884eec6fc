"""The leg tables (``legs.build_tables``): variants are built once per distinct placement, so
objects of equal placements written as separate tuples give the same tables as one shared tuple,
and every slot's variants and legs are what a slot-by-slot listing gives."""

from __future__ import annotations

import dataclasses

import numpy as np

from vnetsim.storage.iopath import (
    Cluster,
    Copy,
    HostDevices,
    HostFailure,
    IOPathSpec,
    Network,
    ObjectPlacement,
    Workload,
)
from vnetsim.storage.iopath.defaults import default_device_kinds
from vnetsim.storage.iopath.legs import _ragged, _read_variants, _write_variants, build_tables


def _spec(shared: bool) -> IOPathSpec:
    def objects():
        return tuple(ObjectPlacement((Copy("raid1", (i % 6, (i + 2) % 6)),
                                      Copy("ec", tuple((i + j) % 6 for j in range(4)), data_fragments=3)))
                     for i in range(9))
    one = objects()
    groups = tuple(Workload(f"g{h}", h, 1000.0, 0.6, one if shared else objects()) for h in range(6))
    return IOPathSpec(Cluster((0, 0, 0, 1, 1, 1), (0, 1, 2, 3, 4, 5)), HostDevices(default_device_kinds()["nvme"], 1),
                      Network(), groups, failures=(HostFailure(0.01, 2, 0.0),), local_reads=True, architecture="osa")


def test_equal_placements_in_separate_tuples_give_the_same_tables():
    a, b = build_tables(_spec(True)), build_tables(_spec(False))
    for f in dataclasses.fields(a):
        assert np.array_equal(getattr(a, f.name), getattr(b, f.name)), f.name


def test_every_slot_lists_its_variants_legs():
    spec = _spec(False)
    t = build_tables(spec)
    site = spec.cluster.site_of_host
    for g, w in enumerate(spec.workloads):
        for e, gone in enumerate((set(), {2})):
            def alive(h, gone=gone):
                return h not in gone
            for o, obj in enumerate(w.objects):
                slot = t.slot_base[g] + e * t.n_objects[g] + o
                for base, count, want, write in (
                        (t.read_base, t.read_count, _read_variants(w, obj.copies, alive, site, True), 0),
                        (t.write_base, t.write_count, _write_variants(obj.copies, alive, "osa"), 1)):
                    assert count[slot] == len(want)
                    for v, legs in enumerate(want):
                        var = base[slot] + v
                        lc = np.arange(t.var_leg_start[var], t.var_leg_start[var] + t.var_nlegs[var])
                        assert [(int(a), int(b)) for a, b in zip(t.lc_target[lc], t.lc_op[lc])] == legs
                        assert (t.lc_group[lc] == g).all() and (t.lc_write[lc] == write).all()
                        assert (t.lc_owner[lc] == w.host).all() and (t.lc_nlegs[lc] == len(legs)).all()


def test_ragged_ranges():
    got = _ragged(np.array([5, 0, 9]), np.array([2, 0, 3]))
    assert got.tolist() == [5, 6, 9, 10, 11]
    assert len(_ragged(np.array([1]), np.array([0]))) == 0
