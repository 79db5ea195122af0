"""Each rule on planted curves: a positive set it must fire on, a negative set it must stay quiet on.

The curves (``curves.py``) show their symptom far past any sensible threshold, so these tests
survive the tuning of a rule's defaults; the expected codes are written next to the data.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curvescope
from curvescope.diagnose import PROBLEMS, rules
from tests.diagnose import curves as c


def fired(curves: c.Curves, **options) -> set[str]:
    """Codes of the rule diagnoses made on one run."""
    report = curvescope.audit(c.frame({"run": curves}), model=False, **options)
    return {d.code for d in report["run"].diagnosis.diagnoses}


# (case, curves, audit options, the codes that must fire: exactly these)
POSITIVES = [
    ("nan-after-blow-up", c.diverges_to_nan, {}, {"CS201"}),
    ("grows-2000x", c.explodes, {}, {"CS201"}),
    ("third-point-8x-the-first", c.overshoots_at_start, {}, {"CS201"}),
    ("second-point-1e5x-the-first", c.blows_up_at_once, {}, {"CS201"}),
    # draws whose last swings happen to sit near the level; the sweep test below takes every draw
    ("violent-flat-oscillation", lambda seed: c.oscillates((1, 2, 4)[seed]), {}, {"CS202"}),
    ("first-loss-10x-chance-acc-shows-10-classes", c.first_loss_far_above_chance, {}, {"CS101"}),
    (
        "first-loss-10x-chance-classes-given",
        lambda seed: _without_accuracy(c.first_loss_far_above_chance(seed)),
        {"classes": 10},
        {"CS101"},
    ),
    ("first-loss-10x-chance-100-classes", lambda seed: c.first_loss_far_above_chance(seed, classes=100), {}, {"CS101"}),
    ("flat-40pct-then-sharp-drop", c.flat_start_then_drop, {}, {"CS102"}),
    ("lr-cut-10x-at-10pct-then-stall", c.cut_while_improving, {}, {"CS301"}),
    ("abrupt-fall-then-stall-no-lr-logged", c.cut_inferred_from_loss, {}, {"CS301"}),
    ("lr-to-1e-4-of-peak-by-15pct", c.decays_to_floor_early, {}, {"CS302"}),
    ("val-loss-u-shape", c.val_loss_u_shape, {}, {"CS401"}),
    ("val-acc-peaks-then-falls", c.val_acc_peaks_then_falls, {}, {"CS402"}),
    ("loss-ends-at-95pct", c.barely_falls, {}, {"CS501"}),
    ("loss-ends-at-95pct-through-3pct-scatter", c.barely_falls_with_scatter, {}, {"CS501"}),
    ("val-loss-nan-at-70pct", c.validation_diverges, {}, {"CS203"}),
    ("loss-repeats-one-value-from-40pct", c.loss_freezes, {}, {"CS502"}),
]

# (case, curves, audit options, a code that must not fire)
NEGATIVES = [
    ("healthy", c.healthy, {}, "CS101"),
    ("healthy-classes-given", c.healthy, {"classes": 10}, "CS101"),
    ("healthy", c.healthy, {}, "CS102"),
    ("warm-up-explains-flat-start", c.warm_up_flat_start, {}, "CS102"),
    ("warm-up-then-cosine", c.warm_up_then_cosine_flat_start, {}, "CS102"),
    ("spike-that-recovers", c.spike_that_recovers, {}, "CS201"),
    ("healthy-3pct-noise", lambda seed: c.healthy(seed, noise=0.03), {}, "CS202"),
    ("loss-ends-at-95pct", c.barely_falls, {}, "CS202"),
    ("planned-late-step-decay", lambda seed: c.healthy(seed, lr="late_step"), {}, "CS301"),
    ("early-cut-but-loss-keeps-falling", c.early_cut_keeps_falling, {}, "CS301"),
    ("warm-up-then-cosine", c.warm_up_then_cosine_flat_start, {}, "CS301"),
    ("cosine-over-the-run", lambda seed: c.healthy(seed, lr="warmup_cosine"), {}, "CS302"),
    ("warm-up-then-cosine", c.warm_up_then_cosine_flat_start, {}, "CS302"),
    ("val-flattens-at-best", c.val_loss_flattens, {}, "CS401"),
    ("healthy", c.healthy, {}, "CS401"),
    ("val-acc-plateaus", c.val_acc_plateaus, {}, "CS402"),
    ("val-loss-u-shape-judged-by-CS401", c.val_loss_u_shape, {}, "CS402"),
    ("healthy", c.healthy, {}, "CS501"),
    ("violent-flat-oscillation", c.oscillates, {}, "CS501"),
    ("nan-after-blow-up", c.diverges_to_nan, {}, "CS501"),
    ("healthy", c.healthy, {}, "CS203"),
    ("val-loss-u-shape", c.val_loss_u_shape, {}, "CS203"),
    ("healthy", c.healthy, {}, "CS502"),
    ("loss-fitted-to-zero", c.loss_fitted_to_zero, {}, "CS502"),
]


def _without_accuracy(curves: c.Curves) -> c.Curves:
    return {tag: curve for tag, curve in curves.items() if tag not in (c.TRAIN_ACC, c.VAL_ACC)}


def test_every_rule_has_a_positive_and_a_negative_case():
    codes = set(rules())
    assert codes <= set().union(*(expected for *_, expected in POSITIVES)), "a rule has no planted positive case"
    assert codes <= {code for *_, code in NEGATIVES}, "a rule has no planted negative case"


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case, build, options, expected", POSITIVES, ids=[p[0] for p in POSITIVES])
def test_planted_problem_fires_its_rule_and_no_other(case, build, options, expected, seed):
    assert fired(build(seed), **options) == expected


@pytest.mark.parametrize("case, build, options, code", NEGATIVES, ids=[f"{n[3]}-{n[0]}" for n in NEGATIVES])
def test_near_miss_does_not_fire(case, build, options, code):
    assert code not in fired(build(0), **options)


@pytest.mark.parametrize("lr", ["constant", "late_step", "warmup_cosine"])
@pytest.mark.parametrize("seed", [0, 1])
def test_healthy_run_gets_no_rule_diagnosis_at_all(lr, seed):
    report = curvescope.audit(c.frame({"run": c.healthy(seed, lr=lr)}), model=False)
    run = report["run"]
    assert run.diagnosis.diagnoses == ()
    assert run.labels == ("healthy",)
    assert run.diagnosis.not_judged == {}


def test_warm_up_then_cosine_gets_no_schedule_or_init_diagnosis():
    assert not fired(c.warm_up_then_cosine_flat_start()) & {"CS102", "CS301", "CS302"}


def test_rule_diagnoses_carry_their_label_message_fix_and_evidence_inside_the_run():
    runs = {case: build(0) for case, build, options, _ in POSITIVES if not options}
    report = curvescope.audit(c.frame(runs), model=False)
    table = rules()
    for case in runs:
        steps = report.reading.run(case)["step"]
        for diagnosis in report[case].diagnosis.diagnoses:
            assert diagnosis.label == table[diagnosis.code].label
            assert diagnosis.label == PROBLEMS[int(diagnosis.code[2]) - 1]
            assert diagnosis.origin == "rule" and diagnosis.run == case
            assert 0.5 <= diagnosis.confidence <= 1.0, "a rule that fires on its own planted case should be sure"
            assert diagnosis.message.strip() and diagnosis.fix.strip()
            assert diagnosis.evidence, f"{diagnosis.code} on {case} cites no evidence"
            for item in diagnosis.evidence:
                for step in (item.start_step, item.end_step):
                    assert step is None or steps.min() <= step <= steps.max(), (case, diagnosis.code, item)


def test_the_fix_names_the_step_of_the_problem():
    """The fix is worded for the run: overfitting says where to stop, decay where the cut was."""
    report = curvescope.audit(c.frame({"u": c.val_loss_u_shape(), "cut": c.cut_while_improving()}), model=False)
    best = report["u"].numbers["best_val_step"]
    assert f"step {best:,}" in report["u"].fix
    assert 0.2 * (c.N - 1) <= best <= 0.4 * (c.N - 1), "the planted validation minimum is at 30% of the run"
    cut = int(np.argmax(c.cut_while_improving()[c.LR][1] < 0.1))
    assert f"step {cut:,}" in report["cut"].fix


def test_violent_flat_oscillation_is_lr_too_high_whatever_the_noise_draw():
    """A loss swinging +-50% around a flat level, with no trend, is the textbook lr_too_high. Which
    random draw of the swings it is must not matter (the trend should not hang on the last points)."""
    runs = {f"seed{seed}": c.oscillates(seed) for seed in range(40)}
    report = curvescope.audit(c.frame(runs), model=False)
    missed = {
        run.run: round(run.features["train_drop"], 2)
        for run in report
        if "CS202" not in {d.code for d in run.diagnosis.diagnoses}
    }
    assert not missed, f"CS202 missed these oscillating runs (train_drop shown): {missed}"


# --- properties ---------------------------------------------------------------------------------

SCALE_FREE = [(case, build, options) for case, build, options, _ in POSITIVES]


@settings(max_examples=25, deadline=None)
@given(index=st.integers(0, len(SCALE_FREE) - 1), scale=st.floats(1e-3, 1e3), seed=st.integers(0, 2))
def test_multiplying_every_loss_keeps_the_rules_that_fire(index, scale, seed):
    """Ratios and ranges do not see the loss's units. CS101 is left out on purpose: it compares the
    first loss with ln(classes), an absolute level."""
    case, build, options = SCALE_FREE[index]
    curves = build(seed)
    before = fired(curves, **options) - {"CS101"}
    after = fired(c.scaled(curves, scale), **options) - {"CS101"}
    assert after == before


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    noise=st.floats(0.0, 0.03),
    lr=st.sampled_from(["constant", "late_step", "warmup_cosine"]),
    rate=st.floats(3.0, 10.0),
    floor=st.floats(0.05, 0.5),
    gap=st.floats(0.02, 0.1),
)
def test_healthy_run_with_small_noise_fires_no_rule(seed, noise, lr, rate, floor, gap):
    curves = c.healthy(seed, noise=noise, lr=lr, rate=rate, floor=floor, gap=gap)
    assert fired(curves) == set()


def test_expected_codes_are_registered_codes():
    pattern = re.compile(r"^CS[1-5][0-9]{2}$")
    for *_, expected in POSITIVES:
        assert all(pattern.match(code) and code in rules() for code in expected)
