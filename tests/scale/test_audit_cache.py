"""The audit's cache: an unchanged folder is read and judged once; any change is seen."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

import curvescope
from curvescope.audit import load_model
from curvescope.diagnose.learned import LearnedModel
from curvescope.scale import tasks
from tests.scale.conftest import age

read = importlib.import_module("curvescope.assemble.read")  # the package exports the function under the same name


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The runs each audit reads from their files (batches count each of their runs)."""
    seen: list[str] = []
    one, together = read._read_source, read._read_together

    def read_source(source):
        seen.append(source.run)
        return one(source)

    def read_together(batch):
        result = together(batch)
        if result is not None:
            seen.extend(source.run for source in batch)
        return result

    monkeypatch.setattr(read, "_read_source", read_source)
    monkeypatch.setattr(read, "_read_together", read_together)
    return seen


@pytest.fixture
def judged(monkeypatch) -> list[str]:
    """The runs each audit measures and diagnoses."""
    seen: list[str] = []
    judge = tasks.judge

    def counted(reading, settings, **kwargs):
        seen.extend(reading.runs)
        return judge(reading, settings, **kwargs)

    monkeypatch.setattr(tasks, "judge", counted)
    return seen


@pytest.mark.slow
def test_an_unchanged_folder_is_neither_read_nor_judged_again(logs, tmp_path, reads, judged):
    cold = curvescope.audit(logs, cache=tmp_path / "cache")
    assert reads and judged
    reads.clear(), judged.clear()
    warm = curvescope.audit(logs, cache=tmp_path / "cache")
    assert reads == [] and judged == []
    assert warm.to_dict() == cold.to_dict() == curvescope.audit(logs, cache=False).to_dict()


@pytest.mark.slow
def test_a_changed_file_is_read_again_and_only_its_run(logs, tmp_path, reads, judged):
    cache = tmp_path / "cache"
    curvescope.audit(logs, cache=cache)
    reads.clear(), judged.clear()
    changed = next(logs[1].rglob("metrics.csv"))
    changed.write_text(changed.read_text().replace("\n1,", "\n1,9", 1))
    age(changed.parent)
    report = curvescope.audit(logs, cache=cache)
    run = changed.parent.relative_to(logs[1].parent).as_posix()
    assert {r.split(f"{logs[0].parent.as_posix()}/")[-1] for r in reads} == {run}
    assert report.to_dict() == curvescope.audit(logs, cache=False).to_dict()


@pytest.mark.slow
def test_other_settings_judge_again_from_the_cached_scalars(logs, tmp_path, reads, judged):
    cache = tmp_path / "cache"
    first = curvescope.audit(logs, cache=cache)
    reads.clear(), judged.clear()
    for changed in ({"select": ["CS4"]}, {"classes": 10}, {"model": False}, {"roles": {"val_loss": "val_loss"}}):
        expected = curvescope.audit(logs, cache=False, **changed).to_dict()
        reads.clear(), judged.clear()
        report = curvescope.audit(logs, cache=cache, **changed)
        assert judged and reads == [], changed
        assert report.to_dict() == expected
        judged.clear()
    assert curvescope.audit(logs, cache=cache).to_dict() == first.to_dict()
    assert judged == []


@pytest.mark.slow
def test_a_file_rewritten_within_its_clock_tick_is_read_again(logs, tmp_path):
    """A file just written may change again with the same size and time: the cache must not trust it."""
    log = next(logs[0].rglob("metrics.csv"))
    now = time.time()
    os.utime(log, (now, now))
    stamp = log.stat().st_mtime_ns
    curvescope.audit(logs[0], cache=tmp_path / "cache")
    text = log.read_text()
    at = text.rstrip().rfind(",") + 1  # the last cell of the last row, rewritten in place
    log.write_text(text[:at] + ("7" if text[at] != "7" else "8") + text[at + 1 :])
    os.utime(log, ns=(stamp, stamp))
    assert curvescope.audit(logs[0], cache=tmp_path / "cache").to_dict() == curvescope.audit(logs[0], cache=False).to_dict()


@pytest.mark.slow
def test_a_deleted_cache_costs_only_time(logs, tmp_path):
    cache = tmp_path / "cache"
    first = curvescope.audit(logs, cache=cache)
    shutil.rmtree(cache)
    assert curvescope.audit(logs, cache=cache).to_dict() == first.to_dict()
    assert cache.is_dir()


def test_a_damaged_cache_file_is_set_aside_with_a_finding(logs, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache-v1.sqlite").write_bytes(b"not a database at all" * 100)
    report = curvescope.audit(logs[0], cache=cache)
    assert [f.code for f in report.findings if f.code in ("CS016", "CS021")] == ["CS021"]
    assert report.to_dict()["runs"] == curvescope.audit(logs[0], cache=False).to_dict()["runs"]


def test_a_cache_folder_that_is_a_file_is_set_aside_with_a_finding(logs, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    report = curvescope.audit(logs[0], cache=blocked)
    finding = next(f for f in report.findings if f.code == "CS016")
    assert str(blocked) in finding.source and "auditing without it" in finding.message


def test_no_cache_writes_nothing(logs, tmp_path, monkeypatch):
    monkeypatch.setenv("CURVESCOPE_CACHE_DIR", str(tmp_path / "default"))
    curvescope.audit(logs[0], cache=False)
    assert not (tmp_path / "default").exists()
    curvescope.audit(logs[0])
    assert (tmp_path / "default" / "cache-v1.sqlite").is_file()


@pytest.fixture
def model_loads(monkeypatch):
    """Count the model's loads from its file, each taking ``seconds`` longer; the shipped model is forgotten before."""

    def counting(seconds: float) -> list:
        calls = []
        load = LearnedModel.load.__func__
        curvescope.diagnose.learned.shipped_model.cache_clear()

        def counted(cls, path):
            calls.append(path)
            time.sleep(seconds)
            return load(cls, path)

        monkeypatch.setattr(LearnedModel, "load", classmethod(counted))
        return calls

    return counting


@pytest.mark.slow
def test_the_skops_model_is_loaded_once_per_cache(logs, tmp_path, model_loads):
    cache = tmp_path / "cache"
    calls = model_loads(0.0)
    first = curvescope.audit(logs[0], cache=cache)
    curvescope.diagnose.learned.shipped_model.cache_clear()
    second = curvescope.audit(logs[0], cache=cache, select=["CS4"])  # judged anew, with the model from the cache
    assert len(calls) == 1
    assert first.settings["model"] == second.settings["model"] is not None
    curvescope.diagnose.learned.shipped_model.cache_clear()


@pytest.mark.slow
def test_a_model_loaded_ahead_while_an_audit_starts_is_loaded_once(logs, tmp_path, model_loads):
    """As the app's server does: ``load_model`` as it starts, while the first look at a folder starts an audit."""
    cache = tmp_path / "cache"
    calls = model_loads(0.5)  # the audit asks for the model while it loads
    ahead = threading.Thread(target=load_model, kwargs={"cache": cache})
    ahead.start()
    report = curvescope.audit(logs[0], cache=cache)
    ahead.join()
    assert len(calls) == 1
    assert report.settings["model"] is not None
    curvescope.diagnose.learned.shipped_model.cache_clear()


@pytest.mark.slow
def test_the_cli_keeps_its_cache_where_it_is_told(logs, tmp_path):
    cache = tmp_path / "cli-cache"
    command = [sys.executable, "-m", "curvescope", "audit", str(logs[0]), "--format", "json", "--cache", str(cache)]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    again = subprocess.run(command, capture_output=True, text=True, check=True)
    assert (cache / "cache-v1.sqlite").is_file()
    assert json.loads(first.stdout) == json.loads(again.stdout) == curvescope.audit(logs[0], cache=False).to_dict()
    off = subprocess.run([*command[:-2], "--no-cache", "--cache", str(cache)], capture_output=True, text=True)
    assert off.returncode == 2 and off.stderr.strip().endswith("--cache and --no-cache cannot be used together.")
