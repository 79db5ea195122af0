"""Which tag plays which role in a run: train_loss, val_loss, train_acc, val_acc, lr.

The default mapping is data: ``ROLE_PATTERNS`` lists ``(role, regex)`` pairs in priority
order; a tag takes the role of the first pattern it fully matches (case-insensitive). When
several tags of a run match one role, the one matched by the earlier pattern wins, then the
one with more points, then the first by name. Users override per role with exact tag names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from ..errors import InvalidParameterError

ROLES: tuple[str, ...] = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")

_TRAIN = r"(?:train|training|trn)"
_VAL = r"(?:val|valid|validation|eval|evaluation|dev)"
_TEST = r"(?:test|testing)"
_ACC = r"(?:acc|accuracy|categorical_accuracy|sparse_categorical_accuracy|top1|top_1|acc1|acc@1)"
_SEP = r"[/_.\- ]?"
_AGG = r"(?:[/_](?:step|epoch|avg|mean|total))?"
_LOSSY = r"(?:loss|total_loss|cost|cross_entropy|xent|nll)(?:_\d+)?"
_NOT_EVAL = rf"(?!(?:{_VAL}|{_TEST})/)"

ROLE_PATTERNS: tuple[tuple[str, str], ...] = (
    # validation first, so that "val_loss" never falls to a generic loss pattern
    ("val_loss", rf"{_VAL}{_SEP}(?:epoch_)?loss{_AGG}"),  # val_loss, val/loss, eval_loss, validation/epoch_loss
    ("val_loss", rf"loss{_SEP}{_VAL}"),  # Loss/val, loss_valid
    ("val_loss", rf"(?:(?:{_VAL}|{_TEST})/)?v_loss"),  # custom TF2 loops: test/v_loss
    ("val_acc", rf"{_VAL}{_SEP}(?:epoch_)?{_ACC}{_AGG}"),  # val_acc, eval/accuracy, validation/epoch_accuracy
    ("val_acc", rf"{_ACC}{_SEP}{_VAL}"),  # Accuracy/val
    ("val_acc", rf"(?:(?:{_VAL}|{_TEST})/)?v_{_ACC}"),
    ("train_loss", rf"{_TRAIN}{_SEP}(?:epoch_)?loss{_AGG}"),  # train/loss, train_loss_step, train/epoch_loss
    ("train_loss", rf"loss{_SEP}{_TRAIN}"),  # Loss/train
    ("train_acc", rf"{_TRAIN}{_SEP}(?:epoch_)?{_ACC}{_AGG}"),  # train_acc, train/epoch_accuracy
    ("train_acc", rf"{_ACC}{_SEP}{_TRAIN}"),  # Accuracy/train
    ("lr", r"(?:epoch_)?(?:lr|learning_rate|learning-rate|learningrate)"),  # lr, learning_rate, epoch_learning_rate
    ("lr", r"lr-[\w.\-]+(?:/pg\d+)?"),  # lr-Adam, lr-SGD/pg1 (Lightning's LearningRateMonitor)
    ("lr", rf"{_TRAIN}_(?:lr|learning_rate)"),  # train_lr (the log.txt of DETR, DeiT, MAE)
    ("lr", r"[\w\-]+/(?:epoch_)?(?:lr|learning_rate)\d*"),  # train/lr, x/lr0, input_info/learning_rate
    ("lr", r"(?:lr|learning_rate)[/_]?(?:\d+|pg\d+|group\d+)"),  # lr0, lr_group0
    # a bare loss or accuracy is the training curve
    ("train_loss", rf"(?:epoch_)?loss{_AGG}"),  # loss, epoch_loss, loss_step
    ("train_acc", rf"(?:epoch_)?{_ACC}{_AGG}"),  # acc, accuracy, epoch_accuracy
    # test curves stand in for validation when nothing better is logged
    ("val_loss", rf"{_TEST}{_SEP}(?:epoch_)?loss{_AGG}"),
    ("val_loss", rf"loss{_SEP}{_TEST}"),
    ("val_acc", rf"{_TEST}{_SEP}(?:epoch_)?{_ACC}{_AGG}"),
    ("val_acc", rf"{_ACC}{_SEP}{_TEST}"),
    # last resorts: a loss by another name, a loss under a prefix, one of several partial losses
    ("val_loss", rf"(?:{_VAL}|{_TEST})/(?:[\w\-]+/)*{_LOSSY}"),  # test/cross_entropy_1, eval/Loss/total_loss
    ("train_loss", rf"{_NOT_EVAL}(?:[\w\-]+/)*{_LOSSY}"),  # cost/cost, train/Loss/total_loss, loss/loss
    ("val_loss", rf"{_VAL}/\w*loss"),  # val/box_loss
    ("train_loss", rf"{_TRAIN}/\w*loss"),  # train/box_loss
)
"""Default role patterns, in priority order. Documented in the README's roles table."""


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((role, re.compile(pattern, re.IGNORECASE)) for role, pattern in ROLE_PATTERNS)


@lru_cache(maxsize=65536)
def match_role(tag: str) -> tuple[str, int] | None:
    """The role a tag takes by default and the rank of the pattern that matched, or None."""
    for rank, (role, pattern) in enumerate(_compiled()):
        if pattern.fullmatch(tag):
            return role, rank
    return None


RoleOverrides = Mapping[str, str | Sequence[str]]


def check_overrides(overrides: RoleOverrides | None) -> dict[str, tuple[str, ...]]:
    """Validate ``roles=`` overrides: known roles, tag names as strings."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise InvalidParameterError(
            f"The 'roles' parameter must be a mapping of role to tag, like {{'val_loss': 'eval/my_loss'}}. "
            f"Got {type(overrides).__name__} instead."
        )
    checked: dict[str, tuple[str, ...]] = {}
    for role, tags in overrides.items():
        if role not in ROLES:
            raise InvalidParameterError(f"The 'roles' parameter names an unknown role {role!r}. Known roles: {', '.join(ROLES)}.")
        names = (tags,) if isinstance(tags, str) else tuple(tags) if isinstance(tags, Sequence) else ()
        if not names or not all(isinstance(name, str) and name for name in names):
            raise InvalidParameterError(f"The 'roles' parameter must give tag names for {role!r}. Got {tags!r} instead.")
        checked[role] = names
    return checked


def resolve_roles(
    tag_counts: Mapping[str, int] | Iterable[str],
    overrides: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Map each role to one tag of a run. ``tag_counts`` maps tag to its number of points."""
    counts = dict(tag_counts) if isinstance(tag_counts, Mapping) else {tag: 0 for tag in tag_counts}
    chosen: dict[str, str] = {}
    for role, names in (overrides or {}).items():
        present = [name for name in names if name in counts]
        if present:
            chosen[role] = present[0]
    taken = set(chosen.values())
    best: dict[str, tuple[int, int, str]] = {}
    for tag, count in counts.items():
        if tag in taken:
            continue
        matched = match_role(tag)
        if matched is None or matched[0] in chosen:
            continue
        role, rank = matched
        key = (rank, -count, tag)
        if role not in best or key < best[role]:
            best[role] = key
    chosen.update({role: key[2] for role, key in best.items()})
    return {role: chosen[role] for role in ROLES if role in chosen}
