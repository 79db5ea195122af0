"""CS1xx: the initial weights put the network somewhere it cannot learn from."""

from __future__ import annotations

import math
from numbers import Real

from ...features.measured import RunContext
from ...params import Interval
from ..diagnosis import Evidence
from ..labels import BAD_INIT
from ..registry import Rule, ramp, register


@register
class FirstLossFarAboveChance(Rule):
    """The first training loss is far above ln(classes), the loss of a uniform guess.

    What it detects:
    A first cross-entropy loss ``ratio`` times (or more) the chance level ln(C), with C the
    number of classes (inferred from a first accuracy at 1/C, or given with ``classes=``),
    after which the loss falls to ``max_final`` of that start or lower without ever rising
    above it (a loss that climbs is a step size problem, not the start).

    Why it matters:
    A freshly initialised classifier should be unsure of every class. A first loss far above
    ln(C) means the initial weights make confident wrong predictions: the first steps are spent
    undoing the initialisation, and large weights saturate units that may never recover.

    Example:
    10 classes, chance level ln(10) = 2.30, first loss 41.7: 18x the chance level.

    What to try:
    He initialisation for ReLU, Xavier/Glorot for tanh; a zero-initialised last layer; check the
    loss at step 0 before training; normalisation layers.
    """

    code = "CS101"
    name = "first-loss-far-above-chance"
    label = BAD_INIT
    _parameter_constraints = {
        "ratio": [Interval(Real, 1.0, None, closed="neither")],
        "max_final": [Interval(Real, 0.0, 1.0, closed="neither")],
    }

    def __init__(self, ratio: float = 3.0, max_final: float = 0.5):
        self.ratio = ratio
        self.max_final = max_final

    def check(self, context: RunContext):
        measured = context.value("initial_loss_vs_chance")
        event = context.first("initial_loss")
        fell = context.value("train_drop") <= self.max_final and not context.value("peak_vs_start") > 1
        if not measured >= self.ratio or event is None or not fell:
            return
        yield self.diagnose(
            context,
            ramp(measured, self.ratio, 4 * self.ratio),
            f"{event.description}: the initial weights make confident wrong predictions",
            self.fix(f"the loss should start near ln({context.classes}) = {math.log(context.classes):.2f}"),
            [Evidence.of(event, self.ratio)],
        )


@register
class FlatStartThenDrop(Rule):
    """The training loss stays flat at the start, then drops sharply, as if training began late.

    What it detects:
    A plateau covering at least ``min_flat`` of the run from its first step, after which the
    smoothed training loss still falls to ``max_final`` of its starting level or lower. A flat
    start that ends with a learning-rate warm-up is not counted.

    Why it matters:
    Weights too small (vanishing signal) or units saturated by weights too large leave the
    gradient near zero until noise pushes the network out; the steps spent there are wasted and
    a deeper network may never leave.

    Example:
    train/loss sat at 2.30 from step 0 to step 1,400 (35% of the run), then fell to 0.2.

    What to try:
    He or Xavier/Glorot initialisation scaled to the layer's fan-in; batch or layer
    normalisation; check the first gradients' size.
    """

    code = "CS102"
    name = "flat-start-then-drop"
    label = BAD_INIT
    _parameter_constraints = {
        "min_flat": [Interval(Real, 0.0, 1.0, closed="neither")],
        "max_final": [Interval(Real, 0.0, 1.0, closed="neither")],
    }

    def __init__(self, min_flat: float = 0.12, max_final: float = 0.6):
        self.min_flat = min_flat
        self.max_final = max_final

    def check(self, context: RunContext):
        flat, final = context.value("start_plateau"), context.value("train_drop")
        if not (flat >= self.min_flat and final <= self.max_final):
            return
        plateau = next((e for e in context.events_of("plateau") if e.details.get("position") == "start"), None)
        if plateau is None or _warm_up_covers(context, plateau.end_step):
            return
        yield self.diagnose(
            context,
            ramp(flat, self.min_flat, 3 * self.min_flat),
            f"{plateau.description}, {flat:.0%} of the run, then fell to {final:.0%} of its first level",
            self.fix(f"the first {flat:.0%} of the run was wasted"),
            [Evidence.of(plateau, self.min_flat)],
        )


def _warm_up_covers(context: RunContext, step: int) -> bool:
    """True when a learning-rate warm-up lasted until ``step`` (or later): its flat start is planned."""
    schedule = context.schedule
    return schedule is not None and schedule.warmup_end_step is not None and schedule.warmup_end_step >= 0.8 * step
