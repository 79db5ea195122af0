"""report.sweeps: a validation metric of many runs against their hyperparameters."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import curvescope
from curvescope.features.events import Curve, Event
from curvescope.features.smoothing import smooth
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
    assert table.loc[0, "best_val_loss"] == smooth(lightning.curves["val_loss"].finite().values, 0.6).min()
    assert table.loc[0, "final_val_loss"] == lightning.numbers["final_val_loss"]
    assert table.loc[0, "best_val_acc"] == smooth(lightning.curves["val_acc"].finite().values, 0.6).max()
    assert table.loc[0, "primary_label"] == lightning.primary_label


def _sweep(lrs, losses, labels=None) -> pd.DataFrame:
    n = len(lrs)
    labels = labels or ["healthy"] * n
    return pd.DataFrame(
        {
            "run": [f"r{i}" for i in range(n)],
            "primary_label": labels,
            "label_text": [""] * n,
            "confidence": [0.9] * n,
            "caveat": ["" if label == "healthy" else f"labelled {label}" for label in labels],
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
    assert profile.to_dict("list") == {
        "group": ["", ""],
        "value": [1e-3, 1e-2],
        "median": [0.3, 0.8],
        "best": [0.1, 0.7],
        "runs": [3, 2],
    }
    assert sweeps.sweep_profile(_sweep([1e-4, 1e-3], [0.2, 0.3]), "hp.lr", "best_val_loss") is None


def test_the_median_line_does_not_pool_data_sets():
    table = _sweep([1e-3, 1e-3, 1e-2, 1e-2], [0.1, 2.0, 0.2, 3.0]).assign(
        **{"hp.data": ["mnist", "cifar", "mnist", "cifar"], "hp.seed": [1.0, 2.0, 3.0, 4.0], "hp.optimizer": "Adam"}
    )
    table = pd.concat([table, table.assign(run=lambda t: t["run"] + "b")], ignore_index=True)
    assert sweeps.sweep_group(table, "hp.lr") == "hp.data"
    profile = sweeps.sweep_profile(table, "hp.lr", "best_val_loss", by="hp.data")
    assert profile[["group", "value", "median"]].values.tolist() == [
        ["cifar", 1e-3, 2.0],
        ["cifar", 1e-2, 3.0],
        ["mnist", 1e-3, 0.1],
        ["mnist", 1e-2, 0.2],
    ]
    assert sweeps.sweep_group(table.drop(columns="hp.data"), "hp.lr") is None  # seeds are pooled
    lone = table[~table["run"].str.endswith("b") | (table["hp.data"] == "mnist")]
    assert set(sweeps.sweep_profile(lone, "hp.lr", "best_val_loss", by="hp.data")["group"]) == {"mnist"}
    assert sweeps.sweep_group(_sweep([1e-4, 1e-3], [0.2, 0.3]), "hp.lr") == "hp.optimizer"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.3, 0.4, 0.5, 0.45, 1e200], (0.3, 0.5, 1)),
        ([0.3, 0.4, 0.5, 0.45, math.nan, 2.3], None),
        ([1e-3, 1e-2, 0.1, 1.0, 10.0], None),
        ([-1.0, -0.5, 0.2, 0.4, -1e9], (-1.0, 0.4, 1)),
        ([0.3, 0.4], None),
    ],
)
def test_metric_range_cuts_far_outliers_off_the_axis(values, expected):
    found = sweeps.metric_range(values)
    assert (None if found is None else (found.low, found.high, found.off)) == expected


def test_sweep_table_treats_float_noise_as_one_setting(report):
    a, b = report.runs[:2]
    table = sweeps.sweep_table(
        replace(report, runs=(replace(a, hparams={"lr": 0.0003}), replace(b, hparams={"lr": 0.1 * 0.003})))
    )
    assert table["hp.lr"].nunique() == 1


def test_sweep_table_reads_numbers_logged_as_text_as_numbers(report):
    a, b, c, d = report.runs[:4]
    runs = (
        replace(a, hparams={"lr": 0.003, "width": "64"}),
        replace(b, hparams={"lr": "3e-5", "width": "wide"}),
        replace(c, hparams={"lr": " 1E-3", "width": None}),
        replace(d, hparams={"lr": None}),
    )
    table = sweeps.sweep_table(replace(report, runs=runs))
    assert table["hp.lr"].dtype == "float64"
    assert table["hp.lr"].tolist()[:3] == [0.003, 3e-5, 1e-3] and math.isnan(table.loc[3, "hp.lr"])
    assert sorted(table["hp.lr"].dropna()) == [3e-5, 1e-3, 0.003]
    assert table["hp.width"].dtype == object and table.loc[0, "hp.width"] == "64"


def _run(template, name, labels, curve, lr, events=()):
    diagnosis = replace(template.diagnosis, labels=labels, verdicts=())
    numbers = {"best_val_loss": float(np.nanmin(curve.values))}  # the raw best, as the key numbers give it
    return replace(
        template,
        run=name,
        diagnosis=diagnosis,
        numbers=numbers,
        events=events,
        curves={"val_loss": curve},
        hparams={"lr": lr},
        sweep=sweeps.sweep_numbers({"val_loss": curve}),  # as the audit measures them from its curves
    )


def test_an_audit_measures_what_a_sweep_compares_so_no_curve_is_read_again(report):
    for run in report.runs:
        assert run.sweep is not None
        fresh = sweeps.sweep_numbers({role: run.curves[role] for role in run.curves})
        assert run.sweep == pytest.approx(fresh, nan_ok=True)
    table = sweeps.sweep_table(report)
    read_again = sweeps.sweep_table(replace(report, runs=tuple(replace(run, sweep=None) for run in report.runs)))
    pd.testing.assert_frame_equal(table, read_again)


def test_the_best_of_a_sweep_is_judged_on_the_smoothed_validation_curve(report):
    run = report.runs[0]
    steady = Curve(np.arange(8), np.array([1.0, 0.8, 0.6, 0.5, 0.45, 0.42, 0.41, 0.40]), role="val_loss")
    lucky = Curve(np.arange(8), np.array([1.0, 0.9, 0.8, 0.7, 0.1, 0.7, 0.65, 0.6]), role="val_loss")
    runs = (_run(run, "steady", ("healthy",), steady, 1e-3), _run(run, "lucky", ("healthy",), lucky, 1e-2))
    table = sweeps.sweep_table(replace(report, runs=runs))
    assert sweeps.sweep_best(table, "hp.lr", "best_val_loss").run == "steady"


def test_runs_with_a_problem_are_set_aside_from_the_best(report):
    run = report.runs[0]
    curve = Curve(np.arange(4), np.array([1.0, 0.5, 0.3, 0.2]), role="val_loss")
    broken = Curve(np.arange(4), np.array([1.0, 0.1, np.nan, 0.05]), role="val_loss")
    worse = Curve(np.arange(4), np.array([1.0, 0.6, 0.5, 0.4]), role="val_loss")
    blown = Event("non_finite", 3, 3, math.nan, "train loss became NaN", role="train_loss")
    burst = Event("explosion", 1, 2, 12.0, "train loss jumped and came back", role="train_loss")
    runs = (
        _run(run, "ok", ("healthy",), worse, 1e-4, events=(burst,)),
        _run(run, "overfit", ("overfitting",), curve, 1e-3),
        _run(run, "nan", ("healthy",), broken, 1e-2),
        _run(run, "blew", (), curve, 1e-1, events=(blown,)),
    )
    table = sweeps.sweep_table(replace(report, runs=runs))
    assert table["caveat"].tolist() == ["", "labelled overfitting", "non-finite validation values", "diverged"]
    best = sweeps.sweep_best(table, "hp.lr", "best_val_loss")
    assert (best.run, best.set_aside, best.caveat) == ("ok", 3, "")
    assert best.describe().endswith("3 runs with a problem label, a divergence or non-finite validation values set aside.")
    only_bad = sweeps.sweep_best(table[table["run"] != "ok"], "hp.lr", "best_val_loss")
    assert only_bad.caveat and only_bad.describe().endswith(f"Every run has a problem; this one is {only_bad.caveat}.")
