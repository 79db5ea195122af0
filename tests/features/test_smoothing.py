"""Smoothing is TensorBoard's, number for number; rolling trends and alignment behave."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from curvescope.errors import InvalidParameterError
from curvescope.features import align, rolling_mean, rolling_median, smooth

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
WITH_GAPS = st.one_of(FINITE, st.just(math.nan), st.just(math.inf), st.just(-math.inf))
CURVES = arrays(np.float64, st.integers(0, 60), elements=WITH_GAPS)
WEIGHTS = st.floats(0, 1)


def tensorboard_smoothing(values, weight):
    """TensorBoard's classic smoothing, transcribed point by point from its dashboard."""
    weight = min(max(weight if math.isfinite(weight) else 0.0, 0.0), 1.0)
    if all(v == values[0] for v in values):
        return list(values)
    last, count, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last / (1 if weight == 1 else 1 - math.pow(weight, count)))
    return out


@settings(max_examples=200, deadline=None)  # the first example imports scipy
@given(values=CURVES, weight=st.one_of(WEIGHTS, st.floats(-2, 3), st.just(math.nan)))
@example(values=np.array([564.001, 564.0, 564.001, 564.0, 564.001]), weight=0.99999)
def test_same_numbers_as_tensorboard(values, weight):
    expected = np.array(tensorboard_smoothing(values.tolist(), weight))
    # rtol 1e-11: with a weight near 1 (0.99999) the debias 1 - w**k is tiny for the first points,
    # and a filter and a loop that round in a different order differ by a few parts in 1e12 there.
    np.testing.assert_allclose(smooth(values, weight), expected, rtol=1e-11, atol=1e-9)


@given(values=CURVES)
def test_weight_zero_is_the_identity(values):
    np.testing.assert_array_equal(smooth(values, 0.0), values)


@given(value=FINITE, n=st.integers(1, 50), weight=WEIGHTS)
def test_a_constant_comes_back_unchanged(value, n, weight):
    np.testing.assert_array_equal(smooth(np.full(n, value), weight), np.full(n, value))


@given(values=CURVES, weight=WEIGHTS)
def test_non_finite_points_stay_where_they_were(values, weight):
    out = smooth(values, weight)
    assert out.shape == values.shape
    gaps = ~np.isfinite(values)
    np.testing.assert_array_equal(out[gaps], values[gaps])
    assert np.isfinite(out[~gaps]).all()


@given(values=CURVES, weight=st.floats(0, 0.999))
def test_smoothed_values_stay_within_the_finite_range(values, weight):
    finite = values[np.isfinite(values)]
    if not len(finite):
        return
    out = smooth(values, weight)[np.isfinite(values)]
    span = max(finite.max() - finite.min(), abs(finite).max(), 1.0) * 1e-9
    assert out.min() >= finite.min() - span and out.max() <= finite.max() + span
    assert math.isclose(out[0], finite[0], rel_tol=1e-9, abs_tol=1e-9)


def test_weight_is_clipped():
    y = [3.0, 1.0, 2.0]
    np.testing.assert_array_equal(smooth(y, 7.0), smooth(y, 1.0))
    np.testing.assert_array_equal(smooth(y, -1.0), smooth(y, 0.0))


def test_values_must_be_a_curve():
    with pytest.raises(InvalidParameterError, match="one-dimensional"):
        smooth([[1.0, 2.0]])


@given(values=arrays(np.float64, st.integers(1, 60), elements=WITH_GAPS), window=st.integers(1, 9))
def test_rolling_trends_keep_length_and_range(values, window):
    finite = values[np.isfinite(values)]
    for trend in (rolling_mean(values, window), rolling_median(values, window)):
        assert trend.shape == values.shape
        known = trend[np.isfinite(trend)]
        if len(finite) and len(known):
            assert known.min() >= finite.min() - 1e-6 * (1 + abs(finite.min()))
            assert known.max() <= finite.max() + 1e-6 * (1 + abs(finite.max()))


def test_rolling_median_ignores_a_spike():
    values = np.array([1.0, 1.0, 100.0, 1.0, 1.0])
    assert rolling_median(values, 3).tolist() == [1.0] * 5
    assert rolling_mean(values, 3)[2] == pytest.approx(34.0)


@pytest.mark.parametrize("window", [0, -3, 2.5])
def test_rolling_window_must_be_a_positive_integer(window):
    with pytest.raises(InvalidParameterError, match="'window'"):
        rolling_mean([1.0, 2.0], window)


def test_align_reads_the_dense_curve_at_the_sparse_steps():
    train_steps = np.arange(0, 101)
    train = 10.0 - train_steps * 0.05
    val_steps = np.array([0, 50, 100, 150])
    val = np.array([9.5, 7.0, 5.5, 4.0])
    steps, a, b = align(train_steps, train, val_steps, val)
    assert steps.tolist() == [0, 50, 100]
    np.testing.assert_allclose(a, [10.0, 7.5, 5.0])
    assert b.tolist() == [9.5, 7.0, 5.5]


def test_align_interpolates_between_steps_and_skips_gaps():
    steps, a, b = align([0, 2, 4, 6, 8], [0.0, 2.0, np.nan, 6.0, 8.0], [3, 7], [1.0, 2.0])
    assert steps.tolist() == [3, 7]
    np.testing.assert_allclose(a, [3.0, 7.0])


def test_align_with_an_empty_curve_is_empty():
    steps, a, b = align([], [], [1, 2], [1.0, 2.0])
    assert len(steps) == len(a) == len(b) == 0


def test_every_feature_is_documented_in_the_readme():
    from curvescope.features import FEATURES
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    assert all(f"| `{name}` | {meaning} |" in readme for name, meaning in FEATURES.items())
