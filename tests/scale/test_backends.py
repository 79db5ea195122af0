"""Every backend gives the report of the single-process audit, streaming a few tasks at a time."""

from __future__ import annotations

import importlib
import math
import pickle

import numpy as np
import pytest
from distributed import Client, LocalCluster

import curvescope
from curvescope.assemble.curve_store import StoredCurves
from curvescope.scale import backends
from tests.scale.reports import assert_same

audit_module = importlib.import_module("curvescope.audit")  # the package exports the function under the same name


@pytest.fixture
def reference(logs) -> curvescope.Report:
    return curvescope.audit(logs, cache=False)


@pytest.mark.slow
def test_two_processes_give_the_single_process_report(logs, reference):
    assert_same(curvescope.audit(logs, cache=False, jobs=2), reference)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.mark.slow
def test_a_dask_client_gives_the_single_process_report(logs, reference, cluster):
    with Client(cluster) as client:
        assert_same(curvescope.audit(logs, cache=False, scheduler=client), reference)
        assert client.status == "running"  # a client the caller passed stays theirs


@pytest.mark.slow
def test_a_dask_scheduler_address_gives_the_single_process_report(logs, reference, cluster):
    assert_same(curvescope.audit(logs, cache=False, scheduler=cluster.scheduler_address), reference)


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_clear_error(logs):
    with pytest.raises(curvescope.CurvescopeError, match="tcp://127.0.0.1:9: cannot reach the Dask scheduler"):
        curvescope.audit(logs, cache=False, scheduler="tcp://127.0.0.1:9")


@pytest.mark.parametrize("scheduler, jobs", [(3, None), ("tcp://127.0.0.1:9", 2)])
def test_scheduler_arguments_are_checked(logs, scheduler, jobs):
    with pytest.raises(curvescope.InvalidParameterError, match="'scheduler'|'jobs' and 'scheduler'"):
        curvescope.audit(logs, cache=False, scheduler=scheduler, jobs=jobs)


def _counting_tasks(monkeypatch) -> dict[str, int]:
    """Count the tasks an audit has taken from its plan; tasks of two runs, so there are many."""
    monkeypatch.setattr(audit_module, "_TASK_RUNS", 2)
    taken = {"tasks": 0}
    plan = audit_module._tasks

    def counted(groups, workers=1):
        for task in plan(groups, workers):
            taken["tasks"] += 1
            yield task

    monkeypatch.setattr(audit_module, "_tasks", counted)
    return taken


def test_in_process_audit_takes_one_task_at_a_time(logs, monkeypatch):
    taken = _counting_tasks(monkeypatch)
    ahead = []
    run_task = backends.run_task

    def watched(task, settings):
        ahead.append(taken["tasks"] - len(ahead))
        return run_task(task, settings)

    monkeypatch.setattr(backends, "run_task", watched)
    curvescope.audit(logs, cache=False, model=False)
    assert len(ahead) > 10 and max(ahead) == 1


@pytest.mark.slow
def test_worker_processes_are_given_a_bounded_number_of_tasks_ahead(logs, monkeypatch):
    taken = _counting_tasks(monkeypatch)
    ahead = []

    def told(stage, done, total):
        if stage == "auditing":
            ahead.append(taken["tasks"])

    report = curvescope.audit(logs, cache=False, model=False, jobs=2, progress=told)
    total = math.ceil(len({r.run for r in report}) / 2)
    assert taken["tasks"] >= total > 2 * backends.IN_FLIGHT + 2
    # when the first result arrives, at most two workers' worth of tasks (plus the one being handed over) were taken
    assert ahead[1] <= 2 * backends.IN_FLIGHT + 1


def test_a_folder_audit_keeps_verdicts_not_points(logs):
    report = curvescope.audit(logs, cache=False, model=False)
    assert report.reading is None
    assert all(isinstance(run.curves, StoredCurves) for run in report)
    points = sum(len(curve) for run in report for curve in run.curves.values())
    assert points > 50 * len(report)
    assert len(pickle.dumps(report)) < 8 * points  # far less than the 16 bytes a point takes as a step and a value


def test_curves_read_again_equal_those_of_an_audit_in_memory(logs):
    folder = curvescope.audit(logs[1], cache=False, model=False)
    memory = curvescope.audit(curvescope.read(logs[1]), model=False)
    for streamed, held in zip(folder, memory, strict=True):
        assert set(streamed.curves) == set(held.curves)
        for role, curve in held.curves.items():
            np.testing.assert_array_equal(streamed.curves[role].steps, curve.steps)
            np.testing.assert_array_equal(streamed.curves[role].values, curve.values)
        assert _plain(folder.frame(streamed.run)).equals(_plain(memory.frame(held.run)))


def _plain(frame):
    """Rows as values (a run read alone has fewer categories than one read with others)."""
    return frame.astype(object).reset_index(drop=True)
