"""Learning-rate schedules: what the lr curve did, and where it dropped.

From a logged ``lr`` curve: the schedule's kind (constant, step, exponential, cosine, linear,
inverse square root, warm-up, one-cycle, cyclic, reduce-on-plateau), each abrupt drop with its
step and factor, and where the rate fell to half its peak. Warm-up and cyclic rises are named
as such, never reported as drops. Without an ``lr`` curve, abrupt falls in the loss's level
stand in for drops, marked as inferred.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .events import Curve, Event
from .smoothing import rolling_median

SCHEDULES = (
    "constant",
    "step",
    "reduce_on_plateau",
    "exponential",
    "cosine",
    "linear",
    "inverse_sqrt",
    "warmup",
    "one_cycle",
    "cyclic",
    "irregular",
)
"""Schedule kinds, as ``Schedule.kind`` names them."""

_DROP = 0.8  # a logged step that keeps less than this fraction of the rate is an abrupt drop
_FLAT = 1e-3  # |log ratio| below this between two logged steps is no change
_GOOD_FIT = 0.98
_ABRUPT = ("step", "reduce_on_plateau", "irregular")
"""Kinds whose drops are abrupt events; a smooth decay has no single drop to point at."""


@dataclass(frozen=True)
class Schedule:
    kind: str
    drops: tuple[Event, ...]
    warmup_end_step: int | None
    half_position: float
    """Where the rate first fell below half its peak, as a fraction of the run (NaN: never)."""
    half_step: int | None
    """The step where it did (None: never)."""
    total_decay: float
    """Peak rate over final rate."""


def lr_schedule(curve: Curve) -> Schedule | None:
    """The schedule of a logged lr curve (positive finite values), or None when there is too little."""
    lr = curve.finite()
    keep = lr.values > 0
    steps, values = lr.steps[keep], lr.values[keep]
    if len(values) < 2:
        return None
    log_lr = np.log(values)
    change = np.diff(log_lr)
    peak = int(np.argmax(values))
    drops = tuple(
        Event(
            "lr_drop",
            int(steps[i]),
            int(steps[i + 1]),
            float(values[i] / values[i + 1]),
            f"{curve.tag or 'lr'} dropped {values[i] / values[i + 1]:.3g}x at step {steps[i + 1]}",
            role=curve.role,
            tag=curve.tag,
        )
        for i in np.flatnonzero(change < math.log(_DROP))
    )
    below_half = np.flatnonzero((values < 0.5 * values[peak]) & (np.arange(len(values)) > peak))
    first, last = int(steps[0]), int(steps[-1])
    half = (int(steps[below_half[0]]) - first) / (last - first) if len(below_half) and last > first else math.nan
    half_step = int(steps[below_half[0]]) if len(below_half) else None
    warmup = peak > 0 and values[0] < 0.5 * values[peak] and (change[:peak] >= -_FLAT).mean() > 0.9
    kind = _kind(steps, values, change, peak, warmup, drops)
    abrupt = kind in _ABRUPT
    return Schedule(
        kind, drops if abrupt else (), int(steps[peak]) if warmup else None, half, half_step, float(values[peak] / values[-1])
    )


def _kind(steps, values, change, peak, warmup, drops) -> str:
    if values.max() / values.min() < 1.05:
        return "constant"
    turns = np.count_nonzero(np.diff(np.sign(change[np.abs(change) > _FLAT])) != 0)
    if turns >= 3:
        return "cyclic"
    after = values[peak:]
    if warmup and (len(after) < 3 or after.max() / after.min() < 1.05):
        return "warmup"
    position = (steps[peak] - steps[0]) / max(steps[-1] - steps[0], 1)
    if warmup and position > 0.15 and after[-1] < values[0]:
        return "one_cycle"
    tail = np.diff(np.log(after))
    if drops and len(tail) and (np.abs(tail) < _FLAT).mean() > 0.7:
        intervals = np.diff([steps[peak]] + [d.end_step for d in drops])
        regular = len(drops) < 2 or np.std(intervals[1:]) <= 0.1 * np.mean(intervals[1:])
        return "step" if regular else "reduce_on_plateau"
    return _continuous_kind(steps[peak:], after) if len(after) >= 3 else "irregular"


def _continuous_kind(steps: np.ndarray, values: np.ndarray) -> str:
    """The smooth decay whose shape fits best (R² of a straight-line fit after a transform)."""
    t = (steps - steps[0]) / max(steps[-1] - steps[0], 1)
    shapes = {
        "linear": (t, values),
        "exponential": (t, np.log(values)),
        "cosine": ((1 + np.cos(np.pi * t)) / 2, values),
        "inverse_sqrt": (1 / np.sqrt(steps - steps[0] + 1.0), values),
    }
    fits = {name: _r_squared(x, y) for name, (x, y) in shapes.items()}
    name = max(fits, key=fits.get)
    return name if fits[name] >= _GOOD_FIT else "irregular"


def _r_squared(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    r = np.corrcoef(x, y)[0, 1]
    return float(r * r) if np.isfinite(r) else 0.0


def inferred_drops(loss: Curve, *, threshold: float = 8.0) -> tuple[Event, ...]:
    """Abrupt falls in a loss's level, where no lr curve was logged: likely learning-rate drops.

    A fall is a one-window change of the loss's rolling median (log scale for positive losses)
    that is ``threshold`` robust deviations beyond the typical change.
    """
    finite = loss.finite()
    if len(finite) < 20:
        return ()
    values = np.log(finite.values) if finite.values.min() > 0 else finite.values
    window = max(5, (len(values) // 50) | 1)
    level = rolling_median(values, window)
    change = level[window:] - level[:-window]
    typical = np.median(change)
    spread = 1.4826 * np.median(np.abs(change - typical))
    if not spread > 0:
        return ()
    z = (typical - change) / spread
    # a drop follows slower progress: the loss did not already fall this fast one window earlier
    fell_before = np.full(len(change), np.inf)
    fell_before[window:] = typical - change[:-window]
    candidates = np.flatnonzero((z > threshold) & (fell_before < (typical - change) / 3))
    if not len(candidates):
        return ()
    groups = np.split(candidates, np.flatnonzero(np.diff(candidates) > window) + 1)
    events = []
    for group in groups:
        centre = int(group[np.argmax(z[group])]) + window // 2
        start, end = max(centre - window // 2, 0), min(centre + window // 2, len(finite) - 1)
        factor = float(np.exp(level[start] - level[end])) if finite.values.min() > 0 else math.nan
        events.append(
            Event(
                "lr_drop",
                int(finite.steps[start]),
                int(finite.steps[end]),
                float(z[group].max()),
                f"{finite.tag or 'the loss'} fell abruptly around step {finite.steps[centre]}, "
                "as after a learning-rate drop (no lr curve was logged)",
                role=loss.role,
                tag=loss.tag,
                inferred=True,
                details={"loss_factor": factor},
            )
        )
    return tuple(events)


def progress_around(loss: Curve, drop_step: int, *, window: float = 0.2) -> dict[str, float]:
    """Progress before and after a drop: slopes (in loss ranges per run) and how much of the fall the
    earlier trend promised by the last step actually came (``fall_vs_promised``)."""
    numbers = {"slope_before": math.nan, "slope_after": math.nan, "fall_vs_promised": math.nan}
    finite = loss.finite()
    if len(finite) < 6:
        return numbers
    steps, values = finite.steps.astype(np.float64), finite.values
    span, run = float(np.ptp(values)), float(steps[-1] - steps[0])
    at = int(np.searchsorted(finite.steps, drop_step))
    reach = max(3, int(window * len(steps)))
    before, after = slice(max(at - reach, 0), at), slice(at, min(at + reach, len(steps)))
    if at - before.start < 3 or after.stop - at < 3 or span == 0 or run == 0:
        return numbers
    slope_before = np.polyfit(steps[before], values[before], 1)[0]
    slope_after = np.polyfit(steps[after], values[after], 1)[0]
    numbers["slope_before"] = float(slope_before * run / span)
    numbers["slope_after"] = float(slope_after * run / span)
    promised = -slope_before * (steps[-1] - steps[at])
    fell = float(values[at] - values[-1])
    numbers["fall_vs_promised"] = float(fell / promised) if promised > 0 else math.nan
    return numbers
