"""Which tag plays which role in a run: train_loss, val_loss, train_acc, val_acc, lr, reward, grad_norm,
update_ratio, weight_norm.

The default mapping is data: ``ROLE_PATTERNS`` lists ``RolePattern(role, pattern, examples,
note)`` records in priority order; a tag takes the role of the first pattern it fully matches
(case-insensitive). When several tags of a run match one role, the choice is, in order:

1. a tag that can play the role: an all-zero or constant column never plays a loss role (a
   constant learning rate or accuracy is a fact worth reading), and a loss with no finite value
   (NaN or infinite only: a blow-up's evidence) only when no other candidate has one;
2. the earlier pattern;
3. a per-epoch aggregate over a per-step series of the same metric (Lightning's ``_epoch`` and
   ``_step``), when the aggregate has at least ``MIN_EPOCH_POINTS`` points: the per-epoch curve
   is the one to compare with validation, the per-step one stays a tag (the noisy view);
4. more points, then the first by name.

Users override per role with exact tag names. ``explain_roles`` says, for each role, which tag was
chosen, by which pattern, and why each other candidate lost.

``val_acc`` is the validation metric where higher is better: an accuracy, or a score by another
name (F1, mAP, ROUGE, BLEU, AUC, IoU, Dice, ``val_score``), whose tag name is kept. Validation
metrics where lower is better (error rates, WER, MAE, perplexity) are recognised with their
direction (``metric_direction``) but take no role: they are neither a loss nor a score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from ..errors import InvalidParameterError

ROLES: tuple[str, ...] = (
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "lr",
    "reward",
    "grad_norm",
    "update_ratio",
    "weight_norm",
)

LOSS_ROLES = frozenset({"train_loss", "val_loss"})
MIN_EPOCH_POINTS = 3
"""A per-epoch aggregate with fewer points than this does not displace the per-step series."""

_TRAIN = r"(?:train|training|trn)"
_VAL = r"(?:val|valid|validation|eval|evaluation|dev)"
_TEST = r"(?:test|testing)"
_ACC = r"(?:acc|accuracy|categorical_accuracy|sparse_categorical_accuracy|top1|top_1|acc1|acc@1)"
_SCORE = (
    r"(?:score|f1|f1_score|f1_macro|f1_micro|macro_f1|micro_f1|map|map50|map75|map50-95|map_0\.5|map_0\.5:0\.95"
    r"|rouge1|rouge2|rougel|rougelsum|rouge|bleu|sacrebleu|auc|auroc|roc_auc|iou|miou|dice|precision|recall)"
)
_SEP = r"[/_.\- ]?"
_AGG = r"(?:[/_](?:step|epoch|avg|mean|total|sum))?"
_LOSSY = r"(?:loss|total_loss|cost|cross_entropy|xent|nll)(?:_\d+)?"
_NOT_EVAL = rf"(?!(?:{_VAL}|{_TEST})/)"
_LOWER_BETTER = r"(?:err|error|top1_err|top5_err|wer|cer|mae|mse|rmse|perplexity|ppl)"


class RolePattern(NamedTuple):
    """One default mapping rule: tags fully matching ``pattern`` take ``role``."""

    role: str
    pattern: str
    examples: tuple[str, ...]
    """Tags it maps (each a test case, and the README's roles table)."""
    note: str = ""
    """Why the pattern is where it is, or what the tags it takes are (shown by ``--explain-roles``)."""


ROLE_PATTERNS: tuple[RolePattern, ...] = (
    # validation first, so that "val_loss" never falls to a generic loss pattern
    RolePattern(
        "val_loss",
        rf"{_VAL}{_SEP}(?:epoch_)?loss{_AGG}",
        ("val_loss", "val/loss", "eval_loss", "validation/epoch_loss", "val_loss_epoch", "val/loss_sum"),
    ),
    RolePattern("val_loss", rf"loss{_SEP}{_VAL}", ("Loss/val", "loss_valid")),
    RolePattern("val_loss", rf"(?:(?:{_VAL}|{_TEST})/)?v_loss", ("v_loss", "test/v_loss"), "custom TF2 loops"),
    RolePattern(
        "val_acc",
        rf"{_VAL}{_SEP}(?:epoch_)?{_ACC}{_AGG}",
        ("val_acc", "eval/accuracy", "validation/epoch_accuracy", "valid/acc", "val_acc1"),
    ),
    RolePattern("val_acc", rf"{_ACC}{_SEP}{_VAL}", ("Accuracy/val",)),
    RolePattern("val_acc", rf"(?:(?:{_VAL}|{_TEST})/)?v_{_ACC}", ("v_accuracy", "test/v_accuracy")),
    RolePattern("train_loss", rf"{_TRAIN}{_SEP}(?:epoch_)?loss{_AGG}", ("train/loss", "train_loss_epoch", "train/epoch_loss")),
    RolePattern("train_loss", rf"loss{_SEP}{_TRAIN}", ("Loss/train",)),
    RolePattern("train_acc", rf"{_TRAIN}{_SEP}(?:epoch_)?{_ACC}{_AGG}", ("train_acc", "train/epoch_accuracy", "train_acc1")),
    RolePattern("train_acc", rf"{_ACC}{_SEP}{_TRAIN}", ("Accuracy/train",)),
    RolePattern(
        "lr",
        r"x/lr1|lr/pg1",
        ("x/lr1", "lr/pg1"),
        "YOLO (yolov5 x/lrN, ultralytics lr/pgN): group 1 holds the conv weights with weight decay, whose schedule "
        "this is; group 0 is the biases (warm-up from warmup_bias_lr), group 2 the BatchNorm weights",
    ),
    RolePattern(
        "lr", r"(?:epoch_)?(?:lr|learning_rate|learning-rate|learningrate)", ("lr", "learning_rate", "epoch_learning_rate")
    ),
    RolePattern("lr", r"lr-[\w.\-]+(?:/pg\d+)?", ("lr-Adam", "lr-SGD/pg1"), "Lightning's LearningRateMonitor"),
    RolePattern("lr", rf"{_TRAIN}_(?:lr|learning_rate)", ("train_lr",), "the log.txt of DETR, DeiT, MAE"),
    RolePattern(
        "lr",
        r"x/lr[02]|lr/pg[02]",
        ("x/lr0", "lr/pg0", "x/lr2"),
        "YOLO's biases (group 0, a warm-up from warmup_bias_lr) and BatchNorm weights (group 2): "
        "taken only when group 1, the weights' schedule, is not logged",
    ),
    RolePattern("lr", r"[\w\-]+/(?:epoch_)?(?:lr|learning_rate)\d*", ("train/lr", "input_info/learning_rate", "train/lr0")),
    RolePattern("lr", r"(?:lr|learning_rate)[/_]?(?:\d+|pg\d+|group\d+)", ("lr0", "lr_group0")),
    RolePattern(
        "reward",
        r"(?:[\w\-]+/)?(?:ep_?rew_?mean|episodic_return"
        r"|(?:mean[_ ]|avg_|average_)?(?:\d+[_ ])?(?:episode[_ ]?)?(?:reward|return)s?(?:_mean|_avg|/mean)?)",
        (
            "rollout/ep_rew_mean",
            "eprewmean",
            "charts/episodic_return",
            "eval/mean_reward",
            "episode_reward",
            "mean 100 episode reward",
            "reward",
            "train/episode_return",
        ),
        "reinforcement learning: the return tells progress; policy and value losses may rise while the agent improves",
    ),
    # a bare loss or accuracy is the training curve
    RolePattern("train_loss", rf"(?:epoch_)?loss{_AGG}", ("loss", "epoch_loss", "loss_step")),
    RolePattern("train_acc", rf"(?:epoch_)?{_ACC}{_AGG}", ("acc", "accuracy", "epoch_accuracy")),
    # test curves stand in for validation when nothing better is logged
    RolePattern(
        "val_loss", rf"{_TEST}{_SEP}(?:epoch_)?loss{_AGG}", ("test/loss", "test_loss"), "when no validation loss is logged"
    ),
    RolePattern("val_loss", rf"loss{_SEP}{_TEST}", ("Loss/test",)),
    RolePattern(
        "val_acc", rf"{_TEST}{_SEP}(?:epoch_)?{_ACC}{_AGG}", ("test/accuracy", "test_acc1"), "when no validation accuracy"
    ),
    RolePattern("val_acc", rf"{_ACC}{_SEP}{_TEST}", ("Accuracy/test",)),
    # validation metrics under other names, higher is better: they play the validation-accuracy role
    RolePattern(
        "val_acc",
        rf"(?:{_VAL}|{_TEST}|metrics){_SEP}(?:[\w\-]+[/_])?(?:{_SCORE}|{_ACC})(?:\(b\)|\(m\))?{_AGG}",
        ("val_score", "val_f1", "val/mAP50", "metrics/mAP50(B)", "metrics/mAP_0.5", "eval_rouge1", "eval_bleu", "test_384_acc1"),
        "a validation metric where higher is better (top-1, not top-5, for an accuracy); its tag name is kept",
    ),
    # last resorts: a loss by another name, a loss under a prefix, one of several partial losses
    RolePattern("val_loss", rf"(?:{_VAL}|{_TEST})/(?:[\w\-]+/)*{_LOSSY}", ("test/cross_entropy_1", "eval/Loss/total_loss")),
    RolePattern(
        "val_loss",
        rf"{_VAL}_[a-z0-9\-]+_{_LOSSY}",
        ("eval_g0_loss", "eval_squad_loss"),
        "a loss on one of several named evaluation sets (the Hugging Face Trainer's eval_<name>_loss): the first set's",
    ),
    RolePattern("train_loss", rf"{_NOT_EVAL}(?:[\w\-]+/)*{_LOSSY}", ("cost/cost", "train/Loss/total_loss", "loss/loss")),
    RolePattern(
        "grad_norm",
        rf"(?:{_TRAIN}/)?(?:grad_norm|gradient_norm|grad_2\.0_norm_total|grad_norm_total)",
        ("grad_norm", "train/grad_norm", "grad_2.0_norm_total"),
        "the norm of all gradients (the Hugging Face Trainer's, before clipping; Lightning's grad_norm utility's total)",
    ),
    RolePattern(
        "update_ratio",
        rf"(?:{_TRAIN}/)?(?:update_ratio|update_to_weight(?:_ratio)?|update_weight_ratio|param_update_ratio)",
        ("update_ratio", "train/update_ratio", "update_to_weight_ratio"),
        "the size of a step's update over the size of the weights (CS231n: about 1e-3 where the rate is right)",
    ),
    RolePattern(
        "weight_norm",
        rf"(?:{_TRAIN}/)?(?:weight_norm|param_norm|parameter_norm|weights_norm)",
        ("weight_norm", "train/weight_norm", "param_norm"),
        "the norm of all weights",
    ),
    RolePattern(
        "val_loss",
        rf"{_VAL}/\w*loss",
        ("val/box_loss",),
        "one component of a summed loss (box, objectness, class): their sum is derived when no total is logged",
    ),
    RolePattern(
        "train_loss",
        rf"{_TRAIN}/\w*loss",
        ("train/box_loss",),
        "one component of a summed loss (box, objectness, class): their sum is derived when no total is logged",
    ),
)
"""Default role patterns, in priority order. The README's roles table is ``roles_table()``."""


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((entry.role, re.compile(entry.pattern, re.IGNORECASE)) for entry in ROLE_PATTERNS)


@lru_cache(maxsize=65536)
def match_role(tag: str) -> tuple[str, int] | None:
    """The role a tag takes by default and the rank of the pattern that matched, or None."""
    for rank, (role, pattern) in enumerate(_compiled()):
        if pattern.fullmatch(tag):
            return role, rank
    return None


_VALIDATION = re.compile(rf"(?:{_VAL}|{_TEST}|metrics)\b.*|.*\b(?:{_VAL}|{_TEST})", re.IGNORECASE)
_LOWER = re.compile(rf"(?:.*[/_\-])?{_LOWER_BETTER}(?:[/_\-].*)?", re.IGNORECASE)


def metric_direction(tag: str) -> str | None:
    """``"higher"`` or ``"lower"`` (is better) for a validation metric, None for another tag."""
    matched = match_role(tag)
    if matched is not None and matched[0] in ("val_loss", "val_acc"):
        return "lower" if matched[0] == "val_loss" else "higher"
    if _VALIDATION.fullmatch(tag.replace("_", " ").replace("-", " ")) and _LOWER.fullmatch(tag):
        return "lower"
    return None


def roles_table() -> str:
    """The README's roles table (Markdown), from ``ROLE_PATTERNS``: one row per pattern, in priority order."""
    lines = ["| # | role | tags it maps | note |", "|---|---|---|---|"]
    for rank, entry in enumerate(ROLE_PATTERNS):
        tags = ", ".join(f"`{tag}`" for tag in entry.examples)
        lines.append(f"| {rank} | {entry.role} | {tags} | {entry.note} |")
    return "\n".join(lines)


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


@dataclass(frozen=True)
class TagStats:
    """What role resolution knows of a tag: its points, finite points, and the range of its finite values."""

    points: int
    finite: int | None = None
    low: float = float("nan")
    high: float = float("nan")

    def unusable(self, role: str) -> str | None:
        """Why this tag cannot play ``role`` (None when it can): no role takes an empty column, and no loss role
        an all-zero or constant one (a constant learning rate or accuracy is a fact worth reading)."""
        if self.finite is None:
            return None
        if self.points == 0:
            return "empty"
        if role not in LOSS_ROLES or self.finite == 0:  # NaN or infinite only: evidence of a blow-up, kept
            return None
        if self.low == 0 and self.high == 0:
            return "all zero"
        if self.finite >= 2 and self.high - self.low <= 1e-12 * max(abs(self.high), abs(self.low)):
            return f"constant at {self.high:.6g}"
        return None


@dataclass(frozen=True)
class RoleChoice:
    """How one role of a run was filled: the tag chosen (None when every candidate was refused), why, and why
    each other candidate lost."""

    role: str
    tag: str | None
    reason: str
    pattern: int | None = None
    others: tuple[tuple[str, str], ...] = field(default=())
    direction: str | None = None
    """For a validation role: ``"lower"`` or ``"higher"`` is better."""

    def to_dict(self) -> dict:
        return {
            "role": self.role,
            "tag": self.tag,
            "reason": self.reason,
            "pattern": self.pattern,
            "direction": self.direction,
            "others": [{"tag": tag, "why": why} for tag, why in self.others],
        }


_STEP = re.compile(r"(.*)[/_]step", re.IGNORECASE)
_EPOCH = re.compile(r"(.*)[/_]epoch", re.IGNORECASE)


def _granularity(tag: str, stats: Mapping[str, TagStats]) -> int:
    """0 for a per-epoch aggregate with enough points, 2 for a per-step series whose per-epoch twin wins, else 1."""
    if (m := _EPOCH.fullmatch(tag)) and stats[tag].points >= MIN_EPOCH_POINTS:
        return 0
    if (m := _STEP.fullmatch(tag)) and any(
        _EPOCH.fullmatch(other) and _EPOCH.fullmatch(other).group(1) == m.group(1) and stats[other].points >= MIN_EPOCH_POINTS
        for other in stats
    ):
        return 2
    return 1


def _as_stats(tag_stats) -> dict[str, TagStats]:
    if not isinstance(tag_stats, Mapping):
        return {tag: TagStats(0) for tag in tag_stats}
    return {tag: value if isinstance(value, TagStats) else TagStats(int(value)) for tag, value in tag_stats.items()}


def _pattern_text(rank: int) -> str:
    entry = ROLE_PATTERNS[rank]
    return f"pattern {rank} ({entry.role}: {', '.join(entry.examples[:3])})" + (f": {entry.note}" if entry.note else "")


def explain_roles(
    tag_stats: Mapping[str, int | TagStats] | Iterable[str],
    overrides: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, RoleChoice]:
    """Each role of a run with its chosen tag and why; ``tag_stats`` maps tag to its points (or ``TagStats``).

    A role appears when some tag was a candidate for it, even if every candidate was refused."""
    stats = _as_stats(tag_stats)
    choices: dict[str, RoleChoice] = {}
    for role, names in (overrides or {}).items():
        present = [name for name in names if name in stats]
        if present:
            choices[role] = RoleChoice(role, present[0], "named by the user (roles=)", direction=_direction(role))
    taken = {choice.tag for choice in choices.values()}
    candidates: dict[str, list[tuple[tuple, str, int]]] = {}
    for tag, tag_stat in stats.items():
        matched = match_role(tag)
        if tag in taken or matched is None:
            continue
        role, rank = matched
        refused, blown = tag_stat.unusable(role) is not None, tag_stat.finite == 0
        key = (refused, blown, rank, _granularity(tag, stats), -tag_stat.points, tag)
        candidates.setdefault(role, []).append((key, tag, rank))
    for role, found in candidates.items():
        found.sort()
        if role in choices:
            others = tuple((tag, f"the user named {choices[role].tag}") for _, tag, _ in found)
            choices[role] = RoleChoice(role, choices[role].tag, choices[role].reason, None, others, _direction(role))
            continue
        best_key, best, rank = found[0]
        if stats[best].unusable(role) is not None:
            others = tuple((tag, _why_lost(role, tag, key, best, best_key, stats)) for key, tag, _ in found)
            reason = f"no tag can play {role}: every candidate is empty" + (
                ", all zero or constant" if role in LOSS_ROLES else ""
            )
            choices[role] = RoleChoice(role, None, reason, None, others, _direction(role))
            continue
        others = tuple((tag, _why_lost(role, tag, key, best, best_key, stats)) for key, tag, _ in found[1:])
        reason = f"matched {_pattern_text(rank)}"
        if best_key[3] == 0:
            reason += "; a per-epoch aggregate, preferred to the per-step series"
        if best_key[1]:
            reason += "; it holds no finite value (NaN or infinite only), kept as evidence of a blow-up"
        choices[role] = RoleChoice(role, best, reason, rank, others, _direction(role))
    return {role: choices[role] for role in ROLES if role in choices}


def _direction(role: str) -> str | None:
    return {"val_loss": "lower", "val_acc": "higher"}.get(role)


def _why_lost(role: str, tag: str, key: tuple, best: str, best_key: tuple, stats: Mapping[str, TagStats]) -> str:
    if (refused := stats[tag].unusable(role)) is not None:
        return f"{refused}: never taken as {role}"
    if key[1] != best_key[1]:
        return f"no finite value, while {best} has some"
    if key[2] != best_key[2]:
        return f"matched a later {_pattern_text(key[2])}"
    if key[3] != best_key[3]:
        return f"a per-step series: {best} is its per-epoch aggregate (the step series stays a tag, the noisy view)"
    if key[4] != best_key[4]:
        return f"fewer points ({stats[tag].points} against {stats[best].points})"
    return f"as many points as {best}, which comes first by name"


def resolve_roles(
    tag_stats: Mapping[str, int | TagStats] | Iterable[str],
    overrides: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Map each role to one tag of a run. ``tag_stats`` maps tag to its number of points (or ``TagStats``)."""
    return {role: choice.tag for role, choice in explain_roles(tag_stats, overrides).items() if choice.tag is not None}


TABLE_START = "<!-- roles table: generated from ROLE_PATTERNS by curvescope.assemble.roles.roles_table() -->"
TABLE_END = "<!-- end of roles table -->"


def with_roles_table(readme: str) -> str:
    """``readme`` with the text between ``TABLE_START`` and ``TABLE_END`` replaced by ``roles_table()``."""
    head, start, rest = readme.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"the README has no {TABLE_START!r} ... {TABLE_END!r} block")
    return f"{head}{TABLE_START}\n{roles_table()}\n{TABLE_END}{tail}"


if __name__ == "__main__":  # python -m curvescope.assemble.roles README.md: rewrite the README's roles table
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_roles_table(path.read_text(encoding="utf-8")), encoding="utf-8")
