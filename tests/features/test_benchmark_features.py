"""The features benchmark's synthetic runs: the script runs, and each shape shows its event."""

import sys
from pathlib import Path

import pytest

from curvescope.features.extract import FEATURES, measure, table

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import features as bench  # noqa: E402


@pytest.fixture(scope="module")
def runs():
    return measure(bench.tidy_frame(runs=len(bench.SHAPES), points=400))


def test_every_run_gets_every_feature(runs):
    assert list(table(runs.values()).columns) == list(FEATURES)
    assert len(runs) == len(bench.SHAPES)


@pytest.mark.parametrize("index, kind", [(1, "explosion"), (2, "plateau"), (4, "lr_drop")])
def test_each_shape_shows_its_event(runs, index, kind):
    run = f"run_{index:05d}"
    assert kind in {event.kind for event in runs[run].events}


def test_overfitting_validation_turns_up_and_step_decay_is_named(runs):
    assert runs["run_00003"].value("rise_since_best") > 0.2
    assert runs["run_00004"].schedule.kind == "step"
    assert runs["run_00000"].schedule.kind == "constant"
