"""Accuracy on a labelled corpus: per-label precision, recall and F1, macro-F1, the confusion
matrix, the healthy runs' false-alarm rate and the calibration of the confidences, for the rules
alone, the model alone and both, against ``TARGETS``.

A labelled corpus is a directory with ``labels.csv`` (columns ``run`` and ``label``, and
optionally ``split``, ``family`` (runs made alike: the same data and model; by default the run
name's first path part) and ``classes``, the number of classes a user would pass with
``--classes``; a run with several labels has one row per label) beside its logs (in ``runs/``
or the directory itself). ``run`` is the run's name as ``curvescope.read`` gives it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .assemble.read import read
from .diagnose import HEALTHY, LABELS, LearnedModel, diagnose, select
from .diagnose.diagnosis import RunDiagnosis
from .diagnose.labels import PROBLEMS
from .diagnose.learned import fit
from .errors import InvalidParameterError, SchemaError
from .evaluation.calibration import calibration_error, reliability
from .features import FEATURES
from .features.extract import measure, table
from .features.measured import RunContext

MANIFEST = "labels.csv"
MODES = ("rules", "model", "combined")
TARGETS = {"macro_f1": 0.90, "recall": 0.85, "healthy_false_alarms": 0.05, "calibration_error": 0.05}
"""What the combined diagnosis must reach on held-out families and across corpora, both ways."""
CONFIDENCE = "confidence"
"""The column of a prediction frame holding the primary label's confidence."""


def confidence_of(label: str) -> str:
    """The column of a prediction frame holding the confidence that the run has ``label``."""
    return f"{CONFIDENCE}:{label}"


@dataclass(frozen=True)
class LabelledRuns:
    """Runs with known labels: each run measured, by name, and the truth (runs × ``LABELS``, booleans);
    the rows read (``scalars``, the tidy frame) and the class counts used, to measure the runs again cut short."""

    runs: dict[str, RunContext]
    truth: pd.DataFrame
    manifest: pd.DataFrame
    scalars: pd.DataFrame
    classes: dict[str, int] | None = None


@dataclass(frozen=True)
class Scores:
    """How one way of diagnosing did: per-label scores, confusion of primary labels, false alarms."""

    per_label: pd.DataFrame
    """Rows ``LABELS`` then ``macro``; columns precision, recall, f1, support."""
    confusion: pd.DataFrame
    """True label (rows) against primary predicted label (columns), counts."""
    healthy_false_alarms: float
    """Share of healthy runs that were given a problem label."""
    reliability: pd.DataFrame
    """The primary label's confidence against whether the run has it: ``calibration.reliability``'s table."""
    label_calibration_errors: pd.Series
    """Per label, the calibration error of the confidence that a run has it (one label against the rest)."""
    agreement: float = float("nan")
    """Share of runs whose labels given are exactly their true labels (the same set)."""

    @property
    def macro_f1(self) -> float:
        return float(self.per_label.loc["macro", "f1"])

    @property
    def calibration_error(self) -> float:
        """The expected calibration error of the primary label's confidence."""
        return calibration_error(self.reliability)

    def targets(self) -> pd.DataFrame:
        """Each of ``TARGETS`` (every label's recall on its own row): the value reached, the target,
        whether it is met, and by how much it was missed (0 when met)."""
        at_least = {"macro-F1": (self.macro_f1, TARGETS["macro_f1"])}
        at_least |= {f"recall {label}": (self.per_label.loc[label, "recall"], TARGETS["recall"]) for label in LABELS}
        at_most = {
            "healthy false alarms": (self.healthy_false_alarms, TARGETS["healthy_false_alarms"]),
            "calibration error": (self.calibration_error, TARGETS["calibration_error"]),
        }
        rows = [(name, value, target, ">=", max(target - value, 0.0)) for name, (value, target) in at_least.items()]
        rows += [(name, value, target, "<=", max(value - target, 0.0)) for name, (value, target) in at_most.items()]
        checks = pd.DataFrame(rows, columns=["target", "value", "goal", "direction", "missed_by"]).set_index("target")
        checks["missed_by"] = checks["missed_by"].where(checks["value"].notna(), float("nan"))
        checks.insert(3, "met", checks["missed_by"] == 0)
        return checks

    def meets_targets(self) -> bool:
        return bool(self.targets()["met"].all())


def load(path: str | os.PathLike[str], *, split: str | None = None, use_classes: bool = True) -> LabelledRuns:
    """Read a labelled corpus (only the runs of ``split`` when given) and measure every run.

    ``use_classes=False`` ignores the manifest's class counts, as for a user who does not pass
    ``--classes``: the chance level is then known only where a first accuracy shows it."""
    root = Path(path)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise SchemaError(
            f"{root}: no {MANIFEST} found. A labelled corpus holds {MANIFEST} (columns run, label) beside its logs."
        )
    manifest = pd.read_csv(manifest_path, dtype="str", keep_default_na=False)
    for column in ("run", "label"):
        if column not in manifest.columns:
            raise SchemaError(f"{manifest_path}: column {column!r} is missing (found: {', '.join(manifest.columns)}).")
    unknown = sorted(set(manifest["label"]) - set(LABELS))
    if unknown:
        raise SchemaError(f"{manifest_path}: unknown labels {', '.join(unknown)}; labels are {', '.join(LABELS)}.")
    if split is not None:
        if "split" not in manifest.columns:
            raise SchemaError(f"{manifest_path}: no 'split' column, so split={split!r} cannot be chosen.")
        manifest = manifest[manifest["split"] == split]
        if manifest.empty:
            raise InvalidParameterError(f"{manifest_path}: no run is in split {split!r}.")
    logs = root / "runs" if (root / "runs").is_dir() else root
    reading = read(logs)
    missing = sorted(set(manifest["run"]) - set(reading.runs))
    if missing:
        raise SchemaError(f"{manifest_path}: {len(missing)} labelled runs were not found in {logs}: {', '.join(missing[:5])}.")
    classes = None
    if use_classes and "classes" in manifest.columns:  # what a user would pass as --classes
        known = manifest[manifest["classes"] != ""].drop_duplicates("run")
        classes = {run: int(count) for run, count in zip(known["run"], known["classes"])}
    runs = sorted(set(manifest["run"]))
    scalars = reading.scalars[reading.scalars["run"].isin(runs)].reset_index(drop=True)
    measured = measure(replace(reading, scalars=scalars, runs=tuple(runs)), classes=classes)  # only the runs labelled
    truth = pd.DataFrame(False, index=pd.Index(runs, name="run", dtype="str"), columns=list(LABELS))
    for run, label in zip(manifest["run"], manifest["label"]):
        truth.loc[run, label] = True
    return LabelledRuns(measured, truth, manifest.reset_index(drop=True), scalars, classes)


def train(corpus: LabelledRuns, *, seed: int = 0, trained_on: str = "", class_blind: bool = True) -> LearnedModel:
    """Fit the learned model on a labelled corpus; ``class_blind=False`` leaves out the class-blind model,
    which judges only runs whose chance level is unknown (a quicker fit where every run's is known)."""
    features = table(corpus.runs.values())
    return fit(features, corpus.truth, features=tuple(FEATURES), seed=seed, trained_on=trained_on, class_blind=class_blind)


def predict(corpus: LabelledRuns, mode: str, model: LearnedModel | None) -> pd.DataFrame:
    """Labels given to each run (runs × ``LABELS``, booleans), the primary label and its ``CONFIDENCE``,
    and the confidence of every label (``confidence_of``), by one way of diagnosing."""
    if mode not in MODES:
        raise InvalidParameterError(f"The 'mode' parameter must be one of {', '.join(MODES)}. Got {mode!r} instead.")
    if mode != "rules" and model is None:
        raise InvalidParameterError(f"mode {mode!r} needs a learned model.")
    rules = [] if mode == "model" else select()
    model = None if mode == "rules" else model
    runs = list(corpus.runs.values())
    diagnosed = diagnose(runs, rules, model)
    given = pd.DataFrame(False, index=corpus.truth.index, columns=list(LABELS))
    primary = pd.Series(HEALTHY, index=corpus.truth.index, dtype="str", name="primary")
    confidence = pd.Series(0.0, index=corpus.truth.index, name=CONFIDENCE)
    by_label = {}
    for d in diagnosed:
        given.loc[d.run, list(d.labels)] = True
        primary[d.run] = d.primary_label or "not_judged"
        confidence[d.run] = d.confidence
        by_label[d.run] = _label_confidences(d)
    label_confidence = pd.DataFrame.from_dict(by_label, orient="index", columns=list(LABELS)).reindex(corpus.truth.index)
    label_confidence.columns = [confidence_of(label) for label in LABELS]
    return pd.concat([given.assign(primary=primary, **{CONFIDENCE: confidence}), label_confidence.fillna(0.0)], axis=1)


def _label_confidences(diagnosed: RunDiagnosis) -> dict[str, float]:
    """The confidence in each label, given or not, as the diagnosis weighed it (a label not judged has 0);
    healthy has the run's confidence when it is the run's label (0 when nothing was judged), else one minus
    the strongest problem label's."""
    found = {label: diagnosed.scores.get(label, 0.0) for label in PROBLEMS}
    if diagnosed.labels == (HEALTHY,) or not diagnosed.labels:  # healthy, or nothing could be judged (confidence 0)
        found[HEALTHY] = diagnosed.confidence
    else:
        found[HEALTHY] = 1.0 - max(found.values())
    return found


def score(truth: pd.DataFrame, predicted: pd.DataFrame) -> Scores:
    """Per-label precision, recall and F1 (a run counts for every label it has), macro over labels,
    the confusion of true against primary label, the healthy false-alarm rate, and the calibration of
    the primary label's confidence and of each label's."""
    truth = truth.loc[predicted.index]
    rows = {}
    for label in LABELS:
        t, p = truth[label].to_numpy(), predicted[label].to_numpy()
        hits = int((t & p).sum())
        precision = hits / p.sum() if p.sum() else 0.0
        recall = hits / t.sum() if t.sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(t.sum())}
    per_label = pd.DataFrame.from_dict(rows, orient="index")
    per_label.loc["macro"] = [*per_label[["precision", "recall", "f1"]].mean(), int(per_label["support"].sum())]
    per_label["support"] = per_label["support"].astype("int64")
    true_primary = truth.idxmax(axis=1)
    columns = [*LABELS] + (["not_judged"] if (predicted["primary"] == "not_judged").any() else [])
    confusion = pd.crosstab(
        pd.Categorical(true_primary, categories=list(LABELS)),
        pd.Categorical(predicted["primary"], categories=columns),
        dropna=False,
        rownames=["true"],
        colnames=["predicted"],
    )
    healthy = truth[HEALTHY].to_numpy()
    problems = predicted[[label for label in LABELS if label != HEALTHY]].any(axis=1).to_numpy()
    alarms = float(problems[healthy].mean()) if healthy.any() else float("nan")
    right = [bool(truth.loc[run, label]) if label in LABELS else False for run, label in predicted["primary"].items()]
    label_errors = pd.Series(
        {label: calibration_error(reliability(predicted[confidence_of(label)], truth[label])) for label in LABELS},
        name="calibration_error",
    )
    same = (truth[list(LABELS)].to_numpy() == predicted[list(LABELS)].to_numpy()).all(axis=1)
    return Scores(per_label, confusion, alarms, reliability(predicted[CONFIDENCE], right), label_errors, float(same.mean()))


def evaluate(corpus: LabelledRuns, model: LearnedModel | None) -> dict[str, Scores]:
    """Scores of each way of diagnosing (the rules alone, the model alone, both) on ``corpus``."""
    modes = MODES if model is not None else ("rules",)
    return {mode: score(corpus.truth, predict(corpus, mode, model)) for mode in modes}
