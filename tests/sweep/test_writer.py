"""The store writer: points written in order on its own thread, all of them before close returns,
and a failed write raised in the sweep's thread with nothing written after it."""

from __future__ import annotations

import threading
import time

import pytest

from vnetsim.sweep.writer import StoreWriter


class FakeStore:
    """Records each point's key and the thread that wrote it; slow, like a commit that syncs."""

    def __init__(self, fail_at: str | None = None) -> None:
        self.keys: list[str] = []
        self.threads: set[str] = set()
        self.fail_at = fail_at

    def add(self, *, key: str) -> None:
        time.sleep(0.01)
        if key == self.fail_at:
            raise OSError("disk full")
        self.keys.append(key)
        self.threads.add(threading.current_thread().name)


def test_every_point_is_written_in_order_off_the_callers_thread_before_close_returns():
    db, seen = FakeStore(), []
    with StoreWriter(db, seen.append) as w:  # type: ignore[arg-type]
        for k in range(20):
            w.add(key=f"k{k}")
        assert len(db.keys) < 20                     # the caller did not wait for the writes
    assert db.keys == [f"k{k}" for k in range(20)] and seen == list(range(1, 21)) and w.count == 20
    assert db.threads == {"vnetsim-store-writer"}


def test_a_failed_write_is_raised_and_nothing_after_it_is_written():
    db = FakeStore(fail_at="k3")
    w = StoreWriter(db)  # type: ignore[arg-type]
    for k in range(8):
        w.add(key=f"k{k}")
    with pytest.raises(OSError, match="disk full"):
        w.close()
    assert db.keys == ["k0", "k1", "k2"] and w.count == 3


def test_leaving_on_another_error_keeps_that_error_and_still_writes_what_was_handed_over():
    db = FakeStore(fail_at="k5")
    with pytest.raises(KeyError), StoreWriter(db) as w:  # type: ignore[arg-type]
        for k in range(3):
            w.add(key=f"k{k}")
        raise KeyError("the sweep's own error")
    assert db.keys == ["k0", "k1", "k2"]
