"""Runs read as a kind of their own: RL (reward tells progress), fine-tunes (a loss that barely falls is
no underfitting), and training and validation losses on different scales (no gap measured)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import curvescope
from curvescope.assemble.kinds import kind_findings, pretrained_source, run_kinds
from curvescope.diagnose.labels import PROBLEMS
from curvescope.features.extract import measure


def _frame(run: str, curves: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"run": run, "tag": tag, "step": np.arange(len(v)), "value": v}) for tag, v in curves.items()])


STEPS = np.arange(60)
SLOW = 0.40 - 0.04 * STEPS / 59  # falls to 90% of its first level, smoothly: "loss barely falls"


def _audit(frame: pd.DataFrame, hparams: dict | None = None):
    reading = curvescope.read_frame(frame)
    if hparams:
        kinds = run_kinds(reading.roles, hparams)
        reading = replace(reading, hparams=hparams, kinds=kinds, findings=(*reading.findings, *kind_findings(kinds)))
    return curvescope.audit(reading, model=False, cache=False)


def test_a_loss_that_barely_falls_is_underfitting_from_scratch():
    report = _audit(_frame("scratch", {"train/loss": SLOW}))
    assert "CS501" in {d.code for d in report["scratch"].diagnosis.diagnoses}


def test_a_fine_tune_named_by_its_hyperparameters_is_not_underfitting():
    report = _audit(_frame("bert", {"train/loss": SLOW}), {"bert": {"model_name_or_path": "bert-base-uncased"}})
    run = report["bert"]
    assert "CS501" not in {d.code for d in run.diagnosis.diagnoses}
    assert [f.message for f in run.findings if f.code == "CS020"] == [
        "a fine-tune: its hyperparameters name a pretrained model (model_name_or_path=bert-base-uncased); "
        "a loss that barely falls is not read as underfitting"
    ]


def test_a_first_loss_far_below_chance_is_a_fine_tune():
    frame = _frame("low", {"train/loss": SLOW, "train/acc": np.full(60, 0.9)})
    report = curvescope.audit(curvescope.read_frame(frame), model=False, cache=False, classes=10)
    run = report["low"]
    assert "CS501" not in {d.code for d in run.diagnosis.diagnoses}
    assert [f.code for f in run.findings] == ["CS020"]
    assert "its first training loss is 0.17 of the chance level ln(10)" in run.findings[0].message


@pytest.mark.parametrize(
    "hparams, source",
    [
        ({"model_name_or_path": "roberta-base"}, "model_name_or_path=roberta-base"),
        ({"model.pretrained": True}, "model.pretrained=True"),
        ({"init_checkpoint": "gs://bert/model.ckpt"}, "init_checkpoint=gs://bert/model.ckpt"),
        ({"pretrained": False}, None),
        ({"model_name_or_path": "none"}, None),
        ({"lr": 0.1}, None),
    ],
)
def test_pretrained_hyperparameters(hparams, source):
    assert pretrained_source(hparams) == source


def test_an_rl_run_is_judged_on_no_loss_shape():
    reward = np.linspace(10, 200, 60)
    frame = _frame("ppo", {"rollout/ep_rew_mean": reward, "train/loss": np.linspace(0.1, 5.0, 60), "train/value_loss": SLOW})
    report = curvescope.audit(frame, model=False, cache=False)
    run = report["ppo"]
    assert run.diagnosis.labels == ("healthy",), "its reward rose tenfold: healthy, on the one curve that tells"
    assert run.confidence <= 0.6 and "rollout/ep_rew_mean rose from" in run.diagnosis.progress
    assert set(run.diagnosis.not_judged) == set(PROBLEMS)
    assert all("not judged on an RL run: reward (rollout/ep_rew_mean)" in why for why in run.diagnosis.not_judged.values())
    assert [f.code for f in run.findings] == ["CS019"]


def test_losses_on_different_scales_get_a_finding_and_no_gap():
    frame = _frame("summed", {"train_loss": 3200 * (0.5 + np.exp(-STEPS / 20)), "val_loss": 0.5 + np.exp(-STEPS / 20)})
    reading = curvescope.read_frame(frame)
    assert [f.code for f in reading.findings] == ["CS018"]
    assert "differ 3,200x in scale" in reading.findings[0].message
    measured = measure(reading)["summed"]
    assert np.isnan(measured.value("gap_end")) and np.isnan(measured.value("gap_growth"))
    same_scale = measure(curvescope.read_frame(frame.assign(value=np.r_[frame["value"][:60] / 3200, frame["value"][60:]])))
    assert np.isfinite(same_scale["summed"].value("gap_end"))
