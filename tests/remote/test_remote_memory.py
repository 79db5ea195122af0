"""Any fsspec URL, shown with fsspec's in-memory filesystem: audits equal the local folder's, the
mirror follows the remote (fetching only what changed, concurrently), local paths and file://
URLs are read in place, and storage that cannot be used is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import fsspec
import pandas as pd
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from fsspec.registry import known_implementations

import curvescope
from curvescope.errors import InvalidParameterError, RemoteError
from curvescope.scale import remote
from curvescope.scale.cache import CacheLocation
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"
WINE = "keras/wine-mlp-tanh-sgd/training.log"


def upload(folder: Path, root: str) -> None:
    fs = fsspec.filesystem("memory")
    for file in sorted(folder.rglob("*")):
        if file.is_file():
            fs.pipe(f"{root}/{file.relative_to(folder).as_posix()}", file.read_bytes())


def small_runs(root: str, count: int) -> None:
    fs = fsspec.filesystem("memory")
    for run in range(count):
        rows = "".join(f"{step},{1 / (step + run + 1):.6f}\n" for step in range(20))
        fs.pipe(f"{root}/run{run:03d}/metrics.csv", f"step,train_loss\n{rows}".encode())


def test_a_memory_url_audits_like_the_local_folder(memory, tmp_path):
    upload(DEMO, memory)
    audited = curvescope.audit(f"memory://{memory}", cache=tmp_path, model=False)  # the S3 tests audit with the model
    assert audited.to_dict() == curvescope.audit(DEMO, cache=False, model=False).to_dict()


def test_runs_of_several_urls_are_named_by_their_url(memory, tmp_path):
    small_runs(f"{memory}/a", 1)
    small_runs(f"{memory}/b", 1)
    report = curvescope.audit([f"memory://{memory}/a", f"memory://{memory}/b/"], cache=tmp_path, model=False)
    assert [run.run for run in report] == [f"memory://{memory}/a/run000", f"memory://{memory}/b/run000"]


def test_a_memory_file_url_reads_that_one_file(memory):
    upload(DEMO, memory)
    pd.testing.assert_frame_equal(curvescope.read(f"memory://{memory}/{WINE}").scalars, curvescope.read(DEMO / WINE).scalars)


def test_the_mirror_fetches_only_what_changed_and_drops_what_is_gone(memory, fetches, tmp_path):
    small_runs(memory, 240)
    cache = CacheLocation(tmp_path)
    root = remote.local_root(f"memory://{memory}", cache)
    assert root == tmp_path / "remote" / "memory" / memory.lstrip("/")
    assert len(fetches) == 240 and len(list(root.rglob("metrics.csv"))) == 240
    created = fsspec.filesystem("memory").info(f"{memory}/run007/metrics.csv")["created"].timestamp()
    assert abs((root / "run007" / "metrics.csv").stat().st_mtime_ns - created * 1e9) < 1000

    assert remote.local_root(f"memory://{memory}", cache) == root
    assert len(fetches) == 240

    fs = fsspec.filesystem("memory")
    fs.pipe(f"{memory}/run007/metrics.csv", b"step,train_loss\n0,1.0\n")
    fs.rm(f"{memory}/run008", recursive=True)
    fs.pipe(f"{memory}/.git/config", b"hidden")
    (root / "stray").mkdir()
    (root / "stray" / "metrics.csv").write_text("step,train_loss\n0,1\n")  # not below the URL: not a run
    remote.local_root(f"memory://{memory}", cache)
    assert fetches[240:] == [f"{memory}/run007/metrics.csv"]
    assert (root / "run007" / "metrics.csv").read_text() == "step,train_loss\n0,1.0\n"
    assert not (root / "run008").exists() and not (root / ".git").exists() and not (root / "stray").exists()
    assert len(curvescope.read(root).runs) == 239


def test_files_are_fetched_concurrently(memory, monkeypatch, tmp_path):
    small_runs(memory, 64)
    fetch, lock = MemoryFileSystem.get_file, threading.Lock()
    running, most = [0], [0]

    def slow(self, rpath, lpath, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return fetch(self, rpath, lpath, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "get_file", slow)
    remote.local_root(f"memory://{memory}", CacheLocation(tmp_path))
    assert most[0] >= 4  # several at once, however many FETCHERS allows


def test_one_file_that_cannot_be_fetched_is_a_finding(memory, monkeypatch, tmp_path):
    small_runs(memory, 3)
    fetch = MemoryFileSystem.get_file

    def refuse_one(self, rpath, lpath, **kwargs):
        if rpath.endswith("run001/metrics.csv"):
            raise PermissionError(rpath)
        return fetch(self, rpath, lpath, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "get_file", refuse_one)
    result = curvescope.read(f"memory://{memory}")
    assert result.runs == ("run000", "run002")
    [problem] = result.findings
    assert (problem.name, problem.source) == ("unreadable-file", "run001/metrics.csv")
    assert problem.message == f"could not be fetched from memory://{memory}/run001/metrics.csv (access denied); skipped"


def test_local_paths_and_file_urls_are_read_in_place(tmp_path):
    assert remote.local_root("fixtures/demo", CacheLocation(tmp_path)) == Path("fixtures/demo")
    assert remote.local_root(DEMO, None) == DEMO
    assert remote.local_root(DEMO.as_uri(), CacheLocation(tmp_path)) == DEMO
    assert not remote.is_url(r"C:\runs") and not remote.is_url("C://runs") and remote.is_url("gs://bucket/runs")
    assert not (tmp_path / "remote").exists()
    assert curvescope.read(DEMO.as_uri()).runs == curvescope.read(DEMO).runs


def test_without_a_cache_the_mirror_is_removed_at_exit(memory):
    script = (
        "import fsspec\nfrom curvescope.scale.remote import local_root\n"
        f"fsspec.filesystem('memory').pipe('{memory}/run/metrics.csv', b'step,loss\\n0,1\\n')\n"
        f"root = local_root('memory://{memory}', None)\n"
        "print(root, (root / 'run' / 'metrics.csv').is_file())"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    root, present = done.stdout.split()
    assert present == "True" and not os.path.exists(root)


def test_a_protocol_without_its_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(
        known_implementations,
        "lakefs-test",
        {"class": "no_such_lakefs_package.LakeFileSystem", "err": "Install no_such_lakefs_package"},
    )
    with pytest.raises(RemoteError) as raised:
        curvescope.read("lakefs-test://repo/runs")
    assert str(raised.value) == (
        "lakefs-test://repo/runs: the lakefs-test:// protocol needs a package that is not installed: "
        "pip install no_such_lakefs_package."
    )


def test_an_unknown_protocol_is_a_clear_error():
    with pytest.raises(RemoteError, match=r"^nosuch://runs: no fsspec filesystem is known for the nosuch:// protocol\.$"):
        curvescope.read("nosuch://runs")


@pytest.mark.parametrize("options", ["{not json", "[1, 2]"])
def test_storage_options_must_be_a_json_object(options, monkeypatch, memory):
    monkeypatch.setenv("CURVESCOPE_STORAGE_OPTIONS", options)
    with pytest.raises(InvalidParameterError, match="CURVESCOPE_STORAGE_OPTIONS"):
        curvescope.read(f"memory://{memory}")


def test_a_url_holding_no_logs_is_named_in_the_error(memory, tmp_path):
    fsspec.filesystem("memory").pipe(f"{memory}/notes/readme.txt", b"not a log")
    url = f"memory://{memory}"
    with pytest.raises(curvescope.errors.NoRunsFound, match=rf"^{url}: no training logs found"):
        curvescope.audit(url, cache=tmp_path / "cache", model=False)
    with pytest.raises(curvescope.errors.NoRunsFound, match=rf"^{url}: no training logs found"):
        curvescope.read(url)
