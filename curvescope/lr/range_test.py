"""LR range tests: recognising one among a run's curves, and reading the rates it suggests.

A range test (the cyclic-learning-rate paper's "LR range test", fastai's ``lr_find``, Lightning's
``Tuner.lr_find``, ``torch-lr-finder``) trains for a short while with a rate that rises every step,
usually exponentially, and logs the loss at each. Read against the rate on a log axis, the loss
first barely moves, then falls, reaches a minimum and turns up as the rate becomes too large.

``recognise`` says whether a run's ``lr`` and ``train_loss`` curves are such a test (and why): a rate
that rises exponentially every step, or linearly when the loss ended above where it started (a linear warm-up
from near zero in a run cut short rises the same way, and is no test);
``analyse`` reads it: the smoothed loss (a centred moving average, so that no smoothing lag moves
a rate), where it falls fastest per decade of rate (``steepest``), its ``minimum``, where it
diverges, and the rates to use: the steepest (or the minimum / 10 when the steepest point sits at
the minimum), the cyclic schedule's ``base_lr`` and ``max_lr`` (where the loss starts to fall and
where it stops falling) and the one-cycle maximum.
Each rate is read under several smoothing windows; their spread is its ``RateEstimate.low`` to
``high``, so a noisy test gives a range, not a number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..features.events import Curve
from ..features.smoothing import rolling_mean

MIN_POINTS = 10
"""A range test logs at least this many points of loss against rate."""
MAX_POINTS = 5000
"""And at most this many: it is a short run (fastai, Lightning and torch-lr-finder take 100 steps by default)."""
MIN_DECADES = 1.5
"""The rate rises over at least this many decades."""
MONOTONE = 0.98
"""At least this share of the rate's changes from one logged step to the next are rises or ties."""
DIVERGES = 4.0
"""After its minimum, a loss above this many times the minimum has diverged (Lightning's ``early_stop_threshold``)."""
WINDOWS = (0.04, 0.08, 0.15)
"""The smoothing windows, as shares of the test's points: the middle one gives each rate, all three its range."""
FELL = 0.1
"""The share of its whole fall after which the loss has started to fall (the cyclic ``base_lr``); the fall
stops (the cyclic and one-cycle ``max_lr``) when all but this share of it is done."""
CLOSE = 0.5
"""A steepest point less than this many decades below the minimum is no steepest point: the fall is too short
or too noisy to place it (it is where noise dips just before the loss turns), so the minimum / 10 is suggested."""
NOISY = 0.15
"""A test whose noise (the raw loss's spread about its smoothed curve) is this share of its fall or more is noisy."""


@dataclass(frozen=True)
class RateEstimate:
    """One rate read off a range test: its value, the range the smoothing windows give, and the step it is read at."""

    value: float
    low: float
    high: float
    step: int
    loss: float
    """The smoothed loss there."""

    def spread_decades(self) -> float:
        return math.log10(self.high / self.low) if self.low > 0 else math.inf


@dataclass(frozen=True)
class RangeTest:
    """A range test, read. Rates are ``None`` where the test does not show them (a loss that never fell)."""

    run: str
    why: str
    """Why the run is read as a range test, in words."""
    steps: tuple[int, ...]
    lr: tuple[float, ...]
    loss: tuple[float, ...]
    """The points analysed: rate and raw loss at each step, up to the first non-finite loss."""
    smoothed: tuple[float, ...]
    steepest: RateEstimate | None
    minimum: RateEstimate | None
    divergence: RateEstimate | None
    """Where the loss, after its minimum, went above ``DIVERGES`` x the minimum or back above where it started, or
    became non-finite (None: it never did)."""
    base_lr: RateEstimate | None
    max_lr: RateEstimate | None
    noise: float
    """The raw loss's spread about the smoothed curve up to its minimum, as a share of the loss's fall (NaN: no fall)."""
    notes: tuple[str, ...]
    """What limits the reading: a noisy test, a loss that never fell or never turned up."""

    @property
    def steepest_at_minimum(self) -> bool:
        """Whether the steepest point lies less than ``CLOSE`` decades below the minimum."""
        if self.steepest is None or self.minimum is None:
            return False
        return math.log10(self.minimum.value / self.steepest.value) < CLOSE

    @property
    def suggested_by(self) -> str | None:
        """Which reading gives the suggestion: ``steepest``, or ``minimum/10`` when the steepest point sits at the minimum."""
        if self.steepest is None:
            return None
        return "minimum/10" if self.steepest_at_minimum else "steepest"

    @property
    def suggested(self) -> float | None:
        """The rate to train at: where the loss falls fastest, or a tenth of the minimum when that is at the minimum."""
        if self.steepest is None:
            return None
        return self.minimum_over_10 if self.steepest_at_minimum else self.steepest.value

    @property
    def suggested_range(self) -> tuple[float, float] | None:
        """The suggestion's range under the smoothing windows."""
        if self.steepest is None:
            return None
        if self.steepest_at_minimum:
            return self.minimum.low / 10, self.minimum.high / 10
        return self.steepest.low, self.steepest.high

    @property
    def minimum_over_10(self) -> float | None:
        """The other common choice: a tenth of the rate at the minimum."""
        return None if self.minimum is None else self.minimum.value / 10

    @property
    def one_cycle_max_lr(self) -> float | None:
        """One-cycle's maximum rate: the largest rate at which the loss still falls, the cyclic ``max_lr``."""
        return None if self.max_lr is None else self.max_lr.value

    def evidence(self) -> tuple[str, ...]:
        """What on the curve backs each rate, one line each."""
        lines = []
        for name, estimate, what in (
            ("steepest", self.steepest, "the smoothed loss falls fastest per decade of rate"),
            ("minimum", self.minimum, "the smoothed loss is lowest"),
            ("base_lr", self.base_lr, f"the loss has made {FELL:.0%} of its fall: it starts to fall"),
            ("max_lr", self.max_lr, f"the loss has made {1 - FELL:.0%} of its fall: it stops falling"),
            ("divergence", self.divergence, f"the loss is above {DIVERGES:g}x its minimum or where it started, or not finite"),
        ):
            if estimate is not None:
                lines.append(
                    f"{name} {estimate.value:.3g} (range {estimate.low:.3g}-{estimate.high:.3g}) at step {estimate.step}: "
                    f"{what} (smoothed loss {estimate.loss:.4g})"
                )
        return tuple(lines)

    def to_dict(self) -> dict:
        """JSON-ready: every number finite or None."""
        out = {
            "run": self.run,
            "why": self.why,
            "suggested": self.suggested,
            "suggested_by": self.suggested_by,
            "suggested_range": None if self.suggested_range is None else list(self.suggested_range),
            "minimum_over_10": self.minimum_over_10,
            "one_cycle_max_lr": self.one_cycle_max_lr,
            "noise": None if not math.isfinite(self.noise) else self.noise,
            "notes": list(self.notes),
            "evidence": list(self.evidence()),
            "points": len(self.steps),
        }
        for name in ("steepest", "minimum", "divergence", "base_lr", "max_lr"):
            estimate = getattr(self, name)
            out[name] = None if estimate is None else asdict(estimate)
        return out


def recognise(lr: Curve | None, loss: Curve | None) -> str | None:
    """Why the curves are a range test (a rate that rises monotonically over ``MIN_DECADES`` or more
    in a short run, with the loss logged at its steps), or None when they are not."""
    if lr is None or loss is None:
        return None
    rate = lr.finite()
    rate = Curve(rate.steps[rate.values > 0], rate.values[rate.values > 0])
    if not MIN_POINTS <= len(rate) <= MAX_POINTS:
        return None
    log_rate = np.log10(rate.values)
    change = np.diff(log_rate)
    rises = float(np.mean(change >= -1e-9))
    decades = float(log_rate[-1] - log_rate[0])
    if rises < MONOTONE or decades < MIN_DECADES or log_rate[-1] < log_rate.max() - 1e-9:
        return None
    shared = np.isin(loss.steps, rate.steps).sum()
    if shared < MIN_POINTS or shared < 0.5 * len(rate):
        return None
    exponential = _straighter_in_log(rate.steps, rate.values)
    if not exponential and not _diverged(loss):
        return None  # a warm-up from near zero, in a run cut short, rises linearly too
    shape = "exponentially" if exponential else "linearly, and the loss ended above where it started,"
    return (
        f"its rate rises {shape} every step, over {decades:.1f} decades ({rate.values[0]:.2g} to {rate.values[-1]:.2g}) "
        f"in {len(rate)} steps, with the loss logged at {shared} of them"
    )


def _diverged(loss: Curve) -> bool:
    """Whether the loss ends non-finite, or its last twentieth is on average above its first twentieth."""
    values = loss.values
    if len(values) and not np.isfinite(values[-1]):
        return True
    finite = values[np.isfinite(values)]
    if len(finite) < MIN_POINTS:
        return False
    part = max(3, len(finite) // 20)
    return bool(finite[-part:].mean() > finite[:part].mean())


def _straighter_in_log(steps: np.ndarray, values: np.ndarray) -> bool:
    """Whether the rate is closer to a straight line against the step on a log axis than on a linear one."""

    def r2(y: np.ndarray) -> float:
        r = np.corrcoef(steps, y)[0, 1] if np.ptp(y) > 0 and np.ptp(steps) > 0 else 0.0
        return float(r * r) if np.isfinite(r) else 0.0

    return r2(np.log(values)) >= r2(values)


def analyse(run: str, lr: Curve, loss: Curve, why: str = "") -> RangeTest:
    """Read a range test: the rates it suggests, each with its range and the step it is read at."""
    steps, rate, raw, cut = _points(lr, loss)
    notes = [f"the loss became non-finite at step {cut}: the test diverged there"] if cut is not None else []
    n = len(steps)
    readings = [_read(steps, rate, raw, max(3, int(round(share * n)) | 1)) for share in WINDOWS]
    main = readings[len(readings) // 2]
    smoothed = main["smoothed"]
    estimates = {}
    for name in ("steepest", "minimum", "divergence", "base_lr", "max_lr"):
        found = [reading[name] for reading in readings if reading[name] is not None]
        if main[name] is None or not found:
            estimates[name] = None
            continue
        index = main[name]
        values = [rate[i] for i in found]
        estimates[name] = RateEstimate(
            float(rate[index]), float(min(values)), float(max(values)), int(steps[index]), float(smoothed[index])
        )
    if cut is not None and estimates["divergence"] is None and n:
        estimates["divergence"] = RateEstimate(float(rate[-1]), float(rate[-1]), float(rate[-1]), int(cut), float(smoothed[-1]))
    fall = main["fall"]
    upto = (main["minimum"] or 0) + 1  # beyond the minimum the loss's swings are the divergence, not noise
    noise = float(np.std(raw[:upto] - smoothed[:upto]) / fall) if fall > 0 else math.nan
    if estimates["steepest"] is None:
        notes.append("the smoothed loss never fell: start the test at a lower rate, or run it longer")
    else:
        if noise >= NOISY:
            notes.append(
                f"a noisy test (the loss's noise is {noise:.0%} of its fall): read the ranges, not the numbers; "
                "a larger batch or more steps narrow them"
            )
        steepest, lowest = estimates["steepest"], estimates["minimum"]
        if lowest is not None and math.log10(lowest.value / steepest.value) < CLOSE:
            notes.append(
                f"the steepest descent ({steepest.value:.3g}) is within {CLOSE:g} decades of the minimum ({lowest.value:.3g}): "
                "the fall is too short or too noisy to place it, so the minimum / 10 is suggested"
            )
        if estimates["divergence"] is None and not main["turned_up"]:
            notes.append("the loss never turned up: the test stopped before the rate was too high; end it at a higher rate")
    return RangeTest(
        run,
        why,
        tuple(int(s) for s in steps),
        tuple(float(x) for x in rate),
        tuple(float(x) for x in raw),
        tuple(float(x) for x in smoothed),
        estimates["steepest"],
        estimates["minimum"],
        estimates["divergence"],
        estimates["base_lr"],
        estimates["max_lr"],
        noise,
        tuple(notes),
    )


def _points(lr: Curve, loss: Curve) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None]:
    """Steps, rate and loss where both are logged and the rate is positive, up to the first non-finite
    loss (whose step is returned as the cut; None when every loss is finite)."""
    steps, at_lr, at_loss = np.intersect1d(lr.steps, loss.steps, return_indices=True)
    rate, raw = lr.values[at_lr], loss.values[at_loss]
    keep = np.isfinite(rate) & (rate > 0)
    steps, rate, raw = steps[keep], rate[keep], raw[keep]
    bad = np.flatnonzero(~np.isfinite(raw))
    if len(bad):
        return steps[: bad[0]], rate[: bad[0]], raw[: bad[0]], int(steps[bad[0]])
    return steps, rate, raw, None


def _read(steps: np.ndarray, rate: np.ndarray, raw: np.ndarray, window: int) -> dict:
    """The indices of each rate under one smoothing window (None where the curve does not show it)."""
    smoothed = rolling_mean(raw, window) if len(raw) else raw
    found: dict = {"smoothed": smoothed, "fall": 0.0, "turned_up": False}
    found.update(dict.fromkeys(("steepest", "minimum", "divergence", "base_lr", "max_lr")))
    if len(raw) < 3:
        return found
    rising = np.flatnonzero(np.diff(smoothed) <= 0)  # a tool's smoothing started from zero makes the loss rise at first
    first = int(rising[0]) if len(rising) else len(smoothed) - 1
    lowest = first + int(np.argmin(smoothed[first:]))
    top = first + int(np.argmax(smoothed[first : lowest + 1]))
    start = float(smoothed[top])
    fall = start - float(smoothed[lowest])
    found["fall"] = fall
    if lowest == top or fall <= 0:
        return found
    with np.errstate(divide="ignore", invalid="ignore"):  # a rate held for several steps gives no slope there
        slope = np.gradient(smoothed, np.log10(rate)) if np.ptp(rate) > 0 else np.zeros(len(rate))
    slope = np.where(np.isfinite(slope), slope, 0.0)
    edge = window // 2  # the moving average is one-sided there
    span = np.arange(max(top, min(edge, lowest - 1)), lowest + 1)
    found["steepest"] = int(span[np.argmin(slope[span])])
    found["minimum"] = lowest
    before = smoothed[top : lowest + 1]
    found["base_lr"] = top + int(np.argmax(before <= start - FELL * fall))
    found["max_lr"] = top + int(np.argmax(before <= start - (1 - FELL) * fall))
    bound = DIVERGES * smoothed[lowest] if smoothed[lowest] > 0 else start
    above = np.flatnonzero((raw[lowest:] > bound) | (smoothed[lowest:] > start))
    found["divergence"] = int(lowest + above[0]) if len(above) else None
    found["turned_up"] = bool(smoothed[lowest:].max() - smoothed[lowest] >= FELL * fall)
    return found
