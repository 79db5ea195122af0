"""A cache that is gone, damaged or out of step with the files costs time, never a wrong read."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import curvescope
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


def settled_logs(runs: Path) -> None:
    """Set the logs' times an hour back: the cache trusts a file only once it has settled."""
    for log in runs.rglob("training.log"):
        os.utime(log, (time.time() - 3600, time.time() - 3600))


def damage(file: Path, how: str) -> None:
    data = file.read_bytes()
    if how == "garbage":
        file.write_bytes(b"\x00garbage, not a database\xff" * 200)
    elif how == "cut short":
        file.write_bytes(data[: len(data) // 2])
    else:  # every page after the first overwritten, the size kept: only a query finds it out
        file.write_bytes(data[:4096] + b"\xa5" * (len(data) - 4096))


@pytest.mark.parametrize(("how", "said"), [("garbage", "not an SQLite database"), ("cut short", "cut short")])
def test_a_damaged_cache_file_is_set_aside_said_once_and_the_next_audit_is_warm(runs, tmp_path, how, said):
    cache = tmp_path / "cache"
    settled_logs(runs)
    curvescope.audit(runs, cache=cache, model=False)
    damage(cache / "cache-v1.sqlite", how)
    first = curvescope.audit(runs, cache=cache, model=False)
    assert [(f.code, f.source) for f in first.findings] == [("CS021", str(cache / "cache-v1.sqlite"))]
    assert said in first.findings[0].message and "cache-v1.sqlite.damaged" in first.findings[0].message
    with watched_reads() as reads:
        second = curvescope.audit(runs, cache=cache, model=False)
    assert not second.findings and reads.whole == 0, "the rebuilt cache serves the next audit"
    assert [run.diagnosis for run in second.runs] == [run.diagnosis for run in first.runs]


def test_a_cache_file_damaged_inside_is_set_aside_when_a_query_meets_it(runs, tmp_path):
    cache = tmp_path / "cache"
    settled_logs(runs)
    curvescope.audit(runs, cache=cache, model=False)
    damage(cache / "cache-v1.sqlite", "pages")
    assert_same(read_cached(runs, cache), read_cold(runs))
    assert (cache / "cache-v1.sqlite.damaged").is_file()
    read_cached(runs, cache)
    with watched_reads() as reads:
        warm = read_cached(runs, cache)
    assert_same(warm, read_cold(runs))
    assert reads.whole == 0


def test_a_cache_folder_that_cannot_be_made_is_unusable_not_rebuilt(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    problem = CacheLocation(tmp_path / "file" / "cache").problem()
    assert problem is not None and problem.name == "cache-unusable"


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


# --- F14: a log rewritten in place with its time set back, or grown with its middle changed -------


def log_rows(changed: bool = False, epochs: int = 2000) -> list[str]:
    val = [(7.0 if changed and e == 999 else 1.0) + abs(e - 300) / 1000 for e in range(epochs)]
    return [HEADER] + [f"{e},{2.0 / (1 + e):.6f},{val[e]:.6f}\n" for e in range(epochs)]


def val_loss_at_999(runs: Path, cache: Path) -> float:
    frame = read_cached(runs, cache).scalars
    return float(frame.query("tag == 'val_loss' and step == 999")["value"].iloc[0])


@pytest.mark.parametrize("epochs", [2000, 20000], ids=["whole file sampled", "row in the first 64 KiB"])
def test_a_log_rewritten_in_place_with_its_size_and_time_kept_is_read_anew(tmp_path, epochs):
    log = tmp_path / "runs" / "exp" / "training.log"
    log.parent.mkdir(parents=True)
    log.write_text("".join(log_rows(epochs=epochs)))
    os.utime(log, (time.time() - 3600, time.time() - 3600))
    assert val_loss_at_999(tmp_path / "runs", tmp_path / "cache") == 1.699
    before = os.stat(log)
    log.write_text("".join(log_rows(changed=True, epochs=epochs)))
    os.utime(log, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(log).st_size == before.st_size
    assert val_loss_at_999(tmp_path / "runs", tmp_path / "cache") == 7.699


def test_a_log_that_grew_with_a_row_in_its_middle_changed_is_read_anew(tmp_path):
    log = tmp_path / "runs" / "exp" / "training.log"
    log.parent.mkdir(parents=True)
    log.write_text("".join(log_rows()))
    os.utime(log, (time.time() - 3600, time.time() - 3600))
    assert val_loss_at_999(tmp_path / "runs", tmp_path / "cache") == 1.699
    log.write_text("".join([*log_rows(changed=True), "2000,0.001,2.0\n"]))
    os.utime(log, (time.time() - 3000, time.time() - 3000))
    with watched_reads() as reads:
        assert val_loss_at_999(tmp_path / "runs", tmp_path / "cache") == 7.699
    assert reads.whole == 1 and reads.tails == []
