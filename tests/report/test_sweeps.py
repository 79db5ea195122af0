"""report.sweeps: a validation metric of many runs against their hyperparameters."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

import curvescope
from curvescope.report import sweeps
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"


@pytest.fixture(scope="module")
def report():
    return curvescope.audit(DEMO)


def test_sweep_table_flattens_hparams_and_reads_validation_metrics(report):
    lightning = report["lightning_logs/classification-mlp-tanh-adam"]
    nested = replace(lightning, hparams={"optim": {"lr": 0.1, "betas": [0.9, 0.99]}, "flag": True, "note": None})
    table = sweeps.sweep_table(replace(report, runs=(lightning, nested)))
    assert table.loc[0, "hp.lr"] == lightning.hparams["lr"] and table.loc[0, "hp.optimizer"] == "Adam"
    assert table.loc[1, "hp.optim.lr"] == 0.1 and table.loc[1, "hp.optim.betas"] == "[0.9, 0.99]"
    assert table.loc[1, "hp.flag"] == "True"
    assert table["hp.lr"].dtype == "float64" and table["hp.optimizer"].dtype == object
    assert table.loc[0, "best_val_loss"] == lightning.numbers["best_val_loss"]
    assert table.loc[0, "final_val_loss"] == lightning.numbers["final_val_loss"]
    assert table.loc[0, "best_val_acc"] == lightning.curves["val_acc"].finite().values.max()
    assert table.loc[0, "primary_label"] == lightning.primary_label


def _sweep(lrs, losses, labels=None) -> pd.DataFrame:
    n = len(lrs)
    return pd.DataFrame(
        {
            "run": [f"r{i}" for i in range(n)],
            "primary_label": labels or ["healthy"] * n,
            "label_text": [""] * n,
            "confidence": [0.9] * n,
            "best_val_loss": losses,
            "final_val_loss": losses,
            "best_val_acc": [math.nan] * n,
            "final_val_acc": [math.nan] * n,
            "hp.lr": lrs,
            "hp.optimizer": ["Adam", "SGD"] * (n // 2) + ["Adam"] * (n % 2),
        }
    )


def test_sweep_axes_and_metrics_list_what_varies():
    table = _sweep([1e-4, 1e-3, 1e-2], [0.5, 0.3, 0.4])
    table["hp.seed"] = 7.0
    assert sweeps.sweep_axes(table) == ["hp.lr", "hp.optimizer"]
    assert sweeps.sweep_metrics(table) == ["best_val_loss", "final_val_loss"]


@pytest.mark.parametrize(
    ("name", "values", "scale"),
    [
        ("hp.lr", [1e-4, 1e-3, 1e-2], "log"),
        ("hp.optim.learning_rate", [0.1, 0.2], "log"),
        ("hp.weight_decay", [0.0, 1e-4, 1e-2], "symlog"),
        ("hp.batch_size", [16, 32, 64], "linear"),
        ("hp.dropout", [-0.1, 0.5], "linear"),
        ("hp.steps", [10, 100_000], "log"),
        ("hp.optimizer", ["Adam", "SGD"], "nominal"),
        ("", [1e-3, 1.0, 1e4], "log"),
        ("", [0.3, 0.5], "linear"),
    ],
)
def test_hparam_scale_puts_rates_and_decays_on_log_axes(name, values, scale):
    axis = sweeps.hparam_scale(name, values)
    assert axis.scale == scale
    if scale == "symlog":
        assert axis.constant == 1e-4


@pytest.mark.parametrize(("losses", "edge"), [([0.2, 0.3, 0.4], "low"), ([0.4, 0.3, 0.2], "high"), ([0.4, 0.2, 0.3], None)])
def test_sweep_best_says_whether_the_best_run_sits_at_an_edge(losses, edge):
    best = sweeps.sweep_best(_sweep([1e-4, 1e-3, 1e-2], losses), "hp.lr", "best_val_loss")
    assert best.edge == edge and best.value == 0.2 and best.values == 3
    text = best.describe()
    assert text.startswith(f"Best run by best validation loss: {best.run} (0.2), with lr = ")
    assert ("try smaller values of lr" in text) == (edge == "low")
    assert ("try larger values of lr" in text) == (edge == "high")
    assert ("inside the range" in text) == (edge is None)


def test_sweep_best_makes_no_edge_claim_for_two_values_or_words():
    assert sweeps.sweep_best(_sweep([1e-4, 1e-3], [0.2, 0.3]), "hp.lr", "best_val_loss").edge is None
    worded = sweeps.sweep_best(_sweep([1e-4, 1e-3, 1e-2], [0.4, 0.2, 0.3]), "hp.optimizer", "best_val_loss")
    assert worded.setting == "SGD" and worded.low is None and worded.describe().endswith("with optimizer = SGD.")
    accuracy = _sweep([1e-4, 1e-3, 1e-2], [0.4, 0.2, 0.3]).assign(best_val_acc=[0.9, 0.8, 0.95])
    assert sweeps.sweep_best(accuracy, "hp.lr", "best_val_acc").run == "r2"
    with pytest.raises(curvescope.InvalidParameterError):
        sweeps.sweep_best(accuracy, "hp.lr", "accuracy")
    with pytest.raises(curvescope.InvalidParameterError):
        sweeps.sweep_best(accuracy, "hp.nothing", "best_val_loss")
    assert sweeps.sweep_best(accuracy.assign(best_val_loss=math.nan), "hp.lr", "best_val_loss") is None


def test_sweep_profile_gives_the_median_where_runs_share_a_value():
    table = _sweep([1e-3, 1e-3, 1e-3, 1e-2, 1e-2], [0.5, 0.1, 0.3, 0.9, 0.7])
    profile = sweeps.sweep_profile(table, "hp.lr", "best_val_loss")
    assert profile.to_dict("list") == {"value": [1e-3, 1e-2], "median": [0.3, 0.8], "best": [0.1, 0.7], "runs": [3, 2]}
    assert sweeps.sweep_profile(_sweep([1e-4, 1e-3], [0.2, 0.3]), "hp.lr", "best_val_loss") is None


def test_sweep_table_treats_float_noise_as_one_setting(report):
    a, b = report.runs[:2]
    table = sweeps.sweep_table(
        replace(report, runs=(replace(a, hparams={"lr": 0.0003}), replace(b, hparams={"lr": 0.1 * 0.003})))
    )
    assert table["hp.lr"].nunique() == 1
