"""Formats seen in public repositories, read from real samples (``fixtures/formats``, see its SOURCES.md).

The expected values are copied from the files by hand: a test fails when a reader reads a
value, a step or a tag other than what the log holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import curvescope
from curvescope.ingest import readers
from curvescope.ingest.discover import discover
from curvescope.ingest.tables import find_step_column
from tests.conftest import FIXTURES
from tests.ingest.reading import read, series

FORMATS = FIXTURES / "formats"


def owner(path: Path) -> str | None:
    return next((reader.name for reader in readers() if reader.sniff(path)), None)


def read_file(path: Path):
    return read(next(reader for reader in readers() if reader.sniff(path)), path)


@pytest.fixture(scope="module")
def formats():
    return curvescope.read(FORMATS)


# --- JSON lines recognised by content: the log.txt of DETR, DeiT, MAE ---------------------------


@pytest.mark.parametrize("relative", ["detr_log_txt/outputs/log.txt", "cfvit_log_txt/output/log.txt"])
def test_a_log_txt_of_json_lines_is_read_as_json_lines(relative):
    assert owner(FORMATS / relative) == "jsonl"


def test_detr_log_txt_reads_every_epoch_of_the_summed_and_component_losses():
    result = read_file(FORMATS / "detr_log_txt" / "outputs" / "log.txt")
    frame = result.scalars
    assert series(frame, "train_loss")[:3] == [(0, 18.943505200472746), (1, 12.06689994985407), (2, 8.29135589166121)]
    assert series(frame, "train_loss")[-1] == (5, 7.759456764567982)
    assert series(frame, "test_loss")[-1] == (5, 7.05287275314331)
    assert series(frame, "train_loss_ce")[0] == (0, 0.4266053384000605)
    assert series(frame, "test_class_error")[-1] == (5, 93.33333435058594)
    assert [step for step, _ in series(frame, "train_lr")] == [0, 1, 2, 3, 4, 5]
    tags = set(frame["tag"])
    assert "test_coco_eval_bbox" not in tags  # a list of 12 COCO numbers is not one curve
    assert len(tags) == 92 and not result.findings  # 94 keys less the step and the list


def test_cfvit_log_txt_reads_the_accuracy_at_each_resolution():
    frame = read_file(FORMATS / "cfvit_log_txt" / "output" / "log.txt").scalars
    assert series(frame, "test_384_acc1")[-1] == (9, 25.206000715613364)
    assert series(frame, "train_loss")[0] == (0, 6.919728336438455)
    assert series(frame, "n_parameters")[0] == (0, 23448808.0)


@pytest.mark.parametrize(
    "name, text",
    [
        ("train.log", "2024-01-01 12:00:00 INFO epoch 1 loss 0.5\n"),  # a text log
        ("notes.txt", '{"epoch": "one", "loss": "low"}\n'),  # no number under the step
        ("config.txt", '{"lr": 0.1, "epochs": 300}\n'),  # settings: no step-like key
        ("mixed.txt", '{"epoch": 0, "loss": 1.0}\nepoch 1 loss 0.9\n'),  # JSON, then text
        ("only_step.txt", '{"epoch": 0}\n{"epoch": 1}\n'),  # a step and nothing logged at it
        ("list.txt", '[{"epoch": 0, "loss": 1.0}]\n'),  # a JSON array
    ],
)
def test_text_that_is_not_a_json_lines_log_is_not_claimed(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert owner(path) is None


def test_a_crashed_jobs_log_txt_with_a_half_written_last_line_is_claimed(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text('{"train_loss": 2.5, "epoch": 0}\n{"train_loss": 2.1, "epo')
    assert owner(path) == "jsonl"
    assert [finding.name for finding in read_file(path).findings] == ["truncated-record"]


def test_files_other_readers_own_stay_theirs():
    files = {
        FIXTURES / "raytune" / "exp" / "train_fn_a_00000" / "result.json": "raytune",
        FIXTURES / "json" / "hf" / "output" / "trainer_state.json": "trainer_state",
    }
    for path, name in files.items():
        assert owner(path) == name, path
    assert {source.reader.name for source in discover(FIXTURES / "json" / "hf", readers()).sources} == {"trainer_state"}


# --- detectron2 metrics.json ----------------------------------------------------------------------


def test_detectron2_metrics_json_steps_by_iteration(formats):
    run = "detectron2/output"
    assert formats.roles[run] == {"train_loss": "total_loss", "lr": "lr"}
    loss = formats.curve(run, "train_loss")
    assert loss.index.tolist() == list(range(19, 240, 20))
    assert (loss.iloc[0], loss.iloc[-1]) == (2.725107299629599, 1.8386882990598679)
    assert formats.curve(run, "lr").iloc[-1] == 1.2711e-05
    frame = formats.scalars[formats.scalars["run"] == run]
    assert series(frame, "fast_rcnn/cls_accuracy")[0] == (19, 0.056640625)
    assert "iteration" not in set(frame["tag"])


def test_detectron2_restarted_run_keeps_both_writes_of_the_first_iteration():
    """The job wrote iteration 19, stopped, and started again: the reader keeps both rows in write order."""
    frame = read_file(FORMATS / "detectron2_mask" / "output" / "metrics.json").scalars
    assert series(frame, "total_loss")[:3] == [(19, 2.1678951284848154), (19, 2.152726454194635), (39, 1.8850063596619293)]
    assert series(frame, "loss_mask")[-1] == (299, 0.09173599630594254)
    assert len(series(frame, "lr")) == 16


# --- Ultralytics results.csv ----------------------------------------------------------------------


def test_yolo11_results_csv(formats):
    path = FORMATS / "yolo11_seg" / "results.csv"
    assert owner(path) == "ultralytics"
    frame = read_file(path).scalars
    assert series(frame, "train/seg_loss")[0] == (1, 2.32854)
    assert series(frame, "metrics/mAP50(M)")[-1] == (10, 0.94634)
    assert series(frame, "lr/pg2")[-1] == (10, 0.000181703)
    assert series(frame, "time")[-1] == (10, 6229.92)
    # no total is logged: the loss roles go to the sum of the components (box, seg, cls, dfl)
    assert formats.roles["yolo11_seg"]["val_loss"] == "val/loss_sum"
    assert formats.curve("yolo11_seg", "val_loss").iloc[-1] == pytest.approx(0.93292 + 1.18784 + 0.84728 + 1.01711)
    assert series(frame, "val/box_loss")[-1] == (10, 0.93292)


# --- stable-baselines3 progress.csv ---------------------------------------------------------------


def test_stable_baselines3_progress_csv_steps_by_the_environment_steps_taken(formats):
    path = FORMATS / "sb3_ppo" / "logs" / "progress.csv"
    assert owner(path) == "stable_baselines3"
    frame = read_file(path).scalars
    assert series(frame, "rollout/ep_rew_mean")[:2] == [(2048, -20.228999999999996), (4096, -19.169)]
    assert series(frame, "rollout/ep_rew_mean")[-1] == (51200, -12.210000000000006)
    # the first dump is before any update: its train/ cells are empty, so train/loss starts at 4096
    assert series(frame, "train/loss")[0] == (4096, 4.300825119018555)
    assert series(frame, "time/iterations")[-1] == (51200, 25.0)
    assert "time/total_timesteps" not in set(frame["tag"])
    run = "sb3_ppo/logs"
    assert formats.roles[run]["reward"] == "rollout/ep_rew_mean"
    assert "rl" in formats.kinds[run]
    assert formats.curve(run, "train_loss").iloc[-1] == 0.10340727120637894


def test_stable_baselines3_logging_to_csv_and_tensorboard_is_read_once(formats):
    """The same PPO run's folder as it was committed, with the event file stable-baselines3 wrote
    beside progress.csv: the points are read from the event file only, not twice (which would look
    like a restarted log)."""
    run = "sb3_ppo_tensorboard/logs"
    assert formats.formats[run] == ("stable_baselines3", "tensorboard")
    ignored = [item for item in formats.findings if item.source == f"{run}/progress.csv"]
    assert [item.name for item in ignored] == ["ignored-file"]
    reward = formats.curve(run, "reward")
    assert reward.index[:2].tolist() == [2048, 4096]
    assert reward.iloc[0] == pytest.approx(-20.228999999999996, rel=1e-7)  # the event file holds float32
    assert len(formats.curve(run, "train_loss")) == 24
    assert set(formats.scalars.loc[formats.scalars["run"] == run, "segment"]) == {0}


@pytest.mark.parametrize(
    "header, step",
    [
        ("time/total_timesteps,train/loss", "time/total_timesteps"),  # a step name under a prefix
        ("epoch,train/step,loss", "epoch"),  # a step name alone comes first
        ("_step,epoch,loss", "_step"),  # W&B's step before the epoch
        (",loss,val_loss", ""),  # pandas' index, written by DataFrame.to_csv
        ("Unnamed: 0,loss,val_loss", "Unnamed: 0"),  # ... and read back and written again
        ("loss,val_loss", None),
        (",age,income", None),  # data saved by pandas: its index is no step
    ],
)
def test_the_step_column_of_a_header(header, step):
    assert find_step_column(header.split(",")) == step


# --- timm summary.csv -----------------------------------------------------------------------------


def test_timm_output_folder_reads_every_epoch_and_its_args(formats):
    """A ResNet-50 trained from scratch on Flowers-102 with timm: summary.csv and args.yaml."""
    folder = FORMATS / "timm_resnet50" / "output" / "train" / "resnet50-resnet50_f102-224_300ep"
    assert [owner(folder / name) for name in ("summary.csv", "args.yaml")] == ["timm", "timm"]
    run = "timm_resnet50/output/train/resnet50-resnet50_f102-224_300ep"
    assert formats.formats[run] == ("timm",)
    frame = formats.scalars[formats.scalars["run"] == run]
    assert series(frame, "eval_top1")[0] == (0, 0.4889975550122249)
    assert series(frame, "eval_top1")[-1] == (29, 60.63569676555456)
    assert series(frame, "train_loss")[-1] == (29, 2.6660832143297384)
    assert series(frame, "lr")[1] == (1, 0.0025080000000000002)
    assert formats.roles[run] == {"train_loss": "train_loss", "val_loss": "eval_loss", "val_acc": "eval_top1", "lr": "lr"}
    hparams = formats.hparams[run]
    assert (hparams["model"], hparams["pretrained"], hparams["opt"], hparams["warmup_lr"]) == ("resnet50", False, "sgd", 1e-05)
    assert run not in formats.kinds  # trained from scratch: not a fine-tune


def test_timm_summary_csv_is_read_by_epoch_under_its_own_name(tmp_path):
    """The header and rows as timm's ``update_summary`` writes them."""
    path = tmp_path / "summary.csv"
    path.write_text(
        "epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n0,6.91,6.88,0.12,0.6,1e-05\n1,6.75,6.52,1.06,3.9,0.0008\n"
    )
    assert owner(path) == "timm"
    frame = read_file(path).scalars
    assert series(frame, "eval_top1") == [(0, 0.12), (1, 1.06)]
    assert series(frame, "lr")[-1] == (1, 0.0008)
    assert "epoch" not in set(frame["tag"])


def test_a_timm_output_folder_is_one_run_with_its_args_as_hyperparameters(tmp_path):
    """timm's ``train.py`` writes ``args.yaml`` (its command-line arguments) beside ``summary.csv``."""
    run = tmp_path / "output" / "train" / "20240101-120000-resnet50-224"
    run.mkdir(parents=True)
    (run / "summary.csv").write_text("epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n0,2.1,1.9,41.2,70.5,0.001\n")
    (run / "args.yaml").write_text("model: resnet50\npretrained: true\nlr: 0.001\nepochs: 30\n")
    result = curvescope.read(tmp_path)
    name = "output/train/20240101-120000-resnet50-224"
    assert result.formats[name] == ("timm",)
    assert result.hparams[name] == {"model": "resnet50", "pretrained": True, "lr": 0.001, "epochs": 30}
    assert "fine_tune" in result.kinds[name]  # a pretrained model, named by its args


@pytest.mark.parametrize(
    "name, header, reader",
    [
        ("summary.csv", "epoch,loss,val_loss", "keras_csv"),  # no train_ / eval_ columns
        ("training.log", "epoch,train_loss,eval_loss", "keras_csv"),  # timm's columns, another name
        ("summary.csv", "model,train_loss,eval_loss", "csv"),  # not by epoch
    ],
)
def test_only_timm_summaries_are_read_as_timm(tmp_path, name, header, reader):
    path = tmp_path / name
    path.write_text(f"{header}\n0,1.0,2.0\n")
    assert owner(path) == reader


# --- a Keras history saved by pandas ----------------------------------------------------------------


@pytest.mark.parametrize("index", ["", "Unnamed: 0"])
def test_a_keras_history_saved_by_pandas_steps_by_its_index(tmp_path, index):
    """``pd.DataFrame(history.history).to_csv("history.csv")`` writes the index first, unnamed; a
    frame read back and saved again calls it ``Unnamed: 0``. It numbers the epochs: it is the step."""
    path = tmp_path / "history.csv"
    path.write_text(
        f"{index},loss,accuracy,val_loss,val_accuracy\n0,0.66,0.61,0.58,0.7\n1,0.52,0.74,0.49,0.76\n2,0.44,0.8,0.47,0.77\n"
    )
    assert owner(path) == "csv"
    result = read_file(path)
    assert series(result.scalars, "val_loss") == [(0, 0.58), (1, 0.49), (2, 0.47)]
    assert set(result.scalars["tag"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert not result.findings  # the step is not the row number, so no "no-step-column"


def test_a_table_of_data_saved_by_pandas_is_not_taken_for_a_log(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(",age,income\n0,34,5000\n1,51,7200\n")
    assert owner(path) is None


# --- W&B wandb-history.jsonl ------------------------------------------------------------------------

WANDB_HISTORY = (
    '{"train/loss": 2.31, "_runtime": 4.98, "_timestamp": 1582070918.25, "_step": 0}\n'
    '{"val/accuracy": 0.41, "_runtime": 5.01, "_timestamp": 1582070918.5, "_step": 1}\n'
    '{"samples": {"_type": "images/separated", "count": 8, "height": 28, "width": 28}, "_runtime": 6.2, '
    '"_timestamp": 1582070919.5, "_step": 2}\n'
    '{"train/loss": 1.87, "epoch": 1, "_runtime": 10.94, "_timestamp": 1582070924.0, "_step": 3}\n'
)


def test_a_wandb_history_steps_by_step_and_keeps_no_bookkeeping_as_curves(tmp_path):
    """Lines as wandb (before 0.10) writes them: ``_step``, ``_runtime``, ``_timestamp`` beside the
    logged keys, and a logged media object as a dict with a ``_type`` (no public sample with a licence was found)."""
    path = tmp_path / "run-20200218_235834-3k1d2x9s" / "wandb-history.jsonl"
    path.parent.mkdir()
    path.write_text(WANDB_HISTORY)
    assert owner(path) == "wandb"
    result = read_file(path)
    frame = result.scalars
    assert series(frame, "train/loss") == [(0, 2.31), (3, 1.87)]
    assert series(frame, "val/accuracy") == [(1, 0.41)]
    assert frame.loc[frame["tag"] == "train/loss", "wall_time"].tolist() == [1582070918.25, 1582070924.0]
    assert set(frame["tag"]) == {"train/loss", "val/accuracy", "epoch"}  # no _runtime, no samples/count
    assert not result.findings


def test_a_wandb_run_folder_is_one_run_with_its_config_as_hyperparameters(tmp_path):
    """A run folder as wandb 0.8 left it: the history, ``config.yaml`` (each key's ``desc`` and
    ``value``), and ``wandb-summary.json`` (the last value of each key)."""
    run = tmp_path / "wandb" / "run-20200218_235834-3k1d2x9s"
    run.mkdir(parents=True)
    (run / "wandb-history.jsonl").write_text(WANDB_HISTORY)
    (run / "config.yaml").write_text(
        "wandb_version: 1\n\n_wandb:\n  desc: null\n  value:\n    cli_version: 0.8.27\n"
        "batch_size:\n  desc: null\n  value: 32\noptimizer:\n  desc: null\n  value:\n    name: adam\n    lr: 0.003\n"
    )
    (run / "wandb-summary.json").write_text('{"_runtime": 10.94, "_step": 3, "train/loss": 1.87, "val/accuracy": 0.41}\n')
    result = curvescope.read(tmp_path)
    name = "wandb/run-20200218_235834-3k1d2x9s"
    assert list(result.hparams) == [name] and result.formats[name] == ("wandb",)
    assert result.hparams[name] == {
        "batch_size": 32,
        "optimizer/name": "adam",
        "optimizer/lr": 0.003,
        "summary/train/loss": 1.87,
        "summary/val/accuracy": 0.41,
    }
    assert result.curve(name, "train_loss").tolist() == [2.31, 1.87]


def test_an_exported_history_in_another_jsonl_steps_by_wandb_step(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(WANDB_HISTORY.replace('"epoch": 1, ', ""))
    assert owner(path) == "jsonl"
    frame = read_file(path).scalars
    assert series(frame, "train/loss") == [(0, 2.31), (3, 1.87)]
    assert "_runtime" not in set(frame["tag"])


# --- OpenMMLab: mmcv *.log.json, mmengine vis_data/scalars.json -------------------------------------


def test_mmengine_vis_data_log_keeps_training_and_validation_apart(formats):
    """mmengine's detection example: a training record per epoch (``step`` the iteration) and then a
    validation record whose ``step`` is the epoch; it is put at the iteration it followed."""
    path = FORMATS / "mmengine_detection" / "training_logs" / "vis_data" / "20230525_103041.json"
    assert owner(path) == "openmmlab"
    result = read_file(path)
    frame = result.scalars
    assert series(frame, "train/loss")[:2] == [(10, 2.6110023617744447), (26, 1.8309189438819886)]
    assert series(frame, "train/loss")[-1] == (314, 0.9047019481658936)
    assert series(frame, "val/bbox_mAP")[:2] == [(10, 0.0004943522521266211), (26, 0.004720472840819643)]
    assert series(frame, "val/bbox_mAP")[-1] == (314, 0.2961606638583621)
    assert series(frame, "val/time")[0] == (10, 0.7386875599622726)
    assert series(frame, "train/time")[0] == (10, 0.9024862289428711)
    assert len(series(frame, "val/bbox_mAP")) == len(series(frame, "train/loss")) == 20
    assert not result.findings
    assert formats.roles["mmengine_detection/training_logs"] == {
        "train_loss": "train/loss",
        "val_acc": "val/bbox_mAP",
        "lr": "train/lr",
    }


def test_mmcv_log_json_of_a_cyclic_schedule_steps_by_iteration():
    """mmcv's own test log of a cyclic learning-rate schedule: one training record per iteration."""
    path = FORMATS / "mmcv_log_json" / "work_dir" / "20200408_175715.log.json"
    assert owner(path) == "openmmlab"
    result = read_file(path)
    frame = result.scalars
    assert series(frame, "train/lr")[:5] == [(1, 0.02), (2, 0.04636), (3, 0.11), (4, 0.17364), (5, 0.2)]
    assert series(frame, "train/lr")[-1] == (10, 0.03206)
    assert series(frame, "train/momentum")[4] == (5, 0.85)
    assert series(frame, "train/time")[1] == (2, 15.3738)
    assert set(frame["tag"]) == {"train/lr", "train/time", "train/data_time", "train/momentum", "train/memory"}
    assert not result.findings


def test_mmengine_records_written_twice_in_vis_data_are_read_once(tmp_path):
    """mmengine writes each record to ``<timestamp>.json`` and to ``scalars.json`` beside it."""
    sample = FORMATS / "mmengine_detection" / "training_logs" / "vis_data" / "20230525_103041.json"
    vis_data = tmp_path / "20230525_103041" / "vis_data"
    vis_data.mkdir(parents=True)
    for name in ("20230525_103041.json", "scalars.json"):
        (vis_data / name).write_bytes(sample.read_bytes())
    result = curvescope.read(tmp_path)
    assert len(result.curve("20230525_103041", "train_loss")) == 20
    assert [(item.name, Path(item.source).name) for item in result.findings if item.source] == [
        ("ignored-file", "20230525_103041.json")
    ]


def test_mmdetection_log_json_counts_iterations_across_epochs_and_puts_validation_after_them():
    """An FCOS training of mmdetection 2: its first line the environment and config, then 18 training
    records an epoch (iter 50 to 900, counted within the epoch) and a validation record after each of
    the first two epochs (its iter, 938, is the epoch's length)."""
    path = FORMATS / "mmdet_fcos" / "work_dirs" / "fcos_r50_caffe_fpn_gn-head_mstrain_640-800_4x4_2x_coco"
    path = path / "20201017_104044.log.json"
    assert owner(path) == "openmmlab"
    result = read_file(path)
    frame = result.scalars
    loss = series(frame, "train/loss")
    assert loss[:2] == [(50, 3.09209), (100, 2.04925)]
    assert loss[17:19] == [(900, 1.52881), (950, 1.51645)]  # epoch 2, iter 50, goes on from epoch 1's 900
    assert loss[-1] == (2700, 1.30601) and len(loss) == 54
    assert series(frame, "val/bbox_mAP") == [(900, 0.098), (1800, 0.147)]
    assert series(frame, "val/bbox_mAP_s")[0] == (900, -1.0)
    assert {"val/lr", "val/bbox_mAP_copypaste", "env_info", "seed"}.isdisjoint(set(frame["tag"]))
    assert result.hparams == {"exp_name": "fcos_r50_caffe_fpn_gn-head_mstrain_640-800_4x4_2x_coco.py"}  # not the long texts
    assert not result.findings


# mmcv's logs across launches, and mmengine's by iteration: lines as mmcv's TextLoggerHook and
# mmengine's LocalVisBackend write them (no public sample of these with a licence was found).

MMCV_LOG = (
    '{"env_info": "sys.platform: linux", "config": "model = dict(type=\'FasterRCNN\')", "seed": 0, "exp_name": "frcnn.py"}\n'
    '{"mode": "train", "epoch": 1, "iter": 50, "lr": 0.00198, "memory": 3830, "loss": 1.72, "time": 0.41}\n'
    '{"mode": "train", "epoch": 1, "iter": 100, "lr": 0.00398, "memory": 3830, "loss": 1.21, "time": 0.4}\n'
    '{"mode": "val", "epoch": 1, "iter": 625, "lr": 0.00398, "bbox_mAP": 0.011, "bbox_mAP_copypaste": "0.011 0.031"}\n'
    '{"mode": "train", "epoch": 2, "iter": 50, "lr": 0.02, "memory": 3830, "loss": 1.05, "time": 0.4}\n'
    '{"mode": "train", "epoch": 2, "iter": 100, "lr": 0.02, "memory": 3830, "loss": 0.98, "time": 0.4}\n'
    '{"mode": "val", "epoch": 2, "iter": 625, "lr": 0.02, "bbox_mAP": 0.052, "bbox_mAP_copypaste": "0.052 0.12"}\n'
)


def test_an_mmcv_log_json_keeps_training_and_validation_apart_and_counts_iterations_across_epochs(tmp_path):
    path = tmp_path / "work_dirs" / "frcnn" / "20210101_000000.log.json"
    path.parent.mkdir(parents=True)
    path.write_text(MMCV_LOG)
    assert owner(path) == "openmmlab"
    result = read_file(path)
    frame = result.scalars
    # iter counts within the epoch: epoch 2 goes on from epoch 1's last logged iteration (100)
    assert series(frame, "train/loss") == [(50, 1.72), (100, 1.21), (150, 1.05), (200, 0.98)]
    # a validation record sits at the iteration it followed, not at its iter (the val loader's length)
    assert series(frame, "val/bbox_mAP") == [(100, 0.011), (200, 0.052)]
    assert {"val/lr", "val/bbox_mAP_copypaste", "train/epoch", "train/iter", "seed"}.isdisjoint(set(frame["tag"]))
    assert result.hparams["seed"] == 0 and result.hparams["exp_name"] == "frcnn.py"
    assert not result.findings  # the first line, with no mode, is settings, not a broken record


def test_a_resumed_mmcv_run_counts_on_in_its_next_log(tmp_path):
    work_dir = tmp_path / "frcnn"
    work_dir.mkdir()
    (work_dir / "20210101_000000.log.json").write_text(MMCV_LOG)
    (work_dir / "20210102_000000.log.json").write_text('{"mode": "train", "epoch": 3, "iter": 50, "lr": 0.02, "loss": 0.91}\n')
    result = curvescope.read(tmp_path)
    assert result.curve("frcnn", "train_loss").index.tolist() == [50, 100, 150, 200, 250]
    assert result.roles["frcnn"] == {"train_loss": "train/loss", "val_acc": "val/bbox_mAP", "lr": "train/lr"}


def test_mmengine_scalars_put_epoch_validation_at_the_iteration_it_followed(tmp_path):
    path = tmp_path / "20240101_000000" / "vis_data" / "scalars.json"
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"lr": 0.00198, "data_time": 0.21, "loss": 0.978, "time": 0.89, "epoch": 1, "iter": 50, "memory": 9480, "step": 50}\n'
        '{"lr": 0.00398, "data_time": 0.19, "loss": 0.551, "time": 0.87, "epoch": 1, "iter": 100, "memory": 9480, "step": 100}\n'
        '{"coco/bbox_mAP": 0.127, "coco/bbox_mAP_50": 0.301, "data_time": 0.02, "time": 0.11, "step": 1}\n'
        '{"lr": 0.02, "data_time": 0.2, "loss": 0.49, "time": 0.88, "epoch": 2, "iter": 150, "memory": 9480, "step": 150}\n'
    )
    assert owner(path) == "openmmlab"
    frame = read_file(path).scalars
    assert series(frame, "train/loss") == [(50, 0.978), (100, 0.551), (150, 0.49)]
    assert series(frame, "val/coco/bbox_mAP") == [(100, 0.127)]  # its step, 1, is the epoch
    assert series(frame, "val/time") == [(100, 0.11)] and series(frame, "train/time")[0] == (50, 0.89)


def test_mmengine_iteration_based_validation_keeps_its_own_step(tmp_path):
    path = tmp_path / "20240101_000000" / "vis_data" / "20240101_000000.json"
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"lr": 0.01, "loss": 0.8, "iter": 100, "step": 100}\n'
        '{"lr": 0.01, "loss": 0.7, "iter": 200, "step": 200}\n'
        '{"mIoU": 41.2, "aAcc": 80.1, "step": 250}\n'
    )
    assert series(read_file(path).scalars, "val/mIoU") == [(250, 41.2)]


@pytest.mark.parametrize(
    "relative, text",
    [
        ("vis_data/config.json", '{"model": {"type": "FasterRCNN"}}\n'),  # no step
        ("logs/20240101.log.json", '{"epoch": 1, "loss": 0.5}\n'),  # no mode: plain JSON lines
    ],
)
def test_files_that_are_not_openmmlab_logs_are_not_claimed_as_such(tmp_path, relative, text):
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert owner(path) != "openmmlab"


# --- Sacred FileStorageObserver runs ----------------------------------------------------------------

SACRED = FORMATS / "sacred" / "runs"


def test_sacred_metrics_are_curves_and_its_config_the_hyperparameters():
    run = SACRED / "1"
    assert [owner(run / name) for name in ("metrics.json", "config.json", "run.json")] == ["sacred", "sacred", None]
    sacred = next(reader for reader in readers() if reader.name == "sacred")
    result = sacred.read(run, [run / "config.json", run / "metrics.json"])
    frame = result.scalars
    assert series(frame, "training.loss")[:2] == [(1, 0.2630771433830261), (2, 0.25748250727653504)]
    assert series(frame, "training.loss")[-1] == (400, -0.6781838181495666)
    first = datetime(2024, 2, 8, 23, 2, 17, 744847, tzinfo=UTC).timestamp()  # "2024-02-08T23:02:17.744847"
    assert frame["wall_time"].iloc[0] == first
    assert result.hparams["lr"] == 0.0001 and result.hparams["dataset/filename"] == "data/gaussian_data.pt"
    assert not result.findings


def test_a_sacred_run_that_failed_before_logging_is_named_in_a_finding(formats):
    assert [item.name for item in formats.findings if item.source == "sacred/runs/73/metrics.json"] == ["empty-file"]
    run = SACRED / "73"
    result = next(reader for reader in readers() if reader.name == "sacred").read(
        run, [run / "config.json", run / "metrics.json"]
    )
    # the configuration it failed on (a hidden size no network can have) is still read
    assert result.hparams["hidden_size"] == 5.9937672665305074e26
    assert result.scalars.empty
