"""Default tag roles: the names in the domain guide and the formats we read map as users expect."""

import pytest

from curvescope.assemble.roles import ROLE_PATTERNS, ROLES, check_overrides, match_role, resolve_roles
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
}
NO_ROLE = [
    "epoch",
    "global_step/sec",
    "train/grad_norm",
    "eval/runtime",
    "MAE",
    "val_perplexity",
    "episode_reward",
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
    assert {role for role, _ in ROLE_PATTERNS} == set(ROLES)


def test_earlier_pattern_then_more_points_wins():
    assert resolve_roles({"train/box_loss": 10, "loss": 3})["train_loss"] == "loss"
    assert resolve_roles({"train_loss_step": 500, "train_loss_epoch": 10})["train_loss"] == "train_loss_step"
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
