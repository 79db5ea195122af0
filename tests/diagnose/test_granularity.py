"""The same run logged per step or per epoch (the mean of each epoch's steps) gets the same verdict."""

from __future__ import annotations

import numpy as np
import pytest

import curvescope
from tests.diagnose import curves as c
from tests.diagnose.test_rules import POSITIVES

STEPS_PER_EPOCH = 20
AVERAGED_AWAY = (
    # an oscillation around a flat level averages out within each epoch: an epoch's mean cannot show it
    "violent-flat-oscillation",
    # a rate that halves within the first epoch leaves a per-epoch log no point before the cut to show its slope
    "lr-to-1e-4-of-peak-by-15pct",
    # one overshooting point among the first epoch's steps is averaged into that epoch's mean
    "third-point-8x-the-first",
    # a blow-up from the first step leaves a per-epoch log a first point already far up: a bad start to read
    "second-point-1e5x-the-first",
)
SAME_SHAPE_PER_EPOCH = [(case, build) for case, build, options, _ in POSITIVES if not options and case not in AVERAGED_AWAY] + [
    ("healthy", c.healthy)
]


def per_epoch(curves: c.Curves) -> c.Curves:
    """The training curves as a per-epoch logger writes them: each epoch's mean at its last step (NaN once NaN)."""
    out = dict(curves)
    for tag in (c.TRAIN_LOSS, c.TRAIN_ACC):
        if tag in curves:
            steps, values = curves[tag]
            n = len(steps) // STEPS_PER_EPOCH * STEPS_PER_EPOCH
            out[tag] = (steps[:n][STEPS_PER_EPOCH - 1 :: STEPS_PER_EPOCH], values[:n].reshape(-1, STEPS_PER_EPOCH).mean(axis=1))
    return out


@pytest.fixture(scope="module")
def report():
    runs = {}
    for case, build in SAME_SHAPE_PER_EPOCH:
        for seed in (0, 1):
            runs[f"{case}-{seed}/per-step"] = build(seed)
            runs[f"{case}-{seed}/per-epoch"] = per_epoch(build(seed))
    return curvescope.audit(c.frame(runs))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", [case for case, _ in SAME_SHAPE_PER_EPOCH])
def test_per_step_and_per_epoch_logging_give_the_same_labels(report, case, seed):
    assert report[f"{case}-{seed}/per-epoch"].labels == report[f"{case}-{seed}/per-step"].labels


def test_per_epoch_curves_are_twenty_times_shorter():
    steps, values = per_epoch(c.healthy(0))[c.TRAIN_LOSS]
    assert len(steps) == c.N // STEPS_PER_EPOCH and np.isfinite(values).all()
