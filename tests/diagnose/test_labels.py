"""The label registry: every label complete, and a new label (one record, one rule, one recipe) reaching
the CLI and the HTML report with no other edit."""

from __future__ import annotations

import csv
import importlib
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import curvescope
from curvescope.cli import app
from curvescope.diagnose import LABELS, PROBLEMS, Label, Rule, label, model_codes, register, register_label, rules
from curvescope.diagnose import labels as labels_module
from curvescope.diagnose import registry as rules_module
from curvescope.diagnose.diagnosis import Evidence
from curvescope.errors import PluginError
from curvescope.features.events import KINDS as EVENT_KINDS
from curvescope.features.extract import FEATURES
from curvescope.report.drawing import colour_name
from tests.conftest import FIXTURES

# --- completeness -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(LABELS))
def test_every_label_is_complete(name):
    record = label(name)
    assert record.meaning and record.fix and record.colour
    assert set(record.evidence) <= set(EVENT_KINDS), "evidence names located event kinds"
    assert set(record.key_features) <= set(FEATURES), "key features are features"
    assert set(record.explains) <= set(PROBLEMS) - {name}
    if name in PROBLEMS:
        assert record.needs, "a problem names the curves it needs"
        assert any(rule.label == name for rule in rules().values()), "a problem has at least one rule"
        assert record.evidence and record.key_features


def test_labels_differ_in_family_code_and_colour():
    records = [label(name) for name in LABELS]
    assert len({r.colour for r in records}) == len(records)
    assert len({colour_name(r.colour) for r in records}) == len(records), "and in the app's badges"
    assert len(set(model_codes().values())) == len(PROBLEMS)
    assert list(LABELS)[-1] == "healthy" and "healthy" not in PROBLEMS


def test_every_problem_label_has_a_corpus_recipe():
    sys.path.insert(0, str(FIXTURES / "corpus"))
    try:
        recipes = importlib.import_module("recipes")
    finally:
        sys.path.remove(str(FIXTURES / "corpus"))
    assert set(recipes.RECIPES) == set(PROBLEMS)


def test_rule_codes_stay_in_their_labels_family(fresh):
    class Misfiled(Rule):
        code, name, label = "CS451", "misfiled-rule", "underfitting"

    with pytest.raises(PluginError, match="CS4xx are overfitting's rules"):
        register(Misfiled)


def test_a_label_clashing_in_name_or_family_is_refused(fresh):
    with pytest.raises(PluginError, match="clashes with label overfitting"):
        register_label(Label("overfitting_again", 4, "m", "f", "#123456"))
    with pytest.raises(PluginError, match="snake_case"):
        register_label(Label("Bad-Name", 7, "m", "f", "#123456"))


def test_an_unknown_feature_name_raises_instead_of_reading_nan():
    context = curvescope.diagnose.RunContext("run", {"train_drop": 0.5}, (), {})
    assert context.value("train_drop") == 0.5
    with pytest.raises(KeyError, match="'train_dorp' is not a feature"):
        context.value("train_dorp")


# --- a new label, end to end ---------------------------------------------------------------------


@pytest.fixture
def fresh(monkeypatch):
    """The label and rule registries as they are, restored after the test."""
    monkeypatch.setattr(labels_module, "_LABELS", dict(labels_module._LABELS))
    monkeypatch.setattr(rules_module, "_RULES", dict(rules_module._RULES))


class LossStaysHuge(Rule):
    """The training loss ends above 100.

    What it detects:
    A last finite training loss above ``limit``.

    Why it matters:
    An example of a label added by a plugin.

    Example:
    train/loss ends at 480.

    What to try:
    Scale the loss.
    """

    code = "CS601"
    name = "loss-stays-huge"
    label = "example_label"

    def __init__(self, limit: float = 100.0):
        self.limit = limit

    def check(self, context):
        last = context.last("train_loss")
        if last is not None and last[1] > self.limit:
            where = Evidence("final_loss", f"the loss ends at {last[1]:.4g}", last[0], last[0], last[1], self.limit, "train_loss")
            yield self.diagnose(
                context, 0.9, f"the loss ends at {last[1]:.4g}", self.fix(f"it ends at step {last[0]:,}"), [where]
            )


EXAMPLE = Label("example_label", 6, "the loss is on another scale", "divide the loss by its batch size", "#00838f")


def example_recipe(folder):
    """A run that shows ``example_label``: a loss falling from 1,000 to 480, as a CSV log."""
    steps = np.arange(60)
    loss = 480 + 520 * np.exp(-steps / 10)
    with (folder / "metrics.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "train_loss"])
        writer.writerows(zip(steps.tolist(), loss.tolist()))


@pytest.fixture
def example_run(fresh, tmp_path):
    register_label(EXAMPLE)
    register(LossStaysHuge)
    example_recipe(tmp_path)
    return tmp_path


def test_a_new_label_reaches_the_api_and_the_cli(example_run):
    assert "example_label" in LABELS and "example_label" in PROBLEMS and model_codes()["example_label"] == "CS906"
    report = curvescope.audit(example_run, cache=False)
    (run,) = report.runs
    assert "example_label" in run.labels
    assert run.fix.startswith("it ends at step 59; divide the loss by its batch size")
    runner = CliRunner()
    table = runner.invoke(app, ["audit", str(example_run), "--no-cache"], terminal_width=200)
    assert "example_label" in table.output
    gate = runner.invoke(app, ["audit", str(example_run), "--no-cache", "--fail-on", "example_label", "--quiet"])
    assert gate.exit_code == 1, gate.output
    listed = runner.invoke(app, ["rules"], terminal_width=200)
    assert "CS601" in listed.output and "CS906" in listed.output


def test_a_new_label_reaches_the_html_report_in_its_colour(example_run):
    page = curvescope.audit(example_run, cache=False).to_html()
    assert 'style="background:#00838f" title="the loss is on another scale">example_label' in page


def test_a_new_label_reaches_the_app_in_its_colour(example_run, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP, TIMEOUT, assert_clean, texts

    monkeypatch.setattr(sys, "argv", [str(APP), str(example_run)])
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_clean(at)
    assert "example_label" in at.sidebar.multiselect(key="filter_labels_widget").options
    assert ":blue-badge[example_label" in texts(at), "#00838f is drawn as the nearest badge colour"
