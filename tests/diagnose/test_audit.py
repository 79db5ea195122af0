"""``curvescope.audit``: one report per run read, the same from a path, a frame or a ReadResult."""

from __future__ import annotations

import json
import math
import pickle
from numbers import Real

import numpy as np
import pandas as pd
import pytest

import curvescope
from curvescope import InvalidParameterError, Report, RunReport
from curvescope.diagnose import PROBLEMS, Interval, Rule, RuleFailure, register
from curvescope.diagnose import registry as registry_module
from curvescope.diagnose.combine import UNCHECKED_HEALTHY
from curvescope.report import NUMBERS, SCHEMA_VERSION
from tests.conftest import FIXTURES
from tests.diagnose import curves as c

DEMO = FIXTURES / "demo"


@pytest.fixture(scope="module")
def demo() -> Report:
    return curvescope.audit(DEMO, model=False)


@pytest.fixture(scope="module")
def planted() -> Report:
    runs = {
        "healthy": c.healthy(),
        "blows-up": c.diverges_to_nan(),
        "overfits": c.val_loss_u_shape(),
        "cut-early": c.cut_while_improving(),
        "creeps": c.barely_falls(),
        "flat-start": c.flat_start_then_drop(),
    }
    return curvescope.audit(c.frame(runs), model=False)


@pytest.fixture
def registry():
    saved = dict(registry_module._RULES)
    yield
    registry_module._RULES.clear()
    registry_module._RULES.update(saved)


def _labels(report: Report) -> dict[str, tuple[str, ...]]:
    return {run.run: run.labels for run in report}


def _codes(report: Report) -> dict[str, list[tuple[str, float]]]:
    return {run.run: [(d.code, round(d.confidence, 6)) for d in run.diagnosis.diagnoses] for run in report}


# --- the report -----------------------------------------------------------------------------------


def test_one_run_report_per_run_read(demo):
    assert isinstance(demo, Report)
    assert [run.run for run in demo] == list(curvescope.read(DEMO).runs)
    assert all(isinstance(run, RunReport) for run in demo)
    assert len(demo) == len(demo.runs)
    assert demo[demo.runs[0].run] is demo.runs[0]


def test_unknown_run_is_a_key_error_listing_runs(demo):
    with pytest.raises(KeyError, match="no run named"):
        demo["not/a/run"]


def test_every_run_is_labelled_or_says_why_not(demo, planted):
    for report in (demo, planted):
        for run in report:
            assert run.labels or set(run.diagnosis.not_judged) == set(PROBLEMS)
            assert set(run.labels) <= {*PROBLEMS, "healthy"}
            assert ("healthy" in run.labels) == (run.labels == ("healthy",))
            assert 0.0 <= run.confidence <= 1.0
            assert run.primary_label == (run.labels[0] if run.labels else None)


def test_to_frame_has_one_row_per_run_with_the_documented_columns(planted):
    frame = planted.to_frame()
    assert list(frame["run"]) == [run.run for run in planted]
    for column in ("run", "labels", "primary_label", "confidence", "driver", "fix", *NUMBERS, "findings"):
        assert column in frame.columns, column
    assert all(isinstance(labels, list) for labels in frame["labels"])
    row = frame.set_index("run").loc["overfits"]
    assert row["labels"] == ["overfitting"] and row["primary_label"] == "overfitting"
    assert row["driver"] == "rules"
    assert row["best_val_step"] == planted["overfits"].numbers["best_val_step"]
    assert row["final_train_loss"] == pytest.approx(c.val_loss_u_shape()[c.TRAIN_LOSS][1][-1])
    assert row["final_val_loss"] == pytest.approx(c.val_loss_u_shape()[c.VAL_LOSS][1][-1])


def test_a_run_with_nothing_wrong_is_labelled_healthy(planted):
    frame = planted.to_frame().set_index("run")
    assert frame.loc["healthy", "labels"] == ["healthy"]
    assert frame.loc["healthy", "primary_label"] == "healthy"
    assert frame.loc["healthy", "confidence"] == pytest.approx(1.0)
    assert planted["healthy"].fix is None
    assert planted["healthy"].diagnosis.verdicts == ()


def test_key_numbers_are_read_off_the_curves(planted):
    curves = c.val_loss_u_shape()
    numbers = planted["overfits"].numbers
    val_steps, val = curves[c.VAL_LOSS]
    assert numbers["best_val_step"] == int(val_steps[np.argmin(val)])
    assert numbers["best_val_loss"] == pytest.approx(val.min())
    assert numbers["last_step"] == int(curves[c.TRAIN_LOSS][0][-1])
    assert planted["blows-up"].numbers["final_train_loss"] == pytest.approx(
        c.diverges_to_nan()[c.TRAIN_LOSS][1][np.isfinite(c.diverges_to_nan()[c.TRAIN_LOSS][1])][-1]
    )


def test_to_dict_is_strict_json_with_a_schema_version(demo, planted):
    for report in (demo, planted):
        d = report.to_dict()
        text = json.dumps(d, allow_nan=False)
        assert json.loads(text)["schema_version"] == SCHEMA_VERSION
        assert isinstance(d["schema_version"], int)
        assert [run["run"] for run in d["runs"]] == [run.run for run in report]
        assert d["counts"] == report.counts()


def test_to_dict_of_a_run_says_what_was_found(planted):
    run = planted.to_dict()["runs"][[r.run for r in planted].index("blows-up")]
    assert run["labels"] == ["lr_too_high"] and run["primary_label"] == "lr_too_high"
    assert [d["code"] for d in run["diagnoses"]] == ["CS201"]
    assert run["verdicts"][0]["driver"] == "rules"
    assert run["not_judged"].keys() == {"overfitting"}
    assert run["rule_failures"] == []


def test_counts_add_up_over_runs(planted):
    assert sum(planted.counts().values()) == sum(len(run.labels) for run in planted)


def test_settings_record_rules_and_their_parameters(planted):
    assert planted.settings["rules"] == list(curvescope.diagnose.rules())
    assert set(planted.settings["parameters"]) == set(planted.settings["rules"])
    assert planted.settings["model"] is None
    assert planted.settings["curvescope"] == curvescope.__version__


def test_report_pickles(planted):
    again = pickle.loads(pickle.dumps(planted))
    assert again.to_dict() == planted.to_dict()


def test_evidence_steps_lie_inside_the_run(demo, planted):
    for report in (demo, planted):
        for run in report:
            steps = report.frame(run.run)["step"]
            for verdict in run.diagnosis.verdicts:
                for item in verdict.evidence:
                    for step in (item.start_step, item.end_step):
                        assert step is None or steps.min() <= step <= steps.max(), (run.run, item)


# --- sources --------------------------------------------------------------------------------------


def test_audit_of_a_read_result_equals_the_audit_of_the_path(demo):
    assert curvescope.audit(curvescope.read(DEMO), model=False).to_dict() == demo.to_dict()


def test_audit_of_a_frame_equals_the_audit_of_the_path(demo):
    scalars = curvescope.read(DEMO).scalars[["run", "tag", "step", "wall_time", "value"]]
    from_frame = curvescope.audit(pd.DataFrame(scalars), model=False)
    assert _labels(from_frame) == _labels(demo)
    assert _codes(from_frame) == _codes(demo)


def test_audit_of_a_string_path_equals_a_path_object(demo):
    assert _labels(curvescope.audit(str(DEMO), model=False)) == _labels(demo)


def test_runs_of_one_frame_are_judged_independently(planted):
    alone = curvescope.audit(c.frame({"overfits": c.val_loss_u_shape()}), model=False)
    assert alone["overfits"].labels == planted["overfits"].labels
    assert _codes(alone)["overfits"] == _codes(planted)["overfits"]


# --- what cannot be judged ------------------------------------------------------------------------


def test_training_loss_only_leaves_overfitting_not_judged_for_want_of_validation():
    curves = {c.TRAIN_LOSS: c.healthy()[c.TRAIN_LOSS]}
    run = curvescope.audit(c.frame({"run": curves}), model=False)["run"]
    assert set(run.diagnosis.not_judged) == {"overfitting"}
    assert "validation" in run.diagnosis.not_judged["overfitting"]
    assert run.labels == ("healthy",)
    assert run.diagnosis.verdict("overfitting") is None


def test_a_run_without_any_loss_gets_no_label_at_all():
    steps = np.arange(50)
    curves = {c.TRAIN_ACC: (steps, np.linspace(0.1, 0.9, 50)), c.LR: (steps, np.full(50, 0.1))}
    report = curvescope.audit(c.frame({"no-loss": curves, "healthy": c.healthy()}), model=False)
    run = report["no-loss"]
    assert run.labels == () and run.primary_label is None
    assert set(run.diagnosis.not_judged) == set(PROBLEMS)
    assert "CS005" in {f.code for f in run.findings}
    row = report.to_frame().set_index("run").loc["no-loss"]
    assert row["labels"] == [] and pd.isna(row["primary_label"])
    d = report.to_dict()["runs"][[r.run for r in report].index("no-loss")]
    assert d["labels"] == [] and d["primary_label"] is None
    assert report["healthy"].labels == ("healthy",)


def test_non_finite_values_are_evidence_not_errors(planted):
    assert "CS004" in {f.code for f in planted["blows-up"].findings}
    assert planted["blows-up"].labels == ("lr_too_high",)


# --- rule failures --------------------------------------------------------------------------------


class _Exploding(Rule):
    """Raises on every run.

    What it detects:
    Nothing: it exists to crash.

    Why it matters:
    One rule's bug must not cost the other diagnoses.

    Example:
    Any run.

    What to try:
    Fix the rule.
    """

    code, name, label = "CS199", "planted-crash", "bad_init"
    _parameter_constraints = {"limit": [Interval(Real, 0.0, None)]}

    def __init__(self, limit: float = 1.0):
        self.limit = limit

    def check(self, context):
        raise ZeroDivisionError("planted failure")


def test_a_rule_that_raises_becomes_a_rule_failure(registry, planted):
    register(_Exploding)
    report = curvescope.audit(c.frame({"overfits": c.val_loss_u_shape()}), model=False)
    run = report["overfits"]
    assert run.diagnosis.failures == (RuleFailure("CS199", "overfits", "ZeroDivisionError: planted failure"),)
    assert run.labels == planted["overfits"].labels, "the other rules still judged the run"
    assert report.to_dict()["runs"][0]["rule_failures"] == [
        {"code": "CS199", "run": "overfits", "reason": "ZeroDivisionError: planted failure"}
    ]


def test_strict_reraises_a_rule_failure(registry):
    register(_Exploding)
    with pytest.raises(ZeroDivisionError, match="planted failure"):
        curvescope.audit(c.frame({"run": c.healthy()}), model=False, strict=True)


def test_a_failing_rule_can_be_ignored(registry):
    register(_Exploding)
    report = curvescope.audit(c.frame({"run": c.healthy()}), model=False, ignore=["CS199"], strict=True)
    assert report["run"].diagnosis.failures == ()


# --- selection through audit ----------------------------------------------------------------------


def test_select_and_ignore_reach_the_rules(planted):
    frame = c.frame({"overfits": c.val_loss_u_shape(), "blows-up": c.diverges_to_nan()})
    only_overfitting = curvescope.audit(frame, model=False, select=["CS4"])
    assert all(code.startswith("CS4") for code in only_overfitting.settings["rules"])
    assert only_overfitting["overfits"].labels == ("overfitting",)
    assert only_overfitting["blows-up"].labels == ("healthy",)
    without = curvescope.audit(frame, model=False, ignore=["CS401"])
    assert "CS401" not in without.settings["rules"]
    assert "CS401" not in {d.code for d in without["overfits"].diagnosis.diagnoses}


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("classes", [0, 1, -3, 2.5, True, "10", math.nan])
def test_bad_classes_is_an_invalid_parameter(classes):
    with pytest.raises(InvalidParameterError, match="'classes'"):
        curvescope.audit(c.frame({"run": c.healthy()}), model=False, classes=classes)


@pytest.mark.parametrize("source", [42, None, object(), b"fixtures/demo"])
def test_bad_source_type_is_an_invalid_parameter(source):
    with pytest.raises(InvalidParameterError, match="'source'"):
        curvescope.audit(source, model=False)


@pytest.mark.parametrize("option, value", [("select", ["CS9"]), ("select", ["XY"]), ("ignore", ["CS6"])])
def test_bad_selection_is_an_invalid_parameter(option, value):
    with pytest.raises(InvalidParameterError, match=f"'{option}'"):
        curvescope.audit(DEMO, model=False, **{option: value})


def test_missing_logdir_is_an_error_naming_it(tmp_path):
    with pytest.raises(curvescope.LogdirNotFound):
        curvescope.audit(tmp_path / "nope", model=False)


def test_frame_without_a_value_column_is_a_schema_error():
    with pytest.raises(curvescope.SchemaError, match="'value'"):
        curvescope.audit(c.frame({"run": c.healthy()}).drop(columns="value"), model=False)


def test_classes_reach_the_first_loss_check():
    curves = {tag: curve for tag, curve in c.first_loss_far_above_chance().items() if tag != c.TRAIN_ACC}
    frame = c.frame({"run": curves})
    unknown, given = curvescope.audit(frame, model=False), curvescope.audit(frame, model=False, classes=10)
    assert math.isnan(unknown["run"].features["initial_loss_vs_chance"]), "no accuracy, no classes: no chance level"
    assert given["run"].features["initial_loss_vs_chance"] == pytest.approx(10.0)  # planted: 10 x ln(10)
    assert given.settings["classes"] == 10


def test_a_curve_too_short_to_have_a_shape_is_not_judged():
    """Three logged losses (a run stopped after three epochs) say nothing about plateaus or explosions:
    every label waits for at least ten points instead of guessing; one that did not fall is not judged."""
    frame = pd.DataFrame({"run": "short", "tag": "train/loss", "step": [1, 2, 3], "value": [2.3, 2.4, 2.35]})
    run = curvescope.audit(frame)["short"]
    assert run.labels == ()
    reasons = run.diagnosis.not_judged
    assert set(reasons) == {"bad_init", "lr_too_high", "decay_too_early", "overfitting", "underfitting"}
    assert "without a validation curve" in reasons["overfitting"]
    assert all("3 points of a train loss curve" in reasons[label] for label in set(reasons) - {"overfitting"})


@pytest.mark.parametrize(
    ("train", "val", "healthy"),
    [
        ([2.3, 1.1, 0.9], None, True),
        ([2.3, 1.1, 0.9], [2.0, 1.5, 1.4], True),
        ([2.3, 1.1, 0.9], [1.5, 1.7, 1.9], False),  # validation got worse: overfitting cannot be ruled out
        ([2.3, 2.6, 0.9], None, False),  # a point above the first: no clean fall
        ([2.3, 1.1, float("nan")], None, False),
    ],
)
def test_a_short_run_whose_loss_fell_is_healthy_at_the_unchecked_confidence(train, val, healthy):
    """Too few points to judge a shape, but a loss that fell at every point (and validation no worse) is progress
    a person calls healthy: the run says so at ``UNCHECKED_HEALTHY``, with how it fell and what could not be judged."""
    rows = [("short", "train/loss", step, value) for step, value in enumerate(train)]
    rows += [("short", "val/loss", step, value) for step, value in enumerate(val or [])]
    run = curvescope.audit(pd.DataFrame(rows, columns=["run", "tag", "step", "value"]))["short"]
    if not healthy:
        assert run.labels != ("healthy",)
        return
    assert run.labels == ("healthy",) and run.confidence == UNCHECKED_HEALTHY
    assert run.diagnosis.progress.startswith("train/loss fell from 2.3 to 0.9 over its 3 points")
    assert "3 points of a train loss curve" in run.diagnosis.not_judged["underfitting"]
