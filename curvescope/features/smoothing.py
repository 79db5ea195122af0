"""Smoothing and alignment of curves: what a person looks at instead of the raw points.

``smooth`` is TensorBoard's scalar-dashboard smoothing (a debiased exponential moving
average), number for number, so that what curvescope judges is what the user saw. The
centred rolling mean and median give robust trends, and ``align`` puts two curves logged
at different steps (training every step, validation once an epoch) on common steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError


def smooth(values, weight: float = 0.6) -> np.ndarray:
    """TensorBoard's smoothing of a curve's values (its scalar dashboard's default weight is 0.6).

    An exponential moving average started at zero and debiased by ``1 - weight**k`` after
    ``k`` finite points. Non-finite points are passed through and do not move the average; a
    constant curve comes back unchanged; ``weight`` is clipped to [0, 1] (non-finite: 0).

    >>> smooth([1.0, 2.0, 3.0], weight=0.5).round(4).tolist()
    [1.0, 1.6667, 2.4286]
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise InvalidParameterError(f"The 'values' parameter of smooth must be one-dimensional. Got shape {y.shape} instead.")
    w = float(weight) if np.isfinite(weight) else 0.0
    w = min(max(w, 0.0), 1.0)
    if not len(y) or (y == y[0]).all():
        return y.copy()
    from scipy.signal import lfilter  # imported when first needed: it takes a second, and a warm audit smooths nothing

    out = y.copy()
    finite = np.isfinite(y)
    moving = lfilter([1.0 - w], [1.0, -w], y[finite])
    debias = 1.0 if w == 1.0 else 1.0 - np.power(w, np.arange(1, len(moving) + 1))
    out[finite] = moving / debias
    return out


def rolling_mean(values, window: int) -> np.ndarray:
    """Centred moving average over ``window`` points, ignoring non-finite ones (NaN where none)."""
    return _rolling(values, window, "mean")


def rolling_median(values, window: int) -> np.ndarray:
    """Centred moving median over ``window`` points, ignoring non-finite ones: robust to spikes."""
    return _rolling(values, window, "median")


def align(steps_a, values_a, steps_b, values_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two curves on common steps: the steps of the sparser curve that lie within the other's
    range, with the denser curve interpolated linearly there (over its finite points).

    Returns ``(steps, a, b)``. Validation logged once an epoch beside per-step training loss
    comes back at the validation steps, with the training loss read off its curve there.
    """
    sa, ya = _curve(steps_a, values_a)
    sb, yb = _curve(steps_b, values_b)
    if not len(sa) or not len(sb):
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    swap = len(sb) > len(sa)
    sparse_s, sparse_y, dense_s, dense_y = (sa, ya, sb, yb) if swap else (sb, yb, sa, ya)
    inside = (sparse_s >= dense_s[0]) & (sparse_s <= dense_s[-1])
    steps = sparse_s[inside]
    read_off = np.interp(steps, dense_s, dense_y)
    sparse_values = sparse_y[inside]
    return (steps, sparse_values, read_off) if swap else (steps, read_off, sparse_values)


def _rolling(values, window: int, how: str) -> np.ndarray:
    if not isinstance(window, int | np.integer) or window < 1:
        raise InvalidParameterError(f"The 'window' parameter must be a positive integer. Got {window!r} instead.")
    y = np.asarray(values, dtype=np.float64)
    series = pd.Series(np.where(np.isfinite(y), y, np.nan))
    rolling = series.rolling(int(window), center=True, min_periods=1)
    return (rolling.mean() if how == "mean" else rolling.median()).to_numpy()


def _curve(steps, values) -> tuple[np.ndarray, np.ndarray]:
    """Finite points of a curve, by step, one value per step (the last written)."""
    s = np.asarray(steps, dtype=np.int64)
    y = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(y)
    s, y = s[keep], y[keep]
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, bool)
    return s[last], y[last]
