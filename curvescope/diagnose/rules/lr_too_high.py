"""CS2xx: the step size is too large for the loss surface."""

from __future__ import annotations

from numbers import Real

from ...features.detectors import scatter
from ...features.measured import RunContext
from ...params import Interval
from ..diagnosis import Evidence
from ..labels import LR_TOO_HIGH
from ..registry import CERTAIN, Rule, ramp, register


@register
class LossDiverges(Rule):
    """The training loss explodes: it becomes NaN or infinite, or grows far above its running minimum.

    What it detects:
    A non-finite training loss; a smoothed training loss that rises ``min_ratio`` times (or
    more) above the lowest level it had reached and ends up above where it started (a loss near
    zero that wobbles tenfold has not exploded); or, in the run's first tenth, a logged point
    ``min_start_rise`` times the first one or more (the first updates overshot: a healthy loss
    starts near its highest).

    Why it matters:
    Updates too large for the curvature overshoot the minimum and feed on themselves; once the
    loss is NaN nothing after it is training.

    Example:
    train/loss rose 480x above its running minimum from step 300 to step 420, then became NaN.

    What to try:
    Lower the learning rate 3-10x, add a warm-up, clip gradients (norm 1.0 is a common start);
    with mixed precision, check the loss scaling.
    """

    code = "CS201"
    name = "loss-diverges"
    label = LR_TOO_HIGH
    _parameter_constraints = {
        "min_ratio": [Interval(Real, 1.0, None, closed="neither")],
        "min_start_rise": [Interval(Real, 1.0, None, closed="neither")],
    }

    def __init__(self, min_ratio: float = 10.0, min_start_rise: float = 3.0):
        self.min_ratio = min_ratio
        self.min_start_rise = min_start_rise

    def check(self, context: RunContext):
        non_finite = context.first("non_finite", role="train_loss")
        explosions = [e for e in context.events if e.kind == "explosion" and e.role == "train_loss"]
        at_start = next((e for e in explosions if e.details.get("at_start") and e.magnitude >= self.min_start_rise), None)
        later = next((e for e in explosions if not e.details.get("at_start")), None)
        ratio = context.value("explosion_ratio")
        evidence = []
        if non_finite is not None:
            evidence.append(Evidence.of(non_finite))
        if at_start is not None:
            evidence.append(Evidence.of(at_start, self.min_start_rise))
        elif later is not None and ratio >= self.min_ratio and context.value("peak_vs_start") > 1:
            evidence.append(Evidence.of(later, self.min_ratio))
        if not evidence:
            return
        if non_finite is not None:
            confidence = CERTAIN
        elif at_start is not None:
            confidence = ramp(at_start.magnitude, self.min_start_rise, self.min_start_rise**2)
        else:
            confidence = ramp(ratio, self.min_ratio, self.min_ratio**2)
        first = min(evidence, key=lambda e: e.start_step)
        yield self.diagnose(
            context,
            confidence,
            "; ".join(e.description for e in evidence),
            self.fix(f"the loss blew up from step {first.start_step:,}"),
            evidence,
        )


@register
class LossOscillatesWithoutProgress(Rule):
    """The training loss swings violently with no downward trend.

    What it detects:
    A smoothed training loss that ends at ``min_final`` (or more) of its first level while its
    points scatter around the trend by ``min_scatter`` of the loss's level or more (weighed against the
    level, not the trend's range: a flat trend would make any minibatch noise look violent), and no
    explosion (``CS201`` reads that).

    Why it matters:
    Each step jumps across the valley instead of down it: the model does not learn, and its
    loss tells nothing about how good the architecture could be.

    Example:
    train/loss ends at 95% of its first level and scatters 40% of its level around its trend.

    What to try:
    Lower the learning rate 10x and look again; add a warm-up; clip gradients.
    """

    code = "CS202"
    name = "loss-oscillates-without-progress"
    label = LR_TOO_HIGH
    _parameter_constraints = {
        "min_final": [Interval(Real, 0.0, None, closed="neither")],
        "min_scatter": [Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, min_final: float = 0.8, min_scatter: float = 0.2):
        self.min_final = min_final
        self.min_scatter = min_scatter

    def check(self, context: RunContext):
        final, curve = context.value("train_drop"), context.curves["train_loss"]
        spread = scatter(curve)
        exploded = context.first("explosion", role="train_loss") is not None  # CS201 reads a blow-up: no scatter
        if exploded or not (final >= self.min_final and spread >= self.min_scatter):
            return
        yield self.diagnose(
            context,
            ramp(spread, self.min_scatter, 3 * self.min_scatter),
            f"{curve.tag} ends at {final:.0%} of its first level and scatters {spread:.0%} of its level around "
            f"its trend from step {int(curve.steps[0]):,} to step {int(curve.steps[-1]):,}",
            self.fix("the loss never settled into a descent"),
            [
                Evidence(
                    "scatter",
                    f"scatter around the trend {spread:.0%} of the loss's level",
                    int(curve.steps[0]),
                    int(curve.steps[-1]),
                    spread,
                    self.min_scatter,
                    "train_loss",
                    curve.tag,
                ),
                Evidence(
                    "train_drop",
                    f"last over first smoothed loss {final:.2f}",
                    None,
                    None,
                    final,
                    self.min_final,
                    "train_loss",
                    curve.tag,
                ),
            ],
        )


@register
class ValidationDiverges(Rule):
    """The validation loss blows up while the training loss does not show it.

    What it detects:
    A validation loss that becomes NaN or infinite, or that rises ``min_ratio`` times (or more)
    above its running minimum and above where it started.

    Why it matters:
    A step size at the edge of stability can keep the training loss (averaged over an epoch, or
    logged before the blow-up) looking sane while the weights evaluated on held-out data have
    already diverged; batch-norm statistics thrown off by large updates look the same.

    Example:
    val/loss became nan at step 1,800 while train/loss was still 0.41.

    What to try:
    Lower the learning rate 3-10x, add a warm-up, clip gradients; with mixed precision, check the
    loss scaling.
    """

    code = "CS203"
    name = "validation-diverges"
    label = LR_TOO_HIGH
    _parameter_constraints = {"min_ratio": [Interval(Real, 1.0, None, closed="neither")]}

    def __init__(self, min_ratio: float = 100.0):
        self.min_ratio = min_ratio

    def check(self, context: RunContext):
        if context.first("non_finite", role="train_loss") or context.first("explosion", role="train_loss"):
            return  # the training loss diverged too: CS201 says it
        non_finite = context.first("non_finite", role="val_loss")
        explosion = context.first("explosion", role="val_loss")
        val = context.curves.get("val_loss")
        finite = val.finite() if val is not None else None
        above_start = finite is not None and len(finite) > 1 and finite.values.max() > finite.values[0]
        evidence = [Evidence.of(non_finite)] if non_finite is not None else []
        if explosion is not None and explosion.magnitude >= self.min_ratio and above_start:
            evidence.append(Evidence.of(explosion, self.min_ratio))
        if not evidence:
            return
        first = min(evidence, key=lambda e: e.start_step)
        confidence = CERTAIN if non_finite is not None else ramp(explosion.magnitude, self.min_ratio, self.min_ratio**2)
        yield self.diagnose(
            context,
            confidence,
            "; ".join(e.description for e in evidence),
            self.fix(f"the validation loss blew up from step {first.start_step:,}"),
            evidence,
        )
