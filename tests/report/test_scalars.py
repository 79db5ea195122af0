"""Browsing every scalar of a run as TensorBoard does: tags beyond the role curves, a tag pattern, the
x-axes, every run at the hovered x, outliers left out of the axis, the points downloadable as logged.
Runs are written with tensorboardX's ``SummaryWriter``, as a PyTorch script writes them."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import curvescope
from curvescope import InvalidParameterError
from curvescope.report import scalars

START = 1_700_000_000.0
STEPS = 60


def write_run(folder, *, steps: int = STEPS, stride: int = 1, seconds: float = 30.0, spike: bool = False) -> dict:
    """A run logging five tags (two of them no role reads) every ``stride`` steps, ``seconds`` apart;
    returns what was written, by tag: ``[(step, wall_time, value), ...]``."""
    from tensorboardX import SummaryWriter

    written: dict[str, list] = {}
    writer = SummaryWriter(str(folder))
    for i in range(steps):
        step, wall = i * stride, START + i * seconds
        values = {
            "train/loss": 2.3 * math.exp(-i / 20) + 0.05,
            "val/loss": 2.4 * math.exp(-i / 22) + 0.08,
            "train/lr": 0.1,
            "grad_norm": 1e9 if spike and i == steps // 2 else 1.0 + 0.01 * i,
            "epoch": i / 10,
        }
        for tag, value in values.items():
            writer.add_scalar(tag, value, step, walltime=wall)
            written.setdefault(tag, []).append((step, wall, float(np.float32(value))))
    writer.close()
    return written


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("scalars")
    short = write_run(root / "short")
    long = write_run(root / "long", stride=100, seconds=5.0, spike=True)
    return curvescope.audit(root, cache=False, model=False), {"short": short, "long": long}


def test_every_tag_is_listed_not_only_the_role_curves(runs):
    report, written = runs
    assert scalars.tags_of(report, ["short"]) == sorted(written["short"], key=str.casefold)
    assert {"grad_norm", "epoch"} <= set(scalars.tags_of(report, ["short", "long"]))


def test_a_tag_pattern_keeps_the_tags_it_finds_and_a_bad_one_says_why():
    tags = ["epoch", "grad_norm", "train/loss", "val/loss"]
    assert scalars.matching_tags(tags, "loss$") == ["train/loss", "val/loss"]
    assert scalars.matching_tags(tags, "  ") == tags
    assert scalars.matching_tags(tags, "^VAL") == ["val/loss"]
    with pytest.raises(InvalidParameterError, match="not a regular expression"):
        scalars.matching_tags(tags, "loss(")


def test_step_axis_draws_the_points_as_written(runs):
    report, written = runs
    frame = scalars.scalar_frame(report, ["short"], ["grad_norm"], smoothing=0.0)
    points = written["short"]["grad_norm"]
    assert frame["x"].tolist() == [float(step) for step, _, _ in points]
    assert frame["value"].tolist() == pytest.approx([value for _, _, value in points])
    assert frame["smoothed"].tolist() == pytest.approx(frame["value"].tolist())


def test_fraction_of_training_aligns_runs_whose_steps_differ(runs):
    report, _ = runs
    frame = scalars.scalar_frame(report, ["short", "long"], ["val/loss"], x="fraction")
    for _, one in frame.groupby("run"):
        assert one["x"].min() == 0.0 and one["x"].max() == 1.0
    # the same point of training (the 31st of 60 logs) sits at the same x in both runs
    at = frame[frame["step"].isin([30, 3000])]
    assert at.groupby("run")["x"].first().nunique() == 1


def test_epoch_axis_reads_the_epoch_tag(runs):
    report, written = runs
    frame = scalars.scalar_frame(report, ["long"], ["train/loss"], x="epoch")
    epochs = {step: value for step, _, value in written["long"]["epoch"]}
    assert frame["x"].tolist() == pytest.approx([epochs[step] for step in frame["step"]])


def test_time_axes_are_hours_since_the_first_point_and_wall_time(runs):
    report, written = runs
    relative = scalars.scalar_frame(report, ["short"], ["val/loss"], x="relative")
    walls = [wall for _, wall, _ in written["short"]["val/loss"]]
    assert relative["x"].tolist() == pytest.approx([(wall - START) / 3600 for wall in walls])
    wall = scalars.scalar_frame(report, ["short"], ["val/loss"], x="wall")
    assert wall["x"].tolist() == pytest.approx([w * 1000 for w in walls])


def test_a_run_without_times_is_left_off_a_time_axis():
    report = curvescope.audit(
        pd.DataFrame({"run": "csv", "tag": "loss", "step": [0, 1, 2], "value": [3.0, 2.0, 1.0]}), model=False
    )
    assert scalars.scalar_frame(report, ["csv"], ["loss"], x="relative").empty
    assert len(scalars.scalar_frame(report, ["csv"], ["loss"], x="step")) == 3


def test_hover_holds_every_run_at_each_x(runs):
    report, _ = runs
    frame = scalars.scalar_frame(report, ["short", "long"], ["val/loss"], x="fraction", smoothing=0.0)
    hover, keys = scalars.hover_frame(frame)
    assert set(keys.values()) == {"short", "long"}
    for key, name in keys.items():
        one = frame[frame["run"] == name].set_index("x")["smoothed"]
        for x, value in hover.set_index("x")[key].items():
            before = one[one.index <= x]
            assert value == pytest.approx(before.iloc[-1]), f"{name} at {x}"


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=20, max_size=200),
    st.floats(1e8, 1e12),
)
def test_ignoring_outliers_keeps_most_values_and_leaves_a_far_spike_out(values, spike):
    low, high = scalars.value_domain([*values, spike], ignore_outliers=True)
    inside = [v for v in values if low <= v <= high]
    assert len(inside) >= 0.85 * len(values)
    assert not low <= spike <= high
    assert scalars.value_domain(values, ignore_outliers=False) is None


def test_a_spike_no_longer_sets_the_axis_when_outliers_are_ignored(runs):
    report, _ = runs
    frame = scalars.scalar_frame(report, ["long"], ["grad_norm"], smoothing=0.0)
    assert frame["value"].max() == pytest.approx(1e9), "the spike is drawn"
    low, high = scalars.value_domain(frame["value"], ignore_outliers=True)
    assert high < 10


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_download_holds_every_point_as_logged(runs, fmt):
    report, written = runs
    data = scalars.export(scalars.raw_scalars(report, ["short", "long"], ["grad_norm", "epoch"]), fmt)
    back = pd.read_csv(io.BytesIO(data)) if fmt == "csv" else pd.read_parquet(io.BytesIO(data))
    assert list(back.columns) == ["run", "tag", "step", "wall_time", "value"]
    for run in ("short", "long"):
        for tag in ("grad_norm", "epoch"):
            rows = back[(back["run"] == run) & (back["tag"] == tag)].sort_values("step")
            expected = np.array(written[run][tag])
            assert rows["step"].tolist() == expected[:, 0].astype(int).tolist()
            assert rows[["wall_time", "value"]].to_numpy() == pytest.approx(expected[:, 1:])
    assert set(back["tag"]) == {"grad_norm", "epoch"}


def test_an_unknown_axis_or_format_is_refused(runs):
    report, _ = runs
    with pytest.raises(InvalidParameterError):
        scalars.scalar_frame(report, ["short"], ["grad_norm"], x="minutes")
    with pytest.raises(InvalidParameterError):
        scalars.export(pd.DataFrame(), "xlsx")
