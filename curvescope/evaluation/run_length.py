"""The diagnosis mid-run: every curve cut at a fraction of its run, measured and judged as a user would
see it then; each label's recall at each fraction, and whether a label given halfway is the final one."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ..diagnose import LABELS
from ..evaluate import LabelledRuns, Scores, predict, score
from ..features.extract import measure_run, role_curves

FRACTIONS = (0.25, 0.5, 0.75, 1.0)
HALFWAY = 0.5


@dataclass(frozen=True)
class RunLength:
    """Scores of the runs cut at each fraction, and how often the primary label given halfway stays."""

    scores: dict[float, Scores]
    stays: pd.DataFrame
    """Per label given halfway (rows ``LABELS``): ``runs`` given it as primary label at half the run, and
    ``stays``, the share of them whose primary label at the end is the same."""

    def recall(self) -> pd.DataFrame:
        """Each label's recall (rows) at each fraction (columns)."""
        return pd.DataFrame({fraction: s.per_label.loc[list(LABELS), "recall"] for fraction, s in self.scores.items()})


def cut(scalars: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """Each run's rows up to ``fraction`` of the way from its first step to its last."""
    steps = scalars.groupby("run", sort=False, observed=True)["step"]
    first, last = steps.transform("min"), steps.transform("max")
    return scalars[scalars["step"] <= first + fraction * (last - first)]


def measured_at(corpus: LabelledRuns, fraction: float) -> LabelledRuns:
    """The corpus's runs measured again from their rows cut at ``fraction``."""
    rows = cut(corpus.scalars, fraction)
    curves = role_curves(rows)
    classes = corpus.classes or {}
    runs = {run: measure_run(run, curves.get(run, {}), classes=classes.get(run)) for run in corpus.runs}
    return replace(corpus, runs=runs, scalars=rows)


def run_length(corpus: LabelledRuns, model, fractions=FRACTIONS) -> RunLength:
    """Diagnose the runs cut at each fraction (rules and ``model`` combined; the rules alone without one)."""
    if HALFWAY not in fractions or 1.0 not in fractions:
        fractions = sorted({*fractions, HALFWAY, 1.0})
    mode = "rules" if model is None else "combined"
    predicted = {f: (corpus if f == 1.0 else measured_at(corpus, f)) for f in fractions}
    predicted = {f: predict(runs, mode, model) for f, runs in predicted.items()}
    stays = label_stays(predicted[HALFWAY]["primary"], predicted[1.0]["primary"])
    return RunLength({f: score(corpus.truth, p) for f, p in predicted.items()}, stays)


def label_stays(halfway: pd.Series, final: pd.Series) -> pd.DataFrame:
    """Per label (rows ``LABELS``): the ``runs`` whose primary label halfway is it, and the share of them
    whose final primary label is the same (``stays``, NaN when none)."""
    given = {label: (halfway == label).to_numpy() for label in LABELS}
    final = final.loc[halfway.index].to_numpy()
    return pd.DataFrame(
        {
            "runs": [int(runs.sum()) for runs in given.values()],
            "stays": [float((final[runs] == label).mean()) if runs.any() else float("nan") for label, runs in given.items()],
        },
        index=list(LABELS),
    )
