"""TensorBoard reader: the values the fixture writers wrote, the real-world logs, findings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from curvescope.ingest.base import Reader
from curvescope.ingest.tensorboard import TensorBoardReader, read_event_file
from curvescope.schema import READER_COLUMNS
from tests.conftest import FIXTURES, WILD, shared_params, wild_expected

TB = FIXTURES / "tensorboard"
WALL = 1_700_000_000.0
READER = TensorBoardReader()


def event_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*tfevents*"))


def read_run(folder: Path):
    files = event_files(folder)
    assert {READER.run_path(path) for path in files} == {folder}
    return READER.read(folder, files)


def series(frame, tag: str):
    rows = frame[frame["tag"] == tag]
    return rows["step"].tolist(), rows["value"].tolist()


def names(findings) -> list[str]:
    return [f.name for f in findings]


# --- the reader interface ---------------------------------------------------------------------


def test_it_is_a_reader_that_claims_event_files_only():
    assert isinstance(READER, Reader)
    assert READER.sniff(Path("run/events.out.tfevents.1700000000.host"))
    assert READER.sniff(Path("catboost_info/learn/events.out.tfevents"))
    assert not READER.sniff(Path("run/events.out.tfevents.1700000000.host.profile-empty"))
    assert not READER.sniff(Path("run/metrics.csv"))


def test_the_run_is_the_folder_or_its_parent_for_keras_split_folders():
    assert READER.run_path(Path("logs/exp1/events.out.tfevents.1")) == Path("logs/exp1")
    for split in ("train", "validation", "eval", "test", "val", "Valid"):
        assert READER.run_path(Path(f"logs/exp1/{split}/events.out.tfevents.1")) == Path("logs/exp1")


# --- exact values from each fixture -----------------------------------------------------------


def test_tf1_merged_simple_values():
    result = read_run(TB / "tf1")
    frame = result.scalars
    assert list(frame.columns) == list(READER_COLUMNS)
    assert frame["tag"].tolist()[:4] == ["loss", "accuracy", "loss", "accuracy"]  # write order
    assert series(frame, "loss")[0] == list(range(10))
    steps, values = series(frame, "accuracy")
    assert steps == list(range(10)) and values == [s / 16 for s in range(10)]
    assert frame["wall_time"].tolist()[::2] == [WALL + s for s in range(10)]
    assert set(frame["source"]) == {str(event_files(TB / "tf1")[0])}
    assert result.findings == [] and result.hparams == {}


def test_loss_values_are_float32_of_what_was_written():
    _, values = series(read_run(TB / "tf1").scalars, "loss")
    assert values == [float(np.float32(2.0 / (s + 1))) for s in range(10)]


def test_tf2_tensor_scalars():
    frame = read_run(TB / "tf2").scalars
    assert series(frame, "loss") == (list(range(8)), [float(np.float32(2.0 / (s + 1))) for s in range(8)])
    assert series(frame, "accuracy") == (list(range(8)), [s / 16 for s in range(8)])
    assert frame["step"].tolist()[:4] == [0, 0, 1, 1]


def test_keras_layout_is_one_run_with_split_prefixed_tags():
    frame = read_run(TB / "keras_run").scalars
    assert set(frame["tag"]) == {
        "train/epoch_loss", "train/epoch_accuracy", "train/epoch_learning_rate",
        "validation/epoch_loss", "validation/epoch_accuracy",
    }  # fmt: skip
    assert series(frame, "train/epoch_loss") == (list(range(5)), [1.5, 1.375, 1.25, 1.125, 1.0])
    assert series(frame, "validation/epoch_loss") == (list(range(5)), [1.625, 1.5, 1.375, 1.25, 1.125])
    assert series(frame, "train/epoch_learning_rate")[1] == [0.001953125] * 5
    assert series(frame, "validation/epoch_accuracy")[1] == [0.625, 0.65625, 0.6875, 0.71875, 0.75]


def test_a_tag_whose_metadata_is_on_its_first_value_only_keeps_every_value():
    frame = read_run(TB / "pytorch_new_style").scalars
    assert series(frame, "loss") == (list(range(6)), [float(np.float32(2.0 / (s + 1))) for s in range(6)])


def test_tensorboardx_scalars_grouped_scalars_and_hparams_not_histograms_or_images():
    root = TB / "tensorboardx"
    main = READER.read(root, event_files(root)[:1])
    assert series(main.scalars, "train/loss") == (list(range(5)), [float(np.float32(2.0 / (s + 1))) for s in range(5)])
    assert set(main.scalars["tag"]) == {"train/loss"}  # no "weights" histogram, no "sample" image
    group0 = READER.read(root / "lr" / "group0", event_files(root / "lr" / "group0"))
    assert series(group0.scalars, "lr") == ([0, 1, 2, 3, 4], [0.25] * 5)
    hparams = READER.read(root / "hparams", event_files(root / "hparams"))
    assert hparams.hparams == {"lr": 0.25, "optimizer": "sgd", "layers": 3.0}
    assert series(hparams.scalars, "hparam/best_loss")[1] == [0.5]


def test_lightning_hparams_and_metrics():
    result = read_run(TB / "lightning_logs" / "version_0")
    assert result.hparams == {"lr": 0.001953125, "batch_size": 32.0, "model": "mlp", "shuffle": True}
    assert series(result.scalars, "hp_metric") == ([0], [-1.0])
    assert series(result.scalars, "train_loss")[0] == [0, 1, 2, 3]
    assert set(result.scalars["tag"]) == {"hp_metric", "train_loss", "epoch"}
    assert result.findings == []


def test_restarted_run_keeps_every_point_in_write_order():
    result = read_run(TB / "restarted")
    steps, values = series(result.scalars, "loss")
    assert steps == list(range(10)) + list(range(5, 15))
    assert values[:10] == [float(np.float32(2.0 / (s + 1))) for s in range(10)]
    assert values[10:] == [100.0 + s for s in range(5, 15)]
    first, second = event_files(TB / "restarted")
    assert result.scalars["source"].tolist() == [str(first)] * 10 + [str(second)] * 10


def test_nan_and_infinities_are_kept():
    frame = read_run(TB / "nonfinite").scalars
    for tag in ("loss", "grad_norm"):
        steps, values = series(frame, tag)
        assert steps == [0, 1, 2, 3, 4]
        assert values[0] == 1.0 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf, 0.5]


# --- damaged files ----------------------------------------------------------------------------


def test_truncated_file_reads_every_complete_record():
    result = read_event_file(event_files(TB / "corrupt" / "truncated")[0])
    assert series(result.scalars, "loss")[0] == list(range(9))  # the last step's record is cut off
    [truncated] = result.findings
    assert truncated.name == "truncated-record" and "at byte" in truncated.message
    assert truncated.source == str(event_files(TB / "corrupt" / "truncated")[0])


def test_flipped_byte_skips_exactly_that_record():
    result = read_event_file(event_files(TB / "corrupt" / "flipped")[0])
    # record 0 is the file header; record 5 holds step 4
    assert series(result.scalars, "loss")[0] == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    [corrupt] = result.findings
    assert corrupt.name == "corrupt-record" and corrupt.count == 1


@pytest.mark.parametrize(
    "folder, kind",
    [("empty", "empty-file"), ("lfs", "git-lfs-pointer"), ("not_events", "unreadable-file")],
)
def test_files_that_hold_no_events_say_why(folder, kind):
    path = event_files(TB / "corrupt" / folder)[0]
    result = read_event_file(path)
    assert len(result.scalars) == 0
    assert names(result.findings) == [kind] and result.findings[0].source == str(path)


def test_permission_denied_is_a_finding(tmp_path, monkeypatch):
    from curvescope.ingest.tensorboard import records

    def denied(path, mode="r"):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(records, "open", denied, raising=False)
    [problem] = read_event_file(tmp_path / "events.out.tfevents.1").findings
    assert problem.name == "unreadable-file" and "permission denied" in problem.message


def test_missing_file_and_directory_are_findings(tmp_path):
    assert names(read_event_file(tmp_path / "events.out.tfevents.gone").findings) == ["unreadable-file"]
    (tmp_path / "events.out.tfevents.dir").mkdir()
    assert names(read_event_file(tmp_path / "events.out.tfevents.dir").findings) == ["unreadable-file"]


# --- real-world logs --------------------------------------------------------------------------

EXPECTED = wild_expected()  # empty without ../shared, where these tests skip


@pytest.mark.parametrize("relative", shared_params(WILD / "expected.json", EXPECTED))
def test_real_world_file_matches_event_accumulator(relative, wild_dir):
    info = EXPECTED[relative]
    result = read_event_file(wild_dir / relative)
    wanted = {
        tag: (s["count"], s["first_step"], s["last_step"])
        for tag, s in info["event_accumulator"]["series"].items()
        if s["type"] == "scalar" or (s["type"] == "tensor" and s.get("plugin") == "scalars")
    }
    frame = result.scalars
    got = {
        tag: (len(rows), int(rows["step"].iloc[0]), int(rows["step"].iloc[-1]))
        for tag, rows in frame.groupby("tag", observed=True, sort=False)
    }
    assert got == wanted
    assert set(frame["tag"].cat.categories) == set(wanted)
    integrity = info["integrity"]
    if integrity.get("lfs_pointer"):
        assert names(result.findings) == ["git-lfs-pointer"]
    elif integrity["size"] == 0:
        assert names(result.findings) == ["empty-file"]
    else:
        assert not {"corrupt-record", "truncated-record", "unreadable-file"} & set(names(result.findings))


@pytest.mark.parametrize("relative", shared_params(WILD / "expected.json", EXPECTED))
def test_real_world_file_reads_the_same_with_the_protobuf_decoder(relative, wild_dir):
    fast = read_event_file(wild_dir / relative)
    slow = read_event_file(wild_dir / relative, fast=False)
    assert fast.scalars.equals(slow.scalars)
    assert fast.findings == slow.findings and fast.hparams == slow.hparams
