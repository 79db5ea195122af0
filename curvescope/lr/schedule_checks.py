"""Checks of a run's learning-rate schedule against the practice it comes from.

``cyclic_step_size``: a cyclic schedule's step size (the steps of a half cycle, ``step_size_up`` in
PyTorch's ``CyclicLR``) against the iterations of an epoch. The cyclic-learning-rate paper found a step
size of 2 to 10 epochs' iterations best; a shorter one cycles before the rate has done its work.
The iterations of an epoch are read off the validation curve, logged once an epoch, beside a rate
logged every step.

``early_floor``: a decay that reached the floor it then kept to the end of the run before half of the
run: the rest of the run trained at the floor, where a decay stretched over the whole run keeps learning.

``plateau_cut_on_noise``: a reduce-on-plateau schedule that cut the rate while validation was still
improving: one noisy evaluation above a lucky best tripped its patience, and the rate fell early.

``short_warmup``: a rate at its peak from (almost) the first step while the training loss, early on, rose
well above where it had been and then recovered: the large rate met the untrained network unprepared,
and a warm-up (or a lower peak) avoids the spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import theilslopes

from ..features.detectors import trend
from ..features.events import Curve, Event

EPOCHS_PER_STEP_SIZE = (2.0, 10.0)
"""The CLR paper's step size, in epochs."""
_FLAT = 1e-3


@dataclass(frozen=True)
class CyclicStepSize:
    """A cyclic schedule's half cycle in steps, the iterations of an epoch, and how many epochs the one makes of the other."""

    step_size: float
    iterations_per_epoch: float
    half_cycles: int

    @property
    def epochs(self) -> float:
        return self.step_size / self.iterations_per_epoch

    @property
    def within(self) -> bool:
        low, high = EPOCHS_PER_STEP_SIZE
        return low <= self.epochs <= high

    def advice(self) -> str:
        """In words, with the fix when the step size is outside the paper's range."""
        low, high = EPOCHS_PER_STEP_SIZE
        said = (
            f"a cyclic schedule: its step size (half a cycle) is {self.step_size:.0f} steps, {self.epochs:.2g} epochs of "
            f"{self.iterations_per_epoch:.0f} iterations (median of {self.half_cycles} half cycles)"
        )
        if self.within:
            return said + f", within the {low:g}-{high:g} epochs the CLR paper found best"
        short = self.epochs < low
        return said + (
            f"; the CLR paper found {low:g}-{high:g} epochs best: "
            f"{'lengthen' if short else 'shorten'} step_size_up to {low * self.iterations_per_epoch:.0f}-"
            f"{high * self.iterations_per_epoch:.0f} steps"
        )


def cyclic_step_size(lr: Curve | None, validation: Curve | None) -> CyclicStepSize | None:
    """The step size of a cyclic rate logged every step, against the epoch the validation curve's spacing gives;
    None when the rate does not cycle, or the epoch cannot be told (no validation curve, or one logged as often as the rate)."""
    if lr is None or validation is None:
        return None
    rate = lr.finite()
    keep = rate.values > 0
    steps, values = rate.steps[keep], rate.values[keep]
    val_steps = validation.steps
    if len(values) < 8 or len(val_steps) < 3 or len(values) < 3 * len(val_steps):
        return None
    change = np.diff(np.log(values))
    moving = np.flatnonzero(np.abs(change) > _FLAT)
    if len(moving) < 4:
        return None
    sign = np.sign(change[moving])
    turns = moving[1:][sign[1:] != sign[:-1]]  # the first change after each turn
    if len(turns) < 3:
        return None
    half = np.diff(steps[turns])
    epoch = float(np.median(np.diff(val_steps)))
    if epoch <= 1:
        return None
    return CyclicStepSize(float(np.median(half)), epoch, len(half))


FLOOR_SHARE = 0.5
"""A decay that reaches its floor before this share of the run leaves the rest of the run at the floor."""
FLOOR_DECAY = 10.0
"""A decay of at least this factor (peak over floor) is one to check."""
_AT_FLOOR = 1.05


@dataclass(frozen=True)
class EarlyFloor:
    """Where a decaying rate reached the floor it kept to the end of the run."""

    floor: float
    peak: float
    step: int
    share: float
    """Where that was, as a share of the run."""

    def advice(self) -> str:
        return (
            f"the rate reached its floor ({self.floor:.3g}, {self.peak / self.floor:.3g}x below its peak) at step {self.step}, "
            f"{self.share:.0%} into the run, and stayed there: the last {1 - self.share:.0%} trained at the floor; "
            "stretch the decay over the whole run (cosine or linear to the last step), or stop the run where the floor begins"
        )


def early_floor(lr: Curve | None) -> EarlyFloor | None:
    """The floor a rate decayed to (``FLOOR_DECAY`` or more below its peak) and kept from before ``FLOOR_SHARE`` of the
    run to its end; None otherwise."""
    if lr is None:
        return None
    rate = lr.finite()
    keep = rate.values > 0
    steps, values = rate.steps[keep], rate.values[keep]
    if len(values) < 5 or steps[-1] <= steps[0]:
        return None
    floor, peak = float(values[-1]), float(values.max())
    if peak < FLOOR_DECAY * floor or values.min() < floor / _AT_FLOOR:
        return None
    above = np.flatnonzero(values > _AT_FLOOR * floor)
    if not len(above) or above[-1] + 1 >= len(values):
        return None
    step = int(steps[above[-1] + 1])
    share = (step - steps[0]) / (steps[-1] - steps[0])
    return EarlyFloor(floor, peak, step, float(share)) if share <= FLOOR_SHARE else None


CUT_WINDOW = 6
"""The validation evaluations before a cut that say whether validation was still improving."""
CUT_CONFIDENCE = 0.9
"""How sure the fall of those evaluations must be (the Theil-Sen slope's interval lies below zero)."""


@dataclass(frozen=True)
class NoisyPlateauCut:
    """A reduce-on-plateau cut made while validation's trend over the evaluations before it was still falling."""

    step: int
    factor: float
    first_step: int
    evaluations: int
    slope: float
    """Validation's fall per evaluation before the cut (Theil-Sen; negative: improving)."""
    tag: str

    def advice(self) -> str:
        return (
            f"the rate was cut {self.factor:.3g}x at step {self.step} while {self.tag or 'validation'} was still "
            f"improving ({self.slope:.3g} per evaluation over the {self.evaluations} evaluations before, from step "
            f"{self.first_step}): a noisy evaluation tripped reduce-on-plateau; raise its patience or threshold, "
            "or monitor a smoothed metric"
        )


def plateau_cut_on_noise(kind: str | None, drops: tuple[Event, ...], validation: Curve | None) -> NoisyPlateauCut | None:
    """The first cut of a ``reduce_on_plateau`` schedule before which validation loss (``CUT_WINDOW`` evaluations, four
    at least) was falling with ``CUT_CONFIDENCE``; None otherwise. A plateau that really was one has a slope whose
    interval straddles zero, and is left alone."""
    if kind != "reduce_on_plateau" or validation is None:
        return None
    val = validation.finite()
    for drop in drops:
        before = val.steps <= drop.start_step
        steps, values = val.steps[before][-CUT_WINDOW:], val.values[before][-CUT_WINDOW:]
        if len(values) < 4:
            continue
        slope, _, _, high = theilslopes(values, np.arange(len(values)), alpha=CUT_CONFIDENCE)
        if high < 0:
            return NoisyPlateauCut(drop.end_step, drop.magnitude, int(steps[0]), len(values), float(slope), val.tag)
    return None


WARMUP_SHARE = 0.05
"""A rate at 90% of its peak within this share of the run had (almost) no warm-up."""
EARLY_SHARE = 0.2
"""The start of the run where an unprepared large rate shows: the loss's rise must begin and end within it."""
EARLY_RISE = 2.0
"""A smoothed loss this many times its running minimum, early on, has spiked."""


@dataclass(frozen=True)
class ShortWarmup:
    """An early spike of the training loss under a rate at its peak from the start, and where the loss recovered."""

    peak_step: int
    peak_rate: float
    rise_start: int
    rise_top: int
    rise: float
    recovered: int
    tag: str

    def advice(self) -> str:
        span = max(self.rise_top, 1)
        return (
            f"the rate was at its peak ({self.peak_rate:.3g}) by step {self.peak_step} and {self.tag or 'the loss'} rose "
            f"{self.rise:.3g}x from step {self.rise_start} to step {self.rise_top}, then recovered by step {self.recovered}: "
            f"warm the rate up over the first {span:,} steps or more (or lower its peak)"
        )


def short_warmup(lr: Curve | None, loss: Curve | None) -> ShortWarmup | None:
    """The spike of a training loss that, within the first ``EARLY_SHARE`` of the run, rose ``EARLY_RISE`` times above
    its running minimum (smoothed) and above where it started, then fell below where it rose from, under a rate at 90%
    of its peak within the first ``WARMUP_SHARE``; None otherwise (a warm-up; a loss that never recovered, which is an
    explosion, judged elsewhere)."""
    if lr is None or loss is None:
        return None
    rate, finite = lr.finite(), loss.finite()
    if len(rate) < 5 or len(finite) < 20 or not np.isfinite(loss.values).all() or finite.values.min() <= 0:
        return None
    first, last = int(finite.steps[0]), int(finite.steps[-1])
    peak_rate = float(rate.values.max())
    at_peak = int(rate.steps[int(np.argmax(rate.values >= 0.9 * peak_rate))])
    if at_peak - first > WARMUP_SHARE * (last - first):
        return None
    smoothed = trend(finite)
    early = finite.steps <= first + EARLY_SHARE * (last - first)
    running_min = np.minimum.accumulate(smoothed)
    ratio = np.where(early, smoothed / running_min, 1.0)
    top = int(np.argmax(ratio))
    if ratio[top] < EARLY_RISE or smoothed[top] <= smoothed[0]:  # noise near a small minimum is no spike: it rose past the start
        return None
    base = int(np.flatnonzero(smoothed[: top + 1] <= running_min[top])[-1])
    below = np.flatnonzero(smoothed[top:] < running_min[top])
    if not len(below):
        return None
    return ShortWarmup(
        at_peak,
        peak_rate,
        int(finite.steps[base]),
        int(finite.steps[top]),
        float(ratio[top]),
        int(finite.steps[top + below[0]]),
        finite.tag,
    )
