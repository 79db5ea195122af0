"""CSV readers: exact values from the fixtures, the real-world logs, and fuzzing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curvescope.assemble.roles import resolve_roles
from curvescope.ingest import BUILTIN_READERS
from curvescope.ingest.csvlogs import (
    GenericCSVReader,
    KerasCSVReader,
    LightningCSVReader,
    LongCSVReader,
    UltralyticsCSVReader,
)
from curvescope.ingest.jsonlogs import TrainerStateReader
from curvescope.ingest.tensorboard import TensorBoardReader
from tests.conftest import FIXTURES
from tests.ingest.fuzzing import FUZZ, read_bytes_as
from tests.ingest.reading import read, series

CSV = FIXTURES / "csv"
READERS = tuple(reader for reader in BUILTIN_READERS if not isinstance(reader, TensorBoardReader))
"""The built-in readers in their sniffing order, TensorBoard aside."""


def owner(path: Path) -> str | None:
    return next((reader.name for reader in READERS if reader.sniff(path)), None)


def names(findings) -> list[str]:
    return [item.name for item in findings]


def test_keras_csv_logger_reads_every_epoch_in_file_order():
    path = CSV / "keras" / "training.log"
    assert owner(path) == "keras_csv"
    result = read(KerasCSVReader(), path)
    assert series(result.scalars, "loss") == [(0, 0.7680303866213018), (1, 0.19749623455784537), (2, 0.08932211365212093)]
    assert series(result.scalars, "val_acc") == [(0, 0.8461538553237915), (1, 0.8461538553237915), (2, 0.7692307829856873)]
    assert result.scalars["tag"].tolist()[:4] == ["acc", "loss", "val_acc", "val_loss"]
    assert "epoch" not in set(result.scalars["tag"])
    assert result.scalars["wall_time"].isna().all()
    assert result.scalars["source"].unique().tolist() == [str(path)]
    assert result.findings == []


def test_keras_resumed_run_keeps_repeated_epochs_nan_and_inf_and_skips_na():
    frame = read(KerasCSVReader(), CSV / "keras_resumed" / "training.log").scalars
    assert series(frame, "loss")[2:4] == [(2, 0.08932211365212093), (2, 0.0893)]
    assert math.isnan(series(frame, "loss")[4][1])
    assert series(frame, "val_loss")[3] == (2, math.inf)
    assert [step for step, _ in series(frame, "val_acc")] == [0, 1, 2, 2]  # "NA" at epoch 3 is no point


def test_lightning_sparse_rows_become_points_at_their_step():
    folder = CSV / "lightning_logs" / "version_0"
    reader = LightningCSVReader()
    assert owner(folder / "metrics.csv") == owner(folder / "hparams.yaml") == "lightning_csv"
    assert reader.run_path(folder / "hparams.yaml") == folder
    result = reader.read(folder, [folder / "hparams.yaml", folder / "metrics.csv"])
    frame = result.scalars
    assert series(frame, "val_loss") == [(99, 2.0527613162994385), (199, 1.9500000476837158)]
    assert series(frame, "train_loss_epoch") == [(99, 2.2023768424987793), (199, 2.0)]
    assert series(frame, "lr-Adam") == [(49, 0.001)]
    assert [step for step, _ in series(frame, "train_loss_step")] == [49, 99, 149, 199]
    assert math.isnan(series(frame, "train_loss_step")[2][1])
    assert series(frame, "epoch") == [(49, 0.0), (99, 0.0), (99, 0.0), (99, 0.0), (149, 1.0), (199, 1.0), (199, 1.0), (199, 1.0)]
    assert "step" not in set(frame["tag"])
    assert result.hparams == {"batch_size": 32, "lr": 0.001, "optimizer/betas": [0.9, 0.999], "optimizer/name": "Adam"}
    assert resolve_roles(frame["tag"].value_counts().to_dict()) == {
        "train_loss": "train_loss_step",
        "val_loss": "val_loss",
        "lr": "lr-Adam",
    }
    assert result.findings == []


def test_lightning_broken_hparams_is_a_finding_and_metrics_are_still_read():
    folder = CSV / "lightning_logs" / "version_1"
    result = LightningCSVReader().read(folder, [folder / "hparams.yaml", folder / "metrics.csv"])
    assert names(result.findings) == ["unreadable-file"]
    assert result.findings[0].source == str(folder / "hparams.yaml")
    assert series(result.scalars, "train_loss_step") == [(49, 2.3012359142303467), (99, 2.103515625)]


def test_yolov5_padded_header_and_cells():
    path = CSV / "generic" / "yolo" / "results.csv"
    assert owner(path) == "ultralytics"
    frame = read(UltralyticsCSVReader(), path).scalars
    assert list(dict.fromkeys(frame["tag"])) == ["train/box_loss", "val/box_loss", "metrics/mAP_0.5", "x/lr0"]
    assert series(frame, "x/lr0") == [(0, 8e-05), (1, 0.000104)]
    assert series(frame, "metrics/mAP_0.5") == [(0, 0.00088512), (1, 0.0021809)]


def test_unparseable_cells_are_named_and_left_out():
    path = CSV / "generic" / "bad_cells.csv"
    result = read(GenericCSVReader(), path)
    assert series(result.scalars, "val_loss") == [(0, 2.6), (2, 1.7), (4, 1.1)]
    assert series(result.scalars, "loss") == [(0, 2.5), (1, 2.0), (2, 1.5), (3, 1.0), (4, 0.5)]
    assert "note" not in set(result.scalars["tag"])  # a text column is not a metric
    [bad] = result.findings
    assert (bad.name, bad.count, bad.steps, bad.source) == ("unparseable-cells", 2, (1, 3), str(path))
    assert "'val_loss'" in bad.message and "lines 3, 5" in bad.message


def test_no_step_column_uses_the_row_number():
    result = read(GenericCSVReader(), CSV / "generic" / "no_step.csv")
    assert names(result.findings) == ["no-step-column"]
    assert series(result.scalars, "accuracy") == [(0, 0.5), (1, 0.6), (2, 0.8)]


def test_a_dataset_csv_is_not_claimed_and_reads_as_ignored():
    path = CSV / "generic" / "dataset.csv"
    assert owner(path) is None
    result = read(GenericCSVReader(), path)
    assert names(result.findings) == ["ignored-file"] and result.scalars.empty


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv"])
def test_empty_files_are_findings(name):
    path = CSV / "generic" / name
    assert owner(path) == "csv"
    result = read(GenericCSVReader(), path)
    assert names(result.findings) == ["empty-file"] and result.scalars.empty


def test_truncated_last_line_is_dropped_with_a_finding():
    result = read(GenericCSVReader(), CSV / "generic" / "truncated.csv")
    assert names(result.findings) == ["truncated-record"]
    assert series(result.scalars, "loss") == [(0, 1.5), (1, 1.25)]


def test_timestamp_column_is_the_wall_time_and_elapsed_time_stays_a_tag():
    frame = read(GenericCSVReader(), CSV / "generic" / "timed.csv").scalars
    loss = frame[frame["tag"] == "loss"]
    assert loss["wall_time"].tolist() == [1_700_000_000, 1_700_000_030, 1_700_000_060]
    assert loss["value"].tolist() == [0.75, -math.inf, 0.5]
    assert series(frame, "time_elapsed") == [(10, 1.5), (20, 31.5), (20, 61.5)]


def test_baselines_progress_csv_steps_by_timesteps_so_far():
    path = CSV / "generic" / "progress.csv"
    assert owner(path) == "csv"
    frame = read(GenericCSVReader(), path).scalars
    assert series(frame, "EpRewMean") == [(1024, 0.08333333333333333), (2048, 0.047619047619047616)]
    assert series(frame, "TimeElapsed") == [(1024, 2.374695301055908), (2048, 4.318211078643799)]


def test_long_csv():
    path = CSV / "generic" / "long" / "scalars.csv"
    assert owner(path) == "long_csv"
    result = read(LongCSVReader(), path)
    assert result.scalars["tag"].tolist() == ["train/loss", "val/loss", "train/loss"]
    assert result.scalars["value"].tolist()[:2] == [2.25, 2.5] and math.isnan(result.scalars["value"].iloc[2])
    assert names(result.findings) == ["unparseable-cells"]  # the row without a tag
    assert "run" not in result.scalars


def test_long_csv_with_runs_and_wall_time():
    frame = read(LongCSVReader(), CSV / "generic" / "long_runs" / "scalars.csv").scalars
    assert frame["run"].tolist() == ["lr_0.1", "lr_0.1", "lr_0.01"]
    assert frame["step"].tolist() == [0, 1, 0]
    assert frame["value"].tolist() == [1.5, 1.25, 2.5]
    assert frame["wall_time"].tolist() == [1_700_000_000.5, 1_700_000_001.5, 1_700_000_000.0]


WILD_OWNERS = {
    "AKBoles__Voice-Identification/training.log": "keras_csv",
    "AKBoles__Voice-Identification/speaker250_training.log": "keras_csv",
    "22pilarskil__yolov5_test/runs/train/exp/results.csv": "ultralytics",
    "22pilarskil__yolov5_test/runs/train/exp3/results.csv": "ultralytics",
    "davidADSP__SIMPLE/logs/progress.csv": "csv",
    "0Xero7__slm_training/lightning_logs/version_0/metrics.csv": "lightning_csv",
    "0Xero7__slm_training/lightning_logs/version_12/metrics.csv": "lightning_csv",
    "liraneliav__NLP_lab-Text-Simplification/results/trainer_state.json": "trainer_state",
    "AguLeon__LoRA_RoBERTa_AGNews/results/checkpoint-1200/trainer_state.json": "trainer_state",
    "P4P4N1CK__whisper-large-v2-japanese-5k-steps/trainer_state.json": "trainer_state",
    "Dude-0313__LogClassifier_Roberta_V1/output/trainer_state.json": "trainer_state",
    "sources.jsonl": None,  # the list of where these logs came from, not a log
}
WILD_ROLES = {
    "AKBoles__Voice-Identification/training.log": {
        "train_loss": "loss",
        "val_loss": "val_loss",
        "train_acc": "acc",
        "val_acc": "val_acc",
    },
    "22pilarskil__yolov5_test/runs/train/exp/results.csv": {
        "train_loss": "train/box_loss",  # resolve_roles alone; assembling adds their sum, train/loss_sum
        "val_loss": "val/box_loss",
        "lr": "x/lr1",  # the weights' group, not the biases' warm-up (x/lr0)
    },
    # the per-epoch aggregate, not the per-step series
    "0Xero7__slm_training/lightning_logs/version_0/metrics.csv": {"train_loss": "train_loss_epoch", "val_loss": "val_loss"},
    "AguLeon__LoRA_RoBERTa_AGNews/results/checkpoint-1200/trainer_state.json": {
        "train_loss": "loss",
        "val_loss": "eval_loss",
        "val_acc": "eval_accuracy",
        "lr": "learning_rate",
    },
}


def test_every_wild_file_has_an_expected_owner(wild_csv_dir):
    found = {path.relative_to(wild_csv_dir).as_posix() for path in wild_csv_dir.rglob("*") if path.is_file()}
    assert found == set(WILD_OWNERS)


@pytest.mark.parametrize("relative", sorted(WILD_OWNERS))
def test_wild_file_is_claimed_by_the_expected_reader_and_reads(relative, wild_csv_dir):
    path = wild_csv_dir / relative
    assert owner(path) == WILD_OWNERS[relative]
    if WILD_OWNERS[relative] is None:
        return
    reader = next(reader for reader in READERS if reader.name == WILD_OWNERS[relative])
    result = read(reader, path)
    assert len(result.scalars) > 0
    assert [item for item in result.findings if item.severity != "info"] == []
    roles = resolve_roles(result.scalars["tag"].value_counts().to_dict())
    for role, tag in WILD_ROLES.get(relative, {}).items():
        assert roles[role] == tag


def test_checkpoint_trainer_state_belongs_to_the_output_directory(wild_csv_dir):
    path = wild_csv_dir / "AguLeon__LoRA_RoBERTa_AGNews/results/checkpoint-1200/trainer_state.json"
    assert TrainerStateReader().run_path(path) == path.parents[1]


CSV_READERS = [KerasCSVReader(), LightningCSVReader(), GenericCSVReader(), LongCSVReader()]
CSV_TEXT = st.lists(
    st.lists(
        st.sampled_from(
            [
                "",
                "1",
                "-2.5",
                "nan",
                "inf",
                "NA",
                "x",
                "1e999",
                "  3 ",
                '"a,b"',
                "epoch",
                "step",
                "tag",
                "value",
                "loss",
                "\ufeff",
                "1.5e-3",
                "-0",
            ]
        ),
        min_size=1,
        max_size=6,
    ),
    max_size=8,
).map(lambda rows: "\n".join(",".join(row) for row in rows))


@FUZZ
@given(data=st.binary(max_size=300))
def test_csv_readers_never_raise_on_random_bytes(data):
    for reader in CSV_READERS:
        read_bytes_as(reader, "metrics.csv", data)


@FUZZ
@given(text=CSV_TEXT, newline=st.booleans())
def test_csv_readers_never_raise_on_random_csv(text, newline):
    for reader in CSV_READERS:
        read_bytes_as(reader, "metrics.csv", (text + ("\n" if newline else "")).encode())
