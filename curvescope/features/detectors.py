"""Detectors: each measures one thing a person looks for on a curve and locates it.

All work on a :class:`Curve` with numpy (no loop over points) and return plain numbers plus
events. Ratios to a curve's own minimum are invariant to scaling it; measures relative to a
curve's range or its robust spread are invariant to shifting it too. A curve too short or
without finite points gives NaN numbers and no events, never an error.
"""

from __future__ import annotations

import math

import numpy as np

from .events import Curve, Event
from .smoothing import align, rolling_median, smooth

_MAD_TO_SD = 1.4826  # a normal distribution's standard deviation over its median absolute deviation
_MIN_SPIKE_POINTS = 20  # fewer points (a per-epoch curve) are too few to tell a spike from the trend
_MIN_SPIKE_SPAN = 0.05  # a spike stands out by at least this share of the trend's range
_RELATIVE_FLOOR = 1e-6  # progress smaller than this share of a curve's range is rounding, not progress
_ROUNDING = 1e-12  # a range this small next to the values themselves is float rounding: the curve is constant
NAN = math.nan
SCALE_MISMATCH = 100.0
"""Training and validation losses whose typical levels differ by this factor or more are on different scales
(a sum against a mean): their gap is not measured."""


def trend(curve: Curve, weight: float = 0.6) -> np.ndarray:
    """The smoothed values a person reads the curve by (TensorBoard's smoothing)."""
    return smooth(curve.values, weight)


def divergence(curve: Curve, *, factor: float = 10.0) -> tuple[dict[str, float], list[Event]]:
    """Explosion: the first non-finite value, and a rise of ``factor`` or more over the running minimum.

    Numbers: ``non_finite_fraction``, ``explosion_ratio`` (largest smoothed value over the running
    minimum before it; for positive curves), ``explosion_onset`` (fraction of the run where the
    rise began).
    """
    numbers = {"non_finite_fraction": NAN, "explosion_ratio": NAN, "explosion_onset": NAN}
    events: list[Event] = []
    if not len(curve):
        return numbers, events
    bad = ~np.isfinite(curve.values)
    numbers["non_finite_fraction"] = float(bad.mean())
    if bad.any():
        first = int(np.argmax(bad))
        events.append(
            _event(
                curve,
                "non_finite",
                first,
                first,
                float(curve.values[first]),
                f"{curve.tag or curve.role} became {curve.values[first]} at step {curve.steps[first]}",
            )
        )
    finite = curve.finite()
    if len(finite) < 3 or finite.values.min() <= 0:
        return numbers, events
    smoothed = trend(finite)
    running_min = np.minimum.accumulate(smoothed)
    ratio = smoothed / running_min
    peak = int(np.argmax(ratio))
    numbers["explosion_ratio"] = float(ratio[peak])
    if ratio[peak] >= factor:
        crossing = int(np.argmax(ratio >= math.sqrt(factor)))
        at_minimum = ratio[: crossing + 1] <= 1 + 1e-9  # the rise began when the curve last sat at its minimum
        onset = int(np.flatnonzero(at_minimum)[-1])
        numbers["explosion_onset"] = _position(finite, onset)
        events.append(
            _event(
                finite,
                "explosion",
                onset,
                peak,
                float(ratio[peak]),
                f"{finite.tag or finite.role} rose {ratio[peak]:.1f}x above its running minimum "
                f"from step {finite.steps[onset]} to step {finite.steps[peak]}",
            )
        )
    return numbers, events


def blow_up_at_start(curve: Curve, *, factor: float = 3.0, share: float = 0.1) -> tuple[dict[str, float], list[Event]]:
    """An explosion right after the start: a point in the run's first ``share`` (three points at least)
    ``factor`` times the first point or more. A healthy loss starts near its highest; one that shoots
    above its start at once overshot from the first updates, which smoothing would flatten into nothing.

    Numbers: ``start_rise`` (the highest point of that stretch over the first). Needs ten points and a positive
    first point (a 0 logged before the first batch is a placeholder, not a level).
    """
    finite = curve.finite()
    if len(finite) < 10 or not finite.values[0] > 0:
        return {"start_rise": NAN}, []
    head = finite.values[: max(3, math.ceil(share * len(finite)))]
    peak = int(np.argmax(head))
    rise = float(head[peak] / head[0])
    if rise < factor:
        return {"start_rise": rise}, []
    event = _event(
        finite,
        "explosion",
        0,
        peak,
        rise,
        f"{finite.tag or finite.role} rose to {rise:.1f}x its first value by step {finite.steps[peak]}, "
        "within the first tenth of the run",
        at_start=True,
    )
    return {"start_rise": rise}, [event]


def spikes(curve: Curve, *, threshold: float = 6.0, window: int | None = None) -> tuple[dict[str, float], list[Event]]:
    """Spikes: points far from the local median, by a robust z-score of the residuals (of the
    logarithm, for a positive curve).

    Numbers: ``spike_rate`` (spikes per 100 points) and ``spike_size`` (largest robust z).
    """
    numbers = {"spike_rate": NAN, "spike_size": NAN}
    finite = curve.finite()
    if len(finite) < _MIN_SPIKE_POINTS:
        return numbers, []
    window = window or max(5, (len(finite) // 50) | 1)
    values = np.log(finite.values) if finite.values.min() > 0 else finite.values  # losses fall by orders of magnitude
    level = rolling_median(values, window)
    residual = values - level
    residual[: window // 2 + 1] = 0.0  # a fast first descent is not a spike: the median lags at the edge
    spread = _robust_spread(residual)
    span = float(np.ptp(level))
    if spread == 0 or span == 0:
        numbers.update(spike_rate=0.0, spike_size=0.0)
        return numbers, []
    z = np.abs(residual) / spread
    found = np.flatnonzero((z > threshold) & (np.abs(residual) > _MIN_SPIKE_SPAN * span))
    numbers.update(spike_rate=100.0 * len(found) / len(finite), spike_size=float(z.max()))
    biggest = found[np.argsort(-z[found], kind="stable")][:10]
    events = [
        _event(
            finite,
            "spike",
            int(i),
            int(i),
            float(z[i]),
            f"{finite.tag or finite.role} jumped {z[i]:.0f} robust deviations off its trend at step {finite.steps[i]}",
        )
        for i in np.sort(biggest)
    ]
    return numbers, events


def noise(curve: Curve, *, window: int | None = None) -> float:
    """Noise-to-trend ratio: the robust spread of the residuals over the trend's range."""
    around = _around_trend(curve, window)
    if around is None:
        return NAN
    level, spread = around
    span = float(np.nanmax(level) - np.nanmin(level))
    constant = span <= _ROUNDING * float(np.nanmax(np.abs(level)))
    return NAN if constant else spread / span


def scatter(curve: Curve, *, window: int | None = None) -> float:
    """The robust spread of the points around their trend over the trend's typical level: unlike ``noise``,
    it does not grow as the trend flattens, so a loss that barely falls is not read as noisy."""
    around = _around_trend(curve, window)
    if around is None:
        return NAN
    level, spread = around
    typical = float(np.nanmedian(np.abs(level)))
    return spread / typical if typical > 0 else NAN


def _around_trend(curve: Curve, window: int | None) -> tuple[np.ndarray, float] | None:
    """The trend of the curve's finite points (a rolling median ``window`` points wide, a twentieth of the run by
    default) and the robust spread of the points around it; None below five points."""
    finite = curve.finite()
    if len(finite) < 5:
        return None
    level = rolling_median(finite.values, window or max(5, (len(finite) // 20) | 1))
    return level, _robust_spread(finite.values - level)


def plateaus(curve: Curve, *, min_fraction: float = 0.1, tolerance: float = 0.05) -> tuple[dict[str, float], list[Event]]:
    """Plateaus: stretches of at least ``min_fraction`` of the run where the smoothed curve moves
    less than ``tolerance`` of its whole range.

    Numbers: ``start_plateau`` and ``end_plateau`` (fraction of the run flat from the start / to
    the end), ``plateau_level`` (level of the longest plateau after progress, relative to the
    first and best levels: 1 = no progress, 0 = at the best).
    """
    numbers = {"start_plateau": NAN, "end_plateau": NAN, "plateau_level": NAN}
    finite = curve.finite()
    n = len(finite)
    if n < 5:
        return numbers, []
    smoothed = trend(finite)
    span = float(smoothed.max() - smoothed.min())
    length = max(3, math.ceil(min_fraction * n))
    if length > n:
        return numbers, []
    if span <= _ROUNDING * float(np.abs(smoothed).max()):  # constant but for rounding
        flat_points = np.ones(n, dtype=bool)
    else:
        from scipy.ndimage import maximum_filter1d, minimum_filter1d  # imported when first needed (slow to import)

        high = maximum_filter1d(smoothed, length, origin=-(length // 2))[: n - length + 1]
        low = minimum_filter1d(smoothed, length, origin=-(length // 2))[: n - length + 1]
        flat_start = (high - low) <= tolerance * span
        covered = np.zeros(n + 1, dtype=np.int64)
        np.add.at(covered, np.flatnonzero(flat_start), 1)
        np.add.at(covered, np.flatnonzero(flat_start) + length, -1)
        flat_points = np.cumsum(covered)[:n] > 0
    spans = _spans(flat_points)
    first, best = float(smoothed[0]), float(smoothed.min())
    numbers["start_plateau"] = _fraction(finite, spans[0]) if spans and spans[0][0] == 0 else 0.0
    numbers["end_plateau"] = _fraction(finite, spans[-1]) if spans and spans[-1][1] == n - 1 else 0.0
    events = []
    after_progress = []
    for start, end in spans:
        level = float(smoothed[start : end + 1].mean())
        relative = (level - best) / (first - best) if first - best > _RELATIVE_FLOOR * span else NAN
        where = "start" if start == 0 else "end" if end == n - 1 else "middle"
        if start > 0:
            after_progress.append((end - start, relative))
        events.append(
            _event(
                finite,
                "plateau",
                start,
                end,
                _fraction(finite, (start, end)),
                f"{finite.tag or finite.role} made no progress from step {finite.steps[start]} "
                f"to step {finite.steps[end]} ({where} of the run)",
                position=where,
                level=level,
                relative_level=relative,
            )
        )
    if after_progress:
        numbers["plateau_level"] = max(after_progress)[1]
    return numbers, events


FROZEN_DIGITS = 6
"""Values equal to this many significant digits are one value: a curve that holds one has stopped moving."""


def frozen(curve: Curve, *, min_fraction: float = 0.2) -> list[Event]:
    """The stretch up to the last point where the curve holds one value to ``FROZEN_DIGITS`` significant digits,
    when it spans ``min_fraction`` of the run or more (and five points at least): nothing moves any more. The
    event's magnitude is that fraction; ``level`` in its details is the value held."""
    finite = curve.finite()
    n = len(finite)
    if n < 5:
        return []
    held = float(finite.values[-1])
    same = np.abs(finite.values - held) <= 0.5 * 10.0 ** (1 - FROZEN_DIGITS) * abs(held) if held else finite.values == 0
    start = n - int(np.argmin(same[::-1])) if not same.all() else 0
    fraction = _fraction(finite, (start, n - 1)) if start < n - 1 else 0.0
    if n - start < 5 or fraction < min_fraction:
        return []
    name = finite.tag or finite.role
    return [
        _event(
            finite,
            "frozen",
            start,
            n - 1,
            fraction,
            f"{name} holds {held:.6g} from step {finite.steps[start]} to step {finite.steps[-1]} "
            f"({n - start} points, {FROZEN_DIGITS} significant digits): it has stopped moving",
            level=held,
        )
    ]


def best_step(curve: Curve, *, higher_is_better: bool = False) -> tuple[dict[str, float], list[Event]]:
    """The best value of a validation curve, how far it has moved away since, and whether it still improves.

    Numbers: ``best_position`` (fraction of the run), ``rise_since_best`` (drift from the best to
    the last value, relative to the improvement made before it), ``worse_since_best`` (the same
    drift relative to the best value, for messages: 0.34 = 34% worse), ``still_improving`` (1 when
    the best is among the last points).
    """
    numbers = {"best_position": NAN, "rise_since_best": NAN, "worse_since_best": NAN, "still_improving": NAN}
    finite = curve.finite()
    if len(finite) < 2:
        return numbers, []
    signed = -finite.values if higher_is_better else finite.values
    tie = _ROUNDING * float(np.abs(signed).max())
    best = int(np.argmax(signed <= signed.min() + tie))  # the first best, values equal but for rounding being equal
    first, last = float(signed[0]), float(signed[-1])
    improvement = first - float(signed[best])
    drift = last - float(signed[best])
    improvement, drift = (value if value > tie else 0.0 for value in (improvement, drift))
    numbers["best_position"] = _position(finite, best)
    numbers["rise_since_best"] = drift / improvement if improvement > 0 else (0.0 if drift == 0 else NAN)
    numbers["worse_since_best"] = drift / abs(float(signed[best])) if signed[best] != 0 else NAN
    numbers["still_improving"] = float(best >= len(finite) - max(2, len(finite) // 20))
    name = finite.tag or finite.role
    event = _event(
        finite,
        "best_step",
        best,
        best,
        float(finite.values[best]),
        f"{name} was best at step {finite.steps[best]} ({finite.values[best]:.4g})"
        + (f" and is {numbers['worse_since_best']:.0%} worse at the last step" if drift > 0 else ""),
    )
    return numbers, [event]


def start_level(values: np.ndarray) -> float:
    """A curve's typical level at its start: the median absolute value of its first few finite points."""
    finite = np.abs(values[np.isfinite(values)])
    return float(np.median(finite[: max(3, len(finite) // 20)])) if len(finite) else NAN


_FITTED = 0.01
"""A loss starting below this has already been fitted (or overfitted): a wide gap to it is no other scale."""
_BLOWN = 1e6
"""A loss starting above this has blown up: a wide gap to it is no other scale either."""


def scale_ratio(train: np.ndarray, val: np.ndarray) -> float:
    """How many times one loss's starting level is the other's, when they look like one quantity on two scales
    (a sum against a mean), else NaN. Measured at the start, on finite curves whose levels are neither fitted
    to near zero nor blown up: overfitting and divergence also part the two curves, later or by orders of magnitude."""
    if not (np.isfinite(train).all() and np.isfinite(val).all()):
        return NAN
    p, q = start_level(train), start_level(val)
    low, high = min(p, q), max(p, q)
    return high / low if low >= _FITTED and high <= _BLOWN else NAN


def gap(train: Curve, val: Curve) -> tuple[dict[str, float], list[Event]]:
    """Train/validation gap on aligned steps, relative to how far training moved.

    Numbers: ``gap_end`` (validation minus training at the last common step, over the training
    curve's range) and ``gap_growth`` (how much that gap grew since validation was best).
    """
    numbers = {"gap_end": NAN, "gap_growth": NAN}
    t, v = train.finite(), val.finite()
    if len(t) < 2 or len(v) < 2:
        return numbers, []
    if scale_ratio(train.values, val.values) >= SCALE_MISMATCH:
        # a sum against a mean: the factor between them (batch size, tokens, components) is unknown, so any
        # normalisation would compare shapes, not levels; the shapes are judged apart (best step, train drop)
        return numbers, []
    steps, train_at, val_at = align(t.steps, trend(t), v.steps, v.values)
    span = float(t.values.max() - t.values.min())
    if len(steps) < 2 or span == 0:
        return numbers, []
    difference = (val_at - train_at) / span
    best = int(np.argmin(val_at))
    numbers["gap_end"] = float(difference[-1])
    numbers["gap_growth"] = float(difference[-1] - difference[best])
    names = f"{v.tag or 'validation'} and {t.tag or 'training'}"
    description = f"the gap between {names} is {difference[-1]:.2f} of the training range at step {steps[-1]}"
    if best < len(steps) - 1:
        description += f", {difference[best]:.2f} when validation was best at step {steps[best]}"
    return numbers, [
        Event("gap", int(steps[best]), int(steps[-1]), float(difference[-1]), description, role="val_loss", tag=v.tag)
    ]


def chance_classes(accuracy: Curve) -> int | None:
    """Number of classes, when the first accuracy sits at chance level (1/C), else None."""
    finite = accuracy.finite()
    if not len(finite):
        return None
    first = float(finite.values[0])
    if not 0 < first <= 0.35:  # two classes are too ambiguous: 0.5 is also a well-trained guess's start
        return None
    classes = round(1 / first)
    return classes if 3 <= classes <= 1000 and abs(first - 1 / classes) <= 0.15 / classes else None


def initial_loss_vs_chance(loss: Curve, classes: int | None) -> tuple[dict[str, float], list[Event]]:
    """The first loss over ln(C), the cross-entropy of a uniform guess over C classes."""
    finite = loss.finite()
    if classes is None or classes < 2 or not len(finite):
        return {"initial_loss_vs_chance": NAN}, []
    ratio = float(finite.values[0]) / math.log(classes)
    event = _event(
        finite,
        "initial_loss",
        0,
        0,
        ratio,
        f"the first {finite.tag or 'loss'} is {finite.values[0]:.3g}, {ratio:.1f}x the "
        f"chance level ln({classes}) = {math.log(classes):.3g}",
    )
    return {"initial_loss_vs_chance": ratio}, [event]


def _robust_spread(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0
    mad = float(np.median(np.abs(values - np.median(values))))
    return _MAD_TO_SD * mad if mad > 0 else float(np.mean(np.abs(values - np.mean(values))))


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges ``(start, end)`` (inclusive) of the runs of True in ``mask``."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def _position(curve: Curve, index: int) -> float:
    """Where an index lies in the run, as a fraction of its steps."""
    first, last = int(curve.steps[0]), int(curve.steps[-1])
    return (int(curve.steps[index]) - first) / (last - first) if last > first else 0.0


def _fraction(curve: Curve, span: tuple[int, int]) -> float:
    first, last = int(curve.steps[0]), int(curve.steps[-1])
    return (int(curve.steps[span[1]]) - int(curve.steps[span[0]])) / (last - first) if last > first else 1.0


def _event(curve: Curve, kind: str, start: int, end: int, magnitude: float, description: str, **details) -> Event:
    return Event(
        kind,
        int(curve.steps[start]),
        int(curve.steps[end]),
        magnitude,
        description,
        role=curve.role,
        tag=curve.tag,
        details=details,
    )
