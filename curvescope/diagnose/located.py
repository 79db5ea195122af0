"""Located evidence: the places on a run's curves where the detectors found what backs a label.

A label stands only on located evidence. A rule's diagnosis carries its own; the learned model's
label is a verdict when one of these locators finds something on the run that supports it, and a
suspicion shown below the verdict when none does. Each locator returns ``Evidence`` with the steps it
spans; an empty tuple means nothing on the curves backs the label.
"""

from __future__ import annotations

import math

import numpy as np

from ..features.detectors import trend
from ..features.events import Event
from ..features.extract import ACCURACY
from ..features.measured import RunContext
from .diagnosis import Evidence

FAR_FROM_CHANCE = 1.5
"""A first loss this many times the chance level ln(C), or more, is a start far from chance."""
SLOW_FALL = 0.3
"""A training loss that ends at this share of where it started, or more, fell slowly."""
BARELY_FELL = 0.6
"""A training loss that ends at this share of where it started, or more, barely fell, whatever its shape."""
WORSE_SINCE_BEST = 0.05
"""A validation curve this much worse than its best at the end (5%) has turned."""
GAP_GROWTH = 0.1
"""A train/validation gap that grew by this share of the training range since validation was best."""
COLLAPSE = 10.0
"""A first loss this many times its level a tenth into the run fell from a start no healthy run has."""
GOOD_SCORE = 0.9
"""An accuracy (or mAP, F1) ending this high says the model fits: no underfitting, however its loss fell."""
MANY_CLASSES = 1000
"""With no class count known, a classifier's chance level is taken to be at most ln(1000)."""
EARLY = 0.5
"""A rate cut (or a stall) in the first half of the run is early."""
STRAIGHT = 0.5
"""A loss that falls in its second half at least this share of its fall in the first is falling near-linearly."""
REWARD_RISE = 0.5
"""An RL run whose smoothed reward ends this share of its range above where it started has made progress."""
SETTLED = 0.3
"""An end plateau over this share of the run or more: the loss settled early."""


def bad_init(context: RunContext) -> tuple[Evidence, ...]:
    """A first loss far from chance (with no class count, far above any classifier's), a flat start, or a first
    loss that collapses tenfold within the first tenth (a healthy start falls fast too, not that far)."""
    found = [
        Evidence.of(e)
        for e in context.events
        if (e.kind == "initial_loss" and e.magnitude >= FAR_FROM_CHANCE) or (e.kind == "plateau" and _position(e) == "start")
    ]
    first = context.value("initial_loss")
    if not found and context.classes is None and _classifier(context) and first >= FAR_FROM_CHANCE * math.log(MANY_CLASSES):
        span = _train_span(context, 0.0)
        found.append(
            _measured(
                context,
                "initial_loss",
                f"the first loss is {first:.3g}, far above ln(C) for any C up to {MANY_CLASSES:,}",
                span,
                first,
            )
        )
    collapse = context.value("initial_collapse")
    if not found and collapse >= COLLAPSE and (span := _train_span(context, 0.1)):
        found.append(
            _measured(context, "initial_collapse", f"the loss fell {collapse:.1f}x within the first tenth", span, collapse)
        )
    return tuple(found)


def lr_too_high(context: RunContext) -> tuple[Evidence, ...]:
    """A non-finite value or a spike; an explosion of the training loss (of the validation loss: 100x); a stall
    after progress, high above the best level; or a loss that rose above where it started."""
    found = [
        Evidence.of(e)
        for e in context.events
        if e.kind in ("non_finite", "spike") or (e.kind == "explosion" and (e.role == "train_loss" or e.magnitude >= 100))
    ]
    found += [
        Evidence.of(e)
        for e in context.events
        if e.kind == "plateau" and _position(e) != "start" and (e.details.get("relative_level") or 0) >= SLOW_FALL
    ]
    rise = context.value("peak_vs_start")
    if not found and rise > 1.5 and (span := _train_span(context, 1.0)):
        found.append(_measured(context, "peak_vs_start", f"the smoothed loss rose to {rise:.1f}x its first level", span, rise))
    return tuple(found)


def decay_too_early(context: RunContext) -> tuple[Evidence, ...]:
    """A rate cut in the first half of the run (logged, or seen as a change of slope in the loss); without a
    logged rate, a stall at the end that began in the first half with the loss still high (``SLOW_FALL`` of its
    first level or more)."""
    found = [Evidence.of(e) for e in context.events if e.kind == "lr_drop" and _fraction(context, e.end_step) <= EARLY]
    half = context.value("lr_half_position")
    if not found and half <= EARLY and (step := context.step_at(half)) is not None:
        found.append(
            _measured(
                context,
                "lr_half_position",
                f"the learning rate was below half its peak by step {step:,}",
                (step, step),
                half,
                role="lr",
            )
        )
    if not found and context.schedule is None and context.value("train_drop") >= SLOW_FALL:
        found += [Evidence.of(e) for e in _end_plateaus(context) if _fraction(context, e.start_step) <= EARLY]
    return tuple(found)


def overfitting(context: RunContext) -> tuple[Evidence, ...]:
    """Validation worse at the end than at its best (which is not among the last points), or a gap that grew."""
    found = []
    worse, growth = context.value("worse_since_best"), context.value("gap_growth")
    if worse >= WORSE_SINCE_BEST and context.value("still_improving") == 0:
        found += [Evidence.of(e) for e in context.events if e.kind == "best_step"]
    if growth >= GAP_GROWTH:
        found += [Evidence.of(e) for e in context.events if e.kind == "gap"]
    return tuple(found)


def underfitting(context: RunContext) -> tuple[Evidence, ...]:
    """A training loss that barely fell over the whole run (``BARELY_FELL``), that stalls at the end far above where
    it went, or that stopped moving altogether — unless an accuracy-like metric ends high (``GOOD_SCORE``): then the
    model fits. Where the loss started is its first level or the chance level, whichever is higher
    (``RunContext.loss_start``). A loss that fell to 30-60% of its start is what healthy framework runs do (a CNN,
    an LSTM, a regression): however its curve bends, the fall alone locates nothing."""
    found = []
    if _scores_well(context):
        return ()
    left, start = context.loss_left(), context.loss_start()
    if left >= BARELY_FELL and (span := _train_span(context, 1.0)):
        found.append(_measured(context, "train_drop", f"the training loss ended at {left:.0%} of {start}", span, left))
    found += [Evidence.of(e) for e in _end_plateaus(context) if (e.details.get("relative_level") or 0) >= SLOW_FALL]
    found += [Evidence.of(e) for e in context.events if e.kind == "frozen" and e.role == "train_loss"]
    return tuple(found)


def underfitting_cause(context: RunContext) -> str | None:
    """Which cause of underfitting the training curve's shape points to, in words (None when it shows none)."""
    curve = context.curves.get("train_loss")
    finite = curve.finite() if curve is not None else None
    if finite is None or len(finite) < 10:
        return None
    smoothed = trend(finite)
    half = len(smoothed) // 2
    early, late = smoothed[0] - smoothed[half], smoothed[half] - smoothed[-1]
    if early > 0 and late >= STRAIGHT * early:
        return (
            f"the loss is still falling in a near-straight line at step {int(finite.steps[-1]):,}, "
            "as with a learning rate far too low (try it 10x higher first)"
        )
    settled = _end_plateaus(context)
    if settled and settled[0].magnitude >= SETTLED and context.loss_left() >= SLOW_FALL:
        return (
            f"the loss settled from step {settled[0].start_step:,} on a high level, as with too small a model "
            "or too much regularisation (weight decay, dropout)"
        )
    return None


def reward_progress(context: RunContext) -> str | None:
    """How an RL run's reward rose, in words, when it rose by ``REWARD_RISE`` of its range or more (None otherwise,
    and for runs without a reward)."""
    curve = context.curves.get("reward")
    finite = curve.finite() if curve is not None else None
    if finite is None or len(finite) < 3:
        return None
    smoothed = trend(finite)
    span = float(np.ptp(smoothed))
    rise = float(smoothed[-1] - smoothed[0])
    if span <= 0 or rise < REWARD_RISE * span:
        return None
    return (
        f"{finite.tag or 'the reward'} rose from {smoothed[0]:.4g} to {smoothed[-1]:.4g} (smoothed) "
        f"between steps {int(finite.steps[0]):,} and {int(finite.steps[-1]):,}"
    )


def loss_progress(context: RunContext) -> str | None:
    """How a training loss too short to judge fell, in words, when every finite point of it came after the first
    lower than it began and validation (when logged) ended no worse than it began (None otherwise)."""
    train = context.curves.get("train_loss")
    if train is None or len(train) < 2 or not np.isfinite(train.values).all():
        return None
    values = train.values
    if not values[-1] < values[0] or np.any(values[1:] > values[0]):
        return None
    validation = context.curves["val_loss"].finite() if "val_loss" in context.curves else None
    if validation is not None and len(validation) >= 2 and validation.values[-1] > validation.values[0]:
        return None
    return (
        f"{train.tag or 'the training loss'} fell from {values[0]:.4g} to {values[-1]:.4g} over its {len(values)} "
        "points, too few to judge its shape"
    )


def _scores_well(context: RunContext) -> bool:
    """An accuracy-like metric (bounded by 0 and 1) ends at ``GOOD_SCORE`` or more: the model fits, whatever its loss."""
    for role in ("train_acc", "val_acc"):
        values = context.curves[role].finite().values if role in context.curves else ()
        if len(values) and 0 <= values.min() and values.max() <= 1 and values[-1] >= GOOD_SCORE:
            return True
    return False


def _classifier(context: RunContext) -> bool:
    """The run logs an accuracy (not a mAP, an F1 or a precision, which share its role): its loss is a classifier's
    cross-entropy, with a chance level."""
    return any(
        ACCURACY.search(curve.tag or "") for role in ("train_acc", "val_acc") if (curve := context.curves.get(role)) is not None
    )


def _end_plateaus(context: RunContext) -> list[Event]:
    """The training loss's plateaus that last to the end of the run."""
    return [e for e in context.events if e.kind == "plateau" and e.role == "train_loss" and _position(e) == "end"]


def _position(event: Event) -> str | None:
    return event.details.get("position")


def _fraction(context: RunContext, step: int) -> float:
    """Where ``step`` lies in the training run, from 0 to 1 (NaN without a training curve)."""
    curve = context.curves.get("train_loss")
    if curve is None or len(curve) < 2 or curve.steps[-1] == curve.steps[0]:
        return math.nan
    return (step - int(curve.steps[0])) / (int(curve.steps[-1]) - int(curve.steps[0]))


def _train_span(context: RunContext, share: float) -> tuple[int, int] | None:
    """The steps of the first ``share`` of the training curve."""
    curve = context.curves.get("train_loss")
    if curve is None or not len(curve):
        return None
    end = max(int(math.ceil(share * len(curve))) - 1, 0)
    return int(curve.steps[0]), int(curve.steps[end])


def _measured(
    context: RunContext, kind: str, description: str, span: tuple[int, int], value: float, *, role: str = "train_loss"
) -> Evidence:
    curve = context.curves.get(role)
    return Evidence(kind, description, span[0], span[1], value, None, role, None if curve is None else curve.tag)
