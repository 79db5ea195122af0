"""Schedule checks: a cyclic step size against the epoch, a decay that reached its floor early, a reduce-on-plateau
cut made on noise, an early spike for want of a warm-up."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curvescope
from curvescope.features.events import Curve, Event
from curvescope.features.extract import role_curves
from curvescope.lr.schedule_checks import cyclic_step_size, plateau_cut_on_noise, short_warmup
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


@settings(max_examples=60, deadline=None)
@given(points=st.integers(20, 400), share=st.floats(0.05, 0.95), decay=st.floats(2, 1000))
def test_a_decay_that_reaches_its_floor_before_half_the_run_is_found(points, share, decay):
    from curvescope.lr.schedule_checks import FLOOR_DECAY, early_floor

    steps = np.arange(points)
    floor_at = max(1, int(share * (points - 1)))
    values = np.where(steps < floor_at, np.geomspace(1.0, 1.0 / decay, floor_at + 1)[np.minimum(steps, floor_at)], 1.0 / decay)
    found = early_floor(Curve(steps, values))
    reached = steps[np.flatnonzero(values > 1.05 / decay)[-1] + 1] / (points - 1)
    assert (found is not None) == (decay >= FLOOR_DECAY and reached <= 0.5)
    if found is not None:
        assert found.share == pytest.approx(reached) and found.floor == pytest.approx(1.0 / decay)


def test_a_decay_that_goes_on_to_the_end_or_rises_again_has_no_early_floor():
    from curvescope.lr.schedule_checks import early_floor

    steps = np.arange(100)
    assert early_floor(Curve(steps, np.geomspace(1.0, 1e-3, 100))) is None  # decays to the last step
    assert early_floor(Curve(steps, np.full(100, 1e-3))) is None  # constant
    assert early_floor(Curve(steps, np.r_[np.geomspace(1.0, 1e-3, 20), np.full(60, 1e-3), np.full(20, 1.0)])) is None


@pytest.mark.slow
def test_an_early_floor_is_found_on_the_corpora_runs_that_decayed_too_early_and_rarely_elsewhere():
    """Measured on the labelled corpora (their labels.csv) and the public runs labelled by people."""
    from curvescope.lr.schedule_checks import early_floor

    def fired(corpus):
        read = curvescope.read(corpus / "runs")
        curves = role_curves(read.scalars)
        labels = {row["run"]: row["label"] for row in csv.DictReader((corpus / "labels.csv").open())}
        hits = {run: early_floor(curves.get(run, {}).get("lr")) is not None for run in labels}
        by = {label: [hits[run] for run in labels if labels[run] == label] for label in set(labels.values())}
        return {label: (sum(found), len(found)) for label, found in by.items()}

    torch_corpus, numpy_corpus, realworld = fired(CORPUS), fired(FIXTURES / "corpus"), fired(FIXTURES / "realworld")
    assert torch_corpus["decay_too_early"][0] >= 0.5 * torch_corpus["decay_too_early"][1]
    assert torch_corpus["healthy"][0] == 0 and numpy_corpus["healthy"][0] <= 0.03 * numpy_corpus["healthy"][1]
    others = [hit for label, hit in numpy_corpus.items() if label != "decay_too_early"]
    assert sum(h for h, _ in others) <= 0.03 * sum(n for _, n in others)
    assert sum(h for h, _ in realworld.values()) == 0


@pytest.mark.slow
def test_an_early_floor_backs_the_decay_too_early_verdict():
    from curvescope.lr.schedule_checks import early_floor

    rows = [row["run"] for row in csv.DictReader((CORPUS / "labels.csv").open()) if row["label"] == "decay_too_early"]
    report = curvescope.audit([CORPUS / "runs" / run for run in rows[:12]], cache=False)
    backed = 0
    for run in report:
        floor = early_floor(run.curves.get("lr"))
        verdicts = [v for v in run.diagnosis.verdicts if v.label == "decay_too_early"]
        evidence = [item for v in verdicts for item in v.evidence if item.kind == "lr_floor"]
        if floor is None or not verdicts:
            assert not evidence
            continue
        backed += 1
        assert [(item.start_step, item.description) for item in evidence] == [(floor.step, floor.advice())]
    assert backed >= 3


def plateau_drop(step: int, factor: float = 10.0) -> Event:
    return Event("lr_drop", step, step + 1, factor, f"lr dropped {factor}x at step {step + 1}", role="lr", tag="lr")


@settings(max_examples=60, deadline=None)
@given(falls=st.lists(st.floats(1e-4, 1.0), min_size=4, max_size=12), start=st.floats(0.5, 50.0))
def test_a_cut_while_validation_fell_at_every_evaluation_is_made_on_noise(falls, start):
    values = start + 20.0 - np.cumsum(falls)
    validation = Curve(np.arange(len(values)) * 10, values, tag="val_loss")
    cut = plateau_cut_on_noise("reduce_on_plateau", (plateau_drop(int(validation.steps[-1])),), validation)
    assert cut is not None and cut.step == validation.steps[-1] + 1 and cut.slope < 0
    assert f"step {cut.step}" in cut.advice() and "patience" in cut.advice()


@settings(max_examples=60, deadline=None)
@given(rises=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=12))
def test_a_cut_after_validation_stopped_falling_is_left_alone(rises):
    values = 1.0 + np.cumsum(rises)
    validation = Curve(np.arange(len(values)), values, tag="val_loss")
    assert plateau_cut_on_noise("reduce_on_plateau", (plateau_drop(len(values) - 1),), validation) is None


def test_a_noisy_plateau_or_another_schedule_gives_no_noisy_cut():
    rng = np.random.default_rng(0)
    flat = Curve(np.arange(8), 1.0 + 0.05 * rng.standard_normal(8), tag="val_loss")
    falling = Curve(np.arange(8), np.linspace(2.0, 1.0, 8), tag="val_loss")
    drop = (plateau_drop(7),)
    assert plateau_cut_on_noise("reduce_on_plateau", drop, flat) is None
    assert plateau_cut_on_noise("step", drop, falling) is None  # a planned step decay is the decay rules' to judge
    assert plateau_cut_on_noise("reduce_on_plateau", drop, None) is None
    assert plateau_cut_on_noise("reduce_on_plateau", (plateau_drop(2),), falling) is None  # three evaluations: too few


@pytest.mark.slow
def test_the_numpy_corpus_eager_reduce_on_plateau_runs_are_found_cutting_on_noise():
    """The corpus's reduce-on-plateau runs built with no patience (its labels.csv names the cause) cut while validation
    still improved; an audit says so in a CS026 finding and in the decay_too_early verdict's evidence."""
    corpus = FIXTURES / "corpus"
    eager = [row["run"] for row in csv.DictReader((corpus / "labels.csv").open()) if row["cause"].startswith("reduce-on-plateau")]
    report = curvescope.audit([corpus / "runs" / run for run in eager], cache=False)
    noted = {run.run for run in report if any(finding.code == "CS026" for finding in run.findings)}
    assert len(noted) >= 4  # of 7: two log no rate, one's regular cuts read as a step schedule (planned, not judged here)
    backed = [item for run in report if run.run in noted for v in run.diagnosis.verdicts for item in v.evidence]
    assert any(item.kind == "plateau_cut" for item in backed)


def spiking_loss(points: int, spike_at: int, height: float) -> Curve:
    """A falling loss that, at ``spike_at``, jumps ``height`` times above where it started and falls back within a tenth."""
    steps = np.arange(points)
    values = 2.0 * np.exp(-steps / (points / 5)) + 0.05
    width = max(points // 50, 2)
    bump = np.exp(-0.5 * ((steps - spike_at) / width) ** 2)
    return Curve(steps, values + height * 2.0 * bump, tag="train/loss")


@settings(max_examples=40, deadline=None)
@given(points=st.integers(100, 600), where=st.floats(0.09, 0.12), height=st.floats(2.0, 20.0))
def test_an_early_spike_under_a_rate_at_its_peak_from_the_start_asks_for_a_warmup(points, where, height):
    loss = spiking_loss(points, int(where * points), height)
    constant = Curve(loss.steps, np.full(points, 0.1))
    found = short_warmup(constant, loss)
    assert found is not None and found.rise >= 2.0 and found.rise_top < 0.2 * points < found.recovered + 0.2 * points
    assert "warm the rate up" in found.advice()
    warmed = Curve(loss.steps, np.minimum(0.1, 0.1 * (loss.steps + 1) / (0.15 * points)))
    assert short_warmup(warmed, loss) is None  # the rate was warmed up: whatever spiked, it is not for want of a warm-up


@settings(max_examples=40, deadline=None)
@given(points=st.integers(20, 600), noise=st.floats(0.0, 0.3), seed=st.integers(0, 2**16))
def test_a_loss_that_never_rises_past_its_start_asks_for_no_warmup(points, noise, seed):
    steps = np.arange(points)
    rng = np.random.default_rng(seed)
    values = np.exp(-steps / (points / 5)) * (1 + noise * rng.uniform(-1, 1, points)) + 1e-3
    values[0] = values.max() * 1.01
    assert short_warmup(Curve(steps, np.full(points, 0.1)), Curve(steps, values)) is None


@pytest.mark.slow
def test_an_early_spike_is_found_on_runs_whose_rate_was_too_high_and_on_no_healthy_run():
    """On the numpy corpus (its labels.csv) and the public runs labelled by people."""
    corpus = FIXTURES / "corpus"
    labels = {row["run"]: row["label"] for row in csv.DictReader((corpus / "labels.csv").open())}
    curves = role_curves(curvescope.read(corpus / "runs").scalars)
    fired = {run: short_warmup(curves[run].get("lr"), curves[run].get("train_loss")) is not None for run in labels}
    too_high = [fired[run] for run in labels if labels[run] == "lr_too_high"]
    healthy = [fired[run] for run in labels if labels[run] == "healthy"]
    assert sum(too_high) >= 0.1 * len(too_high) and not any(healthy)
    public = role_curves(curvescope.read(FIXTURES / "realworld" / "runs").scalars)
    assert not any(short_warmup(run.get("lr"), run.get("train_loss")) for run in public.values())
