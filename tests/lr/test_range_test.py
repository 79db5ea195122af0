"""Range tests read from curves of known shape: the rates land where the shape puts them, whatever the
loss's scale, the steps' offset or the noise; schedules that are no range test are not taken for one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curvescope.features.events import Curve
from curvescope.lr import analyse, recognise


def range_test(points=100, start=1e-6, end=10.0, centre=-2.0, noise=0.0, scale=1.0, offset=0, seed=0, diverge=True):
    """A range test whose loss falls as a logistic in log10(lr) centred at ``centre`` (the steepest point), and,
    when ``diverge``, rises fast two decades later."""
    lr = np.geomspace(start, end, points)
    x = np.log10(lr)
    loss = 2.3 - 2.0 / (1 + np.exp(-(x - centre) * 3))
    if diverge:
        loss = loss + np.where(x > centre + 2, (x - centre - 2) ** 2 * 10, 0.0)
    loss = scale * (loss + noise * np.random.default_rng(seed).standard_normal(points))
    steps = np.arange(points) + offset
    return Curve(steps, lr, "lr", "lr"), Curve(steps, loss, "train_loss", "loss")


@settings(max_examples=40, deadline=None)
@given(centre=st.floats(-4.5, -1.5), scale=st.floats(0.01, 100), offset=st.integers(0, 10**6), points=st.integers(60, 400))
def test_the_steepest_rate_is_where_the_loss_falls_fastest(centre, scale, offset, points):
    lr, loss = range_test(points=points, centre=centre, scale=scale, offset=offset)
    test = analyse("run", lr, loss)
    assert abs(math.log10(test.steepest.value) - centre) < 0.25
    assert test.suggested == test.steepest.value and test.suggested_by == "steepest"  # the fall spans two decades
    assert test.steepest.low <= test.suggested <= test.steepest.high
    assert test.base_lr.value < test.suggested <= test.max_lr.value <= test.minimum.value
    assert test.divergence.value > test.minimum.value
    assert test.minimum_over_10 == pytest.approx(test.minimum.value / 10)


@settings(max_examples=30, deadline=None)
@given(centre=st.floats(-4, -1), seed=st.integers(0, 1000))
def test_noise_gives_a_range_around_the_true_rate(centre, seed):
    lr, loss = range_test(points=200, centre=centre, noise=0.05, seed=seed)
    test = analyse("run", lr, loss)
    assert test.steepest.low <= test.suggested <= test.steepest.high
    assert math.log10(test.steepest.low) - 0.5 < centre < math.log10(test.steepest.high) + 0.5


def test_a_noisier_test_says_so_and_gives_a_wider_range():
    quiet = analyse("run", *range_test(points=200, noise=0.01))
    noisy = analyse("run", *range_test(points=200, noise=0.8))
    assert not any("noisy" in note for note in quiet.notes)
    assert any("noisy" in note for note in noisy.notes)
    assert noisy.noise > quiet.noise
    assert noisy.steepest.spread_decades() >= quiet.steepest.spread_decades()


def test_a_steepest_point_at_the_minimum_gives_way_to_a_tenth_of_the_minimum():
    lr = np.geomspace(1e-6, 10, 100)
    x = np.log10(lr)
    loss = np.where(x < -2, 2.3, 2.3 + (x + 2) * 40)  # flat, a sharp dip at 1e-2, then up
    loss[57:59] = [2.0, 1.8]
    test = analyse("run", Curve(np.arange(100), lr, "lr"), Curve(np.arange(100), loss, "train_loss"))
    assert test.steepest_at_minimum
    assert test.suggested == pytest.approx(test.minimum.value / 10) and test.suggested_by == "minimum/10"
    assert any("minimum / 10 is suggested" in note for note in test.notes)


def test_a_loss_that_never_falls_suggests_nothing_and_says_why():
    lr, _ = range_test()
    flat = Curve(lr.steps, np.linspace(2.3, 5.0, len(lr)))
    test = analyse("run", lr, flat)
    assert test.suggested is None and test.minimum_over_10 is None and test.one_cycle_max_lr is None
    assert any("never fell" in note for note in test.notes)


def test_a_test_stopped_before_the_loss_turned_up_says_so():
    test = analyse("run", *range_test(end=1e-2, centre=-3.5, diverge=False))
    assert test.divergence is None
    assert any("never turned up" in note for note in test.notes)


def test_a_loss_that_became_nan_diverged_there():
    lr, loss = range_test()
    values = loss.values.copy()
    values[80:] = np.nan
    test = analyse("run", lr, Curve(loss.steps, values))
    assert len(test.steps) == 80
    assert test.divergence is not None and test.divergence.step <= 80
    assert all(math.isfinite(v) for v in test.loss)


def test_the_result_is_json_ready():
    import json

    test = analyse("run", *range_test(noise=0.1))
    text = json.dumps(test.to_dict(), allow_nan=False)
    assert json.loads(text)["suggested"] == pytest.approx(test.suggested)


@pytest.mark.parametrize(
    "rates",
    [
        np.full(100, 1e-3),  # constant
        np.geomspace(1.0, 1e-4, 100),  # decaying
        np.geomspace(1e-3, 1e-2, 100),  # a rise of one decade only
        np.r_[np.geomspace(1e-6, 1e-2, 50), np.full(50, 1e-2)],  # an exponential warm-up, then training
        np.tile(np.r_[np.geomspace(1e-4, 1e-1, 10), np.geomspace(1e-1, 1e-4, 10)], 5),  # cyclic
        np.linspace(1e-6, 1e-3, 100),  # a linear warm-up cut short, the loss falling
        np.geomspace(1e-6, 1.0, 8),  # too few points
    ],
)
def test_schedules_that_are_no_range_test_are_not_taken_for_one(rates):
    steps = np.arange(len(rates))
    loss = np.linspace(2.3, 0.5, len(rates))
    assert recognise(Curve(steps, rates), Curve(steps, loss)) is None


def test_a_rate_rising_every_step_is_a_range_test_exponential_or_diverging_linear():
    steps = np.arange(100)
    falling_then_up = np.r_[np.linspace(2.3, 0.5, 70), np.linspace(0.5, 9.0, 30)]
    assert "exponentially" in recognise(Curve(steps, np.geomspace(1e-6, 1.0, 100)), Curve(steps, falling_then_up))
    assert "linearly" in recognise(Curve(steps, np.linspace(1e-6, 1.0, 100)), Curve(steps, falling_then_up))


def test_without_a_loss_at_the_rates_steps_there_is_no_test():
    lr = Curve(np.arange(100), np.geomspace(1e-6, 1.0, 100))
    assert recognise(lr, Curve(np.arange(1000, 1100), np.ones(100))) is None
    assert recognise(lr, None) is None and recognise(None, lr) is None
