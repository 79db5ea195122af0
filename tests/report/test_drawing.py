"""report.drawing: what a chart of a run shows, as plain data, checked without a browser."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import curvescope
from curvescope.diagnose.labels import LABELS, label_colour
from curvescope.features.events import Curve
from curvescope.report import drawing, views
from curvescope.report.drawing import MAX_POINTS, colour_name
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"


@pytest.fixture(scope="module")
def report():
    return curvescope.audit(DEMO)


def test_thinning_keeps_each_buckets_lowest_and_highest_point():
    steps = np.arange(50_000)
    values = np.sin(steps / 700.0)
    values[31_337], values[4_242] = 50.0, -50.0
    kept_steps, kept = drawing.thin(steps, values)
    assert len(kept) <= MAX_POINTS
    assert {31_337, 4_242} <= set(kept_steps.tolist())
    assert np.array_equal(values[kept_steps], kept)
    short = steps[:MAX_POINTS]
    assert drawing.thin(short, values[:MAX_POINTS])[0] is short


def test_curve_frame_smooths_like_tensorboard_and_keeps_the_raw_points(report):
    run = report["keras/wine-mlp-tanh-sgd"]
    frame = drawing.curve_frame(run, 0.8)
    train = frame[frame["role"] == "train_loss"]
    curve = run.curves["train_loss"]
    assert train["step"].tolist() == curve.steps.tolist()
    assert np.array_equal(train["value"].to_numpy(), curve.values)
    assert np.allclose(train["smoothed"].to_numpy(), curvescope.smooth(curve.values, 0.8))
    assert set(frame["panel"]) == {panel for panel in drawing.panels(run)}
    lr = frame[frame["role"] == "lr"]
    assert np.array_equal(lr["smoothed"].to_numpy(), lr["value"].to_numpy())
    assert (train["series"] == f"train: {curve.tag}").all()


def test_curve_frame_leaves_out_what_cannot_be_drawn(report):
    run = report["keras/wine-mlp-tanh-sgd"]
    values = run.curves["train_loss"].values.copy()
    values[3], values[5], values[7] = np.nan, np.inf, -1.0
    broken = replace(run, curves={"train_loss": Curve(run.curves["train_loss"].steps, values, "train_loss", "loss")})
    frame = drawing.curve_frame(broken, 0.0)
    assert len(frame) == len(values) - 2
    logged = drawing.curve_frame(broken, 0.0, log=True)
    assert len(logged) == len(values) - 3 and (logged["value"] > 0).all()


def test_curve_frame_thins_long_curves_keeping_extremes():
    steps = np.arange(100_000)
    values = np.exp(-steps / 20_000) + 0.01 * np.sin(steps)
    values[54_321] = 50.0
    run = replace(
        curvescope.audit(DEMO / "keras" / "wine-mlp-tanh-sgd").runs[0],
        curves={"train_loss": Curve(steps, values, "train_loss", "loss")},
    )
    frame = drawing.curve_frame(run, 0.6, max_points=1000)
    assert len(frame) <= 1000
    assert 54_321 in set(frame["step"]) and frame["value"].max() == 50.0
    assert frame["step"].is_monotonic_increasing


def test_curve_frame_refuses_a_bad_smoothing_weight(report):
    with pytest.raises(curvescope.InvalidParameterError, match="'smoothing'"):
        drawing.curve_frame(report.runs[0], 1.0)


def test_event_frame_draws_every_located_event(report):
    for run in report:
        marks = drawing.event_frame(run, 0.6)
        assert set(marks.columns) == set(drawing.EVENT_COLUMNS)
        drawable = {e.kind for e in run.events if e.kind != "gap" or "train_loss" in run.curves}
        assert drawable <= set(marks["kind"]), run.run
        for event in run.events:
            if event.kind == "plateau":
                span = marks[(marks["kind"] == "plateau") & (marks["x"] == event.start_step)]
                assert span["x2"].tolist() == [event.end_step] and span["mark"].tolist() == ["span"]
            if event.kind == "best_step":
                rule = marks[(marks["kind"] == "best_step") & (marks["mark"] == "rule")]
                assert rule["x"].tolist() == [event.end_step] and rule["panel"].isna().all()
            if event.kind == "lr_drop" and not event.inferred:
                assert event.end_step in set(marks.loc[marks["kind"] == "lr_drop", "x"])
        placed = marks[marks["mark"].isin(["point", "segment", "level"])]
        assert np.isfinite(placed["y"]).all()


def test_event_frame_puts_the_explosion_on_the_drawn_trend(report):
    run = next(r for r in report if any(e.kind == "explosion" for e in r.events))
    event = next(e for e in run.events if e.kind == "explosion")
    marks = drawing.event_frame(run, 0.3)
    curve = drawing.curve_frame(run, 0.3)
    trend = curve[curve["role"] == event.role].set_index("step")["smoothed"]
    points = marks[marks["kind"] == "explosion"].set_index("x")["y"]
    assert points[event.end_step] == pytest.approx(trend[event.end_step])


def test_event_frame_on_a_log_axis_drops_marks_it_cannot_place(report):
    run = report["keras/digits-mlp-tanh-sgd"]
    run = replace(run, events=(*run.events, replace(run.events[0], kind="spike", start_step=1, end_step=1)))
    values = run.curves["train_loss"].values.copy()
    values[1] = -5.0
    negative = replace(run, curves={**run.curves, "train_loss": replace(run.curves["train_loss"], values=values)})
    linear, logged = drawing.event_frame(negative, 0.0), drawing.event_frame(negative, 0.0, log=True)
    assert 1 in set(linear.loc[linear["kind"] == "spike", "x"])
    assert 1 not in set(logged.loc[logged["kind"] == "spike", "x"])


def test_overlay_frame_lines_runs_up_by_step(report):
    names = [run.run for run in report.runs[:3]]
    frame = drawing.overlay_frame(report, names, "val_loss", 0.6)
    assert list(dict.fromkeys(frame["run"])) == [n for n in names if "val_loss" in report[n].curves]
    for name in names:
        curve = report[name].curves["val_loss"]
        assert frame.loc[frame["run"] == name, "step"].tolist() == curve.steps.tolist()
    assert views.roles_of(report, names)[0] == "train_loss"
    assert drawing.overlay_frame(report, names, "lr").empty or set(frame.columns) == {"run", "tag", "step", "value", "smoothed"}
    with pytest.raises(curvescope.InvalidParameterError, match="'role'"):
        drawing.overlay_frame(report, names, "loss")


@pytest.mark.parametrize(
    "colour, name",
    [
        ("#c62828", "red"),
        ("#e65100", "orange"),
        ("#f9a825", "yellow"),
        ("#2e7d32", "green"),
        ("#1565c0", "blue"),
        ("#6a1b9a", "violet"),
        ("#9e9e9e", "gray"),
        ("#ff0000", "red"),
        ("#ff0010", "red"),
    ],
)
def test_a_colour_is_named_by_its_hue(colour, name):
    assert colour_name(colour) == name


def test_event_frame_says_what_each_mark_means_which_label_it_backs_and_its_numbers(report):
    run = report["keras/wine-mlp-tanh-sgd"]
    marks = drawing.event_frame(run, 0.6)
    assert (marks["meaning"] == marks["kind"].map(drawing.MARK_MEANING)).all()
    backed = {(e.kind, e.start_step) for v in run.diagnosis.verdicts for e in v.evidence if e.start_step is not None}
    best = marks[marks["kind"] == "best_step"]
    assert ("best_step", int(best["x"].iloc[0])) in backed and set(best["supports"]) == {"overfitting"}
    assert set(marks.loc[marks["kind"] == "plateau", "supports"]) == {drawing.NO_VERDICT}
    point = best[best["mark"] == "point"].iloc[0]
    assert point["numbers"] == f"step {int(point['x'])}: {point['y']:.4g}"
    huge = replace(run, events=(replace(run.events[0], kind="spike", start_step=5, end_step=5),))
    values = huge.curves["train_loss"].values.copy()
    values[5] = 2.288123e19
    huge = replace(huge, curves={**huge.curves, "train_loss": replace(huge.curves["train_loss"], values=values)})
    assert drawing.event_frame(huge)["numbers"].tolist() == ["step 5: 2.288e+19"]


def test_the_gap_segment_joins_the_two_smoothed_curves(report):
    run = report["keras/wine-mlp-tanh-sgd"]
    gap = drawing.event_frame(run, 0.9).query("kind == 'gap'").iloc[0]
    curves = drawing.curve_frame(run, 0.9)
    at = curves[curves["step"] == gap["x"]].set_index("role")["smoothed"]
    assert (gap["y"], gap["y2"]) == pytest.approx((at["train_loss"], at["val_loss"]))


def test_a_loss_spanning_decades_is_wide_and_a_flat_one_is_not(report):
    assert drawing.wide_range(report["keras/digits-mlp-tanh-sgd"])
    assert not drawing.wide_range(report["keras/gaussian-quantiles-mlp-adam"])


def test_evidence_marks_take_no_label_colour():
    assert not set(drawing.MARK_COLOUR.values()) & {label_colour(label) for label in LABELS}


def test_each_label_badge_is_drawn_in_its_registry_colour():
    theme = drawing.badge_theme()
    assert len(theme) == len(LABELS), "two labels would share a badge colour"
    for label in LABELS:
        assert theme[f"--theme.{colour_name(label_colour(label))}Color"] == label_colour(label)
