"""Default tag roles: the names in the domain guide and the formats we read map as users expect."""

from pathlib import Path

import pytest

from curvescope.assemble.roles import (
    ROLE_PATTERNS,
    ROLES,
    TagStats,
    check_overrides,
    explain_roles,
    match_role,
    metric_direction,
    resolve_roles,
    with_roles_table,
)
from curvescope.errors import InvalidParameterError

EXPECTED = {
    "train_loss": [
        "loss",
        "train/loss",
        "train_loss",
        "epoch_loss",
        "train/epoch_loss",
        "Loss/train",
        "train_loss_step",
        "train_loss_epoch",
        "Loss/total_loss",
        "train/Loss/total_loss",
        "cost/cost",
        "cross_entropy_1",
        "loss/loss",
        "train/box_loss",
    ],
    "val_loss": [
        "val_loss",
        "val/loss",
        "eval_loss",
        "eval/loss",
        "validation/loss",
        "validation/epoch_loss",
        "Loss/val",
        "valid_loss",
        "v_loss",
        "test/v_loss",
        "test/loss",
        "test/cross_entropy_1",
        "val/box_loss",
    ],
    "train_acc": ["acc", "accuracy", "train/acc", "train_accuracy", "train/epoch_accuracy", "epoch_accuracy", "train/accuracy"],
    "val_acc": [
        "val_acc",
        "val_accuracy",
        "eval_accuracy",
        "eval/accuracy",
        "valid/acc",
        "validation/epoch_accuracy",
        "test/accuracy",
        "test/v_accuracy",
    ],
    "lr": [
        "lr",
        "learning_rate",
        "lr-Adam",
        "lr-SGD/pg1",
        "epoch_learning_rate",
        "train/epoch_learning_rate",
        "train/lr",
        "train/learning_rate",
        "x/lr0",
        "input_info/learning_rate",
    ],
    "grad_norm": ["grad_norm", "train/grad_norm", "grad_2.0_norm_total", "Grad_Norm"],
    "update_ratio": ["update_ratio", "train/update_ratio", "update_to_weight_ratio", "param_update_ratio"],
    "weight_norm": ["weight_norm", "train/weight_norm", "param_norm", "Weight_Norm"],
}
NO_ROLE = [
    "epoch",
    "global_step/sec",
    "eval/runtime",
    "MAE",
    "val_perplexity",
    "data/scalar1",
    "hp_metric",
    "train/epoch",
]


@pytest.mark.parametrize("role, tag", [(role, tag) for role, tags in EXPECTED.items() for tag in tags])
def test_known_tags_take_their_role(role, tag):
    assert match_role(tag)[0] == role


@pytest.mark.parametrize("tag", NO_ROLE)
def test_other_tags_take_no_role(tag):
    assert match_role(tag) is None


def test_matching_ignores_case():
    assert match_role("Train/Loss")[0] == "train_loss" and match_role("VAL_LOSS")[0] == "val_loss"


def test_patterns_are_data_over_known_roles():
    assert {entry.role for entry in ROLE_PATTERNS} == set(ROLES)


def test_earlier_pattern_then_more_points_wins():
    assert resolve_roles({"train/box_loss": 10, "loss": 3})["train_loss"] == "loss"
    assert resolve_roles({"train/obj_loss": 5, "train/box_loss": 5})["train_loss"] == "train/box_loss"


def test_each_tag_plays_at_most_one_role():
    roles = resolve_roles({"loss": 1, "val_loss": 1}, {"val_loss": ("loss",)})
    assert roles == {"val_loss": "loss"}


def test_override_falls_back_to_the_next_name_then_the_default():
    overrides = check_overrides({"val_loss": ["eval/a", "eval/b"]})
    assert resolve_roles({"eval/b": 1, "val_loss": 1}, overrides)["val_loss"] == "eval/b"
    assert resolve_roles({"val_loss": 1}, overrides)["val_loss"] == "val_loss"


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"valid_loss": "x"}, "unknown role 'valid_loss'"),
        ({"val_loss": ""}, "must give tag names"),
        ({"val_loss": 3}, "must give tag names"),
        (["val_loss"], "must be a mapping"),
    ],
)
def test_bad_overrides_are_refused(bad, message):
    with pytest.raises(InvalidParameterError, match=message):
        check_overrides(bad)


@pytest.mark.parametrize("rank, tag", [(rank, tag) for rank, entry in enumerate(ROLE_PATTERNS) for tag in entry.examples])
def test_each_pattern_takes_its_examples(rank, tag):
    assert match_role(tag) == (ROLE_PATTERNS[rank].role, rank)


def test_the_readme_roles_table_is_generated_from_the_patterns():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert with_roles_table(readme) == readme, (
        "The README's roles table differs from ROLE_PATTERNS; regenerate it with: python -m curvescope.assemble.roles README.md"
    )


def test_per_epoch_aggregate_beats_the_per_step_series():
    roles = explain_roles({"train_loss_step": 500, "train_loss_epoch": 10, "val_loss": 10})
    assert roles["train_loss"].tag == "train_loss_epoch"
    assert roles["train_loss"].others == (
        (
            "train_loss_step",
            "a per-step series: train_loss_epoch is its per-epoch aggregate (the step series stays a tag, the noisy view)",
        ),
    )


def test_a_per_epoch_aggregate_of_too_few_points_leaves_the_step_series():
    assert resolve_roles({"train_loss_step": 500, "train_loss_epoch": 2})["train_loss"] == "train_loss_step"


@pytest.mark.parametrize(
    "stats, why",
    [
        (TagStats(10, 10, 0.0, 0.0), "all zero"),
        (TagStats(10, 10, 0.5, 0.5), "constant at 0.5"),
    ],
)
def test_an_empty_zero_or_constant_column_is_never_a_loss(stats, why):
    roles = explain_roles({"val_loss": stats, "val/cross_entropy": TagStats(10, 10, 0.2, 0.9), "loss": stats})
    assert roles["val_loss"].tag == "val/cross_entropy"
    assert roles["val_loss"].others == (("val_loss", f"{why}: never taken as val_loss"),)
    assert roles["train_loss"].tag is None and roles["train_loss"].others == (("loss", f"{why}: never taken as train_loss"),)


def test_a_loss_of_only_non_finite_values_is_taken_only_when_nothing_else_is_logged():
    blown = TagStats(10, 0)
    roles = explain_roles({"val_loss": blown, "val/cross_entropy": TagStats(10, 10, 0.2, 0.9)})
    assert roles["val_loss"].tag == "val/cross_entropy"
    assert roles["val_loss"].others == (("val_loss", "no finite value, while val/cross_entropy has some"),)
    alone = explain_roles({"loss": blown})["train_loss"]
    assert alone.tag == "loss" and "kept as evidence of a blow-up" in alone.reason


def test_a_constant_learning_rate_is_a_learning_rate():
    assert resolve_roles({"lr": TagStats(10, 10, 0.1, 0.1)}) == {"lr": "lr"}


def test_yolo_learning_rate_is_the_weights_group():
    for tags in (("x/lr0", "x/lr1", "x/lr2"), ("lr/pg0", "lr/pg1", "lr/pg2")):
        choice = explain_roles(dict.fromkeys(tags, 30))["lr"]
        assert choice.tag == tags[1] and "weights" in choice.reason
        assert all("biases" in why for tag, why in choice.others)


@pytest.mark.parametrize(
    "tag, direction",
    [
        ("val_f1", "higher"),
        ("metrics/mAP50(B)", "higher"),
        ("eval_rouge1", "higher"),
        ("test_acc1", "higher"),
        ("val_loss", "lower"),
        ("val_wer", "lower"),
        ("eval/perplexity", "lower"),
        ("train_mae", None),
        ("epoch", None),
    ],
)
def test_validation_metrics_have_a_direction(tag, direction):
    assert metric_direction(tag) == direction


def test_higher_is_better_metrics_play_the_validation_accuracy_role_under_their_name():
    roles = explain_roles({"val_score": 5, "train_loss": 5})
    assert roles["val_acc"].tag == "val_score" and roles["val_acc"].direction == "higher"
