"""CS3xx: the learning rate was cut while the loss was still falling fast."""

from __future__ import annotations

from numbers import Real

from ...features.measured import RunContext
from ...params import Interval
from ..diagnosis import Evidence
from ..labels import DECAY_TOO_EARLY
from ..registry import Rule, ramp, register


@register
class CutWhileImproving(Rule):
    """The learning rate dropped early, while the loss was still falling fast, and the loss then stalled.

    What it detects:
    A first learning-rate drop (from the lr curve, or read off an abrupt fall of the loss when
    no lr was logged) within the first ``max_position`` of the run, after which the training
    loss fell less than ``max_fall`` of what its slope before the drop promised by the last step.
    When validation turned up after its best (``overfit_rise`` worse than its best), an early
    cut is what a reduce-on-plateau schedule does to an overfitting run, and is left to CS401.

    Why it matters:
    A smaller rate only takes smaller steps: cut before the loss has flattened, it freezes the
    model far above where it was heading, and the remaining epochs are spent crawling.

    Example:
    lr dropped 10x at step 280 (10% of the run); the loss then fell 5% of what its earlier
    slope promised.

    What to try:
    Move the first decay past the point where the loss flattens (a longer step size, a larger
    patience), use cosine over the whole run, or raise the base learning rate.
    """

    code = "CS301"
    name = "lr-cut-while-improving"
    label = DECAY_TOO_EARLY
    _parameter_constraints = {
        "max_position": [Interval(Real, 0.0, 1.0, closed="neither")],
        "max_fall": [Interval(Real, 0.0, None, closed="neither")],
        "overfit_rise": [Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, max_position: float = 0.4, max_fall: float = 0.35, overfit_rise: float = 0.15):
        self.max_position = max_position
        self.max_fall = max_fall
        self.overfit_rise = overfit_rise

    def check(self, context: RunContext):
        position, fall = context.value("first_drop_position"), context.value("fall_vs_promised")
        drop = context.first("lr_drop")
        overfits = context.value("worse_since_best") >= self.overfit_rise and context.has("val_loss")
        if drop is None or overfits or not (position <= self.max_position and fall <= self.max_fall):
            return
        confidence = ramp(fall, self.max_fall, 0.0) * (0.8 if drop.inferred else 1.0)
        yield self.diagnose(
            context,
            confidence,
            f"{drop.description} ({position:.0%} into the run); the loss then fell only {max(fall, 0):.0%} of what "
            "its slope before the drop promised",
            self.fix(f"the cut at step {drop.end_step:,} came while the loss was still falling"),
            [
                Evidence.of(drop, self.max_position),
                Evidence(
                    "fall_vs_promised",
                    f"fall after the drop over the fall promised: {fall:.2f}",
                    drop.end_step,
                    None,
                    fall,
                    self.max_fall,
                    "train_loss",
                    context.curves["train_loss"].tag,
                ),
            ],
        )


@register
class DecaysToFloorEarly(Rule):
    """A smooth schedule brings the learning rate to a small fraction of its peak early in the run.

    What it detects:
    A logged lr that falls below half its peak within the first ``max_half_position`` of the
    run and ends ``min_decay`` times (or more) below its peak, after which the training loss
    fell less than ``max_fall`` of what its slope before that point promised.

    Why it matters:
    An exponential decay with too small a factor, or a cosine period far shorter than the run,
    leaves most epochs at a rate too small to move the weights.

    Example:
    lr fell below half its peak 8% into the run and ended 1,000x below it; the loss then fell 4%
    of what its slope before promised.

    What to try:
    Stretch the schedule over the whole run (cosine with T = the run's length, a gentler
    exponential factor), or restart it.
    """

    code = "CS302"
    name = "lr-decays-to-floor-early"
    label = DECAY_TOO_EARLY
    _parameter_constraints = {
        "max_half_position": [Interval(Real, 0.0, 1.0, closed="neither")],
        "min_decay": [Interval(Real, 1.0, None, closed="neither")],
        "max_fall": [Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, max_half_position: float = 0.2, min_decay: float = 30.0, max_fall: float = 0.5):
        self.max_half_position = max_half_position
        self.min_decay = min_decay
        self.max_fall = max_fall

    def check(self, context: RunContext):
        half, decay = context.value("lr_half_position"), context.value("lr_total_decay")
        fall = context.value("fall_vs_promised")
        if not (half <= self.max_half_position and decay >= self.min_decay and fall <= self.max_fall):
            return
        lr, loss = context.curves["lr"], context.curves["train_loss"]
        half_step = context.step_at(half)
        yield self.diagnose(
            context,
            ramp(half, self.max_half_position, 0.0),
            f"{lr.tag} fell below half its peak by step {half_step:,} ({half:.0%} into the run) and ended {decay:.3g}x "
            f"below it; {loss.tag} then fell only {max(fall, 0):.0%} of what its slope before promised",
            self.fix(f"the rate was spent by step {half_step:,}"),
            [
                Evidence(
                    "lr_half_position",
                    f"lr below half its peak from step {half_step:,}",
                    half_step,
                    None,
                    half,
                    self.max_half_position,
                    "lr",
                    lr.tag,
                ),
                Evidence(
                    "fall_vs_promised",
                    f"fall after that over the fall promised: {fall:.2f}",
                    half_step,
                    None,
                    fall,
                    self.max_fall,
                    "train_loss",
                    loss.tag,
                ),
            ],
        )
