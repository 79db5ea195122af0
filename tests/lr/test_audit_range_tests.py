"""An audit recognises a range test: its designed divergence is no lr_too_high, it says so with the rates it
suggests, and the training runs beside it are judged as before."""

from __future__ import annotations

import pytest

import curvescope
from tests.conftest import FIXTURES

RANGE = FIXTURES / "lr_range"


@pytest.fixture(scope="module")
def report():
    return curvescope.audit(RANGE / "sweep", cache=False)


def test_a_range_test_is_not_judged_and_says_what_it_suggests(report):
    test = report["digits-mlp/lr_find"]
    assert test.labels == ()
    assert set(test.diagnosis.not_judged) == {"bad_init", "lr_too_high", "decay_too_early", "overfitting", "underfitting"}
    found = [f for f in test.findings if f.code == "CS022"]
    suggested = curvescope.lr_find(RANGE / "sweep")["digits-mlp/lr_find"].suggested
    assert len(found) == 1 and f"suggested rate {suggested:.3g}" in found[0].message


def test_the_trainings_beside_it_are_judged(report):
    for lr in ("0.001", "0.01", "0.1", "1"):
        run = report[f"digits-mlp/lr={lr}"]
        assert run.labels and not run.diagnosis.not_judged.get("lr_too_high")
        assert not [f for f in run.findings if f.code == "CS022"]
