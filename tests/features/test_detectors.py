"""Detectors find planted events, ignore what they should, and never crash on odd curves."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from curvescope.features import detectors
from curvescope.features.events import Curve
from curvescope.features.extract import FEATURES, measure_run
from curvescope.features.schedule import inferred_drops, lr_schedule, progress_around

STEPS = np.arange(1000)
RNG = np.random.default_rng(7)


def decaying(noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    return 2.0 * np.exp(-STEPS / 250) + 0.2 + rng.normal(0, noise, len(STEPS))


# --- planted events -------------------------------------------------------------------------------


def test_explosion_onset_is_found_within_twenty_steps():
    values = decaying()
    values[600:] *= np.exp((STEPS[600:] - 600) / 30)
    numbers, events = detectors.divergence(Curve.of(STEPS, values, "train_loss", "loss"))
    [explosion] = [e for e in events if e.kind == "explosion"]
    assert abs(explosion.start_step - 600) <= 20
    assert numbers["explosion_ratio"] > 10 and abs(numbers["explosion_onset"] - 0.6) < 0.02


def test_first_non_finite_value_is_located_exactly():
    values = decaying()
    values[[437, 800]] = [np.nan, np.inf]
    numbers, events = detectors.divergence(Curve.of(STEPS, values))
    [event] = [e for e in events if e.kind == "non_finite"]
    assert event.start_step == 437 and numbers["non_finite_fraction"] == pytest.approx(0.002)


def test_plateau_at_the_start_is_found_within_tolerance():
    values = np.where(STEPS < 300, 2.3, 2.3 * np.exp(-(STEPS - 300) / 100) + 0.05) + RNG.normal(0, 0.003, len(STEPS))
    numbers, events = detectors.plateaus(Curve.of(STEPS, values))
    start = events[0]
    assert start.details["position"] == "start" and start.start_step == 0
    assert abs(start.end_step - 300) <= 40
    assert numbers["start_plateau"] == pytest.approx(0.3, abs=0.04)


def test_plateau_after_progress_reports_its_level():
    values = np.where(STEPS < 200, 3 - STEPS / 100, 1.0) + RNG.normal(0, 0.002, len(STEPS))
    values[800:] -= (STEPS[800:] - 800) / 200  # breaks later
    numbers, events = detectors.plateaus(Curve.of(STEPS, values))
    middle = [e for e in events if e.details["position"] == "middle"]
    assert middle and abs(middle[0].start_step - 200) <= 30 and abs(middle[0].end_step - 800) <= 30
    assert numbers["plateau_level"] == pytest.approx((1.0 - 0.0) / (3.0 - 0.0), abs=0.05)


def test_spikes_are_counted_where_planted():
    values = decaying(noise=0.002)
    values[[150, 640]] *= 3
    numbers, events = detectors.spikes(Curve.of(STEPS, values))
    assert sorted(e.start_step for e in events) == [150, 640]
    assert numbers["spike_rate"] == pytest.approx(0.2)


def test_best_validation_step_and_the_rise_since():
    steps = np.arange(0, 1000, 20)
    values = np.r_[np.linspace(2.0, 1.0, 30), np.linspace(1.02, 1.3, 20)]
    numbers, [event] = detectors.best_step(Curve.of(steps, values, "val_loss", "val_loss"))
    assert event.start_step == 580
    assert numbers["rise_since_best"] == pytest.approx(0.3) and numbers["worse_since_best"] == pytest.approx(0.3)
    assert numbers["still_improving"] == 0
    acc = detectors.best_step(Curve.of(steps, np.r_[np.linspace(0.1, 0.9, 49), 0.95]), higher_is_better=True)[0]
    assert acc["best_position"] == 1.0 and acc["still_improving"] == 1


@pytest.mark.parametrize(
    "kind, lr, drops",
    [
        ("constant", np.full(1000, 0.1), []),
        ("step", 0.1 * 0.1 ** (STEPS // 300), [300, 600, 900]),
        (
            "reduce_on_plateau",
            0.1 * np.where(STEPS < 230, 1, np.where(STEPS < 610, 0.5, np.where(STEPS < 700, 0.25, 0.125))),
            [230, 610, 700],
        ),
        ("exponential", 0.1 * 0.995**STEPS, []),
        ("cosine", 0.05 * (1 + np.cos(np.pi * STEPS / 1000)), []),
        ("linear", 0.1 * (1 - STEPS / 1000) + 1e-5, []),
        ("inverse_sqrt", 0.1 / np.sqrt(STEPS + 1), []),
        ("warmup", np.minimum(0.1, 0.1 * (STEPS + 1) / 100), []),
        ("one_cycle", np.where(STEPS < 300, 0.01 + 0.09 * STEPS / 300, 0.1 * (1 - (STEPS - 300) / 700) + 1e-4), []),
        ("cyclic", 0.01 + 0.09 * np.abs(((STEPS / 100) % 2) - 1), []),
        ("cosine", np.where(STEPS < 50, 0.1 * (STEPS + 1) / 50, 0.05 * (1 + np.cos(np.pi * (STEPS - 50) / 950))), []),
    ],
)
def test_schedules_are_recognised_and_only_abrupt_drops_reported(kind, lr, drops):
    schedule = lr_schedule(Curve.of(STEPS, lr, "lr", "lr"))
    assert schedule.kind == kind
    assert [d.end_step for d in schedule.drops] == drops
    assert all(not d.inferred for d in schedule.drops)


def test_warmup_is_a_rise_not_a_drop():
    lr = np.where(STEPS < 50, 0.1 * (STEPS + 1) / 50, 0.1 * 0.1 ** ((STEPS - 50) // 300))
    schedule = lr_schedule(Curve.of(STEPS, lr))
    assert schedule.kind == "step" and schedule.warmup_end_step == 49
    assert [d.end_step for d in schedule.drops] == [350, 650, 950]


def test_a_drop_is_inferred_from_the_loss_when_no_lr_was_logged():
    values = np.where(STEPS < 400, 1.5 * np.exp(-STEPS / 150) + 0.8, 0.3 * np.exp(-(STEPS - 400) / 200) + 0.35)
    values = values + RNG.normal(0, 0.004, len(STEPS))
    [drop] = inferred_drops(Curve.of(STEPS, values, "train_loss", "loss"))
    assert drop.inferred and drop.start_step <= 400 <= drop.end_step + 10


def test_progress_after_an_early_drop_falls_short_of_the_earlier_trend():
    values = np.where(STEPS < 150, 3 - STEPS / 100, 1.5 - (STEPS - 150) / 2000)
    numbers = progress_around(Curve.of(STEPS, values), 150)
    assert numbers["slope_before"] < numbers["slope_after"] < 0
    assert numbers["fall_vs_promised"] == pytest.approx((0.425) / (850 / 100), rel=0.01)


def test_gap_grows_after_validation_turns():
    train = Curve.of(STEPS, np.linspace(3, 0.1, 1000), "train_loss", "loss")
    val_steps = np.arange(0, 1000, 50)
    val = Curve.of(val_steps, np.r_[np.linspace(3, 1, 10), np.linspace(1.1, 2.0, 10)], "val_loss", "val_loss")
    numbers, [event] = detectors.gap(train, val)
    assert event.start_step == 450 and event.end_step == 950
    train_at = lambda step: 3 - 2.9 * step / 999  # noqa: E731
    gap_end, gap_at_best = (2.0 - train_at(950)) / 2.9, (1.0 - train_at(450)) / 2.9
    assert numbers["gap_end"] == pytest.approx(gap_end, abs=0.01)
    assert numbers["gap_growth"] == pytest.approx(gap_end - gap_at_best, abs=0.01)


def test_initial_loss_against_chance():
    numbers, [event] = detectors.initial_loss_vs_chance(Curve.of([0, 1], [23.0, 2.0]), 10)
    assert numbers["initial_loss_vs_chance"] == pytest.approx(23.0 / math.log(10))
    assert detectors.chance_classes(Curve.of([0, 1], [0.1, 0.6])) == 10
    assert detectors.chance_classes(Curve.of([0, 1], [0.5, 0.6])) is None
    assert detectors.chance_classes(Curve.of([0, 1], [0.62, 0.9])) is None


# --- invariances ----------------------------------------------------------------------------------

POSITIVE = arrays(np.float64, st.integers(30, 200), elements=st.floats(0.01, 100))
SCALES = st.floats(1e-3, 1e3)
SHIFTS = st.floats(-50, 50)


def _close(a: dict, b: dict) -> None:
    for key in a:
        if isinstance(a[key], float) and math.isfinite(a[key]):
            assert b[key] == pytest.approx(a[key], rel=1e-6, abs=1e-6), key
        else:
            assert not (isinstance(b[key], float) and math.isfinite(b[key])), key


@settings(max_examples=40, deadline=None)
@given(values=POSITIVE, scale=SCALES)
def test_detectors_ignore_the_curve_scale(values, scale):
    curve, scaled = Curve.of(np.arange(len(values)), values), Curve.of(np.arange(len(values)), values * scale)
    for measure in (detectors.divergence, detectors.spikes, detectors.plateaus, detectors.best_step):
        numbers, numbers_scaled = measure(curve)[0], measure(scaled)[0]
        if abs(numbers.get("explosion_ratio", 0) - 10) < 1e-6:  # on the threshold itself rounding decides
            del numbers["explosion_onset"], numbers_scaled["explosion_onset"]
        _close(numbers, numbers_scaled)
    _close({"noise": detectors.noise(curve)}, {"noise": detectors.noise(scaled)})
    _close({"scatter": detectors.scatter(curve)}, {"scatter": detectors.scatter(scaled)})


@settings(max_examples=40, deadline=None)
@given(values=POSITIVE, shift=SHIFTS)
def test_range_relative_detectors_ignore_a_shift(values, shift):
    curve, shifted = Curve.of(np.arange(len(values)), values), Curve.of(np.arange(len(values)), values + shift)
    _close(detectors.plateaus(curve)[0], detectors.plateaus(shifted)[0])
    _close(
        {k: v for k, v in detectors.best_step(curve)[0].items() if k != "worse_since_best"},
        {k: v for k, v in detectors.best_step(shifted)[0].items() if k != "worse_since_best"},
    )
    _close({"noise": detectors.noise(curve)}, {"noise": detectors.noise(shifted)})


# --- odd curves -----------------------------------------------------------------------------------

ODD = st.one_of(
    st.just(([], [])),
    st.just(([5], [1.0])),
    st.just(([0, 1, 2], [np.nan, np.nan, np.nan])),
    st.tuples(
        st.lists(st.integers(0, 50), min_size=1, max_size=80),
        st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=80),
    ),
)


@settings(max_examples=150, deadline=None)
@given(train=ODD, val=ODD, lr=ODD)
def test_odd_curves_give_missing_values_not_errors(train, val, lr):
    def curve(pair, role):
        steps, values = pair
        n = min(len(steps), len(values))
        return Curve.of(steps[:n], values[:n], role, role)

    curves = {"train_loss": curve(train, "train_loss"), "val_loss": curve(val, "val_loss"), "lr": curve(lr, "lr")}
    measured = measure_run("run", curves)
    assert list(measured.values) == list(FEATURES)
    assert all(isinstance(v, float) for v in measured.values.values())


def test_a_run_without_curves_has_only_missing_values():
    measured = measure_run("run", {})
    assert measured.values["has_val"] == 0 and measured.values["has_lr"] == 0
    assert all(math.isnan(v) for k, v in measured.values.items() if k not in ("has_val", "has_lr"))
    assert measured.events == () and measured.schedule is None


@given(
    moving=st.integers(min_value=5, max_value=200),
    held=st.integers(min_value=0, max_value=200),
    level=st.floats(min_value=1e-6, max_value=1e6),
)
def test_frozen_is_the_stretch_that_repeats_one_value(moving, held, level):
    rng = np.random.default_rng(moving + held)
    values = np.r_[level * (1 + rng.uniform(0.01, 1.0, moving)), np.full(held, level)]
    values[moving - 1] = level * 1.5  # the last moving point differs from the held value for sure
    curve = Curve.of(np.arange(len(values)), values, "train_loss", "loss")
    found = detectors.frozen(curve)
    if held >= 5 and (held - 1) / (len(values) - 1) >= 0.2:  # the held stretch spans held - 1 steps of the run
        [event] = found
        assert (event.start_step, event.end_step) == (moving, len(values) - 1)
        assert event.details["level"] == level
    else:
        assert found == []


def test_a_loss_moving_below_the_sixth_digit_is_frozen_and_above_it_is_not():
    steps = np.arange(100)
    still = Curve.of(steps, 0.693147 + 1e-8 * np.sin(steps), "train_loss", "loss")
    moving = Curve.of(steps, 0.693147 + 1e-4 * np.sin(steps), "train_loss", "loss")
    assert [e.start_step for e in detectors.frozen(still)] == [0]
    assert detectors.frozen(moving) == []


def test_the_chance_level_is_read_off_an_accuracy_never_off_another_metric():
    steps = np.arange(30)
    loss = Curve.of(steps, 5.0 * np.exp(-steps / 10) + 0.5, "train_loss", "loss")
    starts_at_one_fifth = np.r_[0.2, np.linspace(0.3, 0.6, 29)]
    rouge = Curve.of(steps, starts_at_one_fifth, "val_acc", "eval_rouge1")
    accuracy = Curve.of(steps, starts_at_one_fifth, "val_acc", "val_accuracy")
    assert measure_run("summariser", {"train_loss": loss, "val_acc": rouge}).classes is None
    assert measure_run("classifier", {"train_loss": loss, "val_acc": accuracy}).classes == 5


def _start(values) -> list:
    return detectors.blow_up_at_start(Curve.of(np.arange(len(values)), np.asarray(values, dtype=float)))[1]


def test_a_loss_that_shoots_above_its_first_value_at_once_blew_up_at_the_start():
    falling = 2.0 * np.exp(-np.linspace(0, 5, 100)) + 0.1
    overshoot = falling.copy()
    overshoot[3] = 7.0 * falling[0]
    (event,) = _start(overshoot)
    assert (event.kind, event.start_step, event.end_step) == ("explosion", 0, 3)
    assert event.magnitude == pytest.approx(7.0)
    assert not _start(falling), "a loss that starts at its highest did not blow up"
    (huge,) = _start(np.r_[0.97, 7.4e5, np.geomspace(1e5, 20, 98)])
    assert huge.magnitude == pytest.approx(7.4e5 / 0.97), "a blow-up that dwarfs the whole run is no placeholder"


@pytest.mark.parametrize(
    "why, values",
    [
        ("the rise comes after the first tenth", np.r_[np.linspace(2, 1, 50), np.full(50, 7.0)]),
        ("the first point is a placeholder", np.r_[0.0, np.linspace(2, 1, 99)]),
        ("no positive first point", np.r_[-1.0, np.linspace(2, 1, 99)]),
        ("under three times the first point", np.r_[1.0, 2.9, np.linspace(1, 0.5, 98)]),
        ("too few points to tell", [1.0, 5.0, 0.9, 0.8, 0.7]),
    ],
)
def test_no_blow_up_at_the_start(why, values):
    assert not _start(values), why
