"""The evaluation views on hand-made inputs with known answers: calibration, targets, families, pooled
corpora, leaving each family out, a model trained on another corpus, runs cut short, the Markdown tables."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from curvescope import evaluate
from curvescope.cli import app
from curvescope.diagnose import HEALTHY, LABELS, PROBLEMS, diagnose, select
from curvescope.evaluation import render, run_length, views
from curvescope.evaluation.calibration import calibration_error, reliability
from tests.diagnose import curves as c

SHAPES = {
    "healthy": lambda s: c.healthy(s, lr="warmup_cosine"),
    "bad_init": c.first_loss_far_above_chance,
    "lr_too_high": c.explodes,
    "decay_too_early": c.cut_while_improving,
    "overfitting": c.val_loss_u_shape,
    "underfitting": c.barely_falls,
}
FAMILIES = ("moons-mlp", "iris-mlp", "wine-linear")
RUNS = {
    f"{family}/r{i}{j}": (build(i), label)
    for family in FAMILIES
    for i in range(2)
    for j, (label, build) in enumerate(SHAPES.items())
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return evaluate.load(c.write_corpus(tmp_path_factory.mktemp("corpus"), RUNS))


# --- calibration ----------------------------------------------------------------------------------


def test_the_reliability_table_and_calibration_error_of_ten_predictions():
    confidence = [0.95, 0.95, 1.0, 0.85, 0.85, 0.85, 0.55, 0.55, 0.15, 0.15]
    correct = [True, True, True, True, False, True, False, True, False, False]
    table = reliability(confidence, correct)
    assert list(table.index) == [f"{b / 10:.1f}-{(b + 1) / 10:.1f}" for b in range(10)]
    assert table["count"].tolist() == [0, 2, 0, 0, 0, 2, 0, 0, 3, 3]
    assert table.loc["0.9-1.0", "confidence"] == pytest.approx(2.9 / 3)
    assert table.loc["0.8-0.9", "accuracy"] == pytest.approx(2 / 3)
    assert table.loc["0.1-0.2", "accuracy"] == 0.0 and math.isnan(table.loc["0.3-0.4", "accuracy"])
    # |1 - 0.9667| * 3 + |0.6667 - 0.85| * 3 + |0.5 - 0.55| * 2 + |0 - 0.15| * 2, over 10
    assert calibration_error(table) == pytest.approx((0.1 + 0.55 + 0.1 + 0.3) / 10)


def test_a_calibration_error_without_predictions_is_unknown():
    assert math.isnan(calibration_error(reliability([], [])))


# --- targets --------------------------------------------------------------------------------------


def _two_runs_per_label_one_false_alarm() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Twelve runs, two per label, all judged right with confidence 1 but one healthy run called overfitting."""
    runs = [f"{label}-{i}" for label in LABELS for i in range(2)]
    truth = pd.DataFrame({label: [run.startswith(label + "-") for run in runs] for label in LABELS}, index=runs)
    predicted = truth.copy()
    predicted.loc["healthy-1", [HEALTHY, "overfitting"]] = [False, True]
    primary = truth.idxmax(axis=1).where(truth.index != "healthy-1", "overfitting")
    confidences = {evaluate.confidence_of(label): predicted[label].astype(float) for label in LABELS}
    return truth, predicted.assign(primary=primary, confidence=1.0, **confidences)


def test_the_targets_say_which_are_met_and_by_how_much_the_others_are_missed():
    scores = evaluate.score(*_two_runs_per_label_one_false_alarm())
    targets = scores.targets()
    # F1: overfitting 2/3 precision -> 0.8; healthy 1/2 recall -> 2/3; the other four 1
    assert scores.macro_f1 == pytest.approx((4 + 0.8 + 2 / 3) / 6)
    assert targets.loc["macro-F1", "met"]
    assert targets.loc["recall healthy", "missed_by"] == pytest.approx(0.35)
    assert targets.loc["healthy false alarms", "value"] == 0.5
    assert targets.loc["healthy false alarms", "missed_by"] == pytest.approx(0.45)
    assert scores.calibration_error == pytest.approx(1 / 12)  # twelve at confidence 1, eleven right
    assert targets.loc["calibration error", "missed_by"] == pytest.approx(1 / 12 - 0.05)
    assert "missed: recall healthy 0.500 (target >= 0.85, no, by 0.350)" in render.scores({"combined": scores}, heading="")
    assert scores.label_calibration_errors["overfitting"] == pytest.approx(1 / 12)
    assert sorted(targets.index[~targets["met"]]) == ["calibration error", "healthy false alarms", "recall healthy"]
    assert not scores.meets_targets()


def test_a_target_without_runs_to_measure_it_on_is_said_unmeasured():
    truth, predicted = _two_runs_per_label_one_false_alarm()
    problems = [run for run in truth.index if not run.startswith("healthy")]
    scores = evaluate.score(truth.loc[problems], predicted.loc[problems])
    assert math.isnan(scores.healthy_false_alarms) and not scores.targets().loc["healthy false alarms", "met"]
    assert "healthy false alarms nan (target <= 0.05, not measured: no runs)" in render.scores({"rules": scores}, heading="")


def test_the_markdown_tables_show_the_figures_and_the_targets_missed():
    text = render.scores(
        {"combined": evaluate.score(*_two_runs_per_label_one_false_alarm())}, heading="Twelve runs", markdown=True
    )
    assert "| macro-F1 | 0.911 |" in text
    assert "| healthy false alarms | 50.0% |" in text
    assert "| target | reached | goal | met |" in text
    assert "| healthy false alarms | 0.500 | <= 0.05 | no, by 0.450 |" in text
    assert "| recall bad_init | 1.000 | >= 0.85 | yes |" in text
    assert "| confidence bin | runs | mean confidence | accuracy |" in text
    assert "| 0.9-1.0 | 12 | 1.000 | 0.917 |" in text
    assert all(line.count("|") >= 3 for line in text.splitlines() if line.startswith("|"))


# --- confidences ----------------------------------------------------------------------------------


def test_each_label_confidence_is_the_one_its_verdict_carries(corpus):
    """The confidences eval reads for every label agree with the audit's verdicts where a label is given,
    and stay below the threshold where neither a rule nor the model spoke for it."""
    model = c.light_model()
    predicted = evaluate.predict(corpus, "combined", model)
    for d in diagnose(corpus.runs.values(), select(), model):
        row = predicted.loc[d.run]
        assert row[evaluate.CONFIDENCE] == pytest.approx(d.confidence)
        for verdict in d.verdicts:
            assert row[evaluate.confidence_of(verdict.label)] == pytest.approx(verdict.confidence), (d.run, verdict.label)
        for label in PROBLEMS:
            if not any(diagnosis.label == label for diagnosis in d.diagnoses):
                assert row[evaluate.confidence_of(label)] < 0.5, (d.run, label)
        if d.labels == (HEALTHY,):
            assert row[evaluate.confidence_of(HEALTHY)] == pytest.approx(d.confidence)


# --- families and pooled corpora ------------------------------------------------------------------


def test_a_family_is_the_manifest_s_or_the_run_name_s_first_part(corpus):
    assert views.families(corpus).value_counts().to_dict() == dict.fromkeys(FAMILIES, 12)
    named = corpus.manifest.assign(family=["wine-linear" if run.startswith("iris") else "" for run in corpus.manifest["run"]])
    families = views.families(evaluate.LabelledRuns(corpus.runs, corpus.truth, named, corpus.scalars))
    assert families.value_counts().to_dict() == {"wine-linear": 24, "moons-mlp": 12}


def test_pooled_corpora_keep_runs_of_the_same_name_apart(corpus):
    pooled = views.pool([("numpy", corpus), ("torch", corpus)])
    assert len(pooled.truth) == 72 and pooled.truth.index.is_unique
    assert {"numpy/moons-mlp/r00", "torch/moons-mlp/r00"} <= set(pooled.runs)
    assert pooled.runs["torch/iris-mlp/r01"].run == "torch/iris-mlp/r01"
    assert set(pooled.scalars["run"]) == set(pooled.truth.index)
    assert views.families(pooled).value_counts().to_dict() == dict.fromkeys(FAMILIES, 24)
    assert pooled.truth.sum().to_dict() == dict.fromkeys(LABELS, 12)


# --- leaving one family out, training on another corpus ---------------------------------------------


@pytest.fixture
def fits(monkeypatch):
    """Every fit's training runs and class-blind choice; each fit gives the light model."""
    seen = []

    def light_fit(table, truth, **options):
        seen.append((set(truth.index), set(table.index), options["class_blind"]))
        return c.light_model()

    monkeypatch.setattr(views, "fit", light_fit)
    monkeypatch.setattr(evaluate, "fit", light_fit)
    return seen


def test_each_family_is_judged_by_a_model_that_never_saw_it(corpus, fits):
    results = views.leave_one_family_out(corpus)
    family = views.families(corpus)
    assert len(fits) == len(FAMILIES)
    for trained, features, _ in fits:
        assert trained == features
        left_out = set(corpus.truth.index) - trained
        assert len(set(family[list(left_out)])) == 1 and len(left_out) == 12
    assert {frozenset(corpus.truth.index) - trained for trained, _, _ in fits} == {
        frozenset(family.index[family == name]) for name in FAMILIES
    }
    for mode in evaluate.MODES:
        assert results[mode].per_label.loc["macro", "support"] == len(corpus.truth)
    assert results["combined"].confusion.to_numpy().sum() == len(corpus.truth)


def test_leaving_one_family_out_needs_two(corpus, fits):
    one = views.subset(corpus, [run for run in corpus.truth.index if run.startswith("iris")])
    with pytest.raises(evaluate.InvalidParameterError, match="two families"):
        views.leave_one_family_out(one)


def test_a_model_for_another_corpus_trains_on_the_first_only(corpus, fits):
    train_on = views.subset(corpus, [run for run in corpus.truth.index if not run.startswith("wine")])
    test = views.subset(corpus, [run for run in corpus.truth.index if run.startswith("wine")])
    views.cross_corpus(train_on, test)
    assert fits == [(set(train_on.truth.index), set(train_on.truth.index), views.needs_class_blind(test))]


def test_the_class_blind_model_is_fitted_only_where_a_chance_level_is_unknown(corpus):
    unknown = replace(corpus, runs={name: _with_chance(run, math.nan) for name, run in corpus.runs.items()})
    known = replace(corpus, runs={name: _with_chance(run, 1.2) for name, run in corpus.runs.items()})
    one_unknown = replace(known, runs={**known.runs, "iris-mlp/r01": unknown.runs["iris-mlp/r01"]})
    assert views.needs_class_blind(unknown) and views.needs_class_blind(one_unknown)
    assert not views.needs_class_blind(known)


def _with_chance(run, ratio: float):
    return replace(run, values={**run.values, "initial_loss_vs_chance": ratio})


# --- runs cut short -------------------------------------------------------------------------------


def test_cutting_keeps_each_run_s_rows_up_to_its_fraction():
    scalars = pd.DataFrame(
        {"run": ["a"] * 11 + ["b"] * 5, "step": [*range(0, 101, 10), *range(10, 51, 10)], "value": 1.0, "role": "train_loss"}
    )
    cut = run_length.cut(scalars, 0.5)
    assert cut[cut["run"] == "a"]["step"].tolist() == [0, 10, 20, 30, 40, 50]
    assert cut[cut["run"] == "b"]["step"].tolist() == [10, 20, 30]  # 10 + 0.5 * (50 - 10)


def test_runs_cut_short_are_measured_from_their_first_points(corpus):
    quarter = run_length.measured_at(corpus, 0.25)
    assert {run.values["points"] for run in quarter.runs.values()} == {100.0}  # steps 0..99 of 0..399
    assert {run.values["points"] for run in corpus.runs.values()} == {400.0}


def test_a_label_stays_when_the_final_primary_label_is_the_halfway_one():
    halfway = pd.Series(["overfitting", "overfitting", "healthy", "healthy", "lr_too_high"], index=list("abcde"))
    final = pd.Series(["lr_too_high", "overfitting", "overfitting", "healthy", "overfitting"], index=list("edcba"))
    stays = run_length.label_stays(halfway, final)
    assert stays.loc["overfitting"].tolist() == [2, 0.5]  # a ends overfitting, b healthy
    assert stays.loc["healthy"].tolist() == [2, 0.0]
    assert stays.loc["lr_too_high"].tolist() == [1, 1.0]
    assert stays.loc["bad_init", "runs"] == 0 and math.isnan(stays.loc["bad_init", "stays"])


def test_the_run_length_view_at_the_whole_run_is_the_plain_evaluation(corpus):
    model = c.light_model()
    view = run_length.run_length(corpus, model)
    assert list(view.scores) == [0.25, 0.5, 0.75, 1.0]
    whole = evaluate.evaluate(corpus, model)["combined"]
    pd.testing.assert_series_equal(view.recall()[1.0], whole.per_label.loc[list(LABELS), "recall"], check_names=False)
    assert view.stays["runs"].sum() == len(corpus.truth)


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def written(tmp_path):
    return c.write_corpus(tmp_path / "corpus", RUNS)


def test_eval_leaves_each_family_out_and_prints_markdown(written, fits):
    result = CliRunner().invoke(app, ["eval", str(written), "--leave-one-family-out", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert len(fits) == len(FAMILIES)
    assert result.stdout.startswith(f"36 labelled runs of corpus (split: all), each of {len(FAMILIES)} families judged")
    assert "|  | rules alone | model alone | combined |" in result.stdout
    assert "| **macro** |" in result.stdout and "| calibration error |" in result.stdout


def test_eval_trains_on_another_corpus_and_cuts_runs_short(written, tmp_path, fits):
    other = c.write_corpus(tmp_path / "other", {name: RUNS[name] for name in list(RUNS)[:12]}, split="test")
    result = CliRunner().invoke(app, ["eval", str(other), "--train-on", str(written), "--train-split", "all", "--fractions"])
    assert result.exit_code == 0, result.output
    assert len(fits) == 1 and len(fits[0][0]) == 36
    assert result.stdout.startswith(
        "12 labelled runs of other (split: all), model trained on corpus (split: all, 36 runs, seed 0)"
    )
    assert "label at 50% stays" in result.stdout
    assert result.stdout.count("targets met:") == 3


@pytest.mark.parametrize(
    "options, said",
    [
        (["--also", "x"], "--also"),
        (["--model", "m.skops", "--leave-one-family-out"], "choose one"),
        (["--leave-one-family-out", "--fractions"], "--fractions"),
        (["--format", "html"], "--format"),
    ],
)
def test_eval_refuses_options_that_do_not_go_together(written, options, said):
    result = CliRunner().invoke(app, ["eval", str(written), *options])
    assert result.exit_code == 2 and said in result.stderr, result.output


def _copied(labels: pd.DataFrame, families: tuple[str, ...], root, *, beside: bool):
    """Those families of the bundled corpus as a corpus of their own: their logs under ``runs/`` (or beside
    labels.csv) and their rows of labels.csv."""
    import shutil

    from tests.conftest import FIXTURES

    chosen = labels[labels["run"].str.startswith(tuple(f"{family}/" for family in families))]
    for run in chosen["run"]:
        shutil.copytree(FIXTURES / "corpus" / "runs" / run, root / ("" if beside else "runs") / run)
    return chosen


def _supports(output: str) -> dict[str, int]:
    combined = output.split("== combined ==", 1)[1]
    return {
        label: int(next(line.split() for line in combined.splitlines() if line.startswith(label + " "))[4]) for label in LABELS
    }


@pytest.mark.slow
def test_eval_across_corpora_both_ways_with_real_training(tmp_path):
    """Two corpora of different runs and layouts (iris and wine nets under runs/ with a split column; two
    tanh-net families beside labels.csv with a family column and no split), each judged by a model trained
    on the other."""
    from tests.conftest import FIXTURES

    labels = pd.read_csv(FIXTURES / "corpus" / "labels.csv", dtype="str", keep_default_na=False)
    a, b = tmp_path / "small_a", tmp_path / "small_b"
    in_a = _copied(labels, ("iris-mlp", "iris-linear", "wine-mlp", "wine-linear"), a, beside=False)
    in_a[["run", "label", "classes", "split"]].to_csv(a / "labels.csv", index=False)
    in_b = _copied(labels, ("breast_cancer-mlp-tanh", "gaussian_quantiles-mlp-tanh"), b, beside=True)
    in_b[["run", "label", "classes"]].assign(family="tanh nets").to_csv(b / "labels.csv", index=False)
    for test, train, options, trained in ((b, a, [], in_a), (a, b, ["--train-split", "all"], in_b)):
        result = CliRunner().invoke(app, ["eval", str(test), "--train-on", str(train), *options])
        assert result.exit_code == 0, result.output
        tested = in_b if test == b else in_a
        split = "train" if train == a else "all"
        heading = f"{len(tested)} labelled runs of {test.name} (split: all), "
        assert result.stdout.startswith(heading + f"model trained on {train.name} (split: {split}, {len(trained)} runs")
        assert _supports(result.stdout) == {label: int((tested["label"] == label).sum()) for label in LABELS}
        assert np.isfinite(float(result.stdout.split("== combined ==", 1)[1].split("calibration error ", 1)[1].split()[0]))


def test_agreement_is_the_share_of_runs_given_exactly_their_labels():
    runs = pd.Index(["a", "b", "c", "d"], name="run")
    truth = pd.DataFrame(False, index=runs, columns=list(LABELS))
    truth.loc["a", "healthy"] = truth.loc["b", "overfitting"] = truth.loc["c", "overfitting"] = True
    truth.loc["d", ["overfitting", "lr_too_high"]] = True
    given = truth.copy()
    given.loc["c", "underfitting"] = True  # one label too many
    given.loc["d", "lr_too_high"] = False  # one label too few
    predicted = given.assign(primary=truth.idxmax(axis=1), **{evaluate.CONFIDENCE: 0.9})
    for label in LABELS:
        predicted[evaluate.confidence_of(label)] = given[label].astype(float)
    assert evaluate.score(truth, predicted).agreement == 0.5
