"""A cache that is gone, damaged or out of step with the files costs time, never a wrong read."""

from __future__ import annotations

from pathlib import Path

import pytest

from curvescope.assemble.read import cache_key
from curvescope.ingest import readers
from curvescope.ingest.discover import discover
from curvescope.scale.cache import CacheLocation
from tests.cache.reading import assert_same, read_cached, read_cold, watched_reads

HEADER = "epoch,loss,val_loss\n"


def rows(epochs: range) -> str:
    return "".join(f"{epoch},{2.0 / (epoch + 1)},{2.5 / (epoch + 1)}\n" for epoch in epochs)


@pytest.fixture
def runs(tmp_path) -> Path:
    folder = tmp_path / "runs"
    for name in ("exp1", "exp2"):
        (folder / name).mkdir(parents=True)
        (folder / name / "training.log").write_text(HEADER + rows(range(50)))
    return folder


def grow(runs: Path) -> None:
    for log in runs.rglob("training.log"):
        with open(log, "a") as file:
            file.write(rows(range(50, 60)))


def test_a_cache_file_deleted_between_reads_is_read_cold(runs, tmp_path):
    cache = tmp_path / "cache"
    read_cached(runs, cache)
    for path in cache.iterdir():
        path.unlink()
    grow(runs)
    with watched_reads() as reads:
        later = read_cached(runs, cache)
    assert_same(later, read_cold(runs))
    assert reads.whole == 2 and reads.tails == []
    assert (cache / "cache-v1.sqlite").is_file()


def test_a_cache_file_of_garbage_is_set_aside_and_the_read_goes_on(runs, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache-v1.sqlite").write_bytes(b"\x00garbage, not a database\xff" * 200)
    location = CacheLocation(cache)
    assert location.open() is None
    assert location.problem().name == "cache-unusable"
    assert_same(read_cached(runs, cache), read_cold(runs))


def stored(runs: Path, cache: Path, table: str) -> dict:
    """Every entry of ``table`` for the runs below ``runs``, by key."""
    store = CacheLocation(cache).open()
    try:
        keys = [cache_key(source) for source in discover(runs, readers()).sources]
        return store.get_many(table, keys)
    finally:
        store.close()


def put_back(cache: Path, table: str, entries: dict) -> None:
    store = CacheLocation(cache).open()
    try:
        store.put_many(table, [(key, identity, entry) for key, (identity, entry) in entries.items()])
    finally:
        store.close()


def test_where_a_read_stopped_is_only_used_with_the_scalars_of_that_read(runs, tmp_path):
    """The scalars and where their read stopped are stored apart: an older progress entry beside
    newer scalars (two audits writing at once) must not be read on from."""
    cache = tmp_path / "cache"
    read_cached(runs, cache)
    older = stored(runs, cache, "progress")
    grow(runs)
    read_cached(runs, cache)
    put_back(cache, "progress", older)
    grow(runs)
    with watched_reads() as reads:
        later = read_cached(runs, cache)
    assert_same(later, read_cold(runs))
    assert reads.whole == 2 and reads.tails == []


def test_a_progress_entry_that_is_not_one_is_ignored(runs, tmp_path):
    cache = tmp_path / "cache"
    read_cached(runs, cache)
    entries = stored(runs, cache, "progress")
    put_back(cache, "progress", {key: (identity, "not progress") for key, (identity, _) in entries.items()})
    grow(runs)
    with watched_reads() as reads:
        later = read_cached(runs, cache)
    assert_same(later, read_cold(runs))
    assert reads.whole == 2
