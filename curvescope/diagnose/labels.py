"""The labels a run can carry, what each means, and its generic fix."""

from __future__ import annotations

BAD_INIT = "bad_init"
LR_TOO_HIGH = "lr_too_high"
DECAY_TOO_EARLY = "decay_too_early"
OVERFITTING = "overfitting"
UNDERFITTING = "underfitting"
HEALTHY = "healthy"

PROBLEMS: tuple[str, ...] = (BAD_INIT, LR_TOO_HIGH, DECAY_TOO_EARLY, OVERFITTING, UNDERFITTING)
"""The five kinds of trouble, in the order of their rule families (CS1xx to CS5xx)."""

LABELS: tuple[str, ...] = (*PROBLEMS, HEALTHY)
"""Every label, ``healthy`` last: the one a run gets when no problem applies."""

MEANING: dict[str, str] = {
    BAD_INIT: "the initial weights put the network somewhere it cannot learn from",
    LR_TOO_HIGH: "the step size is too large for the loss surface",
    DECAY_TOO_EARLY: "the learning rate was cut while the loss was still falling fast",
    OVERFITTING: "the model memorises the training set",
    UNDERFITTING: "the model cannot fit even the training set",
    HEALTHY: "the loss falls and settles, validation tracks training, nothing explodes",
}

FIX: dict[str, str] = {
    BAD_INIT: "use a fan-in aware initialisation (He for ReLU, Xavier/Glorot for tanh), check the first loss "
    "against ln(classes), add normalisation layers",
    LR_TOO_HIGH: "lower the learning rate 3-10x, add a warm-up, clip gradients",
    DECAY_TOO_EARLY: "decay later or more gently (a longer step size, more patience on reduce-on-plateau, "
    "cosine over the whole run), or raise the base learning rate",
    OVERFITTING: "stop at the best validation step, regularise (weight decay, dropout, augmentation), "
    "get more data or shrink the model",
    UNDERFITTING: "use a bigger model, train longer, regularise less, raise the learning rate",
    HEALTHY: "nothing to fix",
}
"""The generic fix per label; rules word their own for the run at hand."""

NEEDS: dict[str, tuple[str, ...]] = {
    BAD_INIT: ("train_loss",),
    LR_TOO_HIGH: ("train_loss",),
    DECAY_TOO_EARLY: ("train_loss",),
    OVERFITTING: ("train_loss", "validation"),
    UNDERFITTING: ("train_loss",),
}
"""What a label cannot be judged without: ``validation`` is a validation loss or accuracy."""

MIN_POINTS: dict[str, int] = {"train_loss": 10, "validation": 3}
"""Fewer logged points than this are too few to judge a curve's shape: the label is not judged."""
