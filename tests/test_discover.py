"""Discovery: which files form which run, and problems with directories as findings."""

import os
from pathlib import Path

import pytest

from curvescope.errors import LogdirNotFound
from curvescope.ingest.base import RunRead
from curvescope.ingest.discover import discover


class LogReader:
    """A minimal per-directory format: files ending in .log."""

    name = "log"
    per_file = False

    def sniff(self, path):
        return path.suffix == ".log"

    def run_path(self, path):
        return path.parent

    def read(self, run_path, files):
        return RunRead()


class TableReader(LogReader):
    """A minimal one-run-per-file format: files ending in .tbl."""

    name = "table"
    per_file = True

    def sniff(self, path):
        return path.suffix == ".tbl"


READERS = (LogReader(), TableReader())


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def runs(found):
    return {source.run: [f.name for f in source.files] for source in found.sources}


def test_runs_are_directories_relative_to_the_logdir(tmp_path):
    touch(tmp_path / "exp1" / "a.log")
    touch(tmp_path / "exp1" / "b.log")
    touch(tmp_path / "group" / "exp2" / "a.log")
    touch(tmp_path / "exp1" / "model.ckpt")
    found = discover(tmp_path, READERS)
    assert runs(found) == {"exp1": ["a.log", "b.log"], "group/exp2": ["a.log"]}
    assert found.ignored == 1 and not found.findings


def test_file_per_run_formats_sharing_a_directory_are_named_by_file(tmp_path):
    touch(tmp_path / "shared" / "one.tbl")
    touch(tmp_path / "shared" / "two.tbl")
    touch(tmp_path / "alone" / "only.tbl")
    assert runs(discover(tmp_path, READERS)) == {
        "shared/one.tbl": ["one.tbl"],
        "shared/two.tbl": ["two.tbl"],
        "alone": ["only.tbl"],
    }


def test_a_single_file_and_the_logdir_itself_name_their_run(tmp_path):
    log = touch(tmp_path / "exp7" / "a.log")
    assert runs(discover(log, READERS)) == {"exp7": ["a.log"]}
    assert runs(discover(tmp_path / "exp7", READERS)) == {"exp7": ["a.log"]}


def test_hidden_directories_are_skipped(tmp_path):
    touch(tmp_path / ".git" / "a.log")
    touch(tmp_path / "run" / ".ipynb_checkpoints" / "a.log")
    touch(tmp_path / "run" / "a.log")
    assert runs(discover(tmp_path, READERS)) == {"run": ["a.log"]}


def test_missing_path_is_an_error_naming_it(tmp_path):
    with pytest.raises(LogdirNotFound, match="nope: no such file or directory"):
        discover(tmp_path / "nope", READERS)


def test_symlink_loop_is_reported_once_and_walking_ends(tmp_path):
    touch(tmp_path / "run" / "a.log")
    os.symlink(tmp_path, tmp_path / "run" / "loop")
    found = discover(tmp_path, READERS)
    assert runs(found) == {"run": ["a.log"]}
    assert [(f.name, f.source) for f in found.findings] == [("unreadable-directory", "run/loop")]


def test_broken_symlink_is_reported(tmp_path):
    touch(tmp_path / "run" / "a.log")
    os.symlink(tmp_path / "gone.log", tmp_path / "run" / "b.log")
    found = discover(tmp_path, READERS)
    assert [(f.name, f.source, f.message) for f in found.findings] == [("unreadable-file", "run/b.log", "broken symlink")]


def test_unlistable_directory_is_a_finding_and_the_rest_is_read(tmp_path, monkeypatch):
    touch(tmp_path / "ok" / "a.log")
    touch(tmp_path / "locked" / "a.log")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover(tmp_path, READERS)
    assert runs(found) == {"ok": ["a.log"]}
    [problem] = found.findings
    assert problem.name == "unreadable-directory" and problem.source == "locked"
    assert "permission denied" in problem.message


def test_a_sniff_that_raises_does_not_stop_discovery(tmp_path):
    class Broken(LogReader):
        name = "broken"

        def sniff(self, path):
            raise RuntimeError("boom")

    touch(tmp_path / "run" / "a.log")
    assert runs(discover(tmp_path, (Broken(), LogReader()))) == {"run": ["a.log"]}


def test_a_file_inside_a_run_that_spans_folders_names_the_run(tmp_path):
    class SplitReader(LogReader):
        def run_path(self, path):
            return path.parent.parent if path.parent.name == "train" else path.parent

    log = touch(tmp_path / "exp3" / "train" / "a.log")
    assert runs(discover(log, (SplitReader(),))) == {"exp3": ["a.log"]}
