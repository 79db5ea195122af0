"""A cyclic schedule's step size, measured from its logged rate, against the epoch its validation curve gives."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curvescope
from curvescope.features.events import Curve
from curvescope.features.extract import role_curves
from curvescope.lr.schedule_checks import cyclic_step_size
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "torch_corpus"


def triangular(step_size: int, cycles: int, low=1e-4, high=1e-2) -> Curve:
    up = np.linspace(low, high, step_size + 1)[:-1]
    down = np.linspace(high, low, step_size + 1)[:-1]
    values = np.tile(np.r_[up, down], cycles)
    return Curve(np.arange(len(values)), values)


@settings(max_examples=40, deadline=None)
@given(step_size=st.integers(4, 200), cycles=st.integers(2, 6), epoch=st.integers(2, 100))
def test_the_step_size_and_the_epoch_are_measured(step_size, cycles, epoch):
    lr = triangular(step_size, cycles)
    val_steps = np.arange(epoch, len(lr.steps) + 1, epoch)
    if len(val_steps) < 3 or len(lr.steps) < 3 * len(val_steps):
        return
    check = cyclic_step_size(lr, Curve(val_steps, np.ones(len(val_steps))))
    assert check is not None
    assert check.step_size == pytest.approx(step_size, abs=1)
    assert check.iterations_per_epoch == epoch
    low, high = 2, 10
    assert check.within == (low <= check.step_size / epoch <= high)
    assert ("lengthen" in check.advice()) == (check.epochs < low)


def test_a_rate_that_does_not_cycle_or_no_epoch_gives_no_check():
    steps = np.arange(300)
    val = Curve(np.arange(30, 301, 30), np.ones(10))
    assert cyclic_step_size(Curve(steps, np.geomspace(1e-2, 1e-4, 300)), val) is None
    assert cyclic_step_size(triangular(20, 4), None) is None
    assert cyclic_step_size(triangular(20, 4), Curve(np.arange(160), np.ones(160))) is None  # validation every step


@pytest.mark.slow
def test_the_torch_corpus_cyclic_runs_step_size_is_what_they_were_built_with():
    """fixtures/torch_corpus made its cyclic runs with CyclicLR(step_size_up=steps // 8); labels.csv keeps steps and epochs."""
    rows = [row for row in csv.DictReader((CORPUS / "labels.csv").open()) if row["schedule"] == "cyclic"]
    read = curvescope.read(CORPUS / "runs")
    curves = role_curves(read.scalars)
    checked = 0
    for row in rows:
        found = curves.get(row["run"], {})
        check = cyclic_step_size(found.get("lr"), found.get("val_loss") or found.get("val_acc"))
        if check is None:
            continue
        checked += 1
        steps, epochs = int(row["steps"]), int(row["epochs"])
        assert check.step_size == pytest.approx(steps // 8, abs=1), row["run"]
        assert check.iterations_per_epoch == pytest.approx(steps / epochs), row["run"]
    assert checked >= 6


@pytest.mark.slow
def test_an_audit_says_when_a_cyclic_step_size_is_too_short():
    short = CORPUS / "runs" / "digits-noisy-cnn-finetuned" / "r0533"  # 27 steps a half cycle, 22 iterations an epoch
    fine = CORPUS / "runs" / "friedman1-mlp" / "r0041"  # 37 steps, 15 iterations
    report = curvescope.audit([short, fine], cache=False)
    said = {run.run: [f.message for f in run.findings if f.code == "CS023"] for run in report}
    assert [len(messages) for messages in said.values()] in ([1, 0], [0, 1])
    (message,) = [m for messages in said.values() for m in messages]
    assert "lengthen step_size_up to 44-220 steps" in message
