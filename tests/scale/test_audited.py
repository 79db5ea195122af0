"""An audit's report as it grows (``audit(..., audited=...)``): each one holds the runs before it, the last is the report."""

from __future__ import annotations

import importlib

import pytest

import curvescope
from tests.conftest import FIXTURES
from tests.scale.reports import assert_same

audit_module = importlib.import_module("curvescope.audit")  # the package exports the function under the same name


@pytest.fixture
def small_tasks(monkeypatch):
    """Tasks of one run, then two: the demo is audited in several."""
    monkeypatch.setattr(audit_module, "_FIRST_TASK_RUNS", 1)
    monkeypatch.setattr(audit_module, "_TASK_RUNS", 2)


def test_the_report_grows_task_by_task_to_the_one_audit_returns(small_tasks, tmp_path):
    grown = []
    report = curvescope.audit(FIXTURES / "demo", cache=tmp_path, audited=lambda *told: grown.append(told))
    done = [count for _, count, _ in grown]
    assert done == sorted(done) and done[0] == 0 and done[1] == 1 and len(grown) > 4
    assert {total for _, _, total in grown} == {len(report)}
    for (before, _, _), (after, _, _) in zip(grown, grown[1:]):
        assert {run.run for run in before} < {run.run for run in after}
        assert [run.run for run in after] == sorted(run.run for run in after)
    last, count, total = grown[-1]
    assert count == total
    assert_same(last, report)
    assert_same(report, curvescope.audit(FIXTURES / "demo", cache=False))


def test_runs_from_the_cache_come_at_once(small_tasks, tmp_path):
    curvescope.audit(FIXTURES / "demo", cache=tmp_path)
    grown = []
    report = curvescope.audit(FIXTURES / "demo", cache=tmp_path, audited=lambda *told: grown.append(told))
    assert [(count, total) for _, count, total in grown] == [(len(report), len(report))]
    assert_same(grown[0][0], report)


def test_an_audit_of_a_frame_gives_its_report_once(tmp_path):
    reading = curvescope.read(FIXTURES / "demo" / "keras")
    grown = []
    report = curvescope.audit(reading, audited=lambda *told: grown.append(told))
    assert len(grown) == 1 and grown[0][0] is report and grown[0][1:] == (len(report), len(report))
