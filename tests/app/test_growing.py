"""The app while its audit runs: the overview shows the runs audited so far and how far it got, the other
pages wait with a bar, and the whole report is shown once it is done."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

import curvescope
from tests.app.conftest import assert_clean, copy_runs, page, texts

pytestmark = pytest.mark.slow  # each test runs the app's script, and again after the audit

RUNS = ("keras/wine-mlp-tanh-sgd", "keras/digits-mlp-tanh-sgd", "huggingface/digits-mlp-tanh-sgd")


@pytest.fixture
def held(monkeypatch, tmp_path):
    """A folder of three runs whose audit is held after its first run, until ``release`` is set; its whole report."""
    copy_runs(tmp_path, *RUNS)
    whole = curvescope.audit(tmp_path)
    release = threading.Event()

    def audit(path, *, audited, **options):
        first = replace(whole, runs=whole.runs[:1])
        audited(first, 1, len(whole))
        release.wait(60)
        audited(whole, len(whole), len(whole))
        return whole

    monkeypatch.setattr(curvescope, "audit", audit)
    return tmp_path, whole, release


def overview_runs(at) -> list[str]:
    (frame,) = [table.value for table in at.dataframe if "labels" in table.value.columns]
    return list(frame["run"])


def test_the_overview_shows_the_runs_audited_so_far_then_every_run(start, held):
    folder, whole, release = held
    at = start(folder)
    assert_clean(at)
    assert [bar.text for bar in at.get("progress")] == ["Audited 1 of 3 runs\u2026"]
    assert overview_runs(at) == [whole.runs[0].run]
    assert "Once every run is audited" in texts(at) and not at.get("download_button")
    release.set()
    at.run()
    assert_clean(at)
    assert not at.get("progress")
    assert sorted(overview_runs(at)) == sorted(run.run for run in whole.runs)
    assert len(at.get("download_button")) == 3


def test_the_other_pages_wait_for_the_whole_report(start, held):
    folder, whole, release = held
    at = start(folder)
    threading.Timer(1.0, release.set).start()
    page(at, "run")
    assert_clean(at)
    assert not at.get("progress")
    assert at.selectbox[0].options == sorted(run.run for run in whole.runs)


def test_an_audit_that_fails_is_a_message_on_every_page(start, monkeypatch, tmp_path):
    copy_runs(tmp_path, *RUNS[:1])

    def audit(path, **options):
        raise curvescope.NoRunsFound(f"{path}: no runs here.")

    monkeypatch.setattr(curvescope, "audit", audit)
    at = start(tmp_path)
    assert not at.exception and "no runs here" in at.error[0].value
    assert "no runs here" in page(at, "run").error[0].value
