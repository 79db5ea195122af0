"""Labels stand on located evidence: the learned model may confirm, weigh or veto, never label on its own."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curvescope.diagnose import HEALTHY, PROBLEMS, diagnose, select
from curvescope.diagnose.labels import label
from curvescope.features.events import Curve
from curvescope.features.extract import measure_run


class SureOfEverything:
    """A learned model that gives every problem label the same probability."""

    def __init__(self, probability: float) -> None:
        self.probability = probability

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.probability, index=features.index, columns=list(PROBLEMS))


def run_of(loss, val=None, lr=None, *, classes=None):
    steps = np.arange(len(loss))
    curves = {"train_loss": Curve.of(steps, loss, "train_loss", "train/loss")}
    if val is not None:
        every = max(len(loss) // len(val), 1)
        curves["val_loss"] = Curve.of(steps[::every][: len(val)], val, "val_loss", "val/loss")
    if lr is not None:
        curves["lr"] = Curve.of(steps, lr, "lr", "lr")
    return measure_run("run", curves, classes=classes)


losses = st.lists(
    st.floats(min_value=1e-6, max_value=1e6, allow_nan=False) | st.sampled_from([math.nan, math.inf]), min_size=0, max_size=120
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loss=losses, val=st.none() | losses, probability=st.floats(min_value=0.0, max_value=1.0))
def test_every_label_given_names_the_steps_it_stands_on(loss, val, probability):
    context = run_of(loss, val or None)
    (diagnosis,) = diagnose([context], select(), SureOfEverything(probability))
    first = int(context.curves["train_loss"].steps[0]) if loss else 0
    for verdict in diagnosis.verdicts:
        located = [e for e in verdict.evidence if e.start_step is not None]
        assert located, f"{verdict.label} was given with no located evidence"
        assert all(first <= e.start_step <= (e.end_step or e.start_step) for e in located)
    assert set(diagnosis.labels) <= {v.label for v in diagnosis.verdicts} | {HEALTHY}
    assert not {s.label for s in diagnosis.suspicions} & set(diagnosis.labels)
    assert all(not s.located for s in diagnosis.suspicions)


def smooth_fall(n=200, start=2.3, end=0.1):
    return end + (start - end) * np.exp(-np.arange(n) / (n / 8))


def test_a_smooth_fall_locates_no_trouble_of_its_own():
    context = run_of(smooth_fall(), smooth_fall(20, 2.3, 0.15), classes=10)
    for name in ("bad_init", "lr_too_high", "overfitting", "underfitting", "decay_too_early"):
        assert label(name).located(context) == (), name


def test_a_model_sure_of_everything_gives_nothing_on_a_smooth_fall():
    context = run_of(smooth_fall(), smooth_fall(20, 2.3, 0.15), classes=10)
    (diagnosis,) = diagnose([context], [], SureOfEverything(0.9))
    assert diagnosis.labels == (HEALTHY,)
    assert {s.label for s in diagnosis.suspicions} == set(PROBLEMS)
    assert diagnosis.uncertain and diagnosis.uncertain[0] == HEALTHY


def test_validation_that_turned_is_located_at_its_best_step():
    val = np.r_[np.linspace(2.3, 0.5, 10), np.linspace(0.52, 0.9, 10)]
    context = run_of(smooth_fall(200, 2.3, 0.01), val, classes=10)
    evidence = label("overfitting").located(context)
    assert evidence and evidence[0].kind == "best_step" and evidence[0].start_step == 90


def test_an_explosion_is_located_for_a_rate_too_high():
    loss = np.r_[smooth_fall(100), np.geomspace(0.5, 5e4, 100)]
    kinds = {e.kind for e in label("lr_too_high").located(run_of(loss, classes=10))}
    assert "explosion" in kinds


def test_a_first_loss_far_above_chance_is_located_for_bad_init():
    context = run_of(smooth_fall(200, 40.0, 0.1), classes=10)
    (evidence, *_) = label("bad_init").located(context)
    assert evidence.kind == "initial_loss" and evidence.start_step == 0


def test_an_early_rate_cut_is_located_for_decay_too_early():
    lr = np.where(np.arange(200) < 30, 0.1, 0.001)
    kinds = {e.kind for e in label("decay_too_early").located(run_of(smooth_fall(), lr=lr, classes=10))}
    assert "lr_drop" in kinds
    late = np.where(np.arange(200) < 170, 0.1, 0.001)
    assert not label("decay_too_early").located(run_of(smooth_fall(), lr=late, classes=10))


@pytest.mark.parametrize("level", [0.95, 0.6])
def test_a_loss_that_barely_falls_is_located_for_underfitting(level):
    loss = 2.3 * (level + (1 - level) * np.exp(-np.arange(200) / 50))
    (evidence, *_) = label("underfitting").located(run_of(loss, classes=10))
    assert evidence.kind == "train_drop" and (evidence.start_step, evidence.end_step) == (0, 199)


@pytest.mark.parametrize("level", [0.35, 0.5, 0.55])
def test_a_loss_that_fell_to_a_third_or_half_of_its_start_locates_no_underfitting_whatever_its_shape(level):
    """Healthy framework runs (a CNN, an LSTM, a regression) end there too: a straight creep or an early settle
    at that level names a cause in the fix of a located stall, it locates none of its own."""
    n = np.arange(200)
    creep = 2.3 * (1 - (1 - level) * n / 199)
    settle = 2.3 * (level + (1 - level) * np.exp(-n / 25))
    for loss in (creep, settle):
        assert label("underfitting").located(run_of(loss, classes=10)) == (), level


def test_underfitting_names_a_rate_far_too_low_for_a_slow_straight_fall():
    loss = 2.3 - 0.5 * np.arange(200) / 199  # creeping down in a straight line
    assert "learning rate far too low" in label("underfitting").worded_fix(run_of(loss, classes=10))


def test_underfitting_names_capacity_or_regularisation_for_an_early_high_settle():
    loss = 1.6 + 0.7 * np.exp(-np.arange(200) / 10)  # settles by step ~50 at 70% of its start
    assert "too small a model or too much regularisation" in label("underfitting").worded_fix(run_of(loss, classes=10))


def test_underfitting_names_no_cause_on_a_healthy_fall():
    assert label("underfitting").worded_fix(run_of(smooth_fall(), classes=10)) == label("underfitting").fix


def test_reward_progress_is_said_when_the_reward_rose_and_only_then():
    from curvescope.diagnose.located import reward_progress

    steps = np.arange(100)
    rising = measure_run("agent", {"reward": Curve.of(steps, 500 * (1 - np.exp(-steps / 30)), "reward", "ep_rew_mean")})
    falling = measure_run("agent", {"reward": Curve.of(steps, 500 * np.exp(-steps / 30), "reward", "ep_rew_mean")})
    assert "ep_rew_mean rose from 0 to" in reward_progress(rising)
    assert reward_progress(falling) is None
    assert reward_progress(run_of(smooth_fall())) is None


def test_a_slow_fall_is_no_underfitting_evidence_when_the_validation_score_is_high():
    loss = 2.3 * (0.6 + 0.4 * np.exp(-np.arange(200) / 50))
    steps = np.arange(200)
    curves = {
        "train_loss": Curve.of(steps, loss, "train_loss", "train/loss_sum"),
        "val_acc": Curve.of(steps[::10], np.linspace(0.5, 0.99, 20), "val_acc", "metrics/mAP50(B)"),
    }
    assert label("underfitting").located(measure_run("detector", curves)) == ()
    curves["val_acc"] = Curve.of(steps[::10], np.linspace(0.3, 0.55, 20), "val_acc", "metrics/mAP50(B)")
    assert label("underfitting").located(measure_run("detector", curves))


def test_a_fast_healthy_fall_is_no_bad_init_evidence_and_a_tenfold_collapse_is():
    fast = 0.03 + 3.5 * np.exp(-np.arange(300) / 20)  # 3.5 -> 0.6 within the first tenth
    assert label("bad_init").located(run_of(fast)) == ()
    collapse = 0.3 + 40 * np.exp(-np.arange(300) / 4)  # 40 -> 0.3 within the first tenth
    assert {e.kind for e in label("bad_init").located(run_of(collapse))} == {"initial_collapse"}


@pytest.mark.parametrize(("tag", "located"), [("val/accuracy", True), ("metrics/mAP50(B)", False), ("val/f1", False)])
def test_a_first_loss_far_above_any_chance_level_is_bad_init_evidence_only_beside_an_accuracy(tag, located):
    """With no class count, a first loss of 40 is far from ln(C) for any C up to 1,000 only if the loss is a
    classifier's cross-entropy, which an accuracy shows; a detector's summed losses beside a mAP have no chance level."""
    steps = np.arange(200)
    curves = {
        "train_loss": Curve.of(steps, smooth_fall(200, 40.0, 2.0), "train_loss", "train/loss"),
        "val_acc": Curve.of(steps[::10], np.linspace(0.1, 0.8, 20), "val_acc", tag),
    }
    context = measure_run("run", curves)
    assert bool(label("bad_init").located(context)) is located, tag


def test_a_fall_within_the_first_steps_counts_from_the_first_point():
    """A fine-tune falls 40% in its first three steps and then holds level: the median of those steps already sits
    low, so from it the loss barely fell (CS501); from its first point it fell, and the rules see no underfitting."""
    rng = np.random.default_rng(0)
    loss = np.r_[1.04, 0.73, 0.62, 0.62 * (1 + 0.1 * rng.standard_normal(125))]
    context = run_of(loss)
    assert context.loss_left() < 0.7
    (diagnosis,) = diagnose([context], select(), None)
    assert "underfitting" not in {d.label for d in diagnosis.diagnoses}
