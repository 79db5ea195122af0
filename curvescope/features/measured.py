"""One measured run: the one record of a run the features stage makes, the rules judge, the
learned model reads and a run's report keeps the features of.

It is named for what it is to a rule: the run in context, its numbers beside its curves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .events import Curve, Event
from .schedule import Schedule


def loss_start(first: float, classes: int | None) -> float:
    """Where a training loss started: its first level, or the chance level ln(C) when that is higher. A log
    written once an epoch starts after a whole epoch of learning, so its first point may already sit far below
    chance; from chance, such a run is seen to have fallen."""
    return max(first, math.log(classes)) if classes is not None and classes >= 2 else first


@dataclass(frozen=True)
class RunContext:
    """One run, measured: ``values`` are every ``FEATURES`` name in natural units (NaN where
    unmeasurable), ``events`` its located events, ``curves`` its curves by role, ``schedule`` what its
    logged learning rate did (``None`` without an lr curve), ``classes`` the class count its chance
    level was judged with."""

    run: str
    values: Mapping[str, float]
    events: tuple[Event, ...]
    curves: Mapping[str, Curve]
    schedule: Schedule | None = None
    classes: int | None = None
    kinds: Mapping[str, str] = field(default_factory=dict)
    """What kind of run it is beyond plain supervised training (``rl``, ``fine_tune``), and why."""

    @property
    def fine_tuned(self) -> bool:
        """A fine-tune of a pretrained model: its loss starts low, so a loss that barely falls is no underfitting."""
        return "fine_tune" in self.kinds

    @property
    def reinforcement_learning(self) -> bool:
        """An RL run: reward tells progress; its losses are not judged by their shape."""
        return "rl" in self.kinds or self.has("reward")

    def value(self, name: str) -> float:
        """The feature ``name`` (NaN where it could not be measured); a name that is no feature raises."""
        try:
            return float(self.values[name])
        except KeyError:
            raise KeyError(f"{name!r} is not a feature; features: {', '.join(sorted(self.values))}") from None

    def events_of(self, kind: str) -> tuple[Event, ...]:
        return tuple(event for event in self.events if event.kind == kind)

    def first(self, kind: str, *, role: str | None = None) -> Event | None:
        """The first event of ``kind`` (on the curve of ``role`` when given)."""
        return next((e for e in self.events if e.kind == kind and (role is None or e.role == role)), None)

    def has(self, role: str) -> bool:
        """True when the run logged ``role`` (``validation``: a val loss or accuracy), NaN or not."""
        return self.points(role) > 0

    def points(self, role: str) -> int:
        """How many points of ``role`` were logged, NaN or not (``validation``: the longer of val loss and accuracy)."""
        if role == "validation":
            return max(self.points("val_loss"), self.points("val_acc"))
        curve = self.curves.get(role)
        return 0 if curve is None else len(curve)

    def last(self, role: str) -> tuple[int, float] | None:
        """The last finite point of a role's curve: (step, value)."""
        curve = self.curves.get(role)
        if curve is None:
            return None
        finite = curve.finite()
        return (int(finite.steps[-1]), float(finite.values[-1])) if len(finite) else None

    def loss_start(self) -> str:
        """Where the training loss started, in words (``loss_start``; ``loss_left`` is measured from there)."""
        first = self.value("initial_loss")
        chance = self.classes is not None and loss_start(first, self.classes) > first
        return f"the chance level ln({self.classes})" if chance else "its first level"

    def loss_left(self) -> float:
        """The training loss's level at the end over where it started (``loss_start``): 1 or more when it did not fall."""
        return self.value("loss_left")

    def step_at(self, position: float) -> int | None:
        """The training step at a fraction of the run."""
        curve = self.curves.get("train_loss")
        if curve is None or not len(curve) or not math.isfinite(position):
            return None
        first, last = int(curve.steps[0]), int(curve.steps[-1])
        return int(round(first + position * (last - first)))
