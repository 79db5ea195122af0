"""The features benchmark's synthetic runs: the script runs, and each shape shows its event."""

import sys
from pathlib import Path

import pytest

from curvescope.features.extract import FEATURES, features

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import features as bench  # noqa: E402


@pytest.fixture(scope="module")
def table():
    return features(bench.tidy_frame(runs=len(bench.SHAPES), points=400))


def test_every_run_gets_every_feature(table):
    assert list(table.frame.columns) == [*FEATURES, "schedule"]
    assert len(table.frame) == len(bench.SHAPES)


@pytest.mark.parametrize("index, kind", [(1, "explosion"), (2, "plateau"), (4, "lr_drop")])
def test_each_shape_shows_its_event(table, index, kind):
    run = f"run_{index:05d}"
    assert kind in {event.kind for event in table.events[run]}


def test_overfitting_validation_turns_up_and_step_decay_is_named(table):
    assert table.frame.loc["run_00003", "rise_since_best"] > 0.2
    assert table.frame.loc["run_00004", "schedule"] == "step"
    assert table.frame.loc["run_00000", "schedule"] == "constant"
