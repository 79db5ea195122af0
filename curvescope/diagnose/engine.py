"""Diagnose runs: every selected rule, then the learned model, then one verdict per label."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from ..assemble.kinds import FINE_TUNE, RANGE_TEST
from ..features.extract import table
from ..features.measured import RunContext
from ..findings import Finding, finding
from ..lr.range_test import analyse, recognise
from .combine import THRESHOLD, combine
from .diagnosis import MODEL, Diagnosis, Evidence, RuleFailure, RunDiagnosis
from .labels import LR_TOO_HIGH, PROBLEMS, UNDERFITTING, label
from .learned import LearnedModel
from .located import loss_progress, reward_progress
from .rate_checks import rate_findings, with_rate_evidence
from .registry import Rule


def model_codes() -> dict[str, str]:
    """The learned model's code of each problem label: CS901 bad_init ... CS905 underfitting."""
    return {name: label(name).model_code for name in PROBLEMS}


FAR_BELOW_CHANCE = 0.25
"""A first training loss at most this share of the chance level ln(C) was not learned from scratch in the
steps logged: a fine-tune of a pretrained model (or a model that fitted within its first logged point)."""


def with_kinds(runs: Mapping[str, RunContext], read_kinds: Mapping[str, Mapping[str, str]]) -> dict[str, RunContext]:
    """Each measured run with its kinds: those reading found (``ReadResult.kinds``), a fine-tune where the
    first loss is far below chance, and an LR range test where its rate rises every step (``lr.range_test``)."""
    return {
        name: replace(run, kinds=run_kinds(dict(read_kinds.get(name, {})), run.values, run.classes, run.curves))
        for name, run in runs.items()
    }


def measured_findings(runs: Sequence[RunContext], read_kinds: Mapping[str, Mapping[str, str]]) -> list[Finding]:
    """A ``fine-tuned-run`` finding for each run found a fine-tune by its first loss (reading names the others),
    and what the learning-rate checks found on each run (``rate_checks.rate_findings``)."""
    found = [
        finding(
            "fine-tuned-run",
            f"a fine-tune: {run.kinds[FINE_TUNE]}; a loss that barely falls is not read as underfitting",
            run=run.run,
        )
        for run in runs
        if FINE_TUNE in run.kinds and FINE_TUNE not in read_kinds.get(run.run, {})
    ]
    for run in runs:
        found += rate_findings(run)
    return found


def run_kinds(kinds: dict[str, str], values: Mapping[str, float], classes: int | None, curves=None) -> dict[str, str]:
    """The run kinds reading found, a fine-tune where the first loss is far below chance, a range test where the
    rate rises every step."""
    if curves is not None and (why := recognise(curves.get("lr"), curves.get("train_loss"))) is not None:
        kinds[RANGE_TEST] = why
    ratio = values.get("initial_loss_vs_chance", math.nan)
    if FINE_TUNE not in kinds and classes and ratio <= FAR_BELOW_CHANCE:
        kinds[FINE_TUNE] = f"its first training loss is {ratio:.2f} of the chance level ln({classes}), far below it"
    return kinds


def diagnose(
    runs: Iterable[RunContext], rules: Sequence[Rule], model: LearnedModel | None, *, strict: bool = False
) -> list[RunDiagnosis]:
    """Each measured run's diagnosis, in order: the rules judge its values, the model (when given) the
    matrix it makes of them. A rule that raises becomes a ``RuleFailure`` (``strict`` re-raises)."""
    runs = list(runs)
    for rule in rules:
        rule.validate_params()
    probabilities = model.predict_proba(table(runs)) if model is not None and runs else None
    diagnosed = []
    for context in runs:
        not_judged = _not_judged(context)
        found, failures = [], []
        for rule in rules:
            if rule.label in not_judged:
                continue
            try:
                found.extend(rule.check(context))
            except Exception as exc:  # one rule's bug must not cost the other diagnoses
                if strict:
                    raise
                failures.append(RuleFailure(rule.code, context.run, f"{type(exc).__name__}: {exc}"))
        found = with_rate_evidence(context, found)
        p = None if probabilities is None else probabilities.loc[context.run].to_dict()
        if p is not None:
            if context.fine_tuned and not any(d.label == UNDERFITTING for d in found):
                # a fine-tune's loss barely falls by nature: the model reads that as underfitting, the rules do not
                p = {name: (0.0 if name == UNDERFITTING else value) for name, value in p.items()}
            found.extend(_model_diagnoses(context, p, not_judged))
        progress = reward_progress(context) or loss_progress(context)
        diagnosed.append(combine(context.run, found, p, not_judged, failures, progress=progress))
    return diagnosed


def _not_judged(context: RunContext) -> dict[str, str]:
    """Labels the run lacks the curves (or the points) for, with the reason."""
    reasons = {}
    if RANGE_TEST in context.kinds:
        test = analyse(context.run, context.curves["lr"], context.curves["train_loss"])
        rate = "" if test.suggested is None else f"; it suggests a rate of {test.suggested:.3g}"
        why = f"is not judged on an LR range test: its rate rises every step until the loss diverges, by design{rate}"
        return {name: f"{name} {why}" for name in PROBLEMS}
    for name in PROBLEMS:
        record = label(name)
        needs = record.needs
        if context.reinforcement_learning and "train_loss" in needs:
            reward = context.curves["reward"].tag if "reward" in context.curves else "a reward"
            reasons[name] = (
                f"{name} is not judged on an RL run: reward ({reward}) is the curve that tells progress, "
                "and policy and value losses may rise while the agent improves"
            )
            continue
        missing = [role for role in needs if not context.has(role)]
        short = [role for role in needs if 0 < context.points(role) < record.minimum(role)]
        if name == LR_TOO_HIGH and context.first("non_finite", role="train_loss") is not None:
            short = []  # a loss that became NaN or infinite says so on any number of points
        if missing:
            what = " and ".join(_curve_name(r) for r in missing)
            reasons[name] = f"{name} cannot be judged without {what}"
        elif short:
            what = " and ".join(f"{context.points(r)} points of {_curve_name(r)}" for r in short)
            reasons[name] = f"{name} cannot be judged from {what} (at least {record.minimum(short[0])} are needed)"
    return reasons


def _curve_name(role: str) -> str:
    return "a validation curve" if role == "validation" else f"a {role.replace('_', ' ')} curve"


def _model_diagnoses(context: RunContext, probabilities: Mapping[str, float], not_judged) -> list[Diagnosis]:
    """The learned model's diagnoses: each label it gives (of those it was trained on), with what the
    detectors located for the label on this run and its key features as evidence."""
    found = []
    for name, p in probabilities.items():
        if name in not_judged or name not in PROBLEMS or p < THRESHOLD:
            continue
        record = label(name)
        events = list(record.located(context))[:4]
        numbers = [(feature, context.value(feature)) for feature in record.key_features]
        quoted = ", ".join(f"{feature} {value:.3g}" for feature, value in numbers if math.isfinite(value))
        features = [Evidence(f, f"{f} = {value:.3g}", value=value) for f, value in numbers if math.isfinite(value)]
        found.append(
            Diagnosis(
                record.model_code,
                f"learned-{name.replace('_', '-')}",
                name,
                context.run,
                float(p),
                f"the learned model gives {name} {p:.0%} ({record.meaning})" + (f"; {quoted}" if quoted else ""),
                record.worded_fix(context),
                (*events, *features),
                MODEL,
            )
        )
    return found
