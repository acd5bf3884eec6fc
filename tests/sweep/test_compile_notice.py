"""A sweep says it is compiling before its first point when the kind's kernels are not cached yet
(as `vnetsim run` does), and says nothing once they are."""

from __future__ import annotations

import pytest

from vnetsim import kinds
from vnetsim.sweep import sweep

DOC = {"name": "h", "seed": 3, "duration": "2ms", "warmup": "0.5ms",
       "traffic": {"flows": [{"name": "f", "count": 4, "rate": "100kpps"}]}}


@pytest.mark.parametrize("uncached", [["vnetsim.engine.ring_server"], []])
def test_the_compile_notice_comes_only_when_kernels_are_missing(monkeypatch, uncached):
    import vnetsim.engine.jit as jit

    monkeypatch.setattr(jit, "uncached", lambda modules: list(uncached))
    said: list[str] = []
    result = sweep(DOC, grid=["host.pnic.rx_queues=1,2"], workers=1, notify=said.append)
    assert result.ran == 2
    assert (len(said) == 1 and "compiling" in said[0]) if uncached else said == []


def test_the_host_kind_names_its_kernel_modules():
    assert kinds.get_kind("host").kernels is not None
