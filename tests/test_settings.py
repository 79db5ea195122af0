"""The audit's settings as the CLI hands them to the app: read back as given, bad ones named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curvescope import InvalidParameterError
from curvescope.settings import AuditSettings

ROLES = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")
TAG = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
CODE = st.from_regex(r"CS[0-9]{1,3}", fullmatch=True)


@given(
    st.dictionaries(st.sampled_from(ROLES), TAG, max_size=3),
    st.lists(CODE, max_size=3),
    st.lists(CODE, max_size=3),
    st.none() | st.integers(2, 1000),
    st.booleans(),
)
def test_settings_read_back_as_written(roles, select, ignore, classes, model):
    settings = AuditSettings.of(roles, select, ignore, classes, model)
    assert AuditSettings.from_argv(settings.to_argv()) == settings


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--role", "val_loss"], "ROLE=TAG"),
        (["--classes", "x"], "--classes"),
        (["--classes", "1"], "2 or more"),
        (["--bogus"], "unknown"),
    ],
)
def test_bad_settings_are_named(argv, said):
    with pytest.raises(InvalidParameterError, match=said):
        AuditSettings.from_argv(argv)


def test_the_defaults_say_nothing_and_others_are_described():
    assert AuditSettings().describe() == "" and AuditSettings().to_argv() == []
    assert (
        AuditSettings.of({"val_loss": "eval/loss"}, model=False).describe() == "val_loss from eval/loss; rules alone (no model)"
    )
