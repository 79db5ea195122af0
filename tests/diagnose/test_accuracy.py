"""Accuracy, measured on the labelled corpus's held-out families (datasets and an architecture the
model never saw): the issue's targets, and the shipped model being what the training command makes."""

from __future__ import annotations

import numpy as np
import pytest

from curvescope import evaluate
from curvescope.cli import app
from curvescope.diagnose import LearnedModel
from curvescope.diagnose.learned import shipped_model
from curvescope.features import table
from tests.conftest import FIXTURES, ROOT

CORPUS = FIXTURES / "corpus"


@pytest.fixture(scope="module")
def held_out() -> evaluate.LabelledRuns:
    return evaluate.load(CORPUS, split="test")


@pytest.fixture(scope="module")
def model() -> LearnedModel:
    loaded, findings = shipped_model()
    assert loaded is not None, findings
    return loaded


def _table(scores: evaluate.Scores) -> str:
    return f"\n{scores.per_label.round(3)}\nhealthy false alarms {scores.healthy_false_alarms:.1%}"


# What the shipped model (trained on the train splits of both corpora) reaches on the families it never saw,
# less a small margin: a change that loses accuracy fails here. The targets (``evaluate.TARGETS``) are
# reported by ``curvescope eval`` and in docs/accuracy.md, met or missed; these floors guard what is reached.
FLOORS = {
    "corpus": {"macro_f1": 0.86, "healthy_false_alarms": 0.05, "calibration_error": 0.08},
    "torch_corpus": {"macro_f1": 0.81, "healthy_false_alarms": 0.03, "calibration_error": 0.11},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_combined_diagnosis_holds_its_level_on_held_out_families(name, model):
    scores = evaluate.evaluate(evaluate.load(FIXTURES / name, split="test"), model)["combined"]
    floor = FLOORS[name]
    assert scores.macro_f1 >= floor["macro_f1"], _table(scores)
    assert scores.healthy_false_alarms <= floor["healthy_false_alarms"], _table(scores)
    assert scores.calibration_error <= floor["calibration_error"], scores.reliability


@pytest.mark.slow
def test_on_runs_people_labelled_the_labels_are_theirs(model):
    """The public runs two people labelled apart, on those both were sure of: the issue asks for 0.85."""
    scores = evaluate.evaluate(evaluate.load(FIXTURES / "realworld", split="test"), model)["combined"]
    assert scores.agreement >= 0.90, _table(scores)
    assert scores.healthy_false_alarms <= 0.05, _table(scores)


@pytest.mark.slow
def test_docs_accuracy_shows_the_held_out_tables_as_eval_prints_them():
    """docs/accuracy.md is regenerated from the command, not typed: its tables are the command's output."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["eval", str(CORPUS), "--fractions", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    tables = result.stdout.split("\n", 1)[1].strip()
    assert tables in (ROOT / "docs" / "accuracy.md").read_text(encoding="utf-8"), (
        "docs/accuracy.md differs from `curvescope eval fixtures/corpus --fractions --format markdown`; paste its output"
    )


@pytest.mark.slow
def test_the_combination_is_no_worse_than_either_side_alone(held_out, model):
    results = evaluate.evaluate(held_out, model)
    assert results["combined"].macro_f1 >= results["rules"].macro_f1
    assert results["combined"].macro_f1 >= results["model"].macro_f1 - 0.01


@pytest.mark.slow
def test_without_class_counts_the_diagnosis_stays_close(model):
    """Most users do not pass --classes: the class-blind model must keep the audit useful."""
    blind = evaluate.evaluate(evaluate.load(CORPUS, split="test", use_classes=False), model)["combined"]
    assert blind.macro_f1 >= 0.80, _table(blind)
    assert blind.healthy_false_alarms <= evaluate.TARGETS["healthy_false_alarms"], _table(blind)
    assert blind.per_label.loc["bad_init", "recall"] >= 0.6, _table(blind)


def test_the_shipped_model_never_saw_the_held_out_split(model):
    assert "split train" in model.trained_on


@pytest.mark.slow
def test_the_shipped_model_is_what_the_training_command_makes(held_out, model, tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "model.skops"
    result = CliRunner().invoke(app, ["train", str(CORPUS), "--also", str(FIXTURES / "torch_corpus"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    retrained, _ = LearnedModel.load(out)
    np.testing.assert_allclose(
        retrained.predict_proba(table(held_out.runs.values())).to_numpy(),
        model.predict_proba(table(held_out.runs.values())).to_numpy(),
        rtol=0,
        atol=1e-9,
    )
