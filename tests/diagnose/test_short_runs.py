"""Short runs (a few epochs) are judged on what they show: a validation loss that turned up and
stayed up while training fell is overfitting evidence; too few points still say why not."""

import shutil

import pytest

import curvescope
from curvescope.diagnose.combine import UNCHECKED_HEALTHY
from tests.conftest import FIXTURES

SHORT = FIXTURES / "short"


def audit(path):
    return curvescope.audit(path, model=False, cache=False)


def codes(run):
    return {d.code for d in run.diagnosis.diagnoses}


def val_losses(path):
    rows = path.read_text().splitlines()[1:]
    return [float(row.split(",")[-1]) for row in rows]


def test_a_short_run_whose_validation_turned_up_is_overfitting_evidence():
    run = audit(SHORT)["memorises"]
    values = val_losses(SHORT / "memorises" / "training.log")
    best = values.index(min(values))
    assert len(values) < 10 and 2 <= len(values) - 1 - best
    assert "overfitting" not in run.diagnosis.not_judged
    [found] = [d for d in run.diagnosis.diagnoses if d.code == "CS401"]
    [evidence] = [e for e in found.evidence if e.kind == "best_step"]
    assert evidence.end_step == best and evidence.value == pytest.approx(values[best], rel=1e-5)
    assert run.labels == ("overfitting",)


def test_a_short_run_still_learning_is_judged_and_not_overfitting():
    run = audit(SHORT)["learning"]
    assert "overfitting" not in run.diagnosis.not_judged and "CS401" not in codes(run)
    assert run.labels == ("healthy",)


def test_one_point_above_the_best_is_not_enough_on_a_short_run(tmp_path):
    lines = (SHORT / "memorises" / "training.log").read_text().splitlines()
    values = val_losses(SHORT / "memorises" / "training.log")
    best = values.index(min(values))
    (tmp_path / "stopped").mkdir()
    (tmp_path / "stopped" / "training.log").write_text("\n".join(lines[: best + 3]) + "\n")  # the best, then one epoch
    run = audit(tmp_path)["stopped"]
    assert "overfitting" not in run.diagnosis.not_judged and "CS401" not in codes(run)


def test_three_epochs_are_too_few_and_the_report_says_why(tmp_path):
    shutil.copytree(FIXTURES / "csv" / "keras", tmp_path / "three")
    run = audit(tmp_path)["three"]
    # its loss fell at each of its three epochs: healthy, no surer than a run whose checks were not all made
    assert run.labels == ("healthy",) and run.confidence == UNCHECKED_HEALTHY
    assert "3 points of a validation curve (at least 4 are needed)" in run.diagnosis.not_judged["overfitting"]
