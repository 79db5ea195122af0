"""cache.fingerprint: the state of a log directory, from its files' names, sizes and times."""

from __future__ import annotations

import os

from curvescope.scale import cache


def test_fingerprint_changes_with_names_sizes_and_times_only(tmp_path):
    (tmp_path / "a").mkdir()
    log = tmp_path / "a" / "metrics.csv"
    log.write_text("step,loss\n0,1\n")
    first = cache.fingerprint(tmp_path)
    assert cache.fingerprint(tmp_path) == first
    log.write_text("step,loss\n0,1\n1,0.5\n")
    grown = cache.fingerprint(tmp_path)
    assert grown != first
    os.utime(log, ns=(0, 10**18))
    touched = cache.fingerprint(tmp_path)
    assert touched != grown
    log.rename(tmp_path / "a" / "other.csv")
    assert cache.fingerprint(tmp_path) != touched
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "new.csv").write_text("x")
    assert cache.fingerprint(tmp_path) != touched


def test_fingerprint_survives_a_symlink_loop_and_a_missing_path(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "log.csv").write_text("step,loss\n")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert len(cache.fingerprint(tmp_path)) == 32
    assert cache.fingerprint(tmp_path / "missing") != cache.fingerprint(tmp_path)


def test_fingerprint_of_a_file_is_its_own(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("step,loss\n")
    before = cache.fingerprint(log)
    log.write_text("step,loss\n0,1\n")
    assert cache.fingerprint(log) != before
