"""The default path (NIC, inter-site link, devices and join in one stage, ``PathStage``) equals the
stages wired one after another (``pipeline-stages``: the NIC or network stage, then the device
stage folding into the join), exactly: the same result (latency summaries, where the time goes,
utilisation, I/O accounting), the same histograms bucket for bucket and the same running sums, for
every reference case and the stretched case whose inter-site queues fill, at chunk sizes from a
handful of legs (most legs pass a horizon inside the stage, the join's ring grows) to the default;
and legs it holds at an undrained end are counted in flight."""

from __future__ import annotations

import numpy as np
import pytest
from test_iopath_netstage import _spec as busy_link_spec
from test_iopath_reference import CASES

from vnetsim.storage.iopath.pathrun import IOPathRun

SPECS = dict(CASES, busy_link=busy_link_spec)


def _pair(spec, chunk_legs: int, drain: bool = True, warmup_s: float = 0.003) -> tuple[IOPathRun, IOPathRun]:
    runs = []
    for path in ("pipeline", "pipeline-stages"):
        run = IOPathRun(spec, 5, 0.03, warmup_s=warmup_s, path=path)
        run.run(drain=drain, chunk_legs=chunk_legs)
        runs.append(run)
    return runs[0], runs[1]


@pytest.mark.parametrize("case", sorted(SPECS))
@pytest.mark.parametrize("chunk_legs", [97, 1 << 16])
def test_the_path_stage_equals_the_stages(case, chunk_legs):
    one, apart = _pair(SPECS[case](), chunk_legs)
    assert one.path_stage is not None and apart.path_stage is None
    assert one.result() == apart.result()
    assert np.array_equal(one.join.counts, apart.join.counts) and np.array_equal(one.join.stats, apart.join.stats)
    assert one.result().conservation.completed > 300


def test_legs_held_in_the_path_stage_are_in_flight():
    one, apart = _pair(busy_link_spec(), 512, drain=False, warmup_s=0.0)
    assert one.path_stage is not None and one.path_stage.held() > 0
    c = one.conservation()
    assert c == apart.conservation()
    assert c.issued == c.completed + c.in_flight + c.failed
    assert c.legs_issued == c.legs_done + c.legs_in_flight
