"""The remembered entry points (``vnetsim.entrypoints``): the same answer as ``importlib.metadata``,
and a new answer as soon as a distribution on the path is added, changed or removed."""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import entry_points

import pytest

from vnetsim import entrypoints

GROUP = "vnetsim.kinds"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An empty folder on sys.path, and a fresh cache folder."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("VNETSIM_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def install(site, name: str, body: str) -> None:
    dist = site / f"{name}-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(body)


def metadata_answer() -> list[tuple[str, str]]:
    return [(ep.name, ep.value) for ep in entry_points(group=GROUP)]


def test_remembered_answer_is_importlib_metadata_answer(site):
    install(site, "extra_kind", "[vnetsim.kinds]\nextra = extra_kind:KIND\n")
    first = entrypoints.targets(GROUP)
    assert first == metadata_answer() and ("extra", "extra_kind:KIND") in first
    assert entrypoints.cache_file().exists()
    assert entrypoints.targets(GROUP) == first          # from the file this time


def test_the_file_is_what_answers_while_nothing_changes(site, monkeypatch):
    entrypoints.targets(GROUP)
    where = entrypoints.cache_file()
    doc = json.loads(where.read_text())
    (key, groups), = doc["known"].items()
    groups[GROUP] = [["planted", "planted:KIND"]]
    where.write_text(json.dumps(doc))
    assert entrypoints.targets(GROUP) == [("planted", "planted:KIND")]


@pytest.mark.parametrize("change", ["add", "edit", "remove"])
def test_a_changed_distribution_is_seen_at_once(site, change):
    install(site, "extra_kind", "[vnetsim.kinds]\nextra = extra_kind:KIND\n")
    before = entrypoints.targets(GROUP)
    if change == "add":
        install(site, "other_kind", "[vnetsim.kinds]\nother = other_kind:KIND\n")
    elif change == "edit":
        (site / "extra_kind-1.0.dist-info" / "entry_points.txt").write_text(
            "[vnetsim.kinds]\nextra = extra_kind.v2:KIND\n")
    else:
        for f in (site / "extra_kind-1.0.dist-info").iterdir():
            f.unlink()
        (site / "extra_kind-1.0.dist-info").rmdir()
    after = entrypoints.targets(GROUP)
    assert after != before and after == metadata_answer()


def test_an_unwritable_or_broken_cache_costs_only_the_saving(site, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("VNETSIM_CACHE_DIR", str(blocker / "cache"))
    assert entrypoints.targets(GROUP) == metadata_answer()
    monkeypatch.setenv("VNETSIM_CACHE_DIR", str(tmp_path / "cache2"))
    (tmp_path / "cache2").mkdir()
    entrypoints.cache_file().write_text("{not json")
    assert entrypoints.targets(GROUP) == metadata_answer()
    assert json.loads(entrypoints.cache_file().read_text())["format"] == 1   # rebuilt whole
    monkeypatch.setenv("VNETSIM_CACHE_DIR", "")
    assert entrypoints.cache_file() is None and entrypoints.targets(GROUP) == metadata_answer()


def test_each_path_keeps_its_own_answer(site, tmp_path, monkeypatch):
    entrypoints.targets(GROUP)
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.syspath_prepend(str(other))
    entrypoints.targets(GROUP)
    known = json.loads(entrypoints.cache_file().read_text())["known"]
    assert len(known) == 2
    sys.path.remove(str(other))
    assert entrypoints.fingerprint() in known


def test_load_follows_module_and_attributes():
    assert entrypoints.load("os.path:join") is os.path.join
    assert entrypoints.load("os") is os


def test_a_replaced_zip_on_the_path_is_seen(site, tmp_path, monkeypatch):
    egg = tmp_path / "plugin.egg"
    egg.write_bytes(b"one")
    monkeypatch.syspath_prepend(str(egg))
    before = entrypoints.fingerprint()
    egg.write_bytes(b"two, longer")
    assert entrypoints.fingerprint() != before
