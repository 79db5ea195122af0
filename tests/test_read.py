"""read() end to end on the digits runs: the values the writers wrote, in one tidy frame; the demo is its corpus runs."""

import importlib.util

import numpy as np
import pandas as pd
import pytest

import curvescope
from curvescope.errors import InvalidParameterError, LogdirNotFound, NoRunsFound
from curvescope.schema import validate_scalars
from tests.conftest import FIXTURES
from tests.digits import RUNS as TRAINED_RUNS
from tests.digits import START, generator, train_again, written

DIGITS = FIXTURES / "digits"
DEMO = FIXTURES / "demo"
DIGITS_RUNS = {
    "huggingface/underfitting": ("trainer_state",),
    "keras/bad_init": ("tensorboard",),
    "keras/overfitting": ("keras_csv",),
    "lightning_logs/version_0": ("lightning_csv",),
    "tensorboard/healthy": ("tensorboard",),
    "tensorboard/lr_too_high": ("tensorboard",),
}


def _load_demo_list():
    spec = importlib.util.spec_from_file_location("corpus_demo", FIXTURES / "corpus" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DEMO_RUNS


@pytest.fixture(scope="module")
def digits():
    return curvescope.read(DIGITS)


def test_digits_runs_and_formats(digits):
    assert set(digits.runs) == set(DIGITS_RUNS)
    assert {run: digits.formats[run] for run in digits.runs} == DIGITS_RUNS
    validate_scalars(digits.scalars)
    assert digits.findings == ()


def test_digits_roles(digits):
    assert digits.roles["tensorboard/healthy"] == {
        "train_loss": "train/loss",
        "val_loss": "val/loss",
        "train_acc": "train/acc",
        "val_acc": "val/acc",
        "lr": "train/lr",
    }
    assert digits.roles["keras/bad_init"] == {
        "train_loss": "train/epoch_loss",
        "val_loss": "validation/epoch_loss",
        "train_acc": "train/epoch_accuracy",
        "val_acc": "validation/epoch_accuracy",
    }
    assert digits.roles["keras/overfitting"] == {
        "train_loss": "loss",
        "val_loss": "val_loss",
        "train_acc": "accuracy",
        "val_acc": "val_accuracy",
    }
    assert digits.roles["huggingface/underfitting"] == {
        "train_loss": "loss",
        "val_loss": "eval_loss",
        "val_acc": "eval_accuracy",
        "lr": "learning_rate",
    }
    assert digits.roles["lightning_logs/version_0"] == {
        "train_loss": "train_loss_step",
        "val_loss": "val_loss",
        "val_acc": "val_acc",
        "lr": "lr-SGD",
    }


def test_tensorboard_values_are_what_was_written(digits):
    log = written("healthy")
    loss = digits.curve("tensorboard/healthy", "train_loss")
    assert loss.index.tolist() == log.step
    np.testing.assert_array_equal(loss.to_numpy(), np.float32(log.loss).astype(np.float64))
    val = digits.curve("tensorboard/healthy", "val_loss")
    assert val.index.tolist() == log.epoch_step
    np.testing.assert_array_equal(val.to_numpy(), np.float32(log.val_loss).astype(np.float64))
    wall = digits.run("tensorboard/healthy").query("tag == 'train/loss'")["wall_time"].to_numpy()
    np.testing.assert_allclose(wall, START + np.array(log.step) * 0.05)


def test_keras_layout_values_are_what_was_written(digits):
    log = written("bad_init")
    val = digits.curve("keras/bad_init", "val_loss")
    assert val.index.tolist() == list(range(len(log.val_loss)))
    np.testing.assert_array_equal(val.to_numpy(), np.float32(log.val_loss).astype(np.float64))


def test_csv_and_json_values_are_what_was_written(digits):
    overfit = written("overfitting")
    np.testing.assert_array_equal(digits.curve("keras/overfitting", "val_loss").to_numpy(), overfit.val_loss)
    under = written("underfitting")
    loss = digits.curve("huggingface/underfitting", "train_loss")
    assert loss.index.tolist() == under.step
    np.testing.assert_array_equal(loss.to_numpy(), [round(v, 4) for v in under.loss])
    decay = written("decay_too_early")
    lr = digits.curve("lightning_logs/version_0", "lr")
    assert lr.index.tolist() == [s - 1 for s in decay.step]
    np.testing.assert_array_equal(lr.to_numpy(), decay.lr)


@pytest.mark.slow
@pytest.mark.parametrize("name", TRAINED_RUNS)
def test_the_stored_numbers_are_what_the_training_logs(name):
    """The numbers the tests above compare with are the generator's: training the run again logs them."""
    assert train_again(name) == vars(written(name))
    assert generator().START == START


def test_hyperparameters_are_read(digits):
    assert digits.hparams["lightning_logs/version_0"] == {"lr": 0.05, "hidden": 64, "decay_epoch": 3, "weight_decay": 0.0}


def test_summary_counts_every_point(digits):
    summary = digits.summary().set_index("run")
    assert summary["points"].sum() == len(digits.scalars)
    assert int(summary.loc["tensorboard/healthy", "tags"]) == 5
    assert int(digits.files["rows_kept"].sum()) == len(digits.scalars)
    assert (digits.files["rows_read"] == digits.files["rows_kept"] + digits.files["rows_replaced"]).all()


def test_one_file_can_be_read_on_its_own():
    result = curvescope.read(DIGITS / "keras" / "overfitting" / "training.log")
    assert result.runs == ("overfitting",)
    assert set(result.scalars["source"].astype(str)) == {"training.log"}


def test_role_override(digits):
    result = curvescope.read(DIGITS / "tensorboard" / "healthy", roles={"val_loss": "train/acc"})
    assert result.roles["healthy"]["val_loss"] == "train/acc"
    role_of = result.scalars.drop_duplicates("tag").set_index("tag")["role"].astype(object)
    assert role_of["train/acc"] == "val_loss" and pd.isna(role_of["val/loss"])


def test_bad_calls_raise_clear_errors(tmp_path):
    with pytest.raises(LogdirNotFound):
        curvescope.read(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("nothing to see")
    with pytest.raises(NoRunsFound, match="no training logs found"):
        curvescope.read(tmp_path)
    with pytest.raises(InvalidParameterError, match="unknown role 'valid_loss'"):
        curvescope.read(DIGITS, roles={"valid_loss": "x"})
    with pytest.raises(InvalidParameterError, match="'duplicates' parameter"):
        curvescope.read(DIGITS, duplicates="first")


def test_demo_is_the_listed_corpus_runs_copied_as_they_are():
    demo_runs = _load_demo_list()
    assert set(curvescope.read(DEMO).runs) == set(demo_runs.values())
    for source, destination in demo_runs.items():
        original = {
            p.relative_to(FIXTURES / "corpus" / "runs" / source): p.read_bytes()
            for p in (FIXTURES / "corpus" / "runs" / source).rglob("*")
            if p.is_file()
        }
        copied = {p.relative_to(DEMO / destination): p.read_bytes() for p in (DEMO / destination).rglob("*") if p.is_file()}
        assert copied == original, destination
