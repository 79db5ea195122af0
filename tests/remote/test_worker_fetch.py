"""A worker that does not see the mirror made where the audit started fetches its task's files itself."""

from __future__ import annotations

import importlib
import shutil

import curvescope
from curvescope.scale.cache import CacheLocation
from curvescope.scale.tasks import Settings, run_task
from tests.conftest import FIXTURES
from tests.remote.test_remote_memory import DEMO, WINE, upload

audit_module = importlib.import_module("curvescope.audit")


def _tasks(url: str, cache: CacheLocation):
    plan = audit_module._plan([url], cache)
    return plan, list(audit_module._tasks(plan.groups))


def test_a_task_whose_mirror_is_elsewhere_fetches_its_files_and_reports_alike(memory, fetches, tmp_path):
    upload(DEMO, memory)
    url = f"memory://{memory}"
    _, tasks = _tasks(url, CacheLocation(tmp_path / "client"))
    settings = Settings(tuple(curvescope.diagnose.select(None, None)), None)
    here = [run_task(task, settings) for task in tasks]
    shutil.rmtree(tmp_path / "client")  # as on another machine: the mirror is not there
    fetches.clear()
    there = [run_task(task, settings) for task in tasks]
    assert sorted(fetches) == sorted(
        f"{memory}/{path.relative_to(DEMO).as_posix()}" for path in DEMO.rglob("*") if path.is_file()
    )
    for a, b in zip(here, there, strict=True):
        assert [r.to_dict() for r in a.runs] == [r.to_dict() for r in b.runs]
        assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
    assert all(task.origin is not None and task.origin.url == url for task in tasks)


def test_a_task_of_one_file_url_fetches_that_file(memory, fetches, tmp_path):
    upload(DEMO, memory)
    url = f"memory://{memory}/{WINE}"
    _, tasks = _tasks(url, CacheLocation(tmp_path / "client"))
    settings = Settings(tuple(curvescope.diagnose.select(None, None)), None)
    here = run_task(tasks[0], settings)
    shutil.rmtree(tmp_path / "client")
    fetches.clear()
    there = run_task(tasks[0], settings)
    assert fetches == [f"{memory}/{WINE}"]
    assert [r.to_dict() for r in here.runs] == [r.to_dict() for r in there.runs]


def test_a_local_task_is_never_fetched(tmp_path):
    _, tasks = _tasks(str(FIXTURES / "demo"), None)
    assert all(task.origin is None and task.readable() is task for task in tasks)
