"""Logs that hold several sessions: kept apart as segments, judged on the view the data supports
(the last session after a fresh start, the stitched run after a resume), never one zig-zag curve."""

import csv
import math

import numpy as np
import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import curvescope
from curvescope.features.extract import measure, table
from curvescope.report.drawing import curve_frame
from tests.conftest import FIXTURES

RESTARTS = FIXTURES / "restarts"


def csv_rows(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def sessions(rows, key="epoch"):
    """The file's rows cut where ``key`` goes back, read independently of curvescope."""
    cut, last = [[]], None
    for row in rows:
        if row[key] and last is not None and int(row[key]) < last:
            cut.append([])
        cut[-1].append(row)
        last = int(row[key]) if row[key] else last
    return cut


def restart_finding(result, run):
    [found] = [f for f in result.findings if f.name == "restarted-log" and f.run == run]
    assert found.code == "CS017"
    return found


@pytest.fixture(scope="module")
def read():
    return curvescope.read(RESTARTS)


def test_keras_log_restarted_from_scratch_is_judged_on_its_last_session(read):
    first, last = sessions(csv_rows(RESTARTS / "keras_scratch" / "training.log"))
    curve = read.curve("keras_scratch", "train_loss")
    assert curve.index.tolist() == [int(row["epoch"]) for row in last]
    assert curve.tolist() == [float(row["loss"]) for row in last]
    assert read.curve("keras_scratch", "val_loss").tolist() == [float(row["val_loss"]) for row in last]
    assert set(read.run("keras_scratch")["segment"]) == {1}
    found = restart_finding(read, "keras_scratch")
    assert "restarted from scratch" in found.message and "last session" in found.message
    assert f"{4 * len(first)} points of the earlier sessions left out" in found.message


def test_keras_log_of_a_second_fit_call_is_stitched_with_its_steps_following_the_first(read):
    first, second = sessions(csv_rows(RESTARTS / "keras_continued" / "training.log"))
    curve = read.curve("keras_continued", "train_loss")
    assert curve.index.tolist() == list(range(len(first) + len(second)))
    assert curve.tolist() == [float(row["loss"]) for row in first + second]
    assert read.run("keras_continued").query("tag == 'loss'")["segment"].tolist() == [0] * len(first) + [1] * len(second)
    found = restart_finding(read, "keras_continued")
    assert "continued in place" in found.message and f"shifted by {len(first)}" in found.message


def test_lightning_metrics_of_a_resumed_run_purge_the_old_points_at_and_after_the_resume(read):
    rows = csv_rows(RESTARTS / "lightning_resumed" / "version_0" / "metrics.csv")
    first, second = sessions(rows, key="step")
    resume = int(second[0]["step"])
    expected = [(int(r["step"]), float(r["val_loss"])) for r in first if r["val_loss"] and int(r["step"]) < resume]
    expected += [(int(r["step"]), float(r["val_loss"])) for r in second if r["val_loss"]]
    curve = read.curve("lightning_resumed/version_0", "val_loss")
    assert list(zip(curve.index, curve)) == expected
    purged = sum(
        1
        for r in first
        if int(r["step"]) >= resume
        for column in ("train_loss_epoch", "val_loss", "val_acc", "epoch")
        if r[column]
    )
    found = restart_finding(read, "lightning_resumed/version_0")
    assert "resumed from a checkpoint" in found.message and "stitched" in found.message
    assert f"{purged} points at or after a resume's step purged" in found.message and found.steps == (resume,)


@pytest.mark.parametrize("tag, role", [("train/loss", "train_loss"), ("val/loss", "val_loss"), ("val/acc", "val_acc")])
def test_resumed_event_files_read_as_tensorboard_shows_them(read, tag, role):
    accumulator = EventAccumulator(str(RESTARTS / "tensorboard_resumed"), size_guidance={"scalars": 0})
    accumulator.Reload()
    shown = [(event.step, event.value) for event in accumulator.Scalars(tag)]
    curve = read.curve("tensorboard_resumed", role)
    assert [s for s, _ in shown] == curve.index.tolist()
    assert np.allclose([v for _, v in shown], curve.to_numpy(), rtol=1e-6)
    assert "resumed from a checkpoint" in restart_finding(read, "tensorboard_resumed").message


@pytest.mark.parametrize("run", ["keras_scratch", "keras_continued", "lightning_resumed/version_0", "tensorboard_resumed"])
def test_the_drawn_curves_never_zig_zag(run):
    report = curvescope.audit(RESTARTS, model=False, cache=False)
    frame = curve_frame(report[run])
    assert len(frame)
    for _, curve in frame.groupby(["panel", "role"], observed=True):
        steps = curve["step"].to_numpy()
        assert (np.diff(steps) > 0).all()


def test_a_fresh_start_is_measured_as_its_last_session_alone(tmp_path):
    """The features of the restarted log equal those of a log holding only its last session."""
    text = (RESTARTS / "keras_scratch" / "training.log").read_text().splitlines()
    header, rows = text[0], text[1:]
    restart = next(i for i in range(1, len(rows)) if int(rows[i].split(",")[0]) < int(rows[i - 1].split(",")[0]))
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "training.log").write_text("\n".join([header, *rows[restart:]]) + "\n")
    together = table(measure(curvescope.read(RESTARTS / "keras_scratch")).values()).iloc[0]
    alone = table(measure(curvescope.read(tmp_path / "alone")).values()).iloc[0]
    for name, value in together.items():
        if isinstance(value, float) and math.isnan(value):
            assert isinstance(alone[name], float) and math.isnan(alone[name]), name
        else:
            assert value == alone[name], name


def test_every_point_is_kept_with_its_segment_when_asked_for():
    result = curvescope.read(RESTARTS / "keras_scratch", duplicates="all")
    rows = csv_rows(RESTARTS / "keras_scratch" / "training.log")
    loss = result.scalars.query("tag == 'loss'")
    assert len(loss) == len(rows)
    assert loss.sort_values(["segment", "step"])["value"].tolist() == [float(row["loss"]) for row in rows]
    assert not [f for f in result.findings if f.name == "restarted-log"]


def test_steps_that_only_go_on_are_one_session(tmp_path):
    (tmp_path / "r").mkdir()
    lines = ["epoch,loss,val_loss"] + [f"{e},{1 / (e + 1)},{1.1 / (e + 1)}" for e in [*range(5), 4, *range(5, 10)]]
    (tmp_path / "r" / "training.log").write_text("\n".join(lines) + "\n")
    result = curvescope.read(tmp_path)
    assert set(result.scalars["segment"]) == {0}
    assert not [f for f in result.findings if f.name == "restarted-log"]


def test_a_read_frame_cuts_sessions_too():
    frame = pd.DataFrame({"run": "a", "tag": "loss", "step": [0, 1, 2, 0, 1], "value": [2.3, 1.0, 0.5, 2.2, 1.1]})
    result = curvescope.read_frame(frame)
    assert result.curve("a", "train_loss").tolist() == [2.2, 1.1]
    assert "restarted from scratch" in restart_finding(result, "a").message


def test_a_restart_seen_only_on_the_validation_curve_is_read_from_it():
    frame = pd.DataFrame(
        {
            "run": "a",
            "tag": ["loss"] * 4 + ["val_loss"] * 5,
            "step": [0, 1, 2, 3, 0, 1, 2, 1, 2],
            "value": [2.3, 1.5, 1.0, 0.8, 2.2, 1.6, 1.2, 1.5, 1.1],
        }
    )
    result = curvescope.read_frame(frame)
    found = restart_finding(result, "a")
    assert "'val_loss' go back 1 time" in found.message and "resumed from a checkpoint" in found.message
    assert result.curve("a", "val_loss").to_dict() == {0: 2.2, 1: 1.5, 2: 1.1}
    assert result.curve("a", "train_loss").tolist() == [2.3, 1.5, 1.0, 0.8]
