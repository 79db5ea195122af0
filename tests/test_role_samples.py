"""Role choice on real logs: the curve a person would pick for each role, and why (fixtures/roles/SOURCES.md)."""

import json

import pytest
from typer.testing import CliRunner

import curvescope
from curvescope.cli import app
from tests.conftest import ROOT

ULTRALYTICS = ROOT / "fixtures" / "roles" / "ultralytics_detect"
RUN = "runs/detect/train"


@pytest.fixture(scope="module")
def ultralytics():
    return curvescope.read(ULTRALYTICS)


def test_ultralytics_losses_are_the_sums_of_their_components(ultralytics):
    assert ultralytics.roles[RUN] == {
        "train_loss": "train/loss_sum",
        "val_loss": "val/loss_sum",
        "val_acc": "metrics/mAP50(B)",
        "lr": "lr/pg1",
    }
    train = ultralytics.curve(RUN, "train_loss")
    assert list(train.index) == list(range(1, 11))
    # epoch 1: box 0.83937 + cls 2.8312 + dfl 1.0482; epoch 10: 0.68224 + 0.38142 + 1.044
    assert train.iloc[0] == pytest.approx(4.71877) and train.iloc[-1] == pytest.approx(2.10766)
    assert ultralytics.curve(RUN, "val_loss").iloc[3] == pytest.approx(0.77427 + 8.7635 + 0.72017)


def test_the_components_stay_tags_without_a_role(ultralytics):
    rows = ultralytics.run(RUN)
    components = rows[rows["tag"].isin(["train/box_loss", "train/cls_loss", "train/dfl_loss", "val/cls_loss"])]
    assert len(components) == 40 and components["role"].isna().all()
    assert set(components["source"].astype(str)) == {"runs/detect/train/results.csv"}


def test_the_roles_are_explained(ultralytics):
    choices = ultralytics.explanations[RUN]
    assert choices["train_loss"].reason.startswith("derived: the sum of train/box_loss, train/cls_loss, train/dfl_loss")
    assert dict(choices["train_loss"].others)["train/dfl_loss"] == "one component of the sum; it stays a tag"
    assert "group 1 holds the conv weights with weight decay" in choices["lr"].reason
    assert "biases" in dict(choices["lr"].others)["lr/pg0"]
    assert choices["val_acc"].direction == "higher" and "higher is better" in choices["val_acc"].reason
    assert dict(choices["val_acc"].others)["metrics/precision(B)"] == (
        "as many points as metrics/mAP50(B), which comes first by name"
    )


def test_read_explains_roles_in_text_and_json():
    runner = CliRunner()
    text = runner.invoke(app, ["read", str(ULTRALYTICS), "--explain-roles"])
    assert text.exit_code == 0, text.output
    assert "train_loss = train/loss_sum: derived: the sum of train/box_loss" in text.output
    assert "not lr/pg0:" in text.output
    shown = runner.invoke(app, ["read", str(ULTRALYTICS), "--format", "json"])
    run = json.loads(shown.stdout)["runs"][0]
    assert run["role_choices"]["lr"]["tag"] == "lr/pg1"
    assert run["role_choices"]["val_loss"]["direction"] == "lower"
    assert {other["tag"] for other in run["role_choices"]["val_acc"]["others"]} == {
        "metrics/mAP50-95(B)",
        "metrics/precision(B)",
        "metrics/recall(B)",
    }


def test_a_top1_accuracy_under_another_name_is_the_validation_metric_not_top5():
    # the CF-ViT log.txt (fixtures/formats/SOURCES.md) logs test_{96,192,384}_acc1 and _acc5, no validation loss
    result = curvescope.read(ROOT / "fixtures" / "formats" / "cfvit_log_txt")
    choice = result.explanations["output"]["val_acc"]
    assert choice.tag.endswith("_acc1") and choice.direction == "higher"
    assert not any(tag.endswith("_acc5") for tag, _ in choice.others)
