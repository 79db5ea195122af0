"""Range tests written by the real tools (fixtures/lr_range, made by its make.py): each is recognised and
read, the rates sit where the loss shows them, and no training run of the labelled corpora is taken for one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curvescope
from curvescope.findings import Severity
from tests.conftest import FIXTURES

RANGE = FIXTURES / "lr_range"
WRITTEN_BY = {
    "torch-lr-finder/digits-mlp.json": "torch-lr-finder",
    "torch-lr-finder/diabetes-mlp.csv": "torch-lr-finder",
    "lightning/digits-cnn.json": "lightning",
    "lightning/sequences-gru.json": "lightning",
    "fastai/digits-mlp.json": "fastai",
    "fastai/sequences-gru.json": "fastai",
    "tensorboard/digits-cnn": "SummaryWriter",
    "tensorboard/sequences-gru": "SummaryWriter",
    "sweep/digits-mlp/lr_find": "SummaryWriter",
}


@pytest.fixture(scope="module")
def found():
    return curvescope.lr_find(RANGE)


def test_every_tools_test_is_recognised_and_the_sweeps_trainings_are_not(found):
    assert sorted(t.run for t in found) == sorted(WRITTEN_BY)
    sweep = ["sweep/digits-mlp/cyclic", *(f"sweep/digits-mlp/lr={lr}" for lr in ("0.001", "0.01", "0.1", "1"))]
    trainings = [f"gradients/diabetes-mlp-sgd-{lr}" for lr in ("0.0001", "0.05", "0.2")] + sweep
    assert sorted(found.other_runs) == trainings


@pytest.mark.parametrize("name", sorted(WRITTEN_BY))
def test_the_rates_sit_where_the_loss_shows_them(found, name):
    test = found[name]
    assert test.suggested is not None, test.notes
    low, high = test.suggested_range
    assert low <= test.suggested <= high
    assert test.suggested == (test.minimum_over_10 if test.suggested_by == "minimum/10" else test.steepest.value)
    loss, lr = np.array(test.loss), np.array(test.lr)
    at = test.steps.index(test.steepest.step)
    # the loss falls around the steepest point, on the raw values: lower a few steps on than a few steps before
    before, after = loss[max(0, at - 5) : at].mean(), loss[at + 1 : at + 6].mean()
    assert after < before
    assert lr[at] == pytest.approx(test.steepest.value)
    assert test.base_lr.value < test.steepest.value <= test.max_lr.value <= test.minimum.value
    if test.divergence is not None:
        assert test.divergence.value > test.minimum.value
        assert np.nanmax(loss[test.steps.index(test.divergence.step) :]) > np.nanmin(loss)


@pytest.mark.parametrize("name", ["fastai/digits-mlp.json", "fastai/sequences-gru.json"])
def test_the_steepest_rate_agrees_with_fastais_own(found, name):
    """fastai's ``steep`` finds the steepest descent per decade too (on its own smoothed losses)."""
    theirs = json.loads((RANGE / "suggested.json").read_text())[name]
    assert abs(math.log10(found[name].steepest.value) - math.log10(theirs)) < 0.35


def test_an_lr_finder_history_is_read_point_for_point():
    history = json.loads((RANGE / "lightning" / "digits-cnn.json").read_text())
    result = curvescope.read(RANGE / "lightning" / "digits-cnn.json")
    assert result.formats[result.runs[0]] == ("lr_finder_json",)
    assert result.roles[result.runs[0]] == {"train_loss": "loss", "lr": "lr"}
    assert result.curve(result.runs[0], "lr").tolist() == history["lr"]
    assert result.curve(result.runs[0], "train_loss").tolist() == history["loss"]
    assert result.curve(result.runs[0], "lr").index.tolist() == list(range(len(history["lr"])))


def test_a_range_test_of_an_lr_doubled_each_epoch_is_recognised():
    """fixtures/events/lr_range_test: the numpy MLP of make_digits.py, its rate doubled every epoch."""
    found = curvescope.lr_find(FIXTURES / "events")
    assert [t.run for t in found] == ["lr_range_test"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"lr": [1e-5, 1e-4, 1e-3], "loss": [2.3, 2.2]}', "truncated-record"),
        ('{"lr": [1e-5, 1e-4, "x"], "loss": [2.3, 2.2, null]}', "unsupported-value"),
        ('{"lr": [1e-5, 1e-4, 1e-3], "loss": [2.3, 2.2', "unreadable-file"),
        ('{"lr": 3, "loss": [2.3]} {"lr": [', "unreadable-file"),
    ],
)
def test_a_broken_history_is_a_finding_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "history.json"
    path.write_text(text)
    result = curvescope.read(path)
    assert [f.name for f in result.findings if f.source == path.name][:1] == [problem]
    assert curvescope.lr_find(path).tests == ()


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["demo", "corpus", "torch_corpus/runs", "realworld/runs", "formats", "tensorboard", "csv"])
def test_no_training_run_of_the_fixtures_is_taken_for_a_range_test(corpus):
    found = curvescope.lr_find(FIXTURES / corpus)
    assert [t.run for t in found] == []
    assert found.other_runs
    assert not [f for f in found.findings if f.severity is Severity.ERROR and "lr_finder" in f.message]


@settings(max_examples=40, deadline=None)
@given(
    lr=st.lists(st.one_of(st.floats(allow_nan=False), st.none(), st.text(max_size=3), st.booleans()), max_size=30),
    loss=st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.none()), max_size=30),
)
def test_any_history_is_read_without_an_exception_and_no_point_is_made_up(tmp_path_factory, lr, loss):
    path = tmp_path_factory.mktemp("history") / "history.json"
    path.write_text(json.dumps({"lr": lr, "loss": loss}))
    result = curvescope.read(path)
    frame = result.scalars
    shorter = min(len(lr), len(loss))
    for tag, values in (("lr", lr), ("loss", loss)):
        read = frame[frame["tag"] == tag]
        assert read["step"].tolist() == list(range(len(read)))
        assert len(read) in (0, shorter)
        for value, written in zip(read["value"], values, strict=False):
            number = isinstance(written, float | int) and not isinstance(written, bool)
            assert (value == written) if number else math.isnan(value)
    assert ("truncated-record" in [f.name for f in result.findings]) == (len(lr) != len(loss))


def test_a_history_saved_by_a_tool_says_its_loss_was_smoothed_by_the_tool(found):
    from curvescope.lr.find import SMOOTHED_BY_TOOL

    for test in found:
        # the tools' histories saved as JSON; a history saved as CSV is a plain wide CSV, which does not say who wrote it
        by_tool = test.run.endswith(".json")
        assert (SMOOTHED_BY_TOOL in test.notes) == by_tool, test.run
