"""Accuracy on a labelled corpus: per-label precision, recall and F1, macro-F1, the confusion
matrix and the healthy runs' false-alarm rate, for the rules alone, the model alone and both.

A labelled corpus is a directory with ``labels.csv`` (columns ``run`` and ``label``, and
optionally ``split`` and ``classes``, the number of classes a user would pass with
``--classes``; a run with several labels has one row per label) beside its logs (in ``runs/``
or the directory itself). ``run`` is the run's name as ``curvescope.read`` gives it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .assemble.read import read
from .diagnose import HEALTHY, LABELS, LearnedModel, diagnose, select
from .diagnose.learned import fit
from .errors import InvalidParameterError, SchemaError
from .features import FEATURES
from .features.extract import measure, table
from .features.measured import RunContext

MANIFEST = "labels.csv"
MODES = ("rules", "model", "combined")
TARGETS = {"macro_f1": 0.90, "recall": 0.85, "healthy_false_alarms": 0.10}
"""What the combined diagnosis must reach on the held-out split."""


@dataclass(frozen=True)
class LabelledRuns:
    """Runs with known labels: each run measured, by name, and the truth (runs × ``LABELS``, booleans)."""

    runs: dict[str, RunContext]
    truth: pd.DataFrame
    manifest: pd.DataFrame


@dataclass(frozen=True)
class Scores:
    """How one way of diagnosing did: per-label scores, confusion of primary labels, false alarms."""

    per_label: pd.DataFrame
    """Rows ``LABELS`` then ``macro``; columns precision, recall, f1, support."""
    confusion: pd.DataFrame
    """True label (rows) against primary predicted label (columns), counts."""
    healthy_false_alarms: float
    """Share of healthy runs that were given a problem label."""

    @property
    def macro_f1(self) -> float:
        return float(self.per_label.loc["macro", "f1"])

    def meets_targets(self) -> bool:
        recalls = self.per_label.loc[list(LABELS), "recall"]
        return (
            self.macro_f1 >= TARGETS["macro_f1"]
            and bool((recalls >= TARGETS["recall"]).all())
            and self.healthy_false_alarms <= TARGETS["healthy_false_alarms"]
        )


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
    measured = measure(reading, classes=classes)
    runs = sorted(set(manifest["run"]))
    truth = pd.DataFrame(False, index=pd.Index(runs, name="run", dtype="str"), columns=list(LABELS))
    for run, label in zip(manifest["run"], manifest["label"]):
        truth.loc[run, label] = True
    return LabelledRuns({r: measured[r] for r in runs}, truth, manifest.reset_index(drop=True))


def train(corpus: LabelledRuns, *, seed: int = 0, trained_on: str = "") -> LearnedModel:
    """Fit the learned model on a labelled corpus."""
    return fit(table(corpus.runs.values()), corpus.truth, features=tuple(FEATURES), seed=seed, trained_on=trained_on)


def predict(corpus: LabelledRuns, mode: str, model: LearnedModel | None) -> pd.DataFrame:
    """Labels given to each run (runs × ``LABELS``, booleans) and the primary label, by one way of diagnosing."""
    if mode not in MODES:
        raise InvalidParameterError(f"The 'mode' parameter must be one of {', '.join(MODES)}. Got {mode!r} instead.")
    if mode != "rules" and model is None:
        raise InvalidParameterError(f"mode {mode!r} needs a learned model.")
    rules = [] if mode == "model" else select()
    diagnosed = diagnose(corpus.runs.values(), rules, None if mode == "rules" else model)
    given = pd.DataFrame(False, index=corpus.truth.index, columns=list(LABELS))
    primary = pd.Series(HEALTHY, index=corpus.truth.index, dtype="str", name="primary")
    for d in diagnosed:
        given.loc[d.run, list(d.labels)] = True
        primary[d.run] = d.primary_label or "not_judged"
    return given.assign(primary=primary)


def score(truth: pd.DataFrame, predicted: pd.DataFrame) -> Scores:
    """Per-label precision, recall and F1 (a run counts for every label it has), macro over labels,
    the confusion of true against primary label, and the healthy false-alarm rate."""
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
    return Scores(per_label, confusion, alarms)


def evaluate(corpus: LabelledRuns, model: LearnedModel | None) -> dict[str, Scores]:
    """Scores of each way of diagnosing (the rules alone, the model alone, both) on ``corpus``."""
    modes = MODES if model is not None else ("rules",)
    return {mode: score(corpus.truth, predict(corpus, mode, model)) for mode in modes}


def render(results: dict[str, Scores], *, runs: int, split: str | None) -> str:
    """The evaluation as plain text: one block per way of diagnosing."""
    lines = [f"{runs} labelled runs" + (f" (split: {split})" if split else "")]
    for mode, scores in results.items():
        table = scores.per_label.copy()
        for column in ("precision", "recall", "f1"):
            table[column] = table[column].map(lambda v: f"{v:.3f}")
        lines += [
            "",
            f"== {mode} ==",
            table.to_string(),
            "",
            f"macro-F1 {scores.macro_f1:.3f}   healthy false alarms {scores.healthy_false_alarms:.1%}   "
            f"targets met: {'yes' if scores.meets_targets() else 'no'}",
            "",
            "confusion (rows: true label, columns: primary label given)",
            scores.confusion.to_string(),
        ]
    return "\n".join(lines)
