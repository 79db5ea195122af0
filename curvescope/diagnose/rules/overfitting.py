"""CS4xx: the model memorises the training set."""

from __future__ import annotations

from numbers import Real

from ...features.measured import RunContext
from ...params import Interval
from ..diagnosis import Evidence
from ..labels import OVERFITTING
from ..registry import Rule, ramp, register


@register
class ValLossRisesAfterBest(Rule):
    """The validation loss reached its best and then rose, while the training loss kept falling.

    What it detects:
    A validation loss that ends ``min_rise`` (or more) above its best value, relative to the
    best, with the best before ``max_best_position`` of the run, the train/validation gap grown
    by ``min_gap_growth`` of the training loss's range since the best, and the training loss
    lower at the end than when validation was best.

    Why it matters:
    From the best step on, the model learns the training set's noise: every later checkpoint
    generalises worse than the best one, and the compute after it was wasted.

    Example:
    val/loss bottomed at step 1,200 (0.31) and has risen 34% since; the gap grew from 0.02 to
    0.40 of the training range.

    What to try:
    Keep the checkpoint at the best validation step (early stopping), add weight decay,
    dropout or augmentation, get more data, or shrink the model.
    """

    code = "CS401"
    name = "val-loss-rises-after-best"
    label = OVERFITTING
    _parameter_constraints = {
        "min_rise": [Interval(Real, 0.0, None, closed="neither")],
        "max_best_position": [Interval(Real, 0.0, 1.0)],
        "min_gap_growth": [Interval(Real, 0.0, None)],
    }

    def __init__(self, min_rise: float = 0.15, max_best_position: float = 0.85, min_gap_growth: float = 0.1):
        self.min_rise = min_rise
        self.max_best_position = max_best_position
        self.min_gap_growth = min_gap_growth

    def check(self, context: RunContext):
        if not context.has("val_loss"):
            return
        rise, position, growth, since = (
            context.value(n) for n in ("worse_since_best", "best_position", "gap_growth", "train_since_best")
        )
        best, gap = context.first("best_step"), context.first("gap")
        if best is None or not (
            rise >= self.min_rise and position <= self.max_best_position and growth >= self.min_gap_growth and since < 1
        ):
            return
        evidence = [Evidence.of(best, self.min_rise)] + ([Evidence.of(gap)] if gap is not None else [])
        yield self.diagnose(
            context,
            ramp(rise, self.min_rise, 5 * self.min_rise),
            f"{best.tag} bottomed at step {best.end_step:,} ({best.magnitude:.4g}) and has risen {rise:.0%} since, "
            "while the training loss kept falling",
            self.fix(f"validation was best at step {best.end_step:,}"),
            evidence,
        )


@register
class ValAccuracyFallsAfterBest(Rule):
    """Validation accuracy peaked and then fell (judged only when no validation loss was logged).

    What it detects:
    A validation accuracy that ends ``min_fall`` (or more, relative to its peak) below its
    peak, reached before ``max_best_position`` of the run.

    Why it matters:
    The same memorisation as a rising validation loss, seen on the metric that was logged.

    Example:
    val_acc peaked at 0.91 at epoch 12 and ends at 0.86, 5% lower.

    What to try:
    Keep the checkpoint at the peak (early stopping), regularise, get more data, shrink the model.
    """

    code = "CS402"
    name = "val-accuracy-falls-after-best"
    label = OVERFITTING
    _parameter_constraints = {
        "min_fall": [Interval(Real, 0.0, 1.0, closed="right")],
        "max_best_position": [Interval(Real, 0.0, 1.0)],
    }

    def __init__(self, min_fall: float = 0.03, max_best_position: float = 0.85):
        self.min_fall = min_fall
        self.max_best_position = max_best_position

    def check(self, context: RunContext):
        if context.has("val_loss") or not context.has("val_acc"):
            return
        fall, position = context.value("worse_since_best"), context.value("best_position")
        best = context.first("best_step")
        if best is None or not (fall >= self.min_fall and position <= self.max_best_position):
            return
        yield self.diagnose(
            context,
            ramp(fall, self.min_fall, 4 * self.min_fall),
            f"{best.tag} peaked at step {best.end_step:,} ({best.magnitude:.4g}) and ends {fall:.0%} lower",
            self.fix(f"validation was best at step {best.end_step:,}"),
            [Evidence.of(best, self.min_fall)],
        )
