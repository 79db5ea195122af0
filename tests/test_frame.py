"""Run assembly: newest write wins, every point accounted for, roles and findings per run."""

import numpy as np
import pandas as pd
import pytest

from curvescope.assemble.runs import Block, assemble, block_of_run
from curvescope.schema import SCALAR_COLUMNS, reader_frame, validate_scalars


def part(run, tag, steps, values, source="a/events.1", wall=None):
    wall = np.arange(len(steps), dtype=float) if wall is None else wall
    return block_of_run(run, reader_frame(tag, steps, wall, values, source))


def test_newest_write_of_a_repeated_step_is_kept_and_counted():
    first = part("r", "loss", [0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0], source="r/events.1")
    again = part("r", "loss", [3, 4], [1.5, 0.5], source="r/events.2")  # step 3 written again: no step goes back
    out = assemble([first, again])
    rows = out.scalars
    assert rows["step"].tolist() == [0, 1, 2, 3, 4]
    assert rows["value"].tolist() == [4.0, 3.0, 2.0, 1.5, 0.5]
    assert rows["source"].astype(str).tolist() == ["r/events.1"] * 3 + ["r/events.2"] * 2
    [repeated] = [f for f in out.findings if f.name == "repeated-steps"]
    assert repeated.count == 1 and repeated.run == "r" and repeated.steps == (3,)
    assert not [f for f in out.findings if f.name == "restarted-log"]
    files = out.files.set_index("source")
    assert files.loc["r/events.1", "rows_read"] == 4 and files.loc["r/events.1", "rows_kept"] == 3
    assert files.loc["r/events.1", "rows_replaced"] == 1 and files.loc["r/events.2", "rows_kept"] == 2


def test_a_resume_whose_steps_go_back_purges_the_old_points_at_and_after_it():
    first = part("r", "loss", [0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0], source="r/events.1")
    resumed = part("r", "loss", [2, 3, 4], [2.5, 1.5, 0.5], source="r/events.2")
    out = assemble([first, resumed])
    rows = out.scalars
    assert rows["step"].tolist() == [0, 1, 2, 3, 4]
    assert rows["value"].tolist() == [4.0, 3.0, 2.5, 1.5, 0.5]
    assert rows["segment"].tolist() == [0, 0, 1, 1, 1]
    [restart] = [f for f in out.findings if f.name == "restarted-log"]
    assert restart.code == "CS017" and restart.count == 1 and restart.steps == (2,)
    assert "resumed from a checkpoint" in restart.message and "stitched" in restart.message and "2 points" in restart.message
    assert not [f for f in out.findings if f.name == "repeated-steps"]
    files = out.files.set_index("source")
    assert files.loc["r/events.1", "rows_kept"] == 2 and files.loc["r/events.1", "rows_replaced"] == 2


def test_keep_all_keeps_every_write_in_order():
    out = assemble([part("r", "loss", [0, 1, 1], [1.0, 2.0, 3.0])], keep="all")
    assert out.scalars["value"].tolist() == [1.0, 2.0, 3.0]
    assert not [f for f in out.findings if f.name == "repeated-steps"]


def test_frame_is_tidy_sorted_and_typed():
    out = assemble(
        [
            part("b", "val_loss", [5, 1], [2.0, 3.0]),
            part("a", "loss", [1, 0], [1.0, 2.0]),
            part("a", "acc", [0], [0.5]),
        ]
    )
    frame = validate_scalars(out.scalars)
    assert list(frame.columns) == list(SCALAR_COLUMNS)
    assert list(zip(frame["run"].astype(str), frame["tag"].astype(str), frame["step"])) == [
        ("a", "acc", 0),
        ("a", "loss", 0),
        ("a", "loss", 1),
        ("b", "val_loss", 1),
        ("b", "val_loss", 5),
    ]
    assert frame["role"].astype(object).tolist() == ["train_acc", "train_loss", "train_loss", "val_loss", "val_loss"]
    assert out.roles == {"a": {"train_loss": "loss", "train_acc": "acc"}, "b": {"val_loss": "val_loss"}}


def test_non_finite_values_are_kept_and_reported():
    out = assemble([part("r", "loss", [0, 1, 2, 3], [1.0, np.nan, np.inf, -np.inf])])
    assert np.isnan(out.scalars["value"].iloc[1]) and np.isposinf(out.scalars["value"].iloc[2])
    [f] = [f for f in out.findings if f.name == "non-finite-values"]
    assert f.count == 3 and f.steps == (1,) and "1 NaN and 2 infinite" in f.message


def test_run_without_loss_is_reported():
    out = assemble([part("r", "global_step/sec", [0, 1], [1.0, 2.0])])
    [f] = out.findings
    assert f.name == "no-loss-curve" and f.run == "r" and "global_step/sec" in f.message


def test_role_overrides_win_and_fall_back_per_run():
    parts = [part("a", "loss", [0], [1.0]), part("a", "eval/my_loss", [0], [1.0]), part("b", "val_loss", [0], [1.0])]
    out = assemble(parts, {"val_loss": ("eval/my_loss",)})
    assert out.roles["a"]["val_loss"] == "eval/my_loss"
    assert out.roles["b"]["val_loss"] == "val_loss"


def test_sub_runs_of_a_long_file_become_runs():
    frame = reader_frame(["loss", "loss", "loss"], [0, 0, 1], [np.nan] * 3, [1.0, 2.0, 3.0], "runs.csv")
    frame["run"] = pd.Series(["x", "y", "y"], dtype="str")
    out = assemble([block_of_run("logs", frame)])
    assert sorted(out.roles) == ["logs/x", "logs/y"]
    assert out.scalars.groupby("run", observed=True).size().to_dict() == {"logs/x": 1, "logs/y": 2}


def test_nothing_assembled_is_an_empty_tidy_frame():
    out = assemble([])
    assert validate_scalars(out.scalars).empty and out.files.empty


@pytest.mark.parametrize("keep", ["last", "all"])
def test_every_point_read_is_kept_or_counted_as_replaced(keep):
    rng = np.random.default_rng(0)
    steps = rng.integers(0, 50, size=500)
    tags = rng.choice(["loss", "acc", "lr"], size=500)
    out = assemble([block_of_run("r", reader_frame(tags, steps, np.zeros(500), rng.normal(size=500), "r/f"))], keep=keep)
    assert int(out.files["rows_read"].sum()) == 500
    assert int(out.files["rows_kept"].sum()) == len(out.scalars)
    if keep == "last":
        assert not out.scalars.duplicated(["tag", "step"]).any()


def test_exact_repeats_of_a_step_are_dropped_without_a_warning():
    out = assemble([part("r", "epoch", [10, 10, 20, 20], [1.0, 1.0, 2.0, 2.0])])
    assert out.scalars["value"].tolist() == [1.0, 2.0]
    assert not [f for f in out.findings if f.name == "repeated-steps"]
    assert int(out.files["rows_replaced"].sum()) == 2


def test_rewrites_are_counted_apart_from_exact_repeats():
    out = assemble([part("r", "loss", [1, 1, 2, 2], [5.0, 4.0, 3.0, 3.0])])
    [f] = out.findings
    assert f.count == 1 and f.steps == (1,) and "1 exact repeats" in f.message


def test_one_block_can_hold_many_runs_and_runs_can_span_blocks():
    frame = reader_frame(["loss"] * 4, [0, 1, 0, 1], np.zeros(4), [1.0, 2.0, 3.0, 4.0], "f")
    batch = Block(frame, ["b", "a"], np.array([0, 0, 1, 1], dtype=np.int32))
    extra = part("a", "val_loss", [0], [9.0])
    out = assemble([batch, extra])
    assert out.scalars["run"].astype(str).tolist() == ["a", "a", "a", "b", "b"]
    assert out.scalars["value"].tolist() == [3.0, 4.0, 9.0, 1.0, 2.0]
    assert out.roles == {"a": {"train_loss": "loss", "val_loss": "val_loss"}, "b": {"train_loss": "loss"}}
