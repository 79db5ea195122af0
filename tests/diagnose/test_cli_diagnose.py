"""The diagnosis commands: audit, rules, explain, eval and train, each a thin call into the library."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

import curvescope
from curvescope import evaluate
from curvescope.cli import app
from curvescope.diagnose import LABELS, LearnedModel, learned, model_codes, rules
from curvescope.features import FEATURES
from curvescope.findings import KINDS
from tests.conftest import FIXTURES
from tests.diagnose import curves as c

DEMO = FIXTURES / "demo"
SECTIONS = ("What it detects", "Why it matters", "Example", "What to try")

# the labelled corpus: planted runs, five per label, each labelled with the shape it was drawn for;
# named so that sorting by name cycles through the labels (cross-validation folds then mix them)
SHAPES = {
    "healthy": [
        lambda s: c.healthy(s, lr="constant"),
        lambda s: c.healthy(s, lr="late_step"),
        lambda s: c.healthy(s, lr="warmup_cosine"),
        lambda s: c.healthy(s, noise=0.02),
        c.val_loss_flattens,
    ],
    "bad_init": [
        c.first_loss_far_above_chance,
        c.flat_start_then_drop,
        c.first_loss_far_above_chance,
        c.flat_start_then_drop,
        c.first_loss_far_above_chance,
    ],
    "lr_too_high": [c.diverges_to_nan, c.explodes, lambda s: c.oscillates((1, 2, 4)[s % 3]), c.diverges_to_nan, c.explodes],
    "decay_too_early": [
        c.cut_while_improving,
        c.decays_to_floor_early,
        c.cut_inferred_from_loss,
        c.cut_while_improving,
        c.decays_to_floor_early,
    ],
    "overfitting": [
        c.val_loss_u_shape,
        c.val_acc_peaks_then_falls,
        c.val_loss_u_shape,
        c.val_acc_peaks_then_falls,
        c.val_loss_u_shape,
    ],
    "underfitting": [c.barely_falls] * 5,
}
CORPUS = {f"r{i}{j}-{label}": (builds[i](i), label) for i in range(5) for j, (label, builds) in enumerate(SHAPES.items())}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tree fitting and prediction on a few dozen runs: OpenMP threads only cost time."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return c.write_corpus(tmp_path_factory.mktemp("corpus"), CORPUS)


@pytest.fixture(scope="module")
def trained(runner, corpus, tmp_path_factory):
    """The result of `curvescope train` on the corpus, and the model file it wrote."""
    output = tmp_path_factory.mktemp("trained") / "model.skops"
    result = runner.invoke(app, ["train", str(corpus), "--output", str(output)])
    return result, output


@pytest.fixture
def no_shipped_model(monkeypatch, tmp_path):
    learned.shipped_model.cache_clear()
    monkeypatch.setattr(learned, "shipped_model_path", lambda: tmp_path / "missing" / "model.skops")
    yield
    learned.shipped_model.cache_clear()


def _one_error_line(result) -> str:
    """Exit 2 and one `error:` line on stderr (after any warnings; `Error:` for a usage error caught
    while parsing the options), no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith(("error: ", "Error: "))]
    assert len(errors) == 1 and all(line.startswith(("error: ", "Error: ", "warning: ")) for line in lines), result.stderr
    return errors[0]


# --- rules and explain ----------------------------------------------------------------------------


def test_rules_lists_every_rule_and_model_code(runner):
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0, result.output
    for code, rule in rules().items():
        assert code in result.stdout and rule.name in result.stdout
    for code in model_codes().values():
        assert code in result.stdout


@pytest.mark.slow
def test_rules_through_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "curvescope", "rules"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert all(code in done.stdout for code in rules())
    assert done.stderr == ""


@pytest.mark.parametrize("code", list(rules()))
def test_explain_prints_the_rule_doc_sections_and_parameters(runner, code):
    result = runner.invoke(app, ["explain", code])
    assert result.exit_code == 0, result.output
    rule = rules()[code]
    assert result.stdout.startswith(f"{code} {rule.name}")
    for section in SECTIONS:
        assert f"{section}:" in result.stdout
    assert "Parameters:" in result.stdout
    for name, value in rule().get_params().items():
        assert f"{name} = {value}" in result.stdout


def test_explain_cs401_names_its_label_and_thresholds(runner):
    result = runner.invoke(app, ["explain", "CS401"])
    assert result.exit_code == 0
    assert "overfitting" in result.stdout
    assert "min_rise" in result.stdout and "max_best_position" in result.stdout
    assert rules()["CS401"].sections()["What to try"].splitlines()[0].strip() in result.stdout


@pytest.mark.parametrize("given", ["cs003", "CS003", " cs003 "])
def test_explain_a_finding_code_in_any_case(runner, given):
    result = runner.invoke(app, ["explain", given])
    assert result.exit_code == 0, result.output
    assert "CS003" in result.stdout and KINDS["CS003"].name in result.stdout
    assert KINDS["CS003"].summary in result.stdout


def test_explain_a_model_code(runner):
    result = runner.invoke(app, ["explain", "CS904"])
    assert result.exit_code == 0
    assert "overfitting" in result.stdout


@pytest.mark.parametrize("code", ["CS999", "hello", "CS40"])
def test_explain_an_unknown_code_is_one_line_and_exit_two(runner, code):
    result = runner.invoke(app, ["explain", code])
    line = _one_error_line(result)
    assert code in line and "curvescope rules" in line
    assert result.stdout == ""


# --- audit ----------------------------------------------------------------------------------------


def test_audit_json_equals_the_api(runner):
    result = runner.invoke(app, ["audit", str(DEMO), "--no-model", "--format", "json"])
    assert result.exit_code == 0, result.output
    expected = json.loads(json.dumps(curvescope.audit(DEMO, model=False).to_dict()))
    assert json.loads(result.stdout) == expected


def test_audit_json_of_planted_runs_carries_the_diagnoses(runner, tmp_path):
    runs = {"u-shape": (c.val_loss_u_shape(), "overfitting"), "healthy": (c.healthy(), "healthy")}
    root = c.write_corpus(tmp_path, runs)
    result = runner.invoke(app, ["audit", str(root / "runs"), "--no-model", "--format", "json"])
    assert result.exit_code == 0, result.output
    by_run = {run["run"]: run for run in json.loads(result.stdout)["runs"]}
    assert by_run["u-shape"]["labels"] == ["overfitting"]
    assert "CS401" in {d["code"] for d in by_run["u-shape"]["diagnoses"]}
    assert by_run["healthy"]["labels"] == ["healthy"]


def test_audit_select_and_ignore_reach_the_report(runner):
    result = runner.invoke(app, ["audit", str(DEMO), "--no-model", "--format", "json", "--select", "CS4", "--ignore", "CS402"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["rules"] == [
        code for code in rules() if code.startswith("CS4") and code != "CS402"
    ]


def test_audit_table_lists_every_run(runner):
    result = runner.invoke(app, ["audit", str(DEMO), "--no-model"])
    assert result.exit_code == 0, result.output
    for run in curvescope.read(DEMO).runs:
        assert run in result.stdout
    assert f"{len(curvescope.read(DEMO).runs)} runs:" in result.stdout


@pytest.mark.parametrize("args", [["--select", "CS9"], ["--ignore", "XY"], ["--classes", "1"]])
def test_audit_bad_options_are_one_line_and_exit_two(runner, args):
    _one_error_line(runner.invoke(app, ["audit", str(DEMO), "--no-model", *args]))


def test_audit_without_the_shipped_model_warns_and_diagnoses_by_rules(runner, no_shipped_model):
    result = runner.invoke(app, ["audit", str(DEMO), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "CS015" in {f["code"] for f in report["findings"]}
    assert report["settings"]["model"] is None


# --- train and eval -------------------------------------------------------------------------------


@pytest.mark.slow
def test_train_writes_a_model_that_loads(trained):
    result, output = trained
    assert result.exit_code == 0, result.output
    assert str(output) in result.stdout and f"{len(CORPUS)} runs" in result.stdout
    model, findings = LearnedModel.load(output)
    assert findings == []
    assert model.labels == LABELS and model.features == tuple(FEATURES)
    assert "train" in model.trained_on


def _block(text: str, mode: str) -> dict[str, list[str]]:
    """The per-label rows (precision, recall, f1, support, calibration error) of one mode's block of `eval` output."""
    table = text.split(f"== {mode} ==", 1)[1].split("macro-F1", 1)[0]
    rows = [line.split() for line in table.splitlines()]
    return {row[0]: row[1:] for row in rows if row and row[0] in (*LABELS, "macro")}


def test_eval_scores_rules_model_and_both(runner, corpus, tmp_path):
    model = tmp_path / "model.skops"
    c.light_model().save(model)
    result = runner.invoke(app, ["eval", str(corpus), "--split", "train", "--model", str(model)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{len(CORPUS)} labelled runs (split: train)")
    for mode in ("rules", "model", "combined"):
        rows = _block(result.stdout, mode)
        assert set(rows) == {*LABELS, "macro"}, mode
        assert all(len(row) == 5 for row in rows.values())
    assert "precision" in result.stdout and "recall" in result.stdout and "f1" in result.stdout
    summaries = [line for line in result.stdout.splitlines() if line.startswith("macro-F1 ")]
    assert len(summaries) == 3 and all("calibration error" in line and "targets met" in line for line in summaries)


def test_eval_of_the_rules_on_planted_runs_is_perfect(runner, corpus, no_shipped_model):
    """The corpus is drawn far past every threshold: the rules alone get every label right."""
    result = runner.invoke(app, ["eval", str(corpus), "--split", "train"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr, "the missing shipped model is said on stderr"
    assert "== model ==" not in result.stdout and "== combined ==" not in result.stdout
    rows = _block(result.stdout, "rules")
    for label in LABELS:
        precision, recall, f1, support, _ = rows[label]
        assert int(support) == sum(given == label for _, given in CORPUS.values())
        assert (precision, recall, f1) == ("1.000", "1.000", "1.000"), (label, rows[label])
    assert "healthy false alarms 0.0%" in result.stdout


def test_eval_and_the_audit_judge_the_same_runs_alike(corpus):
    """Eval measures and diagnoses with the audit's own functions: the same runs get the same labels
    (by the rules alone, and with the model) and the same features."""
    model, findings = learned.shipped_model()
    assert model is not None, findings
    labelled = evaluate.load(corpus)
    for mode, audited in (("rules", False), ("combined", model)):
        predicted = evaluate.predict(labelled, mode, model)
        report = curvescope.audit(corpus / "runs", model=audited)
        assert sorted(run.run for run in report) == list(predicted.index)
        for run in report:
            given = predicted.loc[run.run]
            assert set(run.labels) == {label for label in LABELS if given[label]}, (mode, run.run)
            assert (run.primary_label or "not_judged") == given["primary"], (mode, run.run)
            assert run.features == pytest.approx(labelled.runs[run.run].values, nan_ok=True), run.run


def test_eval_of_a_split_with_no_runs_is_an_error(runner, corpus, no_shipped_model):
    _one_error_line(runner.invoke(app, ["eval", str(corpus), "--split", "test"]))


def test_eval_of_a_directory_without_labels_is_an_error(runner, no_shipped_model):
    line = _one_error_line(runner.invoke(app, ["eval", str(DEMO)]))
    assert "labels.csv" in line


def test_eval_of_a_corpus_with_an_unknown_label_is_an_error(runner, tmp_path, no_shipped_model):
    root = c.write_corpus(tmp_path, {"a": (c.healthy(), "healthy")})
    pd.DataFrame({"run": ["a"], "label": ["sleepy"], "split": ["test"]}).to_csv(root / "labels.csv", index=False)
    line = _one_error_line(runner.invoke(app, ["eval", str(root)]))
    assert "sleepy" in line


def test_train_on_too_few_runs_is_a_clear_error(runner, tmp_path):
    """Three runs cannot train a five-fold calibrated model: that is bad input (exit 2, one line naming
    the problem), not an unexpected crash."""
    runs = {"a": (c.healthy(0), "healthy"), "b": (c.val_loss_u_shape(0), "overfitting"), "d": (c.barely_falls(0), "underfitting")}
    root = c.write_corpus(tmp_path, runs)
    line = _one_error_line(runner.invoke(app, ["train", str(root), "--output", str(tmp_path / "m.skops")]))
    assert "unexpected" not in line, line
    assert not (tmp_path / "m.skops").exists()
