"""Every run discovery found is in every report, with what was judged and why the rest was not;
only a filter the user asked for hides runs, and every format says how many it hid."""

import io
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import curvescope
from curvescope.report import render
from tests.conftest import FIXTURES

FORMATS = ("table", "json", "csv", "markdown", "html")


def audit_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "curvescope", "audit", *map(str, args), "--no-model", "--no-cache", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def logdir(tmp_path):
    """A three-epoch run (too short to judge), a run whose only file is unreadable, a judged run,
    and an empty CSV beside them."""
    (tmp_path / "short").mkdir()
    (tmp_path / "short" / "training.log").write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,1.0\n2,0.6,1.2\n")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "events.out.tfevents.1700000000.host").write_bytes(b"\x07" * 40)
    shutil.copytree(FIXTURES / "demo" / "keras" / "wine-mlp-tanh-sgd", tmp_path / "judged")
    shutil.copy(FIXTURES / "csv" / "generic" / "empty.csv", tmp_path / "empty.csv")
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_discovered_run_is_in_every_format(logdir, fmt):
    done = audit_cli(logdir, "--format", fmt)
    assert done.returncode == 0, done.stderr
    for run in ("short", "broken", "judged"):
        assert run in done.stdout
    assert "empty.csv" not in {r.run for r in curvescope.audit(logdir, model=False, cache=False)}


@pytest.mark.slow
def test_runs_not_judged_say_why_in_json(logdir):
    report = json.loads(audit_cli(logdir, "--format", "json").stdout)
    runs = {run["run"]: run for run in report["runs"]}
    assert set(runs) == {"short", "broken", "judged"}
    assert runs["short"]["labels"] == [] and "3 points" in runs["short"]["not_judged"]["overfitting"]
    assert runs["broken"]["labels"] == [] and "CS001" in runs["broken"]["not_judged"]["bad_init"]
    assert runs["judged"]["labels"]
    assert report["hidden"] == {"runs": 0, "by": ""}


@pytest.mark.slow
def test_a_label_filter_hides_runs_and_every_format_says_how_many(logdir):
    report = curvescope.audit(logdir, model=False, cache=False)
    asked = "underfitting" if "underfitting" not in report["judged"].labels else "bad_init"
    view = report.filter(labels=[asked])
    assert len(view) == 0 and view.hidden == 3 and asked in view.hidden_by
    for fmt in ("table", "csv", "markdown", "html"):
        assert "3 runs hidden by the filter" in render(view, fmt), fmt
    assert json.loads(render(view, "json"))["hidden"] == {"runs": 3, "by": f"labels {asked}"}
    rows = pd.read_csv(io.StringIO(render(view, "csv")), comment="#")
    assert len(rows) == 0 and "run" in rows.columns
    done = audit_cli(logdir, "--label", asked, "--format", "json")
    assert json.loads(done.stdout)["hidden"]["runs"] == 3


def test_no_filter_asked_hides_nothing(logdir):
    report = curvescope.audit(logdir, model=False, cache=False)
    assert report.filter() is report
    assert report.filter(min_confidence=0.0).hidden == 0 and len(report.filter(min_confidence=0.0)) == 3


def test_a_confidence_filter_counts_the_runs_not_judged_it_hid(logdir):
    view = curvescope.audit(logdir, model=False, cache=False).filter(min_confidence=0.5)
    assert {run.run for run in view} == {"judged"}
    assert view.hidden == 2 and "confidence 50% or more" in view.hidden_by


@pytest.mark.slow
def test_an_empty_csv_beside_runs_is_a_finding_on_its_folder_not_a_run(logdir):
    result = curvescope.read(logdir)
    assert set(result.runs) == {"short", "broken", "judged"}
    [empty] = [f for f in result.findings if f.source == "empty.csv"]
    assert empty.name == "empty-file" and empty.run is None
    assert {f.run for f in result.findings if f.name == "no-loss-curve"} == {"broken"}
