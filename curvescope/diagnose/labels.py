"""The label registry: one ``Label`` record per label, and everything about a label derived from it.

A label names a kind of trouble (or ``healthy``). Its record says what it means, the generic
fix, the curves it cannot be judged without, the rule family that supports it (``CS{family}xx``,
and the learned model's ``CS9{family:02d}``), the located events and features that are its
evidence, the labels whose symptoms it explains, and its colour in every report. Adding a label
is one ``register_label`` call, its rules and its corpus recipe: the CLI, the reports and the app
list labels from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidParameterError, PluginError
from ..params import Names
from . import located

if TYPE_CHECKING:
    from ..features.measured import RunContext
    from .diagnosis import Evidence

NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
COLOUR = re.compile(r"^#[0-9a-f]{6}$")
ROLES = ("train_loss", "validation")
"""What a label may need: ``validation`` is a validation loss or accuracy."""

MIN_POINTS: dict[str, int] = {"train_loss": 10, "validation": 3}
"""Fewer logged points than this are too few to judge a curve's shape: the label is not judged."""


@dataclass(frozen=True)
class Label:
    """Everything curvescope knows about one label."""

    name: str
    """snake_case, as reports, filters and ``--fail-on`` spell it."""
    family: int | None
    """The hundreds digit of its rules' codes (1-8); ``None`` for ``healthy``, which no rule gives."""
    meaning: str
    fix: str
    """The generic fix; a run's fix leads with what its curves show (``lead``)."""
    colour: str
    """``#rrggbb``: the one colour of the label in the terminal, the HTML report and the app."""
    needs: tuple[str, ...] = ()
    """The curves (``ROLES``) it cannot be judged without."""
    evidence: tuple[str, ...] = ()
    """The located event kinds that back it."""
    locate: Callable[[RunContext], tuple[Evidence, ...]] | None = None
    """Where the detectors found what backs it on a run (``located``): the learned model's label is a verdict
    only there, a suspicion elsewhere. ``None``: the run's events of the ``evidence`` kinds."""
    key_features: tuple[str, ...] = ()
    """The features a person checks first; the model's evidence quotes them."""
    explains: tuple[str, ...] = ()
    """The labels whose symptoms it produces itself: ranked below it, they are not given."""
    lead: Callable[[RunContext], str | None] | None = None
    """What a run's curves show that the fix starts from (``None`` when they show nothing to pin it to)."""
    min_points: tuple[tuple[str, int], ...] = ()
    """Fewer points than ``MIN_POINTS`` that still show it, per role: ``(("train_loss", 3),)``."""

    def minimum(self, role: str) -> int:
        """The fewest logged points of ``role`` this label is judged from."""
        return dict(self.min_points).get(role, MIN_POINTS[role])

    @property
    def model_code(self) -> str | None:
        """The learned model's code for this label (``CS9`` and the family, two digits)."""
        return None if self.family is None else f"CS9{self.family:02d}"

    def located(self, context: RunContext) -> tuple[Evidence, ...]:
        """What on the run's curves backs this label (empty when nothing does)."""
        if self.locate is not None:
            return self.locate(context)
        from .diagnosis import Evidence

        return tuple(Evidence.of(event) for event in context.events if event.kind in self.evidence)

    def worded_fix(self, context: RunContext) -> str:
        """The fix for the run in ``context``, pinned to its steps where they are known."""
        lead = self.lead(context) if self.lead is not None else None
        return f"{lead}; {self.fix}" if lead else self.fix


_LABELS: dict[str, Label] = {}


def register_label(label: Label) -> Label:
    """Add a label to the registry; a bad or taken name, family or colour fails here."""
    if not NAME.match(label.name):
        raise PluginError(f"label {label.name!r}: the name must be snake_case, e.g. 'lr_too_high'.")
    if label.family is not None and not (isinstance(label.family, int) and 1 <= label.family <= 8):
        raise PluginError(f"label {label.name}: family {label.family!r} must be a digit 1-8 (CS9xx is the learned model's).")
    if not COLOUR.match(label.colour):
        raise PluginError(f"label {label.name}: colour {label.colour!r} must be #rrggbb in lower case.")
    if unknown := sorted(set(label.needs) - set(ROLES)):
        raise PluginError(f"label {label.name}: needs {', '.join(unknown)}; a label may need {', '.join(ROLES)}.")
    for other in _LABELS.values():
        if other.name == label.name or (label.family is not None and other.family == label.family):
            raise PluginError(
                f"label {label.name} (family {label.family}) clashes with label {other.name} (family {other.family}): "
                "names and families must be unique."
            )
    _LABELS[label.name] = label
    return label


def label(name: str) -> Label:
    """The record of a registered label."""
    try:
        return _LABELS[name]
    except KeyError:
        raise InvalidParameterError(f"{name!r} is not a label; labels: {', '.join(LABELS)}.") from None


OTHER_COLOUR = "#9e9e9e"
"""The colour of what is no label (a run not judged)."""


def label_colour(name: str | None) -> str:
    """The label's colour, ``OTHER_COLOUR`` for what is no label."""
    record = _LABELS.get(name or "")
    return OTHER_COLOUR if record is None else record.colour


def family_label(family: int) -> Label | None:
    """The label whose rules have codes ``CS{family}xx``."""
    return next((record for record in _LABELS.values() if record.family == family), None)


def unknown_to_model(names: Sequence[str]) -> list[str]:
    """What keeps a model of ``names`` from being used: names that are not labels, or ``healthy`` missing.
    Labels it was not trained on are judged by their rules alone."""
    return [name for name in names if name not in _LABELS] + ([] if HEALTHY in names else [HEALTHY])


class _Names(Sequence[str]):
    """Registered label names, read from the registry each time (a label registered later is in)."""

    def __init__(self, problems_only: bool) -> None:
        self._problems_only = problems_only

    def _names(self) -> tuple[str, ...]:
        records = sorted(_LABELS.values(), key=lambda record: (record.family is None, record.family or 0))
        return tuple(r.name for r in records if not (self._problems_only and r.family is None))

    def __getitem__(self, index):
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and self._names() == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._names())


PROBLEMS: Sequence[str] = _Names(problems_only=True)
"""The kinds of trouble, in the order of their rule families (CS1xx, CS2xx, ...)."""

LABELS: Sequence[str] = _Names(problems_only=False)
"""Every label, ``healthy`` last: the one a run gets when no problem applies."""


LABEL_NAMES = Names(lambda: LABELS, "labels")
"""The constraint of a parameter that names labels."""


# --- the built-in labels --------------------------------------------------------------------------


def _best_step(context: RunContext) -> str | None:
    best = context.first("best_step")
    return None if best is None else f"validation was best at step {best.end_step:,}"


def _rate_cut(context: RunContext) -> str | None:
    if (drop := context.first("lr_drop")) is not None:
        return f"the learning rate dropped at step {drop.end_step:,}"
    if (half := context.step_at(context.value("lr_half_position"))) is not None:
        return f"the learning rate was below half its peak by step {half:,}"
    return None


def _blow_up(context: RunContext) -> str | None:
    blow = context.first("explosion") or context.first("non_finite")
    return None if blow is None else f"the loss blew up from step {blow.start_step:,}"


BAD_INIT = register_label(
    Label(
        "bad_init",
        1,
        "the initial weights put the network somewhere it cannot learn from",
        "use a fan-in aware initialisation (He for ReLU, Xavier/Glorot for tanh) and add normalisation layers",
        "#6a1b9a",
        needs=("train_loss",),
        evidence=("initial_loss", "plateau"),
        locate=located.bad_init,
        key_features=("initial_loss_vs_chance", "start_plateau", "train_drop"),
    )
).name
LR_TOO_HIGH = register_label(
    Label(
        "lr_too_high",
        2,
        "the step size is too large for the loss surface",
        "lower the learning rate 3-10x, add a warm-up, clip gradients",
        "#c62828",
        needs=("train_loss",),
        evidence=("non_finite", "explosion", "spike", "plateau"),
        locate=located.lr_too_high,
        key_features=("explosion_ratio", "non_finite_fraction", "noise", "spike_rate", "train_drop"),
        explains=("underfitting", "bad_init"),
        lead=_blow_up,
    )
).name
DECAY_TOO_EARLY = register_label(
    Label(
        "decay_too_early",
        3,
        "the learning rate was cut while the loss was still falling fast",
        "decay later or more gently (a longer step size, more patience on reduce-on-plateau, cosine over the whole run), "
        "or raise the base learning rate",
        "#e65100",
        needs=("train_loss",),
        evidence=("lr_drop", "plateau"),
        locate=located.decay_too_early,
        key_features=("first_drop_position", "fall_vs_promised", "lr_half_position", "end_plateau"),
        explains=("underfitting",),
        lead=_rate_cut,
    )
).name
OVERFITTING = register_label(
    Label(
        "overfitting",
        4,
        "the model memorises the training set",
        "stop at the best validation step (early stopping), add weight decay, dropout or augmentation, "
        "get more data, or shrink the model",
        "#f9a825",
        needs=("train_loss", "validation"),
        evidence=("best_step", "gap"),
        locate=located.overfitting,
        key_features=("worse_since_best", "best_position", "gap_growth", "gap_end"),
        explains=("decay_too_early",),
        lead=_best_step,
        # a short run shows it too: a validation loss that turned up over a few epochs while training fell
        min_points=(("train_loss", 3), ("validation", 4)),
    )
).name
UNDERFITTING = register_label(
    Label(
        "underfitting",
        5,
        "the model cannot fit even the training set",
        "use a bigger model, train longer, regularise less, or raise the learning rate",
        "#1565c0",
        needs=("train_loss",),
        evidence=("plateau", "gap", "best_step"),
        locate=located.underfitting,
        key_features=("train_drop", "gap_end", "train_acc_final", "still_improving"),
        lead=located.underfitting_cause,
    )
).name
HEALTHY = register_label(
    Label(
        "healthy",
        None,
        "the loss falls and settles, validation tracks training, nothing explodes",
        "nothing to fix",
        "#2e7d32",
    )
).name
