"""A gradient-norm spike ahead of a loss explosion: found where it is, never where the loss did not explode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curvescope
from curvescope.features.events import Curve
from curvescope.lr.gradients import (
    EXPLODED,
    SPIKE,
    TYPICAL_RATIO,
    explosion_step,
    spike_before_explosion,
    update_ratio_reading,
)
from tests.conftest import FIXTURES

GRADIENTS = FIXTURES / "lr_range" / "gradients"


def run(points: int, spike: int | None, explosion: int | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    norms = 1.0 + 0.2 * rng.random(points)
    loss = 2.0 - np.linspace(0, 1, points) + 0.05 * rng.random(points)
    if spike is not None:
        norms[spike:] *= 8
    if explosion is not None:
        loss[explosion:] = np.inf
    steps = np.arange(points) * 2
    return Curve(steps, norms, "grad_norm"), Curve(steps, loss, "train_loss")


@settings(max_examples=60, deadline=None)
@given(points=st.integers(30, 300), data=st.data())
def test_a_spike_before_the_explosion_is_found_with_its_lead(points, data):
    explosion = data.draw(st.integers(10, points - 1))
    spike = data.draw(st.integers(5, explosion - 1))
    found = spike_before_explosion(*run(points, spike, explosion))
    assert found is not None
    assert found.spike_step == 2 * spike and found.explosion_step == 2 * explosion
    assert found.lead == 2 * (explosion - spike) > 0
    assert found.spike_norm >= SPIKE * found.typical_norm


@settings(max_examples=40, deadline=None)
@given(points=st.integers(30, 300), data=st.data())
def test_no_explosion_or_no_spike_ahead_of_it_is_no_finding(points, data):
    spike = data.draw(st.integers(5, points - 1))
    assert spike_before_explosion(*run(points, spike, None)) is None  # the loss never exploded
    assert spike_before_explosion(*run(points, None, data.draw(st.integers(1, points - 1)))) is None  # nothing spiked
    explosion = data.draw(st.integers(1, spike))
    assert spike_before_explosion(*run(points, spike, explosion)) is None  # the spike came with or after it


def test_an_explosion_is_a_loss_ten_times_its_running_minimum_or_not_finite():
    steps = np.arange(6)
    assert explosion_step(Curve(steps, np.array([2.0, 1.0, 0.5, 4.0, 5.1, 9.0]))) == 4
    assert explosion_step(Curve(steps, np.array([2.0, 1.0, np.nan, 0.5, 0.5, 0.5]))) == 2
    assert explosion_step(Curve(steps, np.array([2.0, 1.0, 0.9, 0.8, 0.7, 0.6]))) is None
    assert EXPLODED == 10


def test_a_real_blow_up_is_announced_by_its_gradients_and_a_run_that_trains_is_not():
    """The diabetes MLP with SGD at 0.2 (its loss blows up in its second epoch) and at 0.05 (fixtures/lr_range/make.py)."""
    report = curvescope.audit(GRADIENTS, cache=False)
    said = {run.run: [f.message for f in run.findings if f.code == "CS024"] for run in report}
    assert said["diabetes-mlp-sgd-0.05"] == [] and said["diabetes-mlp-sgd-0.0001"] == []
    (message,) = said["diabetes-mlp-sgd-0.2"]
    read = curvescope.read(GRADIENTS / "diabetes-mlp-sgd-0.2")
    norms = read.curve("diabetes-mlp-sgd-0.2", "grad_norm")
    loss = read.curve("diabetes-mlp-sgd-0.2", "train_loss")
    found = spike_before_explosion(Curve(norms.index, norms.to_numpy()), Curve(loss.index, loss.to_numpy()))
    assert f"at step {found.spike_step}, {found.lead} steps before" in message
    assert found.lead >= 5
    assert norms.loc[found.spike_step] >= SPIKE * norms.loc[: found.spike_step - 1].median()
    first_bad = loss.index[~np.isfinite(loss.to_numpy())][0]
    assert found.spike_step < found.explosion_step <= first_bad
    assert "lr_too_high" in report["diabetes-mlp-sgd-0.2"].labels


@pytest.mark.parametrize("tag", ["train/grad_norm", "grad_norm"])
def test_the_gradient_norm_takes_its_role(tmp_path, tag):
    path = tmp_path / "log.csv"
    path.write_text("step,loss," + tag + "\n" + "".join(f"{i},{2 - i / 10},{1 + i / 100}\n" for i in range(10)))
    read = curvescope.read(path)
    assert read.roles[read.runs[0]]["grad_norm"] == tag


def test_the_spike_backs_the_lr_too_high_verdict_without_moving_its_confidence():
    from curvescope.diagnose import diagnose, registry
    from curvescope.features.extract import measure

    read = curvescope.read(GRADIENTS / "diabetes-mlp-sgd-0.2")
    runs = measure(read)
    with_grad = diagnose(runs.values(), registry.select(), None)[0]
    without = {name: replace_curves(run, drop="grad_norm") for name, run in runs.items()}
    plain = diagnose(without.values(), registry.select(), None)[0]
    (verdict,) = [v for v in with_grad.verdicts if v.label == "lr_too_high"]
    (before,) = [v for v in plain.verdicts if v.label == "lr_too_high"]
    assert verdict.confidence == before.confidence
    added = [item for item in verdict.evidence if item.kind == "gradient_spike"]
    assert len(added) == 1 and not [item for item in before.evidence if item.kind == "gradient_spike"]
    assert added[0].start_step < added[0].end_step and added[0].role == "grad_norm"


def replace_curves(run, drop: str):
    from dataclasses import replace

    return replace(run, curves={role: curve for role, curve in run.curves.items() if role != drop})


@settings(max_examples=60, deadline=None)
@given(median=st.floats(1e-7, 1.0), points=st.integers(5, 200), spread=st.floats(1.0, 3.0))
def test_an_update_ratio_far_from_1e_3_says_which_way_the_rate_may_be_off(median, points, spread):
    values = median * np.geomspace(1 / spread, spread, points)
    reading = update_ratio_reading(Curve(np.arange(points), values, tag="train/update_ratio"))
    measured = float(np.median(values))
    far = measured >= 10 * TYPICAL_RATIO or measured <= TYPICAL_RATIO / 10
    assert (reading is not None) == far
    if reading is not None:
        assert reading.median == pytest.approx(measured)
        assert reading.direction == ("high" if measured > TYPICAL_RATIO else "low")
        assert ("3-10x lower" if reading.direction == "high" else "3-10x higher") in reading.describe()


def test_the_logged_update_ratios_are_read_in_an_audit():
    """The diabetes runs log their update-to-weight ratio: the role is found, and each run far from 1e-3 gets a note."""
    report = curvescope.audit(GRADIENTS)
    read = curvescope.read(GRADIENTS)
    for run in report:
        ratio = read.curve(run.run, "update_ratio")
        assert ratio is not None and len(ratio)
        median = float(np.median(ratio[ratio > 0]))
        noted = [f for f in run.findings if f.code == "CS028"]
        assert bool(noted) == (median >= 1e-2 or median <= 1e-4)
