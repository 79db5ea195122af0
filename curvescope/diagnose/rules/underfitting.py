"""CS5xx: the model cannot fit even the training set."""

from __future__ import annotations

import math
from numbers import Real

from ...features.detectors import scatter
from ...features.measured import RunContext
from ...params import Interval
from ..diagnosis import Evidence
from ..labels import UNDERFITTING
from ..located import underfitting_cause
from ..registry import Rule, ramp, register


@register
class LossBarelyFalls(Rule):
    """The training loss hardly falls over the whole run, smoothly and without exploding.

    What it detects:
    A smoothed training loss that ends at ``min_final`` (or more) of its first level (of the chance level
    ln(C) when that is higher: a per-epoch log's first point already fell from it), with no
    explosion, no non-finite value and little scatter around its trend (below ``max_scatter`` of its level:
    a loss that barely falls has a flat trend, so its scatter is weighed against the level, not the trend's
    range). Not on a
    fine-tune of a pretrained model (named by its hyperparameters, or a first loss far below
    chance): it starts low, so a loss that barely falls is what fine-tuning looks like.

    Why it matters:
    Whatever the model can represent, it is not learning it: too small a model, too strong a
    regulariser, or a learning rate far too low all look like this.

    Example:
    train/loss ends at 88% of its first level after 3,000 steps, creeping down smoothly.

    What to try:
    A learning rate 10x higher first (the cheapest test); then a bigger model, less
    regularisation, longer training.
    """

    code = "CS501"
    name = "loss-barely-falls"
    label = UNDERFITTING
    _parameter_constraints = {
        "min_final": [Interval(Real, 0.0, 1.0, closed="neither")],
        "max_scatter": [Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, min_final: float = 0.7, max_scatter: float = 0.25):
        self.min_final = min_final
        self.max_scatter = max_scatter

    def check(self, context: RunContext):
        final, curve = context.loss_left(), context.curves["train_loss"]
        exploded = context.value("non_finite_fraction") > 0 or context.first("explosion") is not None
        if context.fine_tuned or exploded or not final >= self.min_final or scatter(curve) >= self.max_scatter:
            return
        yield self.diagnose(
            context,
            ramp(final, self.min_final, 1.0),
            f"{curve.tag} ends at {final:.0%} of {context.loss_start()} after {int(curve.steps[-1]):,} steps",
            self.fix(underfitting_cause(context) or "the model is not learning the training set"),
            [
                Evidence(
                    "train_drop",
                    f"last level of {curve.tag} over where it started: {final:.2f}",
                    int(curve.steps[0]),
                    int(curve.steps[-1]),
                    final,
                    self.min_final,
                    "train_loss",
                    curve.tag,
                )
            ],
        )


@register
class LossFrozen(Rule):
    """The training loss has stopped moving: it holds one value to six significant digits.

    What it detects:
    The last ``min_fraction`` of the run (or more) of a training loss that repeats one value to
    six significant digits, while that value is still ``min_level`` of its first level or more (a
    loss fitted to zero also stops moving, and is no trouble). Not where a logged learning rate had
    already fallen to ``SPENT`` of its peak: a schedule decayed to nothing explains the stop, and the
    decay rules judge it.

    Why it matters:
    Nothing is being learned: a learning rate of zero, parameters left out of the optimiser or
    frozen by mistake, units that died after too large a step, or a logger writing one cached value.

    Example:
    train/loss holds 0.693147 from step 400 to step 2,000 (ln 2: a binary classifier guessing).

    What to try:
    Check the learning rate is not zero at that step, that the optimiser holds the model's
    parameters and that gradients reach them; then the underfitting fixes.
    """

    code = "CS502"
    name = "loss-frozen"
    label = UNDERFITTING
    _parameter_constraints = {
        "min_fraction": [Interval(Real, 0.0, 1.0, closed="right")],
        "min_level": [Interval(Real, 0.0, None, closed="left")],
    }

    def __init__(self, min_fraction: float = 0.2, min_level: float = 0.3):
        self.min_fraction = min_fraction
        self.min_level = min_level

    def check(self, context: RunContext):
        frozen = context.first("frozen", role="train_loss")
        first = context.value("initial_loss")
        if frozen is None or frozen.magnitude < self.min_fraction or not first > 0:
            return
        level = frozen.details.get("level", math.nan)
        if not level >= self.min_level * first or _rate_spent(context, frozen.start_step):
            return
        yield self.diagnose(
            context,
            ramp(frozen.magnitude, self.min_fraction, 3 * self.min_fraction),
            f"{frozen.description}, at {level / first:.0%} of its first level",
            self.fix(f"nothing was learned after step {frozen.start_step:,}"),
            [Evidence.of(frozen, self.min_fraction)],
        )


SPENT = 0.01
"""A learning rate at this share of its peak, or less, has stopped training by itself."""


def _rate_spent(context: RunContext, step: int) -> bool:
    """The logged learning rate at ``step`` is ``SPENT`` of its peak before it, or less."""
    lr = context.curves["lr"].finite() if "lr" in context.curves else None
    if lr is None or not len(lr) or lr.steps[0] > step:
        return False
    before = lr.values[lr.steps <= step]
    return bool(before.max() > 0 and before[-1] <= SPENT * before.max())
