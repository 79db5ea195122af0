"""Generalisation: a model trained on one corpus scored on another, and each family of runs judged by a
model trained on the others (leave one family out), the folds' predictions pooled and scored."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from ..diagnose.learned import CHANCE_FEATURE, fit
from ..errors import InvalidParameterError
from ..evaluate import LabelledRuns, Scores, evaluate, predict, score, train
from ..features import FEATURES
from ..features.extract import table

FAMILY = "family"


def families(corpus: LabelledRuns) -> pd.Series:
    """Each run's family: labels.csv's ``family`` where given, else the first part of the run's name
    (``<dataset>-<arch>`` in the bundled corpus)."""
    derived = pd.Series([run.split("/")[0] for run in corpus.truth.index], index=corpus.truth.index, name=FAMILY)
    if FAMILY not in corpus.manifest.columns:
        return derived
    named = corpus.manifest.drop_duplicates("run").set_index("run")[FAMILY].reindex(corpus.truth.index).fillna("")
    return named.where(named != "", derived).rename(FAMILY)


def needs_class_blind(corpus: LabelledRuns) -> bool:
    """Whether some run's chance level is unknown, so that a model judging it needs its class-blind part."""
    return not all(math.isfinite(run.values[CHANCE_FEATURE]) for run in corpus.runs.values())


def cross_corpus_model(train_on: LabelledRuns, test: LabelledRuns, *, seed: int = 0, trained_on: str = ""):
    """The learned model fitted on ``train_on`` (in memory, fixed seed) to judge ``test``'s runs."""
    return train(train_on, seed=seed, trained_on=trained_on, class_blind=needs_class_blind(test))


def subset(corpus: LabelledRuns, runs: Sequence[str]) -> LabelledRuns:
    """The labelled runs named, without their read rows (what training and diagnosing need)."""
    runs = list(runs)
    manifest = corpus.manifest[corpus.manifest["run"].isin(runs)].reset_index(drop=True)
    return replace(
        corpus,
        runs={r: corpus.runs[r] for r in runs},
        truth=corpus.truth.loc[runs],
        manifest=manifest,
        scalars=corpus.scalars.iloc[:0],
    )


def pool(corpora: Sequence[tuple[str, LabelledRuns]]) -> LabelledRuns:
    """Several labelled corpora as one, each run named ``<corpus name>/<run>`` and its family kept in the
    manifest (a family of the same name in two corpora is one family, left out as one); one corpus stays
    as it is, with its families written in."""
    if len(corpora) == 1:
        name, corpus = corpora[0]
        return replace(corpus, manifest=corpus.manifest.assign(family=corpus.manifest["run"].map(families(corpus))))
    names = [name for name, _ in corpora]
    if len(set(names)) < len(names):
        raise InvalidParameterError(f"corpora to pool need different names; got {', '.join(names)}.")
    runs, truths, manifests, scalars = {}, [], [], []
    for name, corpus in corpora:
        renamed = {run: f"{name}/{run}" for run in corpus.truth.index}
        runs |= {renamed[r]: replace(context, run=renamed[r]) for r, context in corpus.runs.items()}
        truths.append(corpus.truth.rename(index=renamed))
        family = corpus.manifest["run"].map(families(corpus))
        manifests.append(corpus.manifest.assign(run=corpus.manifest["run"].map(renamed), family=family))
        scalars.append(corpus.scalars.assign(run=corpus.scalars["run"].map(renamed)))
    classes = {f"{name}/{run}": count for name, corpus in corpora for run, count in (corpus.classes or {}).items()}
    return LabelledRuns(
        runs, pd.concat(truths), pd.concat(manifests, ignore_index=True), pd.concat(scalars, ignore_index=True), classes
    )


def leave_one_family_out(corpus: LabelledRuns, *, seed: int = 0, jobs: int = 1) -> dict[str, Scores]:
    """Scores of the rules, the model and both when each family's runs are judged by a model trained on
    every other family (one fit per family, ``jobs`` at a time), the folds' predictions pooled."""
    from joblib import Parallel, delayed

    family = families(corpus)
    names = sorted(set(family))
    if len(names) < 2:
        raise InvalidParameterError(f"leaving one family out needs at least two families; found {len(names)}.")
    features = table(corpus.runs.values())
    folds = Parallel(n_jobs=jobs)(
        delayed(_fold)(features[family != name], corpus.truth[family != name], subset(corpus, family.index[family == name]), seed)
        for name in names
    )
    results = {"rules": score(corpus.truth, predict(corpus, "rules", None))}
    for mode in ("model", "combined"):
        results[mode] = score(corpus.truth, pd.concat([fold[mode] for fold in folds]).loc[corpus.truth.index])
    return results


def _fold(features: pd.DataFrame, truth: pd.DataFrame, held_out: LabelledRuns, seed: int) -> dict[str, pd.DataFrame]:
    """One family's predictions by a model fitted on the others."""
    model = fit(features, truth, features=tuple(FEATURES), seed=seed, class_blind=needs_class_blind(held_out))
    return {mode: predict(held_out, mode, model) for mode in ("model", "combined")}


def cross_corpus(train_on: LabelledRuns, test: LabelledRuns, *, seed: int = 0) -> dict[str, Scores]:
    """Scores of the rules, the model and both on ``test``, the model trained on ``train_on``."""
    return evaluate(test, cross_corpus_model(train_on, test, seed=seed))
