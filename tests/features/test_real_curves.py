"""Each kind of event, found on a run written by a real writer, where its writer put it."""

import math

import numpy as np
import pytest

import curvescope
from curvescope.features.extract import measure, measure_run, role_curves
from tests.conftest import FIXTURES
from tests.digits import written


@pytest.fixture(scope="module")
def digits():
    result = curvescope.read(FIXTURES / "digits")
    return result, measure(result)


def kinds(runs, run):
    return [event.kind for event in runs[run].events]


def test_explosion_in_an_lr_range_test():
    result = curvescope.read(FIXTURES / "events")
    [run] = result.runs
    measured = measure_run(run, role_curves(result.scalars)[run])
    [explosion] = [e for e in measured.events if e.kind == "explosion" and e.role == "train_loss"]
    log = written("lr_range_test")
    loss = np.float32(log.loss)
    assert explosion.start_step < explosion.end_step
    assert loss[log.step.index(explosion.end_step)] > 10 * loss[: log.step.index(explosion.start_step) + 1].min()
    assert measured.values["explosion_ratio"] > 10  # more than a tenfold rise


def test_non_finite_loss_is_located():
    result = curvescope.read(FIXTURES / "tensorboard" / "nonfinite")
    measured = measure_run("nonfinite", role_curves(result.scalars)["nonfinite"])
    [event] = [e for e in measured.events if e.kind == "non_finite"]
    assert event.start_step == 1 and measured.values["non_finite_fraction"] == pytest.approx(3 / 5)


def test_measured_lr_drop_where_the_schedule_cut_the_rate(digits):
    _, runs = digits
    log = written("decay_too_early")
    first_cut = next(step for step, lr in zip(log.step, log.lr) if lr < 0.05)
    [drop] = [e for e in runs["lightning_logs/version_0"].events if e.kind == "lr_drop"]
    assert drop.end_step == first_cut - 1 and drop.magnitude == pytest.approx(10.0) and not drop.inferred
    assert runs["lightning_logs/version_0"].schedule.kind == "step"


def test_best_validation_step_of_an_overfitting_run(digits):
    _, runs = digits
    log = written("overfitting")
    best = int(np.argmin(log.val_loss))
    [event] = [e for e in runs["keras/overfitting"].events if e.kind == "best_step"]
    assert event.start_step == best
    worse = (log.val_loss[-1] - log.val_loss[best]) / log.val_loss[best]
    assert runs["keras/overfitting"].value("worse_since_best") == pytest.approx(worse)
    assert runs["keras/overfitting"].value("gap_growth") > 0


def test_initial_loss_against_chance_with_ten_classes():
    result = curvescope.read(FIXTURES / "digits" / "keras" / "bad_init")
    measured = measure_run("bad_init", role_curves(result.scalars)["bad_init"], classes=10)
    log = written("bad_init")
    expected = float(np.float32(log.epoch_loss[0])) / math.log(10)
    assert measured.values["initial_loss_vs_chance"] == pytest.approx(expected)


def test_spikes_and_plateaus_of_a_too_high_rate_not_of_a_healthy_run(digits):
    result, runs = digits
    assert "spike" in kinds(runs, "tensorboard/lr_too_high") and "spike" not in kinds(runs, "tensorboard/healthy")
    loss = result.curve("tensorboard/lr_too_high", "train_loss")
    biggest = max((e for e in runs["tensorboard/lr_too_high"].events if e.kind == "spike"), key=lambda e: e.magnitude)
    at = loss.index.get_loc(biggest.start_step)
    assert loss.iloc[at] > 1.5 * np.median(loss.iloc[max(at - 3, 0) : at + 4])
    plateaus = [e for e in runs["tensorboard/lr_too_high"].events if e.kind == "plateau"]
    assert max(p.magnitude for p in plateaus) > 0.5  # stuck for over half the run
    assert all(p.magnitude < 0.5 for p in runs["tensorboard/healthy"].events if p.kind == "plateau")
